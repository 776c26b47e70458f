/*
 * sock_opt.c: setsockopt and getsockopt, with Linux's names, values and
 * errors.  What lwIP cannot honour answers ENOPROTOOPT, as the kernel does
 * for an option it does not know; a value too short is EINVAL.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* The kernel's TCP_MSS option is not lwIP's segment size. */
#undef TCP_MSS

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "stack_pvt.h"

static int
opt_int(const struct mbs_opt *o, int *v)
{
	if (o->len < sizeof(int) || o->len > MBS_OPT_MAX)
		return -EINVAL;
	memcpy(v, o->val, sizeof(int));
	return 0;
}

static int
opt_put_int(struct mbs_opt *o, int v)
{
	memset(o->val, 0, sizeof(o->val));
	memcpy(o->val, &v, sizeof(v));
	o->len = sizeof(v);
	return 0;
}

/* The options every pcb carries (struct ip_pcb's fields). */
static u8_t *
opt_so_options(struct ssock *ss)
{
	if (ss->pcb.tcp == NULL)
		return NULL;
	return ss->tcp ? &ss->pcb.tcp->so_options : &ss->pcb.udp->so_options;
}

static u8_t *
opt_ttl(struct ssock *ss)
{
	if (ss->pcb.tcp == NULL)
		return NULL;
	return ss->tcp ? &ss->pcb.tcp->ttl : &ss->pcb.udp->ttl;
}

static int
opt_set_flag(struct ssock *ss, u8_t flag, int on)
{
	u8_t *so = opt_so_options(ss);

	if (so == NULL)
		return -EINVAL;
	*so = on ? (u8_t)(*so | flag) : (u8_t)(*so & ~flag);
	return 0;
}

static int
opt_tcp(struct ssock *ss)
{
	if (!ss->tcp)
		return -ENOPROTOOPT;
	return ss->pcb.tcp == NULL ? -EINVAL : 0;
}

/*
 * The full pcb, or NULL for a listener: lwIP's listening pcb is a smaller
 * struct, with none of the connection's fields (flags, keep-alive, mss).
 */
static struct tcp_pcb *
opt_conn_pcb(struct ssock *ss)
{
	if (!ss->tcp || ss->pcb.tcp == NULL || (ss->state & MBS_S_LISTENING))
		return NULL;
	return ss->pcb.tcp;
}

void
sock_opt_apply(struct ssock *ss)
{
	struct tcp_pcb *pcb = opt_conn_pcb(ss);

	if (pcb == NULL)
		return;
	if (ss->nodelay)
		tcp_nagle_disable(pcb);
	if (ss->keep_idle > 0)
		pcb->keep_idle = (u32_t)ss->keep_idle * 1000;
	if (ss->keep_intvl > 0)
		pcb->keep_intvl = (u32_t)ss->keep_intvl * 1000;
	if (ss->keep_cnt > 0)
		pcb->keep_cnt = (u32_t)ss->keep_cnt;
}

void
sock_opt_inherit(struct ssock *ss, const struct ssock *ls)
{
	ss->nodelay = ls->nodelay;
	ss->linger_on = ls->linger_on;
	ss->linger_secs = ls->linger_secs;
	ss->keep_idle = ls->keep_idle;
	ss->keep_intvl = ls->keep_intvl;
	ss->keep_cnt = ls->keep_cnt;
	ss->rcvbuf = ls->rcvbuf;
	ss->sndbuf = ls->sndbuf;
	sock_opt_apply(ss);
}

int
sock_setopt(struct ssock *ss, const struct mbs_opt *o)
{
	struct tcp_pcb	*pcb = opt_conn_pcb(ss);
	int		 v, rc;

	if (o->len > MBS_OPT_MAX)
		return -EINVAL;
	if (o->level == SOL_SOCKET && o->name == SO_LINGER) {
		struct linger l;

		if (o->len < sizeof(l))
			return -EINVAL;
		memcpy(&l, o->val, sizeof(l));
		/* As the kernel: turning it off keeps the time. */
		ss->linger_on = l.l_onoff != 0;
		if (ss->linger_on)
			ss->linger_secs = l.l_linger < 0 ? 0 : l.l_linger;
		return 0;
	}
	if ((rc = opt_int(o, &v)) < 0)
		return rc;
	switch (o->level) {
	case SOL_SOCKET:
		switch (o->name) {
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			ss->reuse = v != 0;
			return opt_set_flag(ss, SOF_REUSEADDR, v);
		case SO_KEEPALIVE:
			if (!ss->tcp)
				return 0;	/* the kernel accepts, and ignores */
			return opt_set_flag(ss, SOF_KEEPALIVE, v);
		case SO_BROADCAST:
			ss->broadcast = v != 0;
			return 0;
		case SO_RCVBUF:
		case SO_SNDBUF: {
			/* Kept as the kernel keeps it: doubled, within bounds. */
			int max = (int)(ss->app->hdr.buf_size / 2);

			if (v < 1024)
				v = 1024;
			if (v > max)
				v = max;
			if (o->name == SO_RCVBUF)
				ss->rcvbuf = v;
			else
				ss->sndbuf = v;
			return 0;
		}
		}
		return -ENOPROTOOPT;
	case IPPROTO_IP:
		if (ss->family != AF_INET && ss->v6only)
			return -ENOPROTOOPT;
		switch (o->name) {
		case IP_TTL:
			if (v == -1)
				v = IP_DEFAULT_TTL;
			if (v < 1 || v > 255)
				return -EINVAL;
			if (opt_ttl(ss) == NULL)
				return -EINVAL;
			*opt_ttl(ss) = (u8_t)v;
			return 0;
		}
		return -ENOPROTOOPT;
	case IPPROTO_IPV6:
		if (ss->family != AF_INET6)
			return -ENOPROTOOPT;
		switch (o->name) {
		case IPV6_V6ONLY:
			if (ss->state & MBS_S_BOUND)
				return -EINVAL;
			ss->v6only = v != 0;
			if (pcb != NULL) {
				IP_SET_TYPE_VAL(pcb->local_ip, v ?
				    IPADDR_TYPE_V6 : IPADDR_TYPE_ANY);
				IP_SET_TYPE_VAL(pcb->remote_ip, v ?
				    IPADDR_TYPE_V6 : IPADDR_TYPE_ANY);
			} else if (!ss->tcp && ss->pcb.udp != NULL) {
				IP_SET_TYPE_VAL(ss->pcb.udp->local_ip, v ?
				    IPADDR_TYPE_V6 : IPADDR_TYPE_ANY);
				IP_SET_TYPE_VAL(ss->pcb.udp->remote_ip, v ?
				    IPADDR_TYPE_V6 : IPADDR_TYPE_ANY);
			}
			return 0;
		case IPV6_UNICAST_HOPS:
			if (v == -1)
				v = IP_DEFAULT_TTL;
			if (v < 0 || v > 255 || opt_ttl(ss) == NULL)
				return -EINVAL;
			*opt_ttl(ss) = (u8_t)v;
			return 0;
		}
		return -ENOPROTOOPT;
	case IPPROTO_TCP:
		if ((rc = opt_tcp(ss)) < 0)
			return rc;
		switch (o->name) {
		case TCP_NODELAY:
			ss->nodelay = v != 0;
			if (pcb == NULL)
				return 0;	/* the listener's, for accept */
			if (v)
				tcp_nagle_disable(pcb);
			else
				tcp_nagle_enable(pcb);
			return 0;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return -EINVAL;
			if (o->name == TCP_KEEPIDLE)
				ss->keep_idle = v;
			else
				ss->keep_intvl = v;
			if (pcb != NULL && o->name == TCP_KEEPIDLE)
				pcb->keep_idle = (u32_t)v * 1000;
			else if (pcb != NULL)
				pcb->keep_intvl = (u32_t)v * 1000;
			return 0;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return -EINVAL;
			ss->keep_cnt = v;
			if (pcb != NULL)
				pcb->keep_cnt = (u32_t)v;
			return 0;
		case TCP_SYNCNT:
			if (v < 1 || v > 127)
				return -EINVAL;
			ss->syncnt = v;
			return 0;
		}
		return -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}

int
sock_getopt(struct ssock *ss, struct mbs_opt *o)
{
	struct tcp_pcb	*pcb = opt_conn_pcb(ss);
	u8_t		*so = opt_so_options(ss);
	int		 rc;

	if (o->level == SOL_SOCKET && o->name == SO_LINGER) {
		struct linger l = { ss->linger_on, ss->linger_secs };

		memset(o->val, 0, sizeof(o->val));
		memcpy(o->val, &l, sizeof(l));
		o->len = sizeof(l);
		return 0;
	}
	switch (o->level) {
	case SOL_SOCKET:
		switch (o->name) {
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			return opt_put_int(o, ss->reuse);
		case SO_KEEPALIVE:
			return opt_put_int(o, so != NULL &&
			    (*so & SOF_KEEPALIVE) != 0);
		case SO_BROADCAST:
			return opt_put_int(o, ss->broadcast);
		case SO_RCVBUF:
			return opt_put_int(o, 2 * ss->rcvbuf);
		case SO_SNDBUF:
			return opt_put_int(o, 2 * ss->sndbuf);
		case SO_TYPE:
			return opt_put_int(o, ss->tcp ? SOCK_STREAM : SOCK_DGRAM);
		case SO_DOMAIN:
			return opt_put_int(o, ss->family);
		case SO_PROTOCOL:
			return opt_put_int(o, ss->tcp ? IPPROTO_TCP : IPPROTO_UDP);
		case SO_ACCEPTCONN:
			return opt_put_int(o, (ss->state & MBS_S_LISTENING) != 0);
		case SO_ERROR: {
			/* Reading the error clears it, as in the kernel. */
			int e = atomic_exchange_explicit(&app_shm(ss->app,
			    ss->id)->error, 0, memory_order_relaxed);

			sock_publish(ss, 0, MBS_S_ERROR);
			return opt_put_int(o, e);
		}
		}
		return -ENOPROTOOPT;
	case IPPROTO_IP:
		if (o->name == IP_TTL && opt_ttl(ss) != NULL)
			return opt_put_int(o, *opt_ttl(ss));
		return -ENOPROTOOPT;
	case IPPROTO_IPV6:
		if (ss->family != AF_INET6)
			return -ENOPROTOOPT;
		if (o->name == IPV6_V6ONLY)
			return opt_put_int(o, ss->v6only);
		if (o->name == IPV6_UNICAST_HOPS && opt_ttl(ss) != NULL)
			return opt_put_int(o, *opt_ttl(ss));
		return -ENOPROTOOPT;
	case IPPROTO_TCP:
		if ((rc = opt_tcp(ss)) < 0)
			return rc;
		switch (o->name) {
		case TCP_NODELAY:
			return opt_put_int(o, ss->nodelay);
		case TCP_KEEPIDLE:
			return opt_put_int(o, pcb != NULL ?
			    (int)(pcb->keep_idle / 1000) : ss->keep_idle ?
			    ss->keep_idle : (int)(TCP_KEEPIDLE_DEFAULT / 1000));
		case TCP_KEEPINTVL:
			return opt_put_int(o, pcb != NULL ?
			    (int)(pcb->keep_intvl / 1000) : ss->keep_intvl ?
			    ss->keep_intvl : (int)(TCP_KEEPINTVL_DEFAULT / 1000));
		case TCP_KEEPCNT:
			return opt_put_int(o, pcb != NULL ? (int)pcb->keep_cnt :
			    ss->keep_cnt ? ss->keep_cnt : (int)TCP_KEEPCNT_DEFAULT);
		case TCP_SYNCNT:
			return opt_put_int(o, ss->syncnt ? ss->syncnt : 6);
		case TCP_MAXSEG:
			return opt_put_int(o, pcb != NULL ? pcb->mss : TCP_MSS);
		}
		return -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}
