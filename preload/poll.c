/*
 * poll.c: readiness.  A membrane socket's readiness is computed from its
 * state and rings in shared memory, as the kernel's tcp_poll and
 * datagram_poll compute it from theirs, so a program sees the same bits.
 * poll, ppoll, select and pselect over sets with no membrane descriptor go
 * straight to the kernel; mixed sets look at the membrane's part here, ask
 * the kernel about the rest without blocking, and sleep in wait_until on
 * both at once.
 */
#include "config.h"

#include <sys/select.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload_pvt.h"

#define POLL_STACK	64	/* descriptors before the arrays are malloc'd */

uint32_t
poll_sock(struct pl_sock *ps)
{
	uint32_t	st = mbs_sock_state(&ps->s);
	uint32_t	m = 0, avail, room, count = ps->s.tx.r.count;
	bool		shut_rd, shut_wr, err;

	if (conn_dead(ps->cn))
		return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR |
		    POLLHUP | POLLRDHUP;
	err = (st & MBS_S_ERROR) &&
	    atomic_load_explicit(&ps->s.shm->error, memory_order_relaxed) != 0;
	avail = ring_avail(&ps->s.rx);
	room = ring_room(&ps->s.tx);
	shut_rd = (st & (MBS_S_RX_EOF | MBS_S_RESET)) ||
	    atomic_load_explicit(&ps->shut_rd, memory_order_relaxed);
	shut_wr = (st & (MBS_S_TX_SHUT | MBS_S_RESET)) ||
	    atomic_load_explicit(&ps->shut_wr, memory_order_relaxed);
	if (ps->type == SOCK_STREAM) {
		if (st & MBS_S_LISTENING)
			return (st & MBS_S_ACCEPTQ) || atomic_load_explicit(
			    &ps->shut_rd, memory_order_relaxed) ?
			    POLLIN | POLLRDNORM : 0;
		if ((shut_rd && shut_wr) || (st & MBS_S_RESET) ||
		    !(st & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
			m |= POLLHUP;
		if (shut_rd)
			m |= POLLIN | POLLRDNORM | POLLRDHUP;
		/* Nothing else while the handshake is under way. */
		if (!(st & MBS_S_CONNECTING) || (st & MBS_S_RESET) || err) {
			if (avail > 0)
				m |= POLLIN | POLLRDNORM;
			/* Writable once a third of the ring is free. */
			if (shut_wr || room >= count / 3)
				m |= POLLOUT | POLLWRNORM;
		}
	} else {
		if (shut_rd)
			m |= POLLIN | POLLRDNORM | POLLRDHUP;
		if (shut_rd && shut_wr)
			m |= POLLHUP;
		if (avail > 0)
			m |= POLLIN | POLLRDNORM;
		if (room >= count / 2)
			m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	}
	if (err)
		m |= POLLERR;
	return m;
}

struct poll_ctx {
	struct pollfd	*fds;
	struct pl_obj	**objs;
	nfds_t		 n;
};

/* The membrane part of entry i, as revents (0 for kernel entries). */
static uint32_t
poll_entry(struct poll_ctx *x, nfds_t i)
{
	struct pl_obj	*o = x->objs[i];
	uint32_t	 want = (uint16_t)x->fds[i].events | POLLERR | POLLHUP;

	if (o == NULL)
		return 0;
	if (o->kind == PL_SOCK)
		return poll_sock((struct pl_sock *)o) & want;
	/* The epoll fd itself stays in the kernel's set: its part is there. */
	return epoll_poll(o, -1) & want;
}

static int
poll_ready(void *arg)
{
	struct poll_ctx	*x = arg;
	nfds_t		 i;

	for (i = 0; i < x->n; i++)
		if (x->objs[i] != NULL && poll_entry(x, i) != 0)
			return 1;
	return 0;
}

int
poll_poll(struct pollfd *fds, nfds_t n, uint64_t deadline,
    const sigset_t *mask)
{
	struct pl_obj	*lobjs[POLL_STACK], **objs = lobjs;
	struct pollfd	 lk[POLL_STACK], *kfds = lk;
	struct poll_ctx	 x;
	struct pl_conn	*cn = NULL;
	struct timespec	 ts;
	nfds_t		 i, nm = 0, nk = 0;
	int		 count, rc;

	if (!atomic_load_explicit(&pl_active, memory_order_relaxed))
		goto kernel;
	if (n > POLL_STACK) {
		if ((objs = calloc(n, sizeof(*objs))) == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		objs[i] = fds[i].fd >= 0 ? fdtab_get(fds[i].fd) : NULL;
		if (objs[i] != NULL) {
			struct pl_sock *ps = sock_of(objs[i]);

			nm++;
			if (ps != NULL && cn == NULL && !conn_dead(ps->cn))
				cn = ps->cn;
		}
	}
	if (nm == 0) {
		if (objs != lobjs)
			free(objs);
		goto kernel;
	}
	if (n > POLL_STACK && (kfds = calloc(n, sizeof(*kfds))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		kfds[i] = fds[i];
		kfds[i].revents = 0;
		/* Sockets are ours alone; an epoll fd the kernel polls too. */
		if (objs[i] != NULL && objs[i]->kind == PL_SOCK)
			kfds[i].fd = -1;
		else if (kfds[i].fd >= 0)
			nk++;
	}
	x.fds = fds;
	x.objs = objs;
	x.n = n;
	for (;;) {
		if (nk > 0 && pl_real.poll(kfds, n, 0) < 0) {
			rc = -errno;
			goto out;
		}
		count = 0;
		for (i = 0; i < n; i++) {
			uint32_t rev = objs[i] != NULL && objs[i]->kind ==
			    PL_SOCK ? 0 : (uint32_t)kfds[i].revents;

			rev |= poll_entry(&x, i);
			fds[i].revents = (short)rev;
			if (rev != 0)
				count++;
		}
		if (count > 0 || (deadline != PL_FOREVER &&
		    wait_now_ns() >= deadline)) {
			rc = count;
			goto out;
		}
		rc = wait_until(cn, poll_ready, &x, deadline,
		    nk > 0 ? kfds : NULL, nk > 0 ? (unsigned)n : 0, mask, true);
		if (rc < 0)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		if (objs[i] != NULL)
			obj_put(objs[i]);
	if (objs != lobjs)
		free(objs);
	if (kfds != lk)
		free(kfds);
	return rc;
kernel:
	rc = pl_real.ppoll(fds, n, wait_ts(deadline, &ts), mask);
	return rc < 0 ? -errno : rc;
}

#define SEL_IN	(POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT	(POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX	(POLLPRI)

int
poll_select(int nfds, fd_set *r, fd_set *w, fd_set *e, uint64_t deadline,
    const sigset_t *mask, struct timeval *tv)
{
	struct pollfd	*pfd;
	struct timespec	 ts;
	struct pl_obj	*o;
	bool		 mine = false;
	int		 fd, n = 0, i, rc, count = 0;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (fd = 0; fd < nfds && !mine; fd++) {
		if (!((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		    (e && FD_ISSET(fd, e))))
			continue;
		if ((o = fdtab_get(fd)) != NULL) {
			mine = true;
			obj_put(o);
		}
	}
	if (!mine) {
		rc = pl_real.pselect(nfds, r, w, e, wait_ts(deadline, &ts),
		    mask);
		if (rc < 0)
			return -errno;
		goto timeleft;
	}
	if ((pfd = calloc((size_t)nfds + 1, sizeof(*pfd))) == NULL)
		return -ENOMEM;
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (e && FD_ISSET(fd, e))
			ev |= POLLPRI;
		if (ev == 0)
			continue;
		pfd[n].fd = fd;
		pfd[n++].events = ev;
	}
	rc = poll_poll(pfd, (nfds_t)n, deadline, mask);
	if (rc < 0) {
		free(pfd);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents & POLLNVAL) {
			free(pfd);
			return -EBADF;
		}
	}
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (e)
		FD_ZERO(e);
	for (i = 0; i < n; i++) {
		short ev = pfd[i].events, rev = pfd[i].revents;

		if ((ev & POLLIN) && (rev & SEL_IN)) {
			FD_SET(pfd[i].fd, r);
			count++;
		}
		if ((ev & POLLOUT) && (rev & SEL_OUT)) {
			FD_SET(pfd[i].fd, w);
			count++;
		}
		if ((ev & POLLPRI) && (rev & SEL_EX)) {
			FD_SET(pfd[i].fd, e);
			count++;
		}
	}
	free(pfd);
	rc = count;
timeleft:
	/* select(2) on Linux says how much of the timeout was left. */
	if (tv != NULL && deadline != PL_FOREVER) {
		uint64_t now = wait_now_ns();
		uint64_t left = deadline > now ? deadline - now : 0;

		tv->tv_sec = (time_t)(left / 1000000000u);
		tv->tv_usec = (suseconds_t)((left % 1000000000u) / 1000u);
	}
	return rc;
}
