/*
 * ctl.c: fcntl and ioctl on membrane sockets.  The kernel descriptor
 * behind each socket carries the file status flags, so F_GETFL and
 * F_GETFD answer as they would for a kernel socket; O_NONBLOCK is mirrored
 * here, where the blocking is done.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "preload_pvt.h"

long
ctl_fcntl(struct pl_obj *o, int fd, int cmd, long arg)
{
	int rc;

	switch (cmd) {
	case F_SETFL:
		rc = pl_real.fcntl(fd, F_SETFL, arg);
		if (rc < 0)
			return -errno;
		atomic_store(&o->flags, (int)(arg & O_NONBLOCK));
		if (o->kind == PL_SOCK)
			wait_wake_all();
		return rc;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		rc = fdtab_dup(fd, (int)arg, cmd == F_DUPFD_CLOEXEC, PL_DUPFD);
		return rc < 0 ? -errno : rc;
	default:
		rc = pl_real.fcntl(fd, cmd, arg);
		return rc < 0 ? -errno : rc;
	}
}

/* The interfaces a membrane socket sees: loopback, and the membrane's. */
struct ctl_if {
	char		name[IFNAMSIZ];
	uint8_t		mac[6];
	unsigned short	hwtype;
	int		mtu, index;
	short		flags;
	uint32_t	addr, mask;	/* network order */
};

static int
ctl_ifs(struct pl_sock *ps, struct ctl_if ifs[2])
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	int		rc;

	memset(ifs, 0, 2 * sizeof(*ifs));
	strcpy(ifs[0].name, "lo");
	ifs[0].hwtype = ARPHRD_LOOPBACK;
	ifs[0].mtu = 65536;
	ifs[0].index = 1;
	ifs[0].flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	ifs[0].addr = htonl(INADDR_LOOPBACK);
	ifs[0].mask = htonl(0xff000000u);
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_IFINFO;
	if ((rc = conn_dead(ps->cn) ? -ENETDOWN :
	    conn_call(ps->cn, &req, &cpl)) < 0)
		return rc;
	memcpy(ifs[1].name, cpl.u.ifinfo.name, sizeof(ifs[1].name));
	ifs[1].name[IFNAMSIZ - 1] = '\0';
	memcpy(ifs[1].mac, cpl.u.ifinfo.mac, sizeof(ifs[1].mac));
	ifs[1].hwtype = ARPHRD_ETHER;
	ifs[1].mtu = cpl.u.ifinfo.mtu;
	ifs[1].index = (int)cpl.u.ifinfo.index;
	ifs[1].flags = (short)cpl.u.ifinfo.flags;
	ifs[1].addr = cpl.u.ifinfo.addr;
	ifs[1].mask = cpl.u.ifinfo.mask;
	return 0;
}

static void
ctl_sin(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	memcpy(sa, &sin, sizeof(sin));
}

/* SIOCGIFCONF: the interfaces with an IPv4 address, as the kernel lists. */
static int
ctl_ifconf(struct ctl_if ifs[2], struct ifconf *ifc)
{
	struct ifreq	ifr;
	int		i, n = 0, room;

	if (ifc == NULL)
		return -EFAULT;
	room = ifc->ifc_req == NULL ? 0 : ifc->ifc_len / (int)sizeof(ifr);
	for (i = 0; i < 2; i++) {
		if (ifs[i].addr == 0)
			continue;
		if (ifc->ifc_req != NULL) {
			if (n >= room)
				break;
			memset(&ifr, 0, sizeof(ifr));
			memcpy(ifr.ifr_name, ifs[i].name, IFNAMSIZ);
			ctl_sin(&ifr.ifr_addr, ifs[i].addr);
			memcpy(&ifc->ifc_req[n], &ifr, sizeof(ifr));
		}
		n++;
	}
	ifc->ifc_len = n * (int)sizeof(ifr);
	return 0;
}

static int
ctl_ifreq(struct pl_sock *ps, unsigned long req, struct ifreq *ifr)
{
	struct ctl_if	 ifs[2], *it = NULL;
	char		 name[IFNAMSIZ];
	int		 i, rc;

	if (ifr == NULL)
		return -EFAULT;
	if ((rc = ctl_ifs(ps, ifs)) < 0)
		return rc;
	if (req == SIOCGIFCONF)
		return ctl_ifconf(ifs, (struct ifconf *)(void *)ifr);
	if (req == SIOCGIFNAME) {
		for (i = 0; i < 2; i++)
			if (ifs[i].index == ifr->ifr_ifindex)
				it = &ifs[i];
		if (it == NULL)
			return -ENODEV;
		memcpy(ifr->ifr_name, it->name, IFNAMSIZ);
		return 0;
	}
	memcpy(name, ifr->ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	for (i = 0; i < 2; i++)
		if (strcmp(name, ifs[i].name) == 0)
			it = &ifs[i];
	if (it == NULL)
		return -ENODEV;
	switch (req) {
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		if (it->addr == 0)
			return -EADDRNOTAVAIL;
		ctl_sin(&ifr->ifr_addr, req == SIOCGIFADDR ? it->addr :
		    req == SIOCGIFNETMASK ? it->mask :
		    (it->addr | ~it->mask));
		return 0;
	case SIOCGIFHWADDR:
		memset(&ifr->ifr_hwaddr, 0, sizeof(ifr->ifr_hwaddr));
		ifr->ifr_hwaddr.sa_family = it->hwtype;
		memcpy(ifr->ifr_hwaddr.sa_data, it->mac, sizeof(it->mac));
		return 0;
	case SIOCGIFFLAGS:
		ifr->ifr_flags = it->flags;
		return 0;
	case SIOCGIFMTU:
		ifr->ifr_mtu = it->mtu;
		return 0;
	case SIOCGIFINDEX:
		ifr->ifr_ifindex = it->index;
		return 0;
	}
	return -EINVAL;
}

long
ctl_ioctl(struct pl_obj *o, int fd, unsigned long req, void *arg)
{
	struct pl_sock	*ps = sock_of(o);
	int		 v, rc;

	switch (req) {
	case FIONBIO:
		if (arg == NULL)
			return -EFAULT;
		rc = pl_real.ioctl(fd, FIONBIO, arg);
		if (rc < 0)
			return -errno;
		v = *(int *)arg;
		if (v)
			atomic_fetch_or(&o->flags, O_NONBLOCK);
		else
			atomic_fetch_and(&o->flags, ~O_NONBLOCK);
		return 0;
	case FIONREAD:		/* SIOCINQ */
	case SIOCOUTQ:
		if (ps == NULL)
			break;
		if (arg == NULL)
			return -EFAULT;
		rc = req == FIONREAD ? io_inq(ps) : io_outq(ps);
		if (rc < 0)
			return rc;
		*(int *)arg = rc;
		return 0;
	case SIOCGIFCONF:
	case SIOCGIFNAME:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFHWADDR:
	case SIOCGIFFLAGS:
	case SIOCGIFMTU:
	case SIOCGIFINDEX:
		if (ps == NULL)
			break;
		return ctl_ifreq(ps, req, arg);
	}
	rc = pl_real.ioctl(fd, req, arg);
	return rc < 0 ? -errno : rc;
}
