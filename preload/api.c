/*
 * api.c: the entry points libmembrane.so exports, and its start-up.
 *
 * Each one finds out in a load or two whether its descriptor is a
 * membrane's; kernel descriptors go to libc untouched, membrane ones to
 * sock.c, io.c, poll.c, epoll.c or ctl.c, whose negative errno becomes -1
 * and errno here, at the POSIX boundary.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload_pvt.h"

int			 pl_debug_on;
static int		 pl_debug_fd = 2;
static pthread_once_t	 pl_once = PTHREAD_ONCE_INIT;
static _Atomic bool	 pl_ready;

void
pl_debug(const char *fmt, ...)
{
	char	line[512];
	va_list	ap;
	int	n, k;

	n = snprintf(line, sizeof(line), "libmembrane[%d]: ", (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n += k < (int)(sizeof(line) - (size_t)n - 1) ? k :
	    (int)(sizeof(line) - (size_t)n - 2);
	line[n++] = '\n';
	(void)!pl_real.write(pl_debug_fd, line, (size_t)n);
}

static void
pl_init_once(void)
{
	const char *v;

	real_init();
	if (fdtab_init() < 0) {
		static const char msg[] =
		    "libmembrane: cannot map the descriptor table\n";

		(void)!pl_real.write(2, msg, sizeof(msg) - 1);
		abort();
	}
	if ((v = getenv("MEMBRANE_SPIN_US")) != NULL && v[0] != '\0') {
		char		*end;
		unsigned long	 us = strtoul(v, &end, 10);

		if (*end == '\0' && us <= 1000000)
			pl_spin_ns = (uint64_t)us * 1000u;
	}
	if ((v = getenv("MEMBRANE_DEBUG")) != NULL && v[0] != '\0' &&
	    strcmp(v, "0") != 0) {
		pl_debug_on = 1;
		if (strcmp(v, "1") != 0 && strcmp(v, "stderr") != 0) {
			int fd = open(v, O_WRONLY | O_CREAT | O_APPEND |
			    O_CLOEXEC, 0600);

			if (fd >= 0)
				pl_debug_fd = fdtab_hide(fd);
		}
	}
	atomic_store(&pl_ready, true);
}

__attribute__((constructor)) static void
pl_init(void)
{
	pthread_once(&pl_once, pl_init_once);
}

#define PL_INIT()							\
	do {								\
		if (__builtin_expect(!atomic_load_explicit(&pl_ready,	\
		    memory_order_acquire), 0))				\
			pl_init();					\
	} while (0)

/* The membrane socket behind fd; anything else is the kernel's. */
#define SOCK_OR_KERNEL(fd, o, ps, kernel_call)				\
	PL_INIT();							\
	if (((o) = fdtab_get(fd)) == NULL)				\
		return kernel_call;					\
	if (((ps) = sock_of(o)) == NULL) {				\
		obj_put(o);						\
		return kernel_call;					\
	}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */

PL_EXPORT int
socket(int domain, int type, int protocol)
{
	int base = type & 0xf;

	PL_INIT();
	if ((domain == AF_INET || domain == AF_INET6) &&
	    (base == SOCK_STREAM || base == SOCK_DGRAM) &&
	    !(type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return (int)pl_ret(sock_socket(domain, type, protocol));
	return pl_real.socket(domain, type, protocol);
}

PL_EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.connect(fd, sa, len));
	rc = sock_connect(ps, sa, len);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.bind(fd, sa, len));
	rc = sock_bind(ps, sa, len);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
listen(int fd, int backlog)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.listen(fd, backlog));
	rc = sock_listen(ps, backlog);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.accept4(fd, sa, len, flags));
	rc = sock_accept(ps, sa, len, flags);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.accept(fd, sa, len));
	rc = sock_accept(ps, sa, len, 0);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
shutdown(int fd, int how)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.shutdown(fd, how));
	rc = sock_shutdown(ps, how);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.getsockname(fd, sa, len));
	rc = sock_name(ps, sa, len, false);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.getpeername(fd, sa, len));
	rc = sock_name(ps, sa, len, true);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.setsockopt(fd, level, name, val,
	    len));
	rc = sockopt_set(ps, level, name, val, len);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct pl_obj *o; struct pl_sock *ps; int rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.getsockopt(fd, level, name, val,
	    len));
	rc = sockopt_get(ps, level, name, val, len);
	obj_put(o);
	return (int)pl_ret(rc);
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

PL_EXPORT ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { (void *)(uintptr_t)buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.send(fd, buf, len, flags));
	rc = io_send(ps, &v, 1, flags, NULL, 0);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { (void *)(uintptr_t)buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.sendto(fd, buf, len, flags, to,
	    tolen));
	rc = io_send(ps, &v, 1, flags, to, to != NULL ? tolen : 0);
	obj_put(o);
	return pl_ret(rc);
}

static ssize_t
api_sendmsg(struct pl_sock *ps, const struct msghdr *m, int flags)
{
	if (m == NULL)
		return -EFAULT;
	if (m->msg_iovlen > 1024)
		return -EMSGSIZE;
	return io_send(ps, m->msg_iov, (int)m->msg_iovlen, flags,
	    m->msg_name, m->msg_name != NULL ? m->msg_namelen : 0);
}

PL_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.sendmsg(fd, m, flags));
	rc = api_sendmsg(ps, m, flags);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT int
sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc = 0;
	unsigned i;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.sendmmsg(fd, v, n, flags));
	if (n > 1024)
		n = 1024;
	for (i = 0; i < n; i++) {
		rc = api_sendmsg(ps, &v[i].msg_hdr, flags);
		if (rc < 0)
			break;
		v[i].msg_len = (unsigned)rc;
	}
	obj_put(o);
	if (i > 0)
		return (int)i;
	return (int)pl_ret(rc);
}

PL_EXPORT ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.recv(fd, buf, len, flags));
	rc = io_recv(ps, &v, 1, flags & ~MSG_PL_READ, NULL, NULL, NULL);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
    socklen_t *fromlen)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.recvfrom(fd, buf, len, flags, from,
	    fromlen));
	rc = io_recv(ps, &v, 1, flags & ~MSG_PL_READ, from,
	    from != NULL ? fromlen : NULL, NULL);
	obj_put(o);
	return pl_ret(rc);
}

static ssize_t
api_recvmsg(struct pl_sock *ps, struct msghdr *m, int flags)
{
	socklen_t	namelen;
	int		mflags = 0;
	ssize_t		rc;

	if (m == NULL)
		return -EFAULT;
	if (m->msg_iovlen > 1024)
		return -EMSGSIZE;
	namelen = m->msg_name != NULL ? m->msg_namelen : 0;
	rc = io_recv(ps, m->msg_iov, (int)m->msg_iovlen,
	    flags & ~(MSG_CMSG_CLOEXEC | MSG_PL_READ),
	    m->msg_name, &namelen, &mflags);
	if (rc < 0)
		return rc;
	m->msg_namelen = m->msg_name != NULL ? namelen : 0;
	m->msg_controllen = 0;
	m->msg_flags = mflags;
	return rc;
}

PL_EXPORT ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.recvmsg(fd, m, flags));
	rc = api_recvmsg(ps, m, flags);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT int
recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
    struct timespec *tmo)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc = 0;
	unsigned i;
	int f = flags & ~MSG_WAITFORONE;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.recvmmsg(fd, v, n, flags, tmo));
	if (n > 1024)
		n = 1024;
	for (i = 0; i < n; i++) {
		rc = api_recvmsg(ps, &v[i].msg_hdr, f);
		if (rc < 0)
			break;
		v[i].msg_len = (unsigned)rc;
		if (flags & MSG_WAITFORONE)
			f |= MSG_DONTWAIT;
	}
	obj_put(o);
	if (i > 0)
		return (int)i;
	return (int)pl_ret(rc);
}

PL_EXPORT ssize_t
read(int fd, void *buf, size_t len)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.read(fd, buf, len));
	/* read(2) of nothing returns at once on a socket (SysV's way). */
	rc = len == 0 ? 0 : io_recv(ps, &v, 1, 0, NULL, NULL, NULL);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
write(int fd, const void *buf, size_t len)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;
	struct iovec v = { (void *)(uintptr_t)buf, len };

	SOCK_OR_KERNEL(fd, o, ps, pl_real.write(fd, buf, len));
	rc = io_send(ps, &v, 1, 0, NULL, 0);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.readv(fd, iov, n));
	rc = io_recv(ps, iov, n, MSG_PL_READ, NULL, NULL, NULL);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(fd, o, ps, pl_real.writev(fd, iov, n));
	rc = io_send(ps, iov, n, 0, NULL, 0);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
sendfile(int out, int in, off_t *off, size_t count)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(out, o, ps, pl_real.sendfile(out, in, off, count));
	rc = io_sendfile(ps, in, off, count);
	obj_put(o);
	return pl_ret(rc);
}

PL_EXPORT ssize_t
sendfile64(int out, int in, off_t *off, size_t count)
{
	struct pl_obj *o; struct pl_sock *ps; ssize_t rc;

	SOCK_OR_KERNEL(out, o, ps, pl_real.sendfile64(out, in, off, count));
	rc = io_sendfile(ps, in, off, count);
	obj_put(o);
	return pl_ret(rc);
}

/* The checking variants glibc's headers call with _FORTIFY_SOURCE. */
extern void __chk_fail(void) __attribute__((noreturn));
ssize_t	__recv_chk(int, void *, size_t, size_t, int);
ssize_t	__recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *,
	    socklen_t *);
ssize_t	__read_chk(int, void *, size_t, size_t);
int	__poll_chk(struct pollfd *, nfds_t, int, size_t);
int	__ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *, size_t);

PL_EXPORT ssize_t
__recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		__chk_fail();
	return recv(fd, buf, len, flags);
}

PL_EXPORT ssize_t
__recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
    struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		__chk_fail();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

PL_EXPORT ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return read(fd, buf, len);
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */

PL_EXPORT int
close(int fd)
{
	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.close(fd);
	return fdtab_close(fd);
}

PL_EXPORT int
close_range(unsigned lo, unsigned hi, int flags)
{
	PL_INIT();
	return fdtab_close_range(lo, hi, flags);
}

PL_EXPORT void
closefrom(int lo)
{
	PL_INIT();
	if (lo < 0)
		lo = 0;
	if (fdtab_close_range((unsigned)lo, ~0u, 0) < 0 &&
	    pl_real.closefrom != NULL)
		pl_real.closefrom(lo);
}

PL_EXPORT int
dup(int fd)
{
	struct pl_obj *o;

	PL_INIT();
	if ((o = fdtab_get(fd)) == NULL)
		return pl_real.dup(fd);
	obj_put(o);
	return fdtab_dup(fd, -1, 0, PL_DUP);
}

PL_EXPORT int
dup2(int oldfd, int newfd)
{
	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.dup2(oldfd, newfd);
	return fdtab_dup(oldfd, newfd, 0, PL_DUP2);
}

PL_EXPORT int
dup3(int oldfd, int newfd, int flags)
{
	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.dup3(oldfd, newfd, flags);
	return fdtab_dup(oldfd, newfd, flags, PL_DUP3);
}

static int
api_fcntl(int (*real)(int, int, ...), int fd, int cmd, long arg)
{
	struct pl_obj	*o;
	long		 rc;

	PL_INIT();
	if ((o = fdtab_get(fd)) == NULL)
		return real(fd, cmd, arg);
	rc = ctl_fcntl(o, fd, cmd, arg);
	obj_put(o);
	return (int)pl_ret(rc);
}

PL_EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list	ap;
	long	arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	PL_INIT();
	return api_fcntl(pl_real.fcntl, fd, cmd, arg);
}

PL_EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list	ap;
	long	arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	PL_INIT();
	return api_fcntl(pl_real.fcntl64 != NULL ? pl_real.fcntl64 :
	    pl_real.fcntl, fd, cmd, arg);
}

PL_EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	struct pl_obj	*o;
	va_list		 ap;
	void		*arg;
	long		 rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	PL_INIT();
	if ((o = fdtab_get(fd)) == NULL)
		return pl_real.ioctl(fd, req, arg);
	rc = ctl_ioctl(o, fd, req, arg);
	obj_put(o);
	return (int)pl_ret(rc);
}

/* ------------------------------------------------------------------ */
/* Readiness                                                           */

static uint64_t
api_deadline_ts(const struct timespec *ts, int *err)
{
	*err = 0;
	if (ts == NULL)
		return PL_FOREVER;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) {
		*err = -EINVAL;
		return 0;
	}
	if (ts->tv_sec > 100000000)
		return PL_FOREVER;
	return wait_now_ns() + (uint64_t)ts->tv_sec * 1000000000u +
	    (uint64_t)ts->tv_nsec;
}

PL_EXPORT int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.poll(fds, n, timeout);
	return (int)pl_ret(poll_poll(fds, n, wait_deadline_ms(timeout), NULL));
}

PL_EXPORT int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	uint64_t	deadline;
	int		err;

	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.ppoll(fds, n, ts, mask);
	deadline = api_deadline_ts(ts, &err);
	if (err < 0)
		return (int)pl_ret(err);
	return (int)pl_ret(poll_poll(fds, n, deadline, mask));
}

PL_EXPORT int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

PL_EXPORT int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, ts, mask);
}

PL_EXPORT int
select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	uint64_t deadline = PL_FOREVER;

	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.select(nfds, r, w, e, tv);
	if (tv != NULL) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0)
			return (int)pl_ret(-EINVAL);
		deadline = wait_now_ns() + (uint64_t)tv->tv_sec * 1000000000u +
		    (uint64_t)tv->tv_usec * 1000u;
	}
	return (int)pl_ret(poll_select(nfds, r, w, e, deadline, NULL, tv));
}

PL_EXPORT int
pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
    const sigset_t *mask)
{
	uint64_t	deadline;
	int		err;

	PL_INIT();
	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.pselect(nfds, r, w, e, ts, mask);
	deadline = api_deadline_ts(ts, &err);
	if (err < 0)
		return (int)pl_ret(err);
	return (int)pl_ret(poll_select(nfds, r, w, e, deadline, mask, NULL));
}

PL_EXPORT int
epoll_create1(int flags)
{
	int fd, rc;

	PL_INIT();
	if ((fd = pl_real.epoll_create1(flags)) < 0)
		return fd;
	if ((rc = epoll_new(fd)) < 0) {
		pl_real.close(fd);
		return (int)pl_ret(rc);
	}
	return fd;
}

PL_EXPORT int
epoll_create(int size)
{
	PL_INIT();
	if (size <= 0)
		return (int)pl_ret(-EINVAL);
	return epoll_create1(0);
}

PL_EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pl_obj	*ep;
	int		 rc;

	PL_INIT();
	if ((ep = fdtab_get(epfd)) == NULL)
		return pl_real.epoll_ctl(epfd, op, fd, ev);
	if (ep->kind != PL_EPOLL) {
		obj_put(ep);
		return (int)pl_ret(-EINVAL);
	}
	rc = epoll_ctl_obj(ep, fd, op, ev);
	if (rc == 1) {
		rc = pl_real.epoll_ctl(epfd, op, fd, ev);
		if (rc == 0)
			epoll_kernel_count(ep, op);
		rc = rc < 0 ? -errno : 0;
	}
	obj_put(ep);
	return (int)pl_ret(rc);
}

/* An epoll wait, or API_KERNEL: the kernel's instance alone will do. */
#define API_KERNEL	(-0x10000)

static int
api_epoll_wait(int epfd, struct epoll_event *evs, int max, uint64_t deadline,
    const sigset_t *mask)
{
	struct pl_obj	*ep;
	int		 rc;

	if ((ep = fdtab_get(epfd)) == NULL)
		return API_KERNEL;
	if (ep->kind != PL_EPOLL) {
		obj_put(ep);
		return -EINVAL;
	}
	rc = epoll_wait_obj(ep, epfd, evs, max, deadline, mask);
	obj_put(ep);
	return rc == EPOLL_KERNEL ? API_KERNEL : rc;
}

PL_EXPORT int
epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
    const sigset_t *mask)
{
	int rc;

	PL_INIT();
	rc = api_epoll_wait(epfd, evs, max, wait_deadline_ms(timeout), mask);
	if (rc == API_KERNEL)
		return pl_real.epoll_pwait(epfd, evs, max, timeout, mask);
	return (int)pl_ret(rc);
}

PL_EXPORT int
epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return epoll_pwait(epfd, evs, max, timeout, NULL);
}

PL_EXPORT int
epoll_pwait2(int epfd, struct epoll_event *evs, int max,
    const struct timespec *ts, const sigset_t *mask)
{
	uint64_t	deadline;
	int		err, rc;

	PL_INIT();
	deadline = api_deadline_ts(ts, &err);
	if (err < 0)
		return (int)pl_ret(err);
	rc = api_epoll_wait(epfd, evs, max, deadline, mask);
	if (rc == API_KERNEL)
		return pl_real.epoll_pwait2 != NULL ?
		    pl_real.epoll_pwait2(epfd, evs, max, ts, mask) :
		    (int)pl_ret(-ENOSYS);
	return (int)pl_ret(rc);
}
