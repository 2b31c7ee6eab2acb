/* Calendar time in UTC without the C library's time zone machinery: glibc's
 * gmtime_r runs tzset, which reads /etc/localtime the first time, a file
 * nothing nook writes (all its timestamps are UTC, as runc's) depends on. */
#include "util.h"

/* Days since 1970-01-01 to the proleptic Gregorian date (y, m 1-12, d
 * 1-31): the days-to-civil algorithm over 400-year eras of 146097 days
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468; /* from 0000-03-01, so the leap day ends a year */
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11], March first */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

/* v as width decimal digits, leading zeros included. */
static void put_digits(char *p, unsigned long long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void utc_format(time_t t, char out[UTC_FORMAT_LEN])
{
    long long days = (long long)t / 86400, secs = (long long)t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    long long y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* "YYYY-MM-DDTHH:MM:SS" */
    put_digits(out, (unsigned long long)y % 10000, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, (unsigned long long)secs / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, (unsigned long long)secs / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, (unsigned long long)secs % 60, 2);
    out[19] = '\0';
}
