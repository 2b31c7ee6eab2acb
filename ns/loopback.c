/* A new network namespace starts with lo down; bring it up, as crun and
 * bubblewrap do, so a container without other interfaces can still talk to
 * itself (127.0.0.1, ::1). */
#include "ns.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int ns_loopback_up(const struct spec *spec, struct nook_error *err)
{
    const struct spec_namespace *n = spec_find_namespace(spec, SPEC_NS_NETWORK);
    if (!n || n->path)
        return 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nook_error_sys(err, "bring up lo: socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        r = nook_error_sys(err, "bring up lo: get flags");
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
            r = nook_error_sys(err, "bring up lo");
    }
    close(fd);
    return r;
}
