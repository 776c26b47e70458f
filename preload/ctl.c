/*
 * ctl.c: fcntl and ioctl on membrane sockets.  The kernel descriptor
 * behind each socket carries the file status flags, so F_GETFL and
 * F_GETFD answer as they would for a kernel socket; O_NONBLOCK is mirrored
 * here, where the blocking is done.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>

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
	}
	rc = pl_real.ioctl(fd, req, arg);
	return rc < 0 ? -errno : rc;
}
