/*
 * sockopt.c: socket options.  The stack holds those that change what TCP
 * or UDP do (SO_LINGER, TCP_NODELAY, keep-alive, buffers, V6ONLY, TTL, ...);
 * the timeouts live here, since the blocking is done here; a few options a
 * program sets and reads back but that change nothing the membrane does
 * (IP_TOS, TCP_CORK, ...) are kept here so it can.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <sys/time.h>

#include "preload_pvt.h"

/* An int option's value; -EFAULT / -EINVAL as the kernel says them. */
static int
opt_int(const void *val, socklen_t len, int *v)
{
	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int
opt_put(void *val, socklen_t *len, const void *v, socklen_t vlen)
{
	if (val == NULL || len == NULL)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (*len > vlen)
		*len = vlen;
	memcpy(val, v, *len);
	return 0;
}

static int
opt_put_int(void *val, socklen_t *len, int v)
{
	return opt_put(val, len, &v, sizeof(v));
}

/* Options kept here: where their value lives, or NULL. */
static int *
opt_kept(struct pl_sock *ps, int level, int name)
{
	switch (level) {
	case IPPROTO_IP:
		if (name == IP_TOS && ps->family == AF_INET)
			return &ps->ip_tos;
		break;
	case IPPROTO_IPV6:
		if (name == IPV6_TCLASS && ps->family == AF_INET6)
			return &ps->ipv6_tclass;
		break;
	case IPPROTO_TCP:
		if (ps->type != SOCK_STREAM)
			break;
		switch (name) {
		case TCP_CORK:		return &ps->tcp_cork;
		case TCP_QUICKACK:	return &ps->tcp_quickack;
		case TCP_DEFER_ACCEPT:	return &ps->tcp_defer_accept;
		case TCP_USER_TIMEOUT:	return &ps->tcp_user_timeout;
		}
		break;
	case SOL_SOCKET:
		if (name == SO_RCVLOWAT)
			return &ps->rcvlowat;
		break;
	}
	return NULL;
}

/* Accepted and ignored: they ask for nothing the membrane can change. */
static bool
opt_ignored(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_PRIORITY || name == SO_TIMESTAMP ||
		    name == SO_TIMESTAMPNS || name == SO_OOBINLINE ||
		    name == SO_INCOMING_CPU || name == SO_ZEROCOPY ||
		    name == SO_BUSY_POLL || name == SO_MARK;
	case IPPROTO_IP:
		return name == IP_RECVERR || name == IP_PKTINFO ||
		    name == IP_MTU_DISCOVER || name == IP_FREEBIND ||
		    name == IP_BIND_ADDRESS_NO_PORT || name == IP_RECVTOS ||
		    name == IP_RECVTTL;
	case IPPROTO_IPV6:
		return name == IPV6_RECVERR || name == IPV6_RECVPKTINFO ||
		    name == IPV6_MTU_DISCOVER || name == IPV6_RECVTCLASS;
	case IPPROTO_TCP:
		return name == TCP_NOTSENT_LOWAT || name == TCP_FASTOPEN ||
		    name == TCP_FASTOPEN_CONNECT || name == TCP_WINDOW_CLAMP ||
		    name == TCP_CONGESTION;
	}
	return false;
}

static int
opt_timeo(const void *val, socklen_t len, int *ms)
{
	struct timeval tv;

	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*ms = 0;
		return 0;
	}
	if (tv.tv_sec > 1000000)
		tv.tv_sec = 1000000;
	*ms = (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
	return 0;
}

int
sockopt_set(struct pl_sock *ps, int level, int name, const void *val,
    socklen_t len)
{
	struct mbs_req	 req;
	struct mbs_cpl	 cpl;
	int		*kept, v, rc;

	if ((int)len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET && name == SO_RCVTIMEO)
		return opt_timeo(val, len, &ps->rcvtimeo_ms);
	if (level == SOL_SOCKET && name == SO_SNDTIMEO)
		return opt_timeo(val, len, &ps->sndtimeo_ms);
	if ((kept = opt_kept(ps, level, name)) != NULL) {
		if ((rc = opt_int(val, len, &v)) < 0)
			return rc;
		*kept = v;
		return 0;
	}
	if (len > MBS_OPT_MAX)
		len = MBS_OPT_MAX;
	if (val == NULL && len > 0)
		return -EFAULT;
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_SETSOCKOPT;
	req.sock = ps->s.id;
	req.u.opt.level = level;
	req.u.opt.name = name;
	req.u.opt.len = len;
	if (len > 0)
		memcpy(req.u.opt.val, val, len);
	rc = conn_dead(ps->cn) ? -ECONNRESET : conn_call(ps->cn, &req, &cpl);
	if (rc == -ENOPROTOOPT && opt_ignored(level, name))
		return len >= sizeof(int) || name == TCP_CONGESTION ? 0 :
		    -EINVAL;
	return rc;
}

/* TCP_INFO: what the membrane knows, the state; the rest left zero. */
static int
opt_tcp_info(struct pl_sock *ps, void *val, socklen_t *len)
{
	struct tcp_info	ti;
	uint32_t	st = mbs_sock_state(&ps->s);

	memset(&ti, 0, sizeof(ti));
	if (st & MBS_S_LISTENING)
		ti.tcpi_state = 10;	/* TCP_LISTEN */
	else if (st & MBS_S_RESET)
		ti.tcpi_state = 7;	/* TCP_CLOSE */
	else if (st & MBS_S_CONNECTED)
		ti.tcpi_state = 1;	/* TCP_ESTABLISHED */
	else if (st & MBS_S_CONNECTING)
		ti.tcpi_state = 2;	/* TCP_SYN_SENT */
	else
		ti.tcpi_state = 7;
	ti.tcpi_snd_mss = 1460;
	ti.tcpi_rcv_mss = 1460;
	ti.tcpi_pmtu = 1500;
	return opt_put(val, len, &ti, sizeof(ti));
}

int
sockopt_get(struct pl_sock *ps, int level, int name, void *val,
    socklen_t *len)
{
	struct mbs_req	 req;
	struct mbs_cpl	 cpl;
	struct timeval	 tv;
	int		*kept, rc;

	if (len == NULL)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			int ms = name == SO_RCVTIMEO ? ps->rcvtimeo_ms :
			    ps->sndtimeo_ms;

			tv.tv_sec = ms / 1000;
			tv.tv_usec = (ms % 1000) * 1000;
			return opt_put(val, len, &tv, sizeof(tv));
		}
		case SO_TYPE:
			return opt_put_int(val, len, ps->type);
		case SO_DOMAIN:
			return opt_put_int(val, len, ps->family);
		case SO_PROTOCOL:
			return opt_put_int(val, len, ps->type == SOCK_STREAM ?
			    IPPROTO_TCP : IPPROTO_UDP);
		case SO_ACCEPTCONN:
			return opt_put_int(val, len, (mbs_sock_state(&ps->s) &
			    MBS_S_LISTENING) != 0);
		}
	}
	/* The kernel's answer for a level the socket's protocol lacks. */
	if ((level == IPPROTO_TCP && ps->type != SOCK_STREAM) ||
	    (level == IPPROTO_IPV6 && ps->family != AF_INET6))
		return -EOPNOTSUPP;
	if (level == IPPROTO_TCP && name == TCP_INFO && ps->type == SOCK_STREAM)
		return opt_tcp_info(ps, val, len);
	if ((kept = opt_kept(ps, level, name)) != NULL)
		return opt_put_int(val, len, *kept);
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_GETSOCKOPT;
	req.sock = ps->s.id;
	req.u.opt.level = level;
	req.u.opt.name = name;
	req.u.opt.len = *len > MBS_OPT_MAX ? MBS_OPT_MAX : *len;
	if (level == SOL_SOCKET && name == SO_ERROR && conn_dead(ps->cn))
		return opt_put_int(val, len, atomic_exchange(&ps->err_taken,
		    true) ? 0 : ECONNRESET);
	rc = conn_dead(ps->cn) ? -ECONNRESET : conn_call(ps->cn, &req, &cpl);
	if (rc < 0)
		return rc;
	if (cpl.u.opt.len > MBS_OPT_MAX)
		return -EPROTO;
	if (val == NULL && cpl.u.opt.len > 0)
		return -EFAULT;
	return opt_put(val, len, cpl.u.opt.val, cpl.u.opt.len);
}
