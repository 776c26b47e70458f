/*
 * sock.c: membrane sockets' life: socket, bind, listen, connect, accept,
 * shutdown, names, and the release that hands the id back to the stack.
 * Each call checks what the kernel checks before it asks the stack, so the
 * errno is the kernel's for the same mistake.
 */
#include "config.h"

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload_pvt.h"

static void
sock_free(struct pl_sock *ps)
{
	pthread_mutex_destroy(&ps->rx_lock);
	pthread_mutex_destroy(&ps->tx_lock);
	free(ps);
}

/* The last reference: the id goes back to the stack. */
static void
sock_release(struct pl_obj *o)
{
	struct pl_sock	*ps = (struct pl_sock *)o;
	struct mbs_req	 req;

	if (!conn_dead(ps->cn)) {
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_CLOSE;
		req.sock = ps->s.id;
		/* A close cannot fail: nobody waits for its answer. */
		conn_post(ps->cn, &req);
	}
	sock_free(ps);
}

static void
sock_last_close(struct pl_obj *o)
{
	epoll_forget(o);
}

/*
 * A new socket object for stack socket id, behind a new kernel fd; on
 * failure the caller still owns the id.
 */
static int
sock_make(struct pl_conn *cn, uint32_t id, int family, int type, int flags,
    const struct pl_sock *parent)
{
	struct pl_sock	*ps;
	int		 fd, rc;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return -ENOMEM;
	if ((rc = mbs_sock_attach(&cn->c, id, &ps->s)) < 0) {
		free(ps);
		return rc;
	}
	ps->cn = cn;
	ps->family = family;
	ps->type = type;
	ps->o.kind = PL_SOCK;
	ps->o.release = sock_release;
	ps->o.last_close = sock_last_close;
	if (parent != NULL) {
		/* What the kernel copies from a listener to its children. */
		ps->rcvtimeo_ms = parent->rcvtimeo_ms;
		ps->sndtimeo_ms = parent->sndtimeo_ms;
		ps->rcvlowat = parent->rcvlowat;
		ps->ip_tos = parent->ip_tos;
		ps->ipv6_tclass = parent->ipv6_tclass;
		ps->tcp_cork = parent->tcp_cork;
		ps->tcp_user_timeout = parent->tcp_user_timeout;
	}
	atomic_init(&ps->o.flags, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	pthread_mutex_init(&ps->rx_lock, NULL);
	pthread_mutex_init(&ps->tx_lock, NULL);
	/* The number: an AF_UNIX socket nobody connects, flags as asked. */
	fd = pl_real.socket(AF_UNIX, SOCK_STREAM |
	    (flags & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0);
	if (fd < 0) {
		rc = -errno;
		sock_free(ps);
		return rc;
	}
	atomic_init(&ps->o.ref, 0);
	atomic_store(&pl_sock_seen, true);
	if ((rc = fdtab_install(fd, &ps->o)) < 0) {
		pl_real.close(fd);
		sock_free(ps);
		return rc;
	}
	PL_DEBUG("fd %d: membrane socket %u (%s, %s)", fd, id,
	    family == AF_INET ? "inet" : "inet6",
	    type == SOCK_STREAM ? "stream" : "dgram");
	return fd;
}

int
sock_socket(int domain, int type, int protocol)
{
	struct pl_conn	*cn;
	struct mbs_req	 req;
	struct mbs_cpl	 cpl;
	int		 base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int		 err = 0, rc, fd;

	if ((cn = conn_get(&err)) == NULL)
		return err;
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_SOCKET;
	req.u.socket.family = domain;
	req.u.socket.type = base;
	req.u.socket.protocol = protocol;
	if ((rc = conn_call(cn, &req, &cpl)) < 0)
		return rc == -ECONNRESET ? -ENETDOWN : rc;
	fd = sock_make(cn, cpl.sock, domain, base, type, NULL);
	if (fd < 0) {
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_CLOSE;
		req.sock = cpl.sock;
		(void)conn_call(cn, &req, &cpl);
	}
	return fd;
}

/* The round trip of a request on ps's id. */
static int
sock_call(struct pl_sock *ps, struct mbs_req *req, struct mbs_cpl *cpl)
{
	req->sock = ps->s.id;
	if (conn_dead(ps->cn))
		return -ECONNRESET;
	return conn_call(ps->cn, req, cpl);
}

/*
 * An address from the program, checked as the kernel checks it for this
 * socket's family: -EINVAL (too short), -EAFNOSUPPORT (another family).
 * AF_UNSPEC passes as family 0 when unspec_ok.
 */
static int
sock_addr(struct pl_sock *ps, const struct sockaddr *sa, socklen_t len,
    struct mbs_addr *a, bool unspec_ok)
{
	sa_family_t fam;

	memset(a, 0, sizeof(*a));
	if (sa == NULL)
		return -EFAULT;
	if (len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, &sa->sa_family, sizeof(fam));
	if (fam == AF_UNSPEC && unspec_ok)
		return 0;
	if (ps->family == AF_INET) {
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		if (fam != AF_INET)
			return -EAFNOSUPPORT;
	} else {
		if (len < sizeof(struct sockaddr_in6))
			return -EINVAL;
		if (fam != AF_INET6)
			return -EAFNOSUPPORT;
	}
	return mbs_addr_from_sa(a, sa, len);
}

int
sock_bind(struct pl_sock *ps, const struct sockaddr *sa, socklen_t len)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	sa_family_t	fam = AF_UNSPEC;
	int		rc;

	memset(&req, 0, sizeof(req));
	if (sa != NULL && len >= sizeof(fam))
		memcpy(&fam, &sa->sa_family, sizeof(fam));
	/* The kernel's compatibility game: AF_UNSPEC means INADDR_ANY. */
	if (ps->family == AF_INET && fam == AF_UNSPEC &&
	    len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		if (sin.sin_addr.s_addr != htonl(INADDR_ANY))
			return -EAFNOSUPPORT;
		sin.sin_family = AF_INET;
		rc = mbs_addr_from_sa(&req.u.addr, (struct sockaddr *)&sin,
		    sizeof(sin));
	} else {
		rc = sock_addr(ps, sa, len, &req.u.addr, false);
	}
	if (rc < 0)
		return rc;
	req.op = MBS_OP_BIND;
	return sock_call(ps, &req, &cpl);
}

int
sock_listen(struct pl_sock *ps, int backlog)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;

	if (ps->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_LISTEN;
	req.u.val = backlog;
	return sock_call(ps, &req, &cpl);
}

int
sock_take_error(struct pl_sock *ps)
{
	int	v = 0;
	socklen_t len = sizeof(v);
	int	rc;

	if (atomic_load_explicit(&ps->s.shm->error, memory_order_relaxed) == 0)
		return 0;
	if ((rc = sockopt_get(ps, SOL_SOCKET, SO_ERROR, &v, &len)) < 0)
		return rc;
	return v > 0 && v < 4096 ? -v : 0;
}

/* Ready when a connect is decided either way. */
static int
sock_connect_ready(void *arg)
{
	struct pl_sock	*ps = arg;
	uint32_t	 st = mbs_sock_state(&ps->s);

	if (conn_dead(ps->cn))
		return 1;
	return (st & MBS_S_CONNECTING) == 0 ||
	    (st & (MBS_S_ERROR | MBS_S_RESET)) != 0;
}

/* The outcome of a connect that was started: 0 or -errno. */
static int
sock_connect_outcome(struct pl_sock *ps)
{
	uint32_t	st = mbs_sock_state(&ps->s);
	int		rc;

	if (conn_dead(ps->cn))
		return -ECONNRESET;
	if ((st & MBS_S_CONNECTED) && !(st & MBS_S_RESET))
		return 0;
	if ((rc = sock_take_error(ps)) < 0)
		return rc;
	return -ECONNABORTED;
}

int
sock_connect(struct pl_sock *ps, const struct sockaddr *sa, socklen_t len)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	uint64_t	deadline;
	uint32_t	st;
	bool		nonblock;
	int		rc;

	memset(&req, 0, sizeof(req));
	if ((rc = sock_addr(ps, sa, len, &req.u.addr, true)) < 0)
		return rc;
	if (ps->type == SOCK_DGRAM) {
		req.op = MBS_OP_CONNECT;
		return sock_call(ps, &req, &cpl);
	}
	nonblock = (atomic_load_explicit(&ps->o.flags, memory_order_relaxed) &
	    O_NONBLOCK) != 0;
	if (mbs_sock_state(&ps->s) & MBS_S_LISTENING)
		return -EISCONN;
	/*
	 * A connect that was started earlier: the kernel answers EALREADY
	 * while it is under way, then once its outcome (0 or the error),
	 * then EISCONN.
	 */
	if (atomic_load_explicit(&ps->connect_seen, memory_order_relaxed) &&
	    !atomic_load_explicit(&ps->conn_reported, memory_order_relaxed)) {
		st = mbs_sock_state(&ps->s);
		if ((st & MBS_S_CONNECTING) &&
		    !(st & (MBS_S_ERROR | MBS_S_RESET))) {
			if (nonblock)
				return -EALREADY;
		} else {
			atomic_store(&ps->conn_reported, true);
			return sock_connect_outcome(ps);
		}
	} else {
		req.op = MBS_OP_CONNECT;
		rc = sock_call(ps, &req, &cpl);
		if (rc != -EINPROGRESS)
			return rc;
		atomic_store(&ps->conn_reported, false);
		atomic_store(&ps->connect_seen, true);
		if (nonblock)
			return -EINPROGRESS;
	}
	deadline = ps->sndtimeo_ms > 0 ? wait_deadline_ms(ps->sndtimeo_ms) :
	    PL_FOREVER;
	rc = wait_until(ps->cn, sock_connect_ready, ps, deadline, NULL, 0,
	    NULL, ps->sndtimeo_ms > 0);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -EINPROGRESS;
	atomic_store(&ps->conn_reported, true);
	return sock_connect_outcome(ps);
}

static int
sock_accept_ready(void *arg)
{
	struct pl_sock	*ps = arg;
	uint32_t	 st = mbs_sock_state(&ps->s);

	if (conn_dead(ps->cn))
		return 1;
	return (st & (MBS_S_ACCEPTQ | MBS_S_ERROR | MBS_S_RESET)) != 0 ||
	    !(st & MBS_S_LISTENING) ||
	    atomic_load_explicit(&ps->shut_rd, memory_order_relaxed);
}

int
sock_accept(struct pl_sock *ps, struct sockaddr *sa, socklen_t *len,
    int flags)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	uint64_t	deadline = PL_FOREVER;
	unsigned	full;
	int		rc, fd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (ps->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (sa != NULL && len == NULL)
		return -EFAULT;
	if (len != NULL && (int)*len < 0)
		return -EINVAL;
	if (ps->rcvtimeo_ms > 0)
		deadline = wait_deadline_ms(ps->rcvtimeo_ms);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_ACCEPT;
		rc = sock_call(ps, &req, &cpl);
		if (rc == 0)
			break;
		if (rc != -EAGAIN)
			return rc == -ECONNRESET ? -EINVAL : rc;
		if (atomic_load_explicit(&ps->shut_rd, memory_order_relaxed))
			return -EINVAL;
		if (atomic_load_explicit(&ps->o.flags, memory_order_relaxed) &
		    O_NONBLOCK)
			return -EAGAIN;
		rc = wait_until(ps->cn, sock_accept_ready, ps, deadline, NULL,
		    0, NULL, ps->rcvtimeo_ms > 0);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -EAGAIN;
	}
	fd = sock_make(ps->cn, cpl.sock, ps->family, SOCK_STREAM, flags,
	    ps);
	if (fd < 0) {
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_CLOSE;
		req.sock = cpl.sock;
		(void)conn_call(ps->cn, &req, &cpl);
		return fd;
	}
	if (sa != NULL) {
		full = mbs_addr_to_sa(&cpl.u.addr, sa, *len);
		*len = full;
	}
	return fd;
}

int
sock_shutdown(struct pl_sock *ps, int how)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	int		rc;

	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	/* A listening socket: the kernel wakes its acceptors, with EINVAL. */
	if (mbs_sock_state(&ps->s) & MBS_S_LISTENING) {
		if (how != SHUT_WR) {
			atomic_store(&ps->shut_rd, true);
			wait_wake_all();
		}
		return 0;
	}
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_SHUTDOWN;
	req.u.val = how;
	if ((rc = sock_call(ps, &req, &cpl)) < 0)
		return rc;
	if (how != SHUT_WR)
		atomic_store(&ps->shut_rd, true);
	if (how != SHUT_RD)
		atomic_store(&ps->shut_wr, true);
	/* Threads blocked on this socket see the change. */
	wait_wake_all();
	return 0;
}

int
sock_name(struct pl_sock *ps, struct sockaddr *sa, socklen_t *len,
    bool peer)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;
	int		rc;

	if (sa == NULL || len == NULL)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.op = peer ? MBS_OP_GETPEERNAME : MBS_OP_GETSOCKNAME;
	if ((rc = sock_call(ps, &req, &cpl)) < 0)
		return rc;
	if (cpl.u.addr.family == 0) {
		/* Not bound yet: the kernel says the family's any address. */
		if (peer)
			return -ENOTCONN;
		memset(&cpl.u.addr, 0, sizeof(cpl.u.addr));
		cpl.u.addr.family = (uint16_t)ps->family;
	}
	*len = mbs_addr_to_sa(&cpl.u.addr, sa, *len);
	return 0;
}
