/* `nook oom [--wait] ID`: print the snapshot of a container frozen at its
 * memory limit (runtime_oom_snapshot). */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_oom(struct nook_globals *g, int argc, char **argv, struct nook_error *err)
{
    static const struct option opts[] = {{"wait", no_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool wait = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "+wh", opts, NULL)) != -1) {
        if (ch == 'w') {
            wait = true;
        } else if (ch == 'h') {
            command_help("oom");
            char *text = runtime_oom_support_text();
            printf("\n%s", text);
            free(text);
            return 0;
        } else {
            return bad_option("oom", argc, argv);
        }
    }
    const char *id;
    int r = take_id("oom", argc, argv, 0, &id);
    if (r)
        return r;
    char *json;
    if (runtime_oom_snapshot(g, id, wait, &json, err) < 0)
        return 1;
    size_t len = strlen(json);
    fputs(json, stdout);
    if (len && json[len - 1] != '\n')
        putchar('\n');
    free(json);
    return fflush(stdout) == 0 ? 0 : 1;
}
