/*
 * sock.c: the socket service: each app request becomes lwIP raw-API calls,
 * and lwIP's callbacks move bytes between its pcbs and the app's rings.
 *
 * Receive: lwIP hands us pbufs; we copy what fits into the rx ring and
 * open the window by exactly that much (tcp_recved), so what waits here is
 * at most one window and the sender slows to the app's pace.  Send without
 * a copy: we lend lwIP the bytes where they lie in the tx ring (tcp_write
 * without TCP_WRITE_FLAG_COPY: its segments point into the ring) as far as
 * tcp_sndbuf() takes them, and give the ring space back to the app only
 * when the peer acknowledges them (the sent callback), so a retransmission
 * still finds them.  The ring is then the socket's whole send buffer, in
 * flight included, as SO_SNDBUF is the kernel's.  A socket the app closed
 * lives on until lwIP returns every byte it was lent.  Errors are the
 * kernel's errnos for the same event.
 *
 * Every lwIP callback may run while lwIP is inside tcp_input(): we never
 * abort a pcb other than the callback's own from one, and when we abort a
 * pcb ourselves we first take our callbacks off it.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "lwip/stats.h"

#include "log.h"
#include "stack_pvt.h"

/*
 * Stack-wide TCP health since start, the agent's error_rate signal: a
 * socket's own counters go with it, these stay.
 */
static struct {
	uint64_t	conn_failed;	/* connects refused or timed out */
	uint64_t	resets;		/* connections reset, either way */
	uint64_t	rtx;		/* segments retransmitted */
} health;

/* lwIP's poll callback, in its slow ticks: every 500 ms. */
#define SOCK_POLL_TICKS	(500 / (2 * TCP_TMR_INTERVAL))

static void	sock_tx(struct ssock *);
static void	sock_free(struct ssock *);
static void	sock_tcp_hook(struct ssock *, struct tcp_pcb *);

/* A socket that moved more than this gives its ring pages back on free. */
#define SOCK_KEEP_PAGES_BYTES	(64u << 10)

/* ------------------------------------------------------------------ */
/* State and errors, as the app sees them                              */

void
sock_publish(struct ssock *ss, uint32_t set, uint32_t clear)
{
	uint32_t s = (ss->state | set) & ~clear;

	if (s == ss->state)
		return;
	ss->state = s;
	/* Release: the bytes we put in the rx ring before are visible first. */
	atomic_store_explicit(&app_shm(ss->app, ss->id)->state, s,
	    memory_order_release);
	app_mark(ss->app);
}

void
sock_set_error(struct ssock *ss, int err)
{
	atomic_store_explicit(&app_shm(ss->app, ss->id)->error, err,
	    memory_order_relaxed);
	sock_publish(ss, err != 0 ? MBS_S_ERROR : 0, err != 0 ? 0 : MBS_S_ERROR);
}

static int
lwip_errno(err_t err)
{
	switch (err) {
	case ERR_OK:		return 0;
	case ERR_MEM:		return ENOMEM;
	case ERR_BUF:		return ENOBUFS;
	case ERR_TIMEOUT:	return ETIMEDOUT;
	case ERR_RTE:		return ENETUNREACH;
	case ERR_INPROGRESS:	return EINPROGRESS;
	case ERR_VAL:		return EINVAL;
	case ERR_WOULDBLOCK:	return EWOULDBLOCK;
	case ERR_USE:		return EADDRINUSE;
	case ERR_ALREADY:	return EALREADY;
	case ERR_ISCONN:	return EISCONN;
	case ERR_CONN:		return ENOTCONN;
	case ERR_IF:		return ENETDOWN;
	case ERR_ABRT:		return ECONNABORTED;
	case ERR_RST:		return ECONNRESET;
	case ERR_CLSD:		return ENOTCONN;
	case ERR_ARG:		return EINVAL;
	default:		return EIO;
	}
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* An app's address for socket ss, as lwIP's; 0 or -errno. */
static int
addr_in(const struct ssock *ss, const struct mbs_addr *a, ip_addr_t *ip,
    u16_t *port)
{
	*port = lwip_ntohs(a->port);
	if (a->family == AF_INET) {
		if (ss->family != AF_INET)
			return -EAFNOSUPPORT;
		memcpy(&ip_2_ip4(ip)->addr, a->addr, 4);
		IP_SET_TYPE(ip, IPADDR_TYPE_V4);
		return 0;
	}
	if (a->family != AF_INET6 || ss->family != AF_INET6)
		return a->family == AF_INET6 ? -EINVAL : -EAFNOSUPPORT;
	if (memcmp(a->addr, v4mapped, 12) == 0) {
		if (ss->v6only)
			return -ENETUNREACH;
		memcpy(&ip_2_ip4(ip)->addr, a->addr + 12, 4);
		IP_SET_TYPE(ip, IPADDR_TYPE_V4);
		return 0;
	}
	memcpy(ip_2_ip6(ip)->addr, a->addr, 16);
	IP_SET_TYPE(ip, IPADDR_TYPE_V6);
#if LWIP_IPV6_SCOPES
	ip6_addr_clear_zone(ip_2_ip6(ip));
	if (ip6_addr_has_scope(ip_2_ip6(ip), IP6_UNKNOWN))
		ip6_addr_set_zone(ip_2_ip6(ip),
		    netif_get_index(&ss->app->st->netif));
#endif
	return 0;
}

static void
addr_out(const struct ssock *ss, const ip_addr_t *ip, u16_t port,
    struct mbs_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint16_t)ss->family;
	a->port = lwip_htons(port);
	if (ip == NULL)
		return;
	if (IP_IS_V4(ip) || IP_IS_ANY_TYPE_VAL(*ip)) {
		if (ss->family == AF_INET) {
			memcpy(a->addr, &ip_2_ip4(ip)->addr, 4);
		} else if (!ip_addr_isany(ip)) {
			memcpy(a->addr, v4mapped, 12);
			memcpy(a->addr + 12, &ip_2_ip4(ip)->addr, 4);
		}
		return;
	}
	memcpy(a->addr, ip_2_ip6(ip)->addr, 16);
#if LWIP_IPV6_SCOPES
	if (ip6_addr_has_zone(ip_2_ip6(ip)))
		a->scope_id = ip6_addr_zone(ip_2_ip6(ip));
#endif
}

/* May a socket bind to ip?  Only to an address of ours, or to any. */
static bool
addr_local(struct ssock *ss, const ip_addr_t *ip)
{
	struct netif	*nif;
	int		 i;

	if (ip_addr_isany(ip))
		return true;
	NETIF_FOREACH(nif) {
		if (IP_IS_V4(ip)) {
			if (ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(nif)) ||
			    (ip4_addr_isloopback(ip_2_ip4(ip)) &&
			    nif->name[0] == 'l'))
				return true;
			continue;
		}
		for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
			if (ip6_addr_isvalid(netif_ip6_addr_state(nif, i)) &&
			    ip6_addr_cmp_zoneless(ip_2_ip6(ip),
			    netif_ip6_addr(nif, i)))
				return true;
	}
	(void)ss;
	return false;
}

/* ------------------------------------------------------------------ */
/* Rings                                                               */

/* Copy n bytes from src into a reserved view at offset off. */
static void
iov_put(struct iovec iov[2], size_t off, const void *src, size_t n)
{
	const unsigned char *s = src;

	while (n > 0) {
		size_t	 seg = off < iov[0].iov_len ? 0 : 1;
		size_t	 at = seg == 0 ? off : off - iov[0].iov_len;
		size_t	 k = iov[seg].iov_len - at < n ? iov[seg].iov_len - at : n;

		memcpy((unsigned char *)iov[seg].iov_base + at, s, k);
		s += k;
		off += k;
		n -= k;
	}
}

static void
iov_get(const struct iovec iov[2], size_t off, void *dst, size_t n)
{
	unsigned char *d = dst;

	while (n > 0) {
		size_t	 seg = off < iov[0].iov_len ? 0 : 1;
		size_t	 at = seg == 0 ? off : off - iov[0].iov_len;
		size_t	 k = iov[seg].iov_len - at < n ? iov[seg].iov_len - at : n;

		memcpy(d, (const unsigned char *)iov[seg].iov_base + at, k);
		d += k;
		off += k;
		n -= k;
	}
}

/* The app broke a ring of this socket: the app goes, at the end of the turn. */
static void
sock_broken(struct ssock *ss)
{
	ss->app->broken = true;
}

/* ------------------------------------------------------------------ */
/* Life and death of a socket                                          */

static struct ssock *
sock_alloc(struct app *a, int family, bool tcp)
{
	struct mbs_sock_shm	*shm;
	struct ssock		*ss;
	void			*mem;
	size_t			 len;
	uint32_t		 id;

	if (a->nfree == 0 || (ss = calloc(1, sizeof(*ss))) == NULL)
		return NULL;
	id = a->free_ids[--a->nfree];
	ss->app = a;
	ss->id = id;
	ss->family = family;
	ss->tcp = tcp;
	mem = app_ring_mem(a, id, 0, &len);
	if (ion_stream_format(mem, len, a->hdr.buf_size) < 0 ||
	    ion_stream_attach(&ss->rx, mem, len, ION_PRODUCER) < 0)
		goto fail;
	mem = app_ring_mem(a, id, 1, &len);
	if (ion_stream_format(mem, len, a->hdr.buf_size) < 0 ||
	    ion_stream_attach(&ss->tx, mem, len, ION_CONSUMER) < 0)
		goto fail;
	shm = app_shm(a, id);
	atomic_store_explicit(&shm->error, 0, memory_order_relaxed);
	atomic_store_explicit(&shm->kick, 0, memory_order_relaxed);
	atomic_store_explicit(&shm->rx_wait, 0, memory_order_relaxed);
	shm->gen++;
	ss->state = 0;
	sock_publish(ss, MBS_S_OPEN | (tcp ? MBS_S_STREAM : 0), 0);
	ss->rcvbuf = ss->sndbuf = (int)(a->hdr.buf_size / 2);
	a->ss[id] = ss;
	a->nopen++;
	return ss;
fail:
	a->free_ids[a->nfree++] = id;
	free(ss);
	return NULL;
}

/* Take our callbacks off a TCP pcb: lwIP owns it from now on. */
static void
sock_unhook(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
		return;
	}
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* Reset a connection (or drop a listener) at once; the pcb is gone after. */
static void
sock_abort(struct ssock *ss)
{
	if (ss->pcb.tcp == NULL)
		return;
	if (!ss->tcp) {
		udp_remove(ss->pcb.udp);
	} else if (ss->pcb.tcp->state == LISTEN) {
		sock_unhook(ss->pcb.tcp);
		(void)tcp_close(ss->pcb.tcp);
	} else {
		sock_unhook(ss->pcb.tcp);
		tcp_abort(ss->pcb.tcp);
		ss->resets++;
		health.resets++;
	}
	ss->pcb.tcp = NULL;
}

/* Everything about ss goes; its id is free again. */
static void
sock_free(struct ssock *ss)
{
	struct app	*a = ss->app;
	void		*mem;
	size_t		 len;
	unsigned	 i;

	sock_abort(ss);
	/* A listener's connections the app never took are reset. */
	for (i = 0; i < ss->acq_n; i++) {
		uint32_t	 cid = ss->acq[(ss->acq_head + i) % ss->acq_cap];
		struct ssock	*c = a->ss[cid];

		if (c != NULL && c->accept_pending)
			sock_free(c);
	}
	free(ss->acq);
	for (i = 0; i < ss->rxq_n; i++)
		pbuf_free(ss->rxq[i]);
	free(ss->rxq);
	atomic_store_explicit(&app_shm(a, ss->id)->state, 0,
	    memory_order_release);
	/*
	 * Give back the pages of rings that held much: a burst of big
	 * transfers leaves no memory behind.  A short exchange touched a
	 * page or two at the rings' start, which the next user of the id
	 * (ids are reused last-freed first) touches again: keeping them
	 * spares both processes the page faults, and every CPU the TLB
	 * shootdown, that a connection a millisecond would otherwise cost.
	 */
	if (ss->bytes_in + ss->bytes_out > SOCK_KEEP_PAGES_BYTES) {
		mem = app_ring_mem(a, ss->id, 0, &len);
		(void)madvise(mem, 2 * len, MADV_REMOVE);
	}
	app_sock_gone(a, ss->id);
	free(ss);
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */

/* Move what waits into the rx ring; open the window by what moved. */
static void
sock_rx_push(struct ssock *ss)
{
	struct mbs_sock_shm	*shm = app_shm(ss->app, ss->id);
	struct iovec		 iov[2];
	uint32_t		 moved = 0;
	ssize_t			 room, used;

again:
	while (ss->rxq_n > 0) {
		struct pbuf	*p = ss->rxq[0];
		size_t		 n, done, left = p->tot_len - ss->rxq_off;

		if ((room = ion_stream_reserve(&ss->rx, iov)) < 0) {
			sock_broken(ss);
			return;
		}
		/* SO_RCVBUF: no more than that many bytes unread in the ring. */
		used = (ssize_t)ss->app->hdr.buf_size - room;
		if (used >= 2 * ss->rcvbuf)
			room = 0;
		else if (room > 2 * ss->rcvbuf - used)
			room = 2 * ss->rcvbuf - used;
		if (room == 0)
			break;
		n = (size_t)room < left ? (size_t)room : left;
		for (done = 0; done < n; ) {
			size_t	seg = iov[0].iov_len > done ? 0 : 1;
			size_t	at = seg == 0 ? done : done - iov[0].iov_len;
			size_t	k = iov[seg].iov_len - at;

			if (k > n - done)
				k = n - done;
			pbuf_copy_partial(p, (unsigned char *)iov[seg].iov_base + at,
			    (u16_t)k, (u16_t)(ss->rxq_off + done));
			done += k;
		}
		if (ion_stream_commit(&ss->rx, n) < 0) {
			sock_broken(ss);
			return;
		}
		moved += (uint32_t)n;
		ss->rxq_off = (uint16_t)(ss->rxq_off + n);
		if (ss->rxq_off == p->tot_len) {
			pbuf_free(p);
			memmove(ss->rxq, ss->rxq + 1,
			    (ss->rxq_n - 1) * sizeof(*ss->rxq));
			ss->rxq_n--;
			ss->rxq_off = 0;
		}
	}
	/*
	 * R1: say we hold bytes, fence, and look at the ring once more: an
	 * app that drained it before it could see rx_wait = 1 did not kick,
	 * and we must not wait for a kick that will never come.
	 */
	if (ss->rxq_n > 0) {
		atomic_store_explicit(&shm->rx_wait, 1, memory_order_seq_cst);
		atomic_thread_fence(memory_order_seq_cst);
		if ((room = ion_stream_space(&ss->rx)) > 0 &&
		    (ssize_t)ss->app->hdr.buf_size - room < 2 * ss->rcvbuf)
			goto again;
	} else {
		atomic_store_explicit(&shm->rx_wait, 0, memory_order_relaxed);
	}
	if (moved > 0) {
		while (moved > 0 && ss->pcb.tcp != NULL && ss->tcp) {
			u16_t k = moved > 0xffff ? 0xffff : (u16_t)moved;

			tcp_recved(ss->pcb.tcp, k);
			moved -= k;
		}
		app_mark(ss->app);
	}
	if (ss->rxq_n == 0 && ss->fin_rcvd)
		sock_publish(ss, MBS_S_RX_EOF, 0);
}

static err_t
sock_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct ssock *ss = arg;

	(void)err;
	if (ss == NULL) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		ss->fin_rcvd = true;
		sock_rx_push(ss);
		return ERR_OK;
	}
	ss->bytes_in += p->tot_len;
	if (ss->closing || ss->shut_rd) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (ss->rxq_n == ss->rxq_cap) {
		unsigned	 cap = ss->rxq_cap ? 2 * ss->rxq_cap : 16;
		struct pbuf	**q = realloc(ss->rxq, cap * sizeof(*q));

		if (q == NULL)
			return ERR_MEM;	/* lwIP keeps it and offers it again */
		ss->rxq = q;
		ss->rxq_cap = cap;
	}
	ss->rxq[ss->rxq_n++] = p;
	sock_rx_push(ss);
	return ERR_OK;
}

/* ------------------------------------------------------------------ */
/* Send                                                                */

/* A closed socket whose bytes are all acked: lwIP keeps the pcb alone. */
static void
sock_release(struct ssock *ss)
{
	sock_unhook(ss->pcb.tcp);
	ss->pcb.tcp = NULL;
	sock_free(ss);
}

/* A TCP pcb to close once lwIP holds the whole tx ring: FIN after it. */
static void
sock_tcp_finish(struct ssock *ss)
{
	struct tcp_pcb *pcb = ss->pcb.tcp;

	if (ss->closing) {
		if (ss->closed)
			return;
		if (tcp_close(pcb) != ERR_OK)
			return;	/* out of memory for the FIN: the poll retries */
		ss->closed = true;
		/*
		 * lwIP keeps the pcb through FIN_WAIT and TIME_WAIT.  While it
		 * holds bytes of our ring, we stay, hooked, to hear them acked
		 * (or the pcb die); then we let it go.
		 */
		if (ss->tx_lent == 0)
			sock_release(ss);
		return;
	}
	if (!ss->fin_sent && tcp_shutdown(pcb, 0, 1) == ERR_OK) {
		ss->fin_sent = true;
		sock_publish(ss, MBS_S_TX_SHUT, 0);
	}
}

static void
sock_tcp_tx(struct ssock *ss)
{
	struct tcp_pcb	*pcb = ss->pcb.tcp;
	struct iovec	 iov[2];
	ssize_t		 avail;
	size_t		 moved = 0;

	if (pcb == NULL || pcb->state == LISTEN ||
	    (ss->state & MBS_S_CONNECTED) == 0)
		return;
	while ((avail = ion_stream_peek(&ss->tx, iov)) > (ssize_t)ss->tx_lent) {
		const uint8_t	*at;
		size_t		 n;
		u16_t		 room = tcp_sndbuf(pcb);
		err_t		 err;

		if (room == 0)
			break;
		/* The first bytes past those lwIP holds already. */
		if (ss->tx_lent < iov[0].iov_len) {
			at = (const uint8_t *)iov[0].iov_base + ss->tx_lent;
			n = iov[0].iov_len - ss->tx_lent;
		} else {
			at = (const uint8_t *)iov[1].iov_base +
			    (ss->tx_lent - iov[0].iov_len);
			n = (size_t)avail - ss->tx_lent;
		}
		if (n > room)
			n = room;
		err = tcp_write(pcb, at, (u16_t)n,
		    (size_t)avail > ss->tx_lent + n ? TCP_WRITE_FLAG_MORE : 0);
		if (err == ERR_MEM)
			break;		/* the sent callback brings us back */
		if (err != ERR_OK) {
			sock_set_error(ss, lwip_errno(err));
			break;
		}
		ss->tx_lent += (uint32_t)n;
		ss->bytes_out += n;
		moved += n;
	}
	if (avail < 0) {
		sock_broken(ss);
		return;
	}
	if (moved > 0)
		(void)tcp_output(pcb);
	if ((size_t)avail == ss->tx_lent && (ss->shut_wr || ss->closing))
		sock_tcp_finish(ss);
}

/* The peer acknowledged n bytes lwIP was lent: the app may reuse them. */
static void
sock_tcp_acked(struct ssock *ss, size_t n)
{
	if (n > ss->tx_lent)
		n = ss->tx_lent;	/* cannot happen; never give back more */
	if (n == 0)
		return;
	if (ion_stream_consume(&ss->tx, n) < 0) {
		sock_broken(ss);
		return;
	}
	ss->tx_lent -= (uint32_t)n;
	app_mark(ss->app);	/* room in the tx ring: wake a writer */
}

static void
sock_udp_tx(struct ssock *ss)
{
	struct mbs_dgram d;
	struct iovec	 iov[2];
	ssize_t		 avail;
	bool		 moved = false;

	while ((avail = ion_stream_peek(&ss->tx, iov)) > 0) {
		struct pbuf	*p, *q;
		ip_addr_t	 ip;
		u16_t		 port;
		size_t		 space, off;
		err_t		 err;
		int		 rc;

		if ((size_t)avail < sizeof(d)) {
			sock_broken(ss);
			return;
		}
		iov_get(iov, 0, &d, sizeof(d));
		space = MBS_DGRAM_SPACE((size_t)d.len);
		if (d.len > MBS_DGRAM_MAX || d.flags != 0 ||
		    space > (size_t)avail) {
			sock_broken(ss);
			return;
		}
		moved = true;
		if ((p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)d.len, PBUF_RAM)) ==
		    NULL) {
			ss->drops++;
			(void)ion_stream_consume(&ss->tx, space);
			continue;
		}
		for (q = p, off = sizeof(d); q != NULL; off += q->len, q = q->next)
			iov_get(iov, off, q->payload, q->len);
		(void)ion_stream_consume(&ss->tx, space);
		if (ss->pcb.udp == NULL) {
			pbuf_free(p);
			continue;
		}
		if (d.addr.family == 0) {
			if ((ss->state & MBS_S_CONNECTED) == 0) {
				sock_set_error(ss, EDESTADDRREQ);
				pbuf_free(p);
				continue;
			}
			err = udp_send(ss->pcb.udp, p);
		} else if ((rc = addr_in(ss, &d.addr, &ip, &port)) < 0) {
			sock_set_error(ss, -rc);
			pbuf_free(p);
			continue;
		} else if (ip_addr_isbroadcast(&ip, &ss->app->st->netif) &&
		    !ss->broadcast) {
			sock_set_error(ss, EACCES);
			pbuf_free(p);
			continue;
		} else {
			err = udp_sendto(ss->pcb.udp, p, &ip, port);
		}
		pbuf_free(p);
		if (err != ERR_OK) {
			ss->drops++;
			if (err != ERR_MEM)
				sock_set_error(ss, lwip_errno(err));
			continue;
		}
		ss->bytes_out += d.len;
		ss->dgrams_out++;
	}
	if (avail < 0)
		sock_broken(ss);
	if (moved)
		app_mark(ss->app);
}

static void
sock_tx(struct ssock *ss)
{
	if (ss->tcp)
		sock_tcp_tx(ss);
	else
		sock_udp_tx(ss);
}

static void
sock_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
    const ip_addr_t *addr, u16_t port)
{
	struct ssock	*ss = arg;
	struct mbs_dgram d;
	struct iovec	 iov[2];
	struct pbuf	*q;
	size_t		 space, off;
	ssize_t		 room;

	(void)pcb;
	if (ss == NULL || ss->closing || ss->shut_rd) {
		pbuf_free(p);
		return;
	}
	space = MBS_DGRAM_SPACE((size_t)p->tot_len);
	if ((room = ion_stream_reserve(&ss->rx, iov)) < 0) {
		sock_broken(ss);
		pbuf_free(p);
		return;
	}
	/* SO_RCVBUF bounds what waits unread, as in the kernel. */
	if ((size_t)room < space || (size_t)ss->app->hdr.buf_size -
	    (size_t)room + space > 2 * (size_t)ss->rcvbuf) {
		ss->drops++;
		pbuf_free(p);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.len = p->tot_len;
	addr_out(ss, addr, port, &d.addr);
	iov_put(iov, 0, &d, sizeof(d));
	for (q = p, off = sizeof(d); q != NULL; off += q->len, q = q->next)
		iov_put(iov, off, q->payload, q->len);
	(void)ion_stream_commit(&ss->rx, space);
	ss->bytes_in += p->tot_len;
	ss->dgrams_in++;
	pbuf_free(p);
	app_mark(ss->app);
}

/* ------------------------------------------------------------------ */
/* lwIP's TCP callbacks                                                */

static err_t
sock_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct ssock *ss = arg;

	(void)pcb;
	if (ss == NULL)
		return ERR_OK;
	sock_tcp_acked(ss, len);
	if (ss->closed) {
		if (ss->tx_lent == 0)
			sock_release(ss);
		return ERR_OK;
	}
	sock_tcp_tx(ss);
	return ERR_OK;
}

/* lwIP freed the pcb: a reset, a timeout, or an abort of its own. */
static void
sock_tcp_err(void *arg, err_t err)
{
	struct ssock	*ss = arg;
	int		 e;

	if (ss == NULL)
		return;
	ss->pcb.tcp = NULL;
	ss->tx_lent = 0;	/* lwIP freed the segments with the pcb */
	if (ss->closing) {
		sock_free(ss);
		return;
	}
	if (err == ERR_CLSD) {
		/*
		 * Both FINs went through while the app had shut only its
		 * sending side: a clean end, not an error.  Bytes we still
		 * hold for the app go first; the end is published after them.
		 */
		ss->fin_rcvd = true;
		sock_publish(ss, MBS_S_TX_SHUT, 0);
		sock_rx_push(ss);
		return;
	}
	if (ss->state & MBS_S_CONNECTING) {
		e = err == ERR_RST ? ECONNREFUSED : ETIMEDOUT;
		ss->connect_failed = true;
		health.conn_failed++;
	} else if (err == ERR_RST && (ss->state & MBS_S_RX_EOF)) {
		e = EPIPE;	/* reset in CLOSE_WAIT, as Linux reports it */
	} else {
		e = err == ERR_RST ? ECONNRESET : err == ERR_ABRT ? ETIMEDOUT :
		    lwip_errno(err);
	}
	if (err == ERR_RST) {
		ss->resets++;
		health.resets++;
	}
	sock_set_error(ss, e);
	sock_publish(ss, MBS_S_RESET, MBS_S_CONNECTING | MBS_S_CONNECTED);
}

static err_t
sock_tcp_poll(void *arg, struct tcp_pcb *pcb)
{
	struct ssock *ss = arg;

	if (ss == NULL)
		return ERR_OK;
	if (pcb->nrtx > ss->last_nrtx) {
		ss->rtx += (uint64_t)(pcb->nrtx - ss->last_nrtx);
		health.rtx += (uint64_t)(pcb->nrtx - ss->last_nrtx);
	}
	ss->last_nrtx = pcb->nrtx;
	/* TCP_SYNCNT: give up a connect after that many SYN retransmissions. */
	if ((ss->state & MBS_S_CONNECTING) && ss->syncnt > 0 &&
	    pcb->nrtx >= ss->syncnt) {
		sock_unhook(pcb);
		tcp_abort(pcb);
		ss->pcb.tcp = NULL;
		ss->connect_failed = true;
		health.conn_failed++;
		sock_set_error(ss, ETIMEDOUT);
		sock_publish(ss, MBS_S_RESET, MBS_S_CONNECTING);
		return ERR_ABRT;
	}
	sock_tcp_tx(ss);
	return ERR_OK;
}

static void
sock_tcp_hook(struct ssock *ss, struct tcp_pcb *pcb)
{
	ss->pcb.tcp = pcb;
	tcp_arg(pcb, ss);
	tcp_recv(pcb, sock_tcp_recv);
	tcp_sent(pcb, sock_tcp_sent);
	tcp_err(pcb, sock_tcp_err);
	tcp_poll(pcb, sock_tcp_poll, SOCK_POLL_TICKS);
}

static err_t
sock_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct ssock *ss = arg;

	(void)pcb;
	if (ss == NULL || err != ERR_OK)
		return ERR_OK;
	sock_publish(ss, MBS_S_CONNECTED, MBS_S_CONNECTING);
	sock_tcp_tx(ss);
	return ERR_OK;
}

static err_t
sock_tcp_accept(void *arg, struct tcp_pcb *npcb, err_t err)
{
	struct ssock	*ls = arg, *ss;

	if (ls == NULL || err != ERR_OK || npcb == NULL)
		return ERR_VAL;
	if (ls->closing || ls->acq_n >= ls->backlog ||
	    (ss = sock_alloc(ls->app, ls->family, true)) == NULL) {
		ls->drops++;
		tcp_abort(npcb);
		return ERR_ABRT;
	}
	if (ls->acq_n == ls->acq_cap) {
		unsigned	 cap = ls->acq_cap ? 2 * ls->acq_cap : 16;
		uint32_t	*q = malloc(cap * sizeof(*q));
		unsigned	 i;

		if (q == NULL) {
			sock_free(ss);
			tcp_abort(npcb);
			return ERR_ABRT;
		}
		for (i = 0; i < ls->acq_n; i++)
			q[i] = ls->acq[(ls->acq_head + i) % ls->acq_cap];
		free(ls->acq);
		ls->acq = q;
		ls->acq_cap = cap;
		ls->acq_head = 0;
	}
	sock_tcp_hook(ss, npcb);
	/* Until the app takes it, it counts against the listener's backlog. */
	tcp_backlog_delayed(npcb);
	ss->accept_pending = true;
	sock_opt_inherit(ss, ls);
	sock_publish(ss, MBS_S_CONNECTED | MBS_S_BOUND, 0);
	ls->acq[(ls->acq_head + ls->acq_n++) % ls->acq_cap] = ss->id;
	sock_publish(ls, MBS_S_ACCEPTQ, 0);
	return ERR_OK;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static int
req_socket(struct app *a, const struct mbs_req *r, struct mbs_cpl *c)
{
	int		 family = r->u.socket.family, type = r->u.socket.type;
	int		 proto = r->u.socket.protocol;
	u8_t		 iptype;
	struct ssock	*ss;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (proto != 0 && proto != (type == SOCK_STREAM ? IPPROTO_TCP :
	    IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	if ((ss = sock_alloc(a, family, type == SOCK_STREAM)) == NULL)
		return a->nfree == 0 ? -EMFILE : -ENOMEM;
	/* An IPv6 socket takes IPv4 too (v4-mapped), until IPV6_V6ONLY. */
	iptype = family == AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY;
	if (ss->tcp) {
		struct tcp_pcb *pcb = tcp_new_ip_type(iptype);

		if (pcb == NULL) {
			sock_free(ss);
			return -ENOMEM;
		}
		sock_tcp_hook(ss, pcb);
	} else {
		if ((ss->pcb.udp = udp_new_ip_type(iptype)) == NULL) {
			sock_free(ss);
			return -ENOMEM;
		}
		udp_recv(ss->pcb.udp, sock_udp_recv, ss);
	}
	c->sock = ss->id;
	return 0;
}

/* An app's address for ss, taking IPV6_V6ONLY into account. */
static int
req_addr(struct ssock *ss, const struct mbs_addr *a, ip_addr_t *ip, u16_t *port)
{
	int rc = addr_in(ss, a, ip, port);

	/* :: on a dual-stack socket means every address, v4 and v6. */
	if (rc == 0 && ss->family == AF_INET6 && !ss->v6only &&
	    IP_IS_V6(ip) && ip6_addr_isany(ip_2_ip6(ip)))
		*ip = *IP_ANY_TYPE;
	return rc;
}

static int
req_bind(struct ssock *ss, const struct mbs_req *r)
{
	ip_addr_t	ip;
	u16_t		port;
	err_t		err;
	int		rc;

	if ((rc = req_addr(ss, &r->u.addr, &ip, &port)) < 0)
		return rc;
	if (ss->state & MBS_S_BOUND)
		return -EINVAL;
	if (!addr_local(ss, &ip))
		return -EADDRNOTAVAIL;
	if (ss->pcb.tcp == NULL)
		return -EINVAL;
	err = ss->tcp ? tcp_bind(ss->pcb.tcp, &ip, port) :
	    udp_bind(ss->pcb.udp, &ip, port);
	if (err != ERR_OK)
		return -lwip_errno(err);
	/* Linux: a specific IPv6 address (not v4-mapped) makes it v6-only. */
	if (ss->family == AF_INET6 && IP_IS_V6(&ip) &&
	    !ip6_addr_isany(ip_2_ip6(&ip)) &&
	    !ip6_addr_isipv4mappedipv6(ip_2_ip6(&ip)))
		ss->v6only = true;
	sock_publish(ss, MBS_S_BOUND, 0);
	return 0;
}

static int
req_listen(struct ssock *ss, int backlog)
{
	struct tcp_pcb	*lpcb;
	err_t		 err;

	if (!ss->tcp)
		return -EOPNOTSUPP;
	if (backlog < 1)
		backlog = 1;
	if (backlog > 4096)
		backlog = 4096;
	ss->backlog = (unsigned)backlog;
	if (ss->state & MBS_S_LISTENING) {
		u8_t bl = (u8_t)(backlog > 255 ? 255 : backlog);

		tcp_backlog_set(ss->pcb.tcp, bl);
		return 0;
	}
	if (ss->pcb.tcp == NULL || (ss->state & (MBS_S_CONNECTED |
	    MBS_S_CONNECTING | MBS_S_RESET)))
		return -EINVAL;
	if (!(ss->state & MBS_S_BOUND)) {
		if ((err = tcp_bind(ss->pcb.tcp, ss->family == AF_INET ?
		    IP4_ADDR_ANY : IP_ANY_TYPE, 0)) != ERR_OK)
			return -lwip_errno(err);
		sock_publish(ss, MBS_S_BOUND, 0);
	}
	lpcb = tcp_listen_with_backlog_and_err(ss->pcb.tcp,
	    (u8_t)(backlog > 255 ? 255 : backlog), &err);
	if (lpcb == NULL)
		return err == ERR_USE ? -EADDRINUSE : -lwip_errno(err);
	/* lwIP freed the old pcb and made a listening one. */
	ss->pcb.tcp = lpcb;
	tcp_arg(lpcb, ss);
	tcp_accept(lpcb, sock_tcp_accept);
	sock_publish(ss, MBS_S_LISTENING, 0);
	return 0;
}

static int
req_connect(struct ssock *ss, const struct mbs_req *r)
{
	ip_addr_t	ip;
	u16_t		port;
	err_t		err;
	int		rc;

	if (!ss->tcp) {
		if (ss->pcb.udp == NULL)
			return -EINVAL;
		if (r->u.addr.family == AF_UNSPEC) {
			udp_disconnect(ss->pcb.udp);
			sock_publish(ss, 0, MBS_S_CONNECTED);
			return 0;
		}
		if ((rc = addr_in(ss, &r->u.addr, &ip, &port)) < 0)
			return rc;
		if ((err = udp_connect(ss->pcb.udp, &ip, port)) != ERR_OK)
			return -lwip_errno(err);
		sock_publish(ss, MBS_S_CONNECTED | MBS_S_BOUND, 0);
		return 0;
	}
	if (ss->state & MBS_S_LISTENING)
		return -EINVAL;
	if (ss->state & MBS_S_CONNECTING)
		return -EALREADY;
	if (ss->state & MBS_S_CONNECTED)
		return -EISCONN;
	if (ss->pcb.tcp == NULL && ss->connect_failed) {
		/* A connect that failed leaves a socket that may try again. */
		struct tcp_pcb *pcb = tcp_new_ip_type(ss->family == AF_INET ?
		    IPADDR_TYPE_V4 : ss->v6only ? IPADDR_TYPE_V6 :
		    IPADDR_TYPE_ANY);

		if (pcb == NULL)
			return -ENOMEM;
		sock_tcp_hook(ss, pcb);
		sock_opt_apply(ss);
		ss->connect_failed = false;
		atomic_store_explicit(&app_shm(ss->app, ss->id)->error, 0,
		    memory_order_relaxed);
		sock_publish(ss, 0, MBS_S_RESET | MBS_S_ERROR | MBS_S_BOUND);
	}
	if (ss->pcb.tcp == NULL)
		return -EINVAL;
	if ((rc = addr_in(ss, &r->u.addr, &ip, &port)) < 0)
		return rc;
	if (ip_addr_isany(&ip))
		return -ECONNREFUSED;
	err = tcp_connect(ss->pcb.tcp, &ip, port, sock_tcp_connected);
	if (err != ERR_OK)
		return err == ERR_USE ? -EADDRNOTAVAIL : -lwip_errno(err);
	sock_publish(ss, MBS_S_CONNECTING | MBS_S_BOUND, 0);
	return -EINPROGRESS;
}

static int
req_accept(struct ssock *ls, struct mbs_cpl *c)
{
	struct ssock	*ss;
	uint32_t	 id;

	if (!(ls->state & MBS_S_LISTENING))
		return -EINVAL;
	for (;;) {
		if (ls->acq_n == 0) {
			sock_publish(ls, 0, MBS_S_ACCEPTQ);
			return -EAGAIN;
		}
		id = ls->acq[ls->acq_head];
		ls->acq_head = (ls->acq_head + 1) % ls->acq_cap;
		ls->acq_n--;
		if ((ss = ls->app->ss[id]) != NULL && ss->accept_pending)
			break;
	}
	if (ls->acq_n == 0)
		sock_publish(ls, 0, MBS_S_ACCEPTQ);
	ss->accept_pending = false;
	if (ss->pcb.tcp != NULL) {
		tcp_backlog_accepted(ss->pcb.tcp);
		addr_out(ss, &ss->pcb.tcp->remote_ip, ss->pcb.tcp->remote_port,
		    &c->u.addr);
	} else {
		addr_out(ss, NULL, 0, &c->u.addr);
	}
	c->sock = ss->id;
	return 0;
}

static int
req_shutdown(struct ssock *ss, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!(ss->state & MBS_S_CONNECTED))
		return -ENOTCONN;
	if (how != SHUT_WR && !ss->shut_rd) {
		unsigned i;

		ss->shut_rd = true;
		for (i = 0; i < ss->rxq_n; i++) {
			if (ss->tcp && ss->pcb.tcp != NULL)
				tcp_recved(ss->pcb.tcp, (u16_t)(ss->rxq[i]->tot_len -
				    (i == 0 ? ss->rxq_off : 0)));
			pbuf_free(ss->rxq[i]);
		}
		ss->rxq_n = 0;
		ss->rxq_off = 0;
		atomic_store_explicit(&app_shm(ss->app, ss->id)->rx_wait, 0,
		    memory_order_relaxed);
		sock_publish(ss, MBS_S_RX_EOF, 0);
	}
	if (how != SHUT_RD && ss->tcp && !ss->shut_wr) {
		ss->shut_wr = true;
		sock_tcp_tx(ss);
	}
	return 0;
}

/* Close: a graceful FIN after the bytes already written, or a reset. */
static void
req_close(struct ssock *ss)
{
	ssize_t	room;
	bool	unread;

	ss->closing = true;
	if (!ss->tcp || ss->pcb.tcp == NULL || ss->pcb.tcp->state == LISTEN) {
		sock_free(ss);
		return;
	}
	/* As the kernel does: unread bytes or SO_LINGER {1, 0} reset it. */
	/* We produce the rx ring: what the app left is what has no room. */
	room = ion_stream_space(&ss->rx);
	unread = ss->rxq_n > 0 || room < 0 ||
	    (size_t)room < ss->app->hdr.buf_size;
	if (unread || (ss->linger_on && ss->linger_secs == 0) ||
	    !(ss->state & MBS_S_CONNECTED)) {
		sock_free(ss);
		return;
	}
	sock_tcp_tx(ss);	/* frees ss once the ring is drained */
}

/* The interface as the app's SIOCGIF* ioctls describe it. */
static void
sock_ifinfo(struct stack *st, struct mbs_ifinfo *ifi)
{
	const struct netif *nif = &st->netif;

	memset(ifi, 0, sizeof(*ifi));
	snprintf(ifi->name, sizeof(ifi->name), "%.15s", st->cfg.name);
	memcpy(ifi->mac, nif->hwaddr, sizeof(ifi->mac));
	ifi->mtu = nif->mtu;
	ifi->addr = ip4_addr_get_u32(netif_ip4_addr(nif));
	ifi->mask = ip4_addr_get_u32(netif_ip4_netmask(nif));
	ifi->flags = IFF_BROADCAST | IFF_MULTICAST;
	if (netif_is_up(nif))
		ifi->flags |= IFF_UP;
	if (netif_is_up(nif) && netif_is_link_up(nif))
		ifi->flags |= IFF_RUNNING | IFF_LOWER_UP;
	ifi->index = 2;		/* after the loopback, as in a namespace */
}

void
sock_request(struct app *a, const struct mbs_req *r, struct mbs_cpl *c)
{
	struct ssock	*ss = NULL;

	if (r->op >= MBS_OP_MAX || r->op == 0 || r->flags != 0) {
		c->result = -EOPNOTSUPP;
		return;
	}
	if (r->op != MBS_OP_SOCKET && r->op != MBS_OP_NOP &&
	    r->op != MBS_OP_IFINFO) {
		if (r->sock >= a->hdr.max_socks || (ss = a->ss[r->sock]) ==
		    NULL || ss->closing || ss->accept_pending) {
			c->result = -EBADF;
			return;
		}
		c->sock = r->sock;
	}
	switch (r->op) {
	case MBS_OP_SOCKET:
		c->result = req_socket(a, r, c);
		break;
	case MBS_OP_BIND:
		c->result = req_bind(ss, r);
		break;
	case MBS_OP_LISTEN:
		c->result = req_listen(ss, r->u.val);
		break;
	case MBS_OP_CONNECT:
		c->result = req_connect(ss, r);
		break;
	case MBS_OP_ACCEPT:
		c->result = req_accept(ss, c);
		break;
	case MBS_OP_SHUTDOWN:
		c->result = req_shutdown(ss, r->u.val);
		break;
	case MBS_OP_CLOSE:
		req_close(ss);
		c->result = 0;
		break;
	case MBS_OP_GETSOCKNAME:
		if (ss->pcb.tcp == NULL)
			addr_out(ss, NULL, 0, &c->u.addr);
		else if (ss->tcp)
			addr_out(ss, &ss->pcb.tcp->local_ip,
			    ss->pcb.tcp->local_port, &c->u.addr);
		else
			addr_out(ss, &ss->pcb.udp->local_ip,
			    ss->pcb.udp->local_port, &c->u.addr);
		c->result = 0;
		break;
	case MBS_OP_GETPEERNAME:
		if (!(ss->state & MBS_S_CONNECTED) || ss->pcb.tcp == NULL)
			c->result = -ENOTCONN;
		else if (ss->tcp)
			addr_out(ss, &ss->pcb.tcp->remote_ip,
			    ss->pcb.tcp->remote_port, &c->u.addr);
		else
			addr_out(ss, &ss->pcb.udp->remote_ip,
			    ss->pcb.udp->remote_port, &c->u.addr);
		break;
	case MBS_OP_IFINFO:
		sock_ifinfo(a->st, &c->u.ifinfo);
		c->result = 0;
		break;
	case MBS_OP_SETSOCKOPT:
		c->result = sock_setopt(ss, &r->u.opt);
		break;
	case MBS_OP_GETSOCKOPT:
		c->u.opt = r->u.opt;
		c->result = sock_getopt(ss, &c->u.opt);
		break;
	case MBS_OP_NOP:
		c->result = 0;
		break;
	}
}

/* The app touched the rings of socket id. */
int
sock_kick(struct app *a, uint32_t id)
{
	struct ssock *ss = a->ss[id];

	if (ss == NULL || ss->accept_pending)
		return 0;	/* a late kick for a closed socket */
	if (ss->tcp)
		sock_rx_push(ss);
	if (a->ss[id] == ss)
		sock_tx(ss);
	return a->broken ? -EPROTO : 0;
}

/* The app is gone: close its sockets as an exit would, or reset them. */
void
sock_app_gone(struct app *a, bool graceful)
{
	uint32_t i;

	for (i = 0; i < a->hdr.max_socks && a->nopen > 0; i++) {
		struct ssock *ss = a->ss[i];

		if (ss == NULL || ss->accept_pending)
			continue;
		if (graceful && !ss->closing)
			req_close(ss);
		else if (!graceful)
			sock_free(ss);
	}
}

void
sock_stats(struct app *a, void (*line)(void *, const char *), void *arg)
{
	char		 buf[256], la[64], pa[64];
	uint32_t	 i;

	for (i = 0; i < a->hdr.max_socks; i++) {
		struct ssock	*ss = a->ss[i];
		struct tcp_pcb	*pcb;
		const char	*st;

		if (ss == NULL)
			continue;
		pcb = ss->tcp ? ss->pcb.tcp : NULL;
		la[0] = pa[0] = '\0';
		if (ss->tcp && pcb != NULL) {
			snprintf(la, sizeof(la), "%s:%u",
			    ipaddr_ntoa(&pcb->local_ip), pcb->local_port);
			if (pcb->state != LISTEN)
				snprintf(pa, sizeof(pa), "%s:%u",
				    ipaddr_ntoa(&pcb->remote_ip),
				    pcb->remote_port);
		} else if (!ss->tcp && ss->pcb.udp != NULL) {
			snprintf(la, sizeof(la), "%s:%u",
			    ipaddr_ntoa(&ss->pcb.udp->local_ip),
			    ss->pcb.udp->local_port);
		}
		st = ss->closing ? "closing" : ss->state & MBS_S_LISTENING ?
		    "listen" : ss->state & MBS_S_RESET ? "reset" :
		    ss->state & MBS_S_CONNECTING ? "connecting" :
		    ss->state & MBS_S_CONNECTED ? "established" : "open";
		snprintf(buf, sizeof(buf), "  sock %u %s %s %s%s%s: in %llu "
		    "out %llu bytes, drops %llu, rtx %llu, resets %llu, "
		    "srtt %d ms", ss->id, ss->tcp ? "tcp" : "udp", st, la,
		    pa[0] ? " -> " : "", pa,
		    (unsigned long long)ss->bytes_in,
		    (unsigned long long)ss->bytes_out,
		    (unsigned long long)ss->drops,
		    (unsigned long long)ss->rtx,
		    (unsigned long long)ss->resets,
		    pcb != NULL ? (pcb->sa >> 3) * TCP_SLOW_INTERVAL : 0);
		line(arg, buf);
	}
}

static int
health_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * One line of stack-wide TCP health: errors, segments, and the p99 of the
 * smoothed RTTs of the connections now open (lwIP keeps them in ticks of
 * its slow timer, so the figure moves in steps of TCP_SLOW_INTERVAL).
 */
void
sock_health_stats(const struct stack *st, void (*line)(void *, const char *),
    void *arg)
{
	static int	 rtt[1024];
	char		 buf[256];
	size_t		 n = 0;
	unsigned	 i;
	uint32_t	 j;

	for (i = 0; i < STACK_MAX_APPS; i++) {
		const struct app *a = st->apps[i];

		if (a == NULL || a->ss == NULL)
			continue;
		for (j = 0; j < a->hdr.max_socks && n < 1024; j++) {
			const struct ssock *ss = a->ss[j];

			if (ss != NULL && ss->tcp && ss->pcb.tcp != NULL &&
			    ss->pcb.tcp->state == ESTABLISHED)
				rtt[n++] = (ss->pcb.tcp->sa >> 3) *
				    TCP_SLOW_INTERVAL;
		}
	}
	qsort(rtt, n, sizeof(rtt[0]), health_cmp);
	snprintf(buf, sizeof(buf), "health: segments out %llu in %llu, "
	    "connects failed %llu, resets %llu, rtx %llu, rtt p99 %d ms "
	    "of %zu", (unsigned long long)lwip_stats.tcp.xmit,
	    (unsigned long long)lwip_stats.tcp.recv,
	    (unsigned long long)health.conn_failed,
	    (unsigned long long)health.resets,
	    (unsigned long long)health.rtx,
	    n > 0 ? rtt[(n * 99 + 99) / 100 - 1] : 0, n);
	line(arg, buf);
}
