/* --log / --log-format / --debug: one line per message in the format runc's
 * logrus writes, so tools that parse runc's log (containerd reads the
 * `--log-format json` file) read ours:
 *   text: time="2026-11-20T12:00:00Z" level=debug msg="..."
 *   json: {"level":"debug","msg":"...","time":"2026-11-20T12:00:00Z"}
 * The JSON here is one escaped string per field, so it is written by hand
 * rather than through spec/. */
#include "internal.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A growing byte buffer for one line. */
struct line {
    char *s;
    size_t len, cap;
};

static void line_add(struct line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        l->cap = (l->len + n + 1) * 2;
        l->s = xrealloc(l->s, l->cap);
    }
    memcpy(l->s + l->len, s, n);
    l->len += n;
    l->s[l->len] = '\0';
}

static void line_str(struct line *l, const char *s)
{
    line_add(l, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid
 * (bad lead byte, truncated, overlong, surrogate or above U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string literal (quotes included). Invalid UTF-8 becomes U+FFFD, as
 * Go's encoding/json does, so the line is always valid JSON. */
static void add_json_string(struct line *l, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    line_str(l, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        char esc[8];
        const char *rep = NULL;
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                rep = esc;
            }
        }
        if (rep) {
            line_str(l, rep);
            i++;
            continue;
        }
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0) {
            line_str(l, "\\ufffd");
            i++;
        } else {
            line_add(l, (const char *)s + i, k);
            i += k;
        }
    }
    line_str(l, "\"");
}

/* A Go-quoted string literal (strconv.Quote, what logrus's text format
 * uses): control characters and invalid UTF-8 bytes become escapes. */
static void add_go_quoted(struct line *l, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    line_str(l, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        char esc[8];
        const char *rep = NULL;
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\a': rep = "\\a"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        case '\v': rep = "\\v"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", c);
                rep = esc;
            }
        }
        if (rep) {
            line_str(l, rep);
            i++;
            continue;
        }
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            line_str(l, esc);
            i++;
        } else {
            line_add(l, (const char *)s + i, k);
            i += k;
        }
    }
    line_str(l, "\"");
}

/* Opened once by nook_log_setup (the --log file, or a copy of stderr for
 * --debug alone) and kept: the container's init logs through it after
 * pivot_root, where the --log path no longer resolves, and a copy of stderr
 * stays nook's stderr after the init's stdio became the container's. It is
 * close-on-exec, so the container's process never sees it. */
static int log_fd = -1;
static bool log_json;
static bool log_precise; /* --debug: microseconds, for per-step timings */

static void format_time(char *ts, size_t len)
{
    struct timespec now;
    char day[UTC_FORMAT_LEN];
    if (clock_gettime(CLOCK_REALTIME, &now) < 0) {
        snprintf(ts, len, "1970-01-01T00:00:00Z");
        return;
    }
    utc_format(now.tv_sec, day);
    snprintf(ts, len, "%s", day);
    size_t used = strlen(ts);
    if (log_precise)
        snprintf(ts + used, len - used, ".%06ldZ", now.tv_nsec / 1000);
    else
        snprintf(ts + used, len - used, "Z");
}

static void format_line(struct line *l, bool json, const char *level, const char *msg)
{
    char ts[40];
    format_time(ts, sizeof ts);
    if (json) {
        line_str(l, "{\"level\":");
        add_json_string(l, level);
        line_str(l, ",\"msg\":");
        add_json_string(l, msg);
        line_str(l, ",\"time\":");
        add_json_string(l, ts);
        line_str(l, "}\n");
    } else {
        line_str(l, "time=\"");
        line_str(l, ts);
        line_str(l, "\" level=");
        line_str(l, level);
        line_str(l, " msg=");
        add_go_quoted(l, msg);
        line_str(l, "\n");
    }
}

/* One write(2) with O_APPEND so lines of concurrent nook processes (and of
 * nook and its init) sharing a log file do not interleave. Logging must
 * never make a command fail, so a log that cannot be written is skipped. */
static void write_line(const char *level, const char *msg)
{
    if (log_fd < 0)
        return;
    struct line l = {0};
    format_line(&l, log_json, level, msg);
    (void)write_all(log_fd, l.s, l.len);
    free(l.s);
}

static void trace_to_log(const char *msg)
{
    write_line("debug", msg);
}

/* An fd of at least 3, so setting up the container's stdio never lands on it. */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

void nook_log_setup(const struct nook_globals *g)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    nook_trace_set_sink(NULL);
    log_json = g->log_json;
    log_precise = g->debug;
    /* Without --log only --debug makes nook talk on stderr: errors reach the
     * user through main's single "nook: <id>: <msg>" line. */
    if (g->log_path)
        log_fd = above_stdio(open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    else if (g->debug)
        log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (g->debug && log_fd >= 0)
        nook_trace_set_sink(trace_to_log);
}

void nook_log(const struct nook_globals *g, const char *level, const char *fmt, ...)
{
    if (log_fd < 0 || (strcmp(level, "debug") == 0 && !g->debug))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg)
        return;
    write_line(level, msg);
    free(msg);
}
