/* ns/uts.c: hostname and domainname inside the container's uts ns. */
#include "ns.h"

#include <string.h>
#include <unistd.h>

int ns_set_hostname(const struct spec *spec, struct nook_error *err)
{
    /* An empty name means "not set", as in runc (ns_validate agrees). */
    if (spec->hostname != NULL && spec->hostname[0] != '\0' &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return nook_error_sys(err, "sethostname \"%s\"", spec->hostname);
    if (spec->domainname != NULL && spec->domainname[0] != '\0' &&
        setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return nook_error_sys(err, "setdomainname \"%s\"", spec->domainname);
    return 0;
}
