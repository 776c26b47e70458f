/*
 * io.c: sending and receiving on membrane sockets.
 *
 * TCP bytes go straight between the program's buffers and the socket's
 * stream rings; UDP datagrams are records (struct mbs_dgram, then the
 * payload).  While the stack keeps up, no call here makes a system call:
 * the kick that tells the stack about new bytes is a flag and a ring slot,
 * and its doorbell is rung only when it sleeps.  A call that must wait
 * waits in wait_until: spinning a little, then sleeping on the doorbell.
 *
 * One sender and one receiver at a time per socket (tx_lock, rx_lock), as
 * the rings have one producer and one consumer.  A stream send keeps its
 * lock while it waits for room, so concurrent sends stay whole; no other
 * lock is held while a call sleeps.
 */
#include "config.h"

#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload_pvt.h"

#define IO_FILE_CHUNK	(256u << 10)	/* sendfile's read size */

/* A cursor over the program's iovec. */
struct iocur {
	const struct iovec	*iov;
	int			 n;
	int			 i;
	size_t			 off;
};

static void
cur_init(struct iocur *c, const struct iovec *iov, int n)
{
	c->iov = iov;
	c->n = n;
	c->i = 0;
	c->off = 0;
	while (c->i < c->n && c->iov[c->i].iov_len == 0)
		c->i++;
}

/* Copy up to len bytes between the cursor and p; to_user picks the way. */
static size_t
cur_copy(struct iocur *c, void *p, size_t len, bool to_user)
{
	unsigned char	*q = p;
	size_t		 done = 0;

	while (done < len && c->i < c->n) {
		const struct iovec *v = &c->iov[c->i];
		size_t k = v->iov_len - c->off;

		if (k > len - done)
			k = len - done;
		if (to_user)
			memcpy((unsigned char *)v->iov_base + c->off, q + done,
			    k);
		else
			memcpy(q + done, (const unsigned char *)v->iov_base +
			    c->off, k);
		done += k;
		c->off += k;
		if (c->off == v->iov_len) {
			c->i++;
			c->off = 0;
			while (c->i < c->n && c->iov[c->i].iov_len == 0)
				c->i++;
		}
	}
	return done;
}

static size_t
iov_total(const struct iovec *iov, int n)
{
	size_t	t = 0;
	int	i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

static uint64_t
io_deadline(struct pl_sock *ps, int flags, int timeo_ms, bool *nb)
{
	*nb = (flags & MSG_DONTWAIT) || (atomic_load_explicit(&ps->o.flags,
	    memory_order_relaxed) & O_NONBLOCK);
	if (*nb)
		return 0;
	return timeo_ms > 0 ? wait_deadline_ms(timeo_ms) : PL_FOREVER;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

static int
io_rx_ready(void *arg)
{
	struct pl_sock	*ps = arg;
	uint32_t	 st = mbs_sock_state(&ps->s);

	if (ring_avail(&ps->s.rx) != 0 || conn_dead(ps->cn))
		return 1;
	if (st & (MBS_S_RX_EOF | MBS_S_RESET | MBS_S_ERROR))
		return 1;
	if (atomic_load_explicit(&ps->shut_rd, memory_order_relaxed))
		return 1;
	if (ps->type == SOCK_STREAM &&
	    !(st & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
		return 1;
	return 0;
}

/* After a drain: let the stack push what it held back for lack of room. */
static void
io_drained(struct pl_sock *ps)
{
	if (atomic_load_explicit(&ps->s.shm->rx_wait, memory_order_relaxed))
		(void)conn_kick(ps->cn, &ps->s);
}

/* Take stream bytes into the cursor; returns the count or -errno. */
static ssize_t
io_stream_take(struct pl_sock *ps, struct iocur *c, size_t want, int flags)
{
	struct iovec	view[2];
	ssize_t		avail;
	size_t		n, k;

	if ((avail = ion_stream_peek(&ps->s.rx, view)) < 0)
		return -ECONNRESET;
	n = (size_t)avail < want ? (size_t)avail : want;
	if (n == 0)
		return 0;
	if (!(flags & MSG_TRUNC)) {
		k = view[0].iov_len < n ? view[0].iov_len : n;
		cur_copy(c, view[0].iov_base, k, true);
		if (n > k)
			cur_copy(c, view[1].iov_base, n - k, true);
	}
	if (!(flags & MSG_PEEK)) {
		if (ion_stream_consume(&ps->s.rx, n) < 0)
			return -ECONNRESET;
		io_drained(ps);
	}
	return (ssize_t)n;
}

/* Why a stream has no byte for us now: 0 (end), -errno, or 1 (wait). */
static int
io_stream_why(struct pl_sock *ps)
{
	uint32_t	st = mbs_sock_state(&ps->s);
	int		e;

	if (conn_dead(ps->cn))
		return atomic_exchange(&ps->err_taken, true) ? 0 : -ECONNRESET;
	if ((st & (MBS_S_ERROR | MBS_S_RESET)) &&
	    (e = sock_take_error(ps)) < 0)
		return e;
	if (st & (MBS_S_RX_EOF | MBS_S_RESET))
		return 0;
	if (atomic_load_explicit(&ps->shut_rd, memory_order_relaxed))
		return 0;
	if (!(st & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
		return -ENOTCONN;
	return 1;
}

static ssize_t
io_stream_recv(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
    int flags)
{
	struct iocur	c;
	size_t		total = iov_total(iov, iovcnt), got = 0;
	uint64_t	deadline;
	ssize_t		n;
	bool		nb;
	int		why, rc;

	if (flags & MSG_OOB)
		return -EINVAL;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	if (mbs_sock_state(&ps->s) & MBS_S_LISTENING)
		return -ENOTCONN;
	deadline = io_deadline(ps, flags, ps->rcvtimeo_ms, &nb);
	cur_init(&c, iov, iovcnt);
	for (;;) {
		/* Zero bytes asked: 0 once a byte (or the end) is there. */
		if (total == 0) {
			if (ring_avail(&ps->s.rx) > 0)
				return 0;
			if ((why = io_stream_why(ps)) <= 0)
				return why;
			if (nb)
				return -EAGAIN;
			rc = wait_until(ps->cn, io_rx_ready, ps, deadline, NULL,
			    0, NULL, ps->rcvtimeo_ms > 0);
			if (rc <= 0)
				return rc == 0 ? -EAGAIN : rc;
			continue;
		}
		pthread_mutex_lock(&ps->rx_lock);
		n = io_stream_take(ps, &c, total - got, flags);
		pthread_mutex_unlock(&ps->rx_lock);
		if (n < 0)
			return got > 0 ? (ssize_t)got : n;
		got += (size_t)n;
		if (got == total || (got > 0 && (!(flags & MSG_WAITALL) ||
		    (flags & MSG_PEEK))))
			return (ssize_t)got;
		if ((why = io_stream_why(ps)) <= 0) {
			/* Bytes that came before the end still count. */
			pthread_mutex_lock(&ps->rx_lock);
			n = io_stream_take(ps, &c, total - got, flags);
			pthread_mutex_unlock(&ps->rx_lock);
			if (n > 0)
				got += (size_t)n;
			return got > 0 ? (ssize_t)got : why;
		}
		if (nb)
			return got > 0 ? (ssize_t)got : -EAGAIN;
		rc = wait_until(ps->cn, io_rx_ready, ps, deadline, NULL, 0,
		    NULL, ps->rcvtimeo_ms > 0);
		if (rc < 0)
			return got > 0 ? (ssize_t)got : rc;
		if (rc == 0)
			return got > 0 ? (ssize_t)got : -EAGAIN;
	}
}

/* One datagram into the cursor; its full length, or -errno. */
static ssize_t
io_dgram_take(struct pl_sock *ps, struct iocur *c, size_t room, int flags,
    struct mbs_addr *from, bool *trunc)
{
	struct mbs_dgram d;
	struct iovec	 view[2];
	ssize_t		 avail;
	size_t		 space, n, k, at;
	unsigned char	*b;

	if ((avail = ion_stream_peek(&ps->s.rx, view)) < 0)
		return -ECONNRESET;
	if (avail == 0)
		return -EAGAIN;
	if ((size_t)avail < sizeof(d))
		return -ECONNRESET;
	/* The header, maybe split by the ring's end. */
	k = view[0].iov_len < sizeof(d) ? view[0].iov_len : sizeof(d);
	memcpy(&d, view[0].iov_base, k);
	if (k < sizeof(d))
		memcpy((unsigned char *)&d + k, view[1].iov_base,
		    sizeof(d) - k);
	if (d.len > MBS_DGRAM_MAX || (d.addr.family != 0 &&
	    d.addr.family != AF_INET && d.addr.family != AF_INET6))
		return -ECONNRESET;
	space = MBS_DGRAM_SPACE((size_t)d.len);
	if (space > (size_t)avail)
		return -ECONNRESET;
	n = d.len < room ? d.len : room;
	*trunc = d.len > room;
	/* The payload: from offset sizeof(d) in the two-part view. */
	at = sizeof(d);
	while (n > 0) {
		if (at < view[0].iov_len) {
			b = (unsigned char *)view[0].iov_base + at;
			k = view[0].iov_len - at;
		} else {
			b = (unsigned char *)view[1].iov_base +
			    (at - view[0].iov_len);
			k = view[1].iov_len - (at - view[0].iov_len);
		}
		if (k > n)
			k = n;
		cur_copy(c, b, k, true);
		at += k;
		n -= k;
	}
	if (from != NULL)
		*from = d.addr;
	if (!(flags & MSG_PEEK)) {
		if (ion_stream_consume(&ps->s.rx, space) < 0)
			return -ECONNRESET;
		io_drained(ps);
	}
	return (ssize_t)d.len;
}

static ssize_t
io_dgram_recv(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
    int flags, struct mbs_addr *from, int *msg_flags)
{
	struct iocur	c;
	size_t		total = iov_total(iov, iovcnt);
	uint64_t	deadline;
	ssize_t		n;
	bool		nb, trunc = false;
	int		rc, e;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	deadline = io_deadline(ps, flags, ps->rcvtimeo_ms, &nb);
	for (;;) {
		cur_init(&c, iov, iovcnt);
		pthread_mutex_lock(&ps->rx_lock);
		n = io_dgram_take(ps, &c, total, flags, from, &trunc);
		pthread_mutex_unlock(&ps->rx_lock);
		if (n >= 0) {
			if (trunc && msg_flags != NULL)
				*msg_flags |= MSG_TRUNC;
			if (!(flags & MSG_TRUNC) && (size_t)n > total)
				n = (ssize_t)total;
			return n;
		}
		if (n != -EAGAIN)
			return n;
		if (conn_dead(ps->cn))
			return -ECONNRESET;
		if ((mbs_sock_state(&ps->s) & MBS_S_ERROR) &&
		    (e = sock_take_error(ps)) < 0)
			return e;
		if (atomic_load_explicit(&ps->shut_rd, memory_order_relaxed))
			return 0;
		if (nb)
			return -EAGAIN;
		rc = wait_until(ps->cn, io_rx_ready, ps, deadline, NULL, 0,
		    NULL, ps->rcvtimeo_ms > 0);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -EAGAIN;
	}
}

ssize_t
io_recv(struct pl_sock *ps, const struct iovec *iov, int iovcnt, int flags,
    struct sockaddr *from, socklen_t *fromlen, int *msg_flags)
{
	struct mbs_addr	a;
	ssize_t		n;

	if (msg_flags != NULL)
		*msg_flags = 0;
	if (iovcnt < 0 || iovcnt > 1024)
		return -EINVAL;
	if (flags & MSG_PL_READ) {
		if (iov_total(iov, iovcnt) == 0)
			return 0;
		flags &= ~MSG_PL_READ;
	}
	if (ps->type == SOCK_STREAM) {
		n = io_stream_recv(ps, iov, iovcnt, flags);
		if (n >= 0 && fromlen != NULL)
			*fromlen = 0;
		return n;
	}
	memset(&a, 0, sizeof(a));
	n = io_dgram_recv(ps, iov, iovcnt, flags, &a, msg_flags);
	if (n >= 0 && fromlen != NULL) {
		if ((int)*fromlen < 0)
			return -EINVAL;
		*fromlen = from != NULL || *fromlen == 0 ?
		    mbs_addr_to_sa(&a, from, *fromlen) :
		    mbs_addr_to_sa(&a, NULL, 0);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

static int
io_tx_ready(void *arg)
{
	struct pl_sock	*ps = arg;
	uint32_t	 st = mbs_sock_state(&ps->s);

	if (ring_room(&ps->s.tx) != 0 || conn_dead(ps->cn))
		return 1;
	if (st & (MBS_S_RESET | MBS_S_ERROR | MBS_S_TX_SHUT))
		return 1;
	if (ps->type == SOCK_STREAM && !(st & MBS_S_CONNECTED) &&
	    !(st & MBS_S_CONNECTING))
		return 1;
	return 0;
}

/* EPIPE raises SIGPIPE unless MSG_NOSIGNAL, as the kernel's. */
static ssize_t
io_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return -EPIPE;
}

/* Why a stream takes no byte now: -errno, or 1 (wait for room). */
static int
io_stream_cant(struct pl_sock *ps)
{
	uint32_t	st = mbs_sock_state(&ps->s);
	int		e;

	if (conn_dead(ps->cn))
		return atomic_exchange(&ps->err_taken, true) ? -EPIPE :
		    -ECONNRESET;
	if (atomic_load_explicit(&ps->shut_wr, memory_order_relaxed) ||
	    (st & MBS_S_TX_SHUT))
		return -EPIPE;
	if ((st & (MBS_S_ERROR | MBS_S_RESET)) &&
	    (e = sock_take_error(ps)) < 0)
		return e;
	if (st & MBS_S_RESET)
		return -EPIPE;
	if (!(st & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
		return -EPIPE;
	return 1;
}

/*
 * Stream send.  The tx lock is held for the whole call, waits included:
 * two threads that each send a record on one socket get their records
 * whole, one after the other, as the kernel's socket lock gives them.
 */
static ssize_t
io_stream_send(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
    int flags)
{
	struct iocur	c;
	struct iovec	view[2];
	size_t		total = iov_total(iov, iovcnt), sent = 0, k, n;
	uint64_t	deadline;
	ssize_t		room, rc;
	bool		nb;
	int		why, w;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	deadline = io_deadline(ps, flags, ps->sndtimeo_ms, &nb);
	cur_init(&c, iov, iovcnt);
	pthread_mutex_lock(&ps->tx_lock);
	for (;;) {
		uint32_t st = mbs_sock_state(&ps->s);

		if (!(st & MBS_S_CONNECTED) || (st & (MBS_S_RESET |
		    MBS_S_TX_SHUT | MBS_S_ERROR)) ||
		    atomic_load_explicit(&ps->shut_wr, memory_order_relaxed) ||
		    conn_dead(ps->cn)) {
			why = io_stream_cant(ps);
			if (why < 0) {
				rc = sent > 0 ? (ssize_t)sent : why == -EPIPE ?
				    io_epipe(flags) : why;
				break;
			}
		} else if (total == 0) {
			rc = 0;
			break;
		} else {
			room = ion_stream_reserve(&ps->s.tx, view);
			if (room < 0) {
				rc = sent > 0 ? (ssize_t)sent : -ECONNRESET;
				break;
			}
			if (room > 0) {
				n = total - sent < (size_t)room ? total - sent :
				    (size_t)room;
				k = view[0].iov_len < n ? view[0].iov_len : n;
				cur_copy(&c, view[0].iov_base, k, false);
				if (n > k)
					cur_copy(&c, view[1].iov_base, n - k,
					    false);
				if (ion_stream_commit(&ps->s.tx, n) < 0) {
					rc = sent > 0 ? (ssize_t)sent :
					    -ECONNRESET;
					break;
				}
				sent += n;
				(void)conn_kick(ps->cn, &ps->s);
			}
			if (sent == total) {
				rc = (ssize_t)sent;
				break;
			}
		}
		if (nb) {
			rc = sent > 0 ? (ssize_t)sent : -EAGAIN;
			break;
		}
		w = wait_until(ps->cn, io_tx_ready, ps, deadline, NULL, 0,
		    NULL, ps->sndtimeo_ms > 0);
		if (w <= 0) {
			rc = sent > 0 ? (ssize_t)sent : w == 0 ? -EAGAIN : w;
			break;
		}
	}
	pthread_mutex_unlock(&ps->tx_lock);
	return rc;
}

static int
io_dgram_room(void *arg)
{
	struct pl_sock	*ps = arg;

	if (conn_dead(ps->cn))
		return 1;
	return ring_room(&ps->s.tx) >= ps->tx_need;
}

static ssize_t
io_dgram_send(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
    int flags, const struct sockaddr *to, socklen_t tolen)
{
	static const unsigned char zero[MBS_DGRAM_ALIGN];
	struct mbs_dgram d;
	struct iocur	 c;
	struct iovec	 view[2];
	struct mbs_addr	 a;
	size_t		 len = iov_total(iov, iovcnt), space, k, at;
	uint64_t	 deadline;
	ssize_t		 room;
	bool		 nb;
	int		 rc;

	memset(&a, 0, sizeof(a));
	if (to != NULL && tolen > 0) {
		sa_family_t fam;

		if (tolen < sizeof(fam))
			return -EINVAL;
		memcpy(&fam, &to->sa_family, sizeof(fam));
		if (ps->family == AF_INET) {
			if (tolen < sizeof(struct sockaddr_in))
				return -EINVAL;
			if (fam != AF_INET && fam != AF_UNSPEC)
				return -EAFNOSUPPORT;
		} else if (fam == AF_INET && tolen >= sizeof(struct sockaddr_in)) {
			/* Linux sends to a sockaddr_in from a dual-stack socket. */
			struct sockaddr_in sin;

			memcpy(&sin, to, sizeof(sin));
			a.family = AF_INET6;
			a.port = sin.sin_port;
			a.addr[10] = a.addr[11] = 0xff;
			memcpy(&a.addr[12], &sin.sin_addr, 4);
			fam = AF_UNSPEC;	/* done */
		} else {
			if (tolen < sizeof(struct sockaddr_in6))
				return -EINVAL;
			if (fam != AF_INET6)
				return -EAFNOSUPPORT;
		}
		if (fam != AF_UNSPEC && (rc = mbs_addr_from_sa(&a, to,
		    tolen)) < 0)
			return rc;
	}
	if (conn_dead(ps->cn))
		return -ENETDOWN;
	if (a.family == 0 && !(mbs_sock_state(&ps->s) & MBS_S_CONNECTED))
		return -EDESTADDRREQ;
	if (atomic_load_explicit(&ps->shut_wr, memory_order_relaxed))
		return io_epipe(flags);
	if (len > (ps->family == AF_INET ? 65507u : 65527u))
		return -EMSGSIZE;
	space = MBS_DGRAM_SPACE(len);
	if (space > ps->cn->c.hdr.buf_size)
		return -EMSGSIZE;
	deadline = io_deadline(ps, flags, ps->sndtimeo_ms, &nb);
	for (;;) {
		pthread_mutex_lock(&ps->tx_lock);
		room = ion_stream_reserve(&ps->s.tx, view);
		if (room >= (ssize_t)space) {
			memset(&d, 0, sizeof(d));
			d.len = (uint32_t)len;
			d.addr = a;
			/* Header, payload, padding; then publish the record. */
			k = view[0].iov_len < sizeof(d) ? view[0].iov_len :
			    sizeof(d);
			memcpy(view[0].iov_base, &d, k);
			if (k < sizeof(d))
				memcpy(view[1].iov_base, (unsigned char *)&d +
				    k, sizeof(d) - k);
			cur_init(&c, iov, iovcnt);
			at = sizeof(d);
			while (at < space) {
				unsigned char	*b;
				size_t		 seg, want;

				if (at < view[0].iov_len) {
					b = (unsigned char *)view[0].iov_base +
					    at;
					seg = view[0].iov_len - at;
				} else {
					b = (unsigned char *)view[1].iov_base +
					    (at - view[0].iov_len);
					seg = view[1].iov_len -
					    (at - view[0].iov_len);
				}
				if (seg > space - at)
					seg = space - at;
				want = at < sizeof(d) + len ?
				    sizeof(d) + len - at : 0;
				if (want > seg)
					want = seg;
				if (want > 0)
					cur_copy(&c, b, want, false);
				if (seg > want)
					memcpy(b + want, zero, seg - want);
				at += seg;
			}
			rc = ion_stream_commit(&ps->s.tx, space);
			pthread_mutex_unlock(&ps->tx_lock);
			if (rc < 0)
				return -ECONNRESET;
			(void)conn_kick(ps->cn, &ps->s);
			return (ssize_t)len;
		}
		pthread_mutex_unlock(&ps->tx_lock);
		if (room < 0)
			return -ECONNRESET;
		if (nb)
			return -EAGAIN;
		ps->tx_need = (uint32_t)space;
		rc = wait_until(ps->cn, io_dgram_room, ps, deadline, NULL, 0,
		    NULL, ps->sndtimeo_ms > 0);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -EAGAIN;
	}
}

ssize_t
io_send(struct pl_sock *ps, const struct iovec *iov, int iovcnt, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	if (iovcnt < 0 || iovcnt > 1024)
		return -EINVAL;
	if (ps->type == SOCK_STREAM)
		return io_stream_send(ps, iov, iovcnt, flags);
	return io_dgram_send(ps, iov, iovcnt, flags, to, tolen);
}

ssize_t
io_sendfile(struct pl_sock *ps, int in_fd, off_t *offset, size_t count)
{
	struct iovec	 v;
	unsigned char	*buf;
	off_t		 pos;
	size_t		 done = 0, chunk;
	ssize_t		 n, s;

	if (offset != NULL && *offset < 0)
		return -EINVAL;
	if ((pos = offset != NULL ? *offset : lseek(in_fd, 0, SEEK_CUR)) < 0)
		return errno == ESPIPE ? -EINVAL : -errno;
	if ((buf = malloc(IO_FILE_CHUNK)) == NULL)
		return -ENOMEM;
	while (done < count) {
		chunk = count - done < IO_FILE_CHUNK ? count - done :
		    IO_FILE_CHUNK;
		n = pread(in_fd, buf, chunk, pos);
		if (n < 0) {
			n = -errno;
			if (done == 0) {
				free(buf);
				return n;
			}
			break;
		}
		if (n == 0)
			break;
		v.iov_base = buf;
		v.iov_len = (size_t)n;
		s = io_send(ps, &v, 1, MSG_NOSIGNAL, NULL, 0);
		if (s < 0) {
			if (done == 0) {
				free(buf);
				if (s == -EPIPE)
					raise(SIGPIPE);
				return s;
			}
			break;
		}
		done += (size_t)s;
		pos += s;
		if (s < n)
			break;
	}
	free(buf);
	if (offset != NULL)
		*offset = pos;
	else if (lseek(in_fd, pos, SEEK_SET) < 0)
		return -errno;
	return (ssize_t)done;
}

int
io_inq(struct pl_sock *ps)
{
	struct mbs_dgram d;
	struct iovec	 view[2];
	ssize_t		 n;
	size_t		 k;

	if (mbs_sock_state(&ps->s) & MBS_S_LISTENING)
		return -EINVAL;
	if (ps->type == SOCK_STREAM)
		return (int)(ring_avail(&ps->s.rx) & 0x7fffffff);
	/* A datagram socket: the size of the next datagram. */
	pthread_mutex_lock(&ps->rx_lock);
	n = ion_stream_peek(&ps->s.rx, view);
	if (n >= (ssize_t)sizeof(d)) {
		k = view[0].iov_len < sizeof(d) ? view[0].iov_len : sizeof(d);
		memcpy(&d, view[0].iov_base, k);
		if (k < sizeof(d))
			memcpy((unsigned char *)&d + k, view[1].iov_base,
			    sizeof(d) - k);
		n = d.len <= MBS_DGRAM_MAX ? (ssize_t)d.len : 0;
	} else {
		n = 0;
	}
	pthread_mutex_unlock(&ps->rx_lock);
	return (int)n;
}

int
io_outq(struct pl_sock *ps)
{
	if (mbs_sock_state(&ps->s) & MBS_S_LISTENING)
		return -EINVAL;
	/* Bytes leave the ring only once the peer acknowledged them. */
	return (int)(ps->s.tx.r.count - ring_room(&ps->s.tx));
}
