/*
 * timewait.c: a new connection may take the place of one in TIME-WAIT.
 *
 * The side that closes first keeps the connection in TIME-WAIT for two
 * maximum segment lifetimes; a client that reconnects from the same port
 * meanwhile (a busy HTTP client against a server that closes: wrk, ab)
 * finds lwIP answering its SYN with an ACK, and retries after one, three,
 * seven seconds.  Linux accepts such a SYN when its sequence number lies
 * beyond what the old connection received (RFC 6191 for the timestamp-less
 * case); so does the stack, by retiring the old pcb just before lwIP sees
 * the SYN, which then reaches the listener.
 *
 * lwIP finds a segment's connection by walking lists, TIME-WAIT included:
 * a server closing thousands of connections a second would make every
 * segment walk all of them.  Like Linux's tcp_max_tw_buckets, a bound:
 * past TIMEWAIT_MAX the oldest is retired when a new connection comes.
 */
#include "config.h"

#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#include "stack_pvt.h"

#define TIMEWAIT_MAX	512

static uint16_t
tw_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
tw_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* Does pcb's remote/local address pair equal src/dst (family af)? */
static bool
tw_addr_match(const struct tcp_pcb *pcb, int v6, const uint8_t *src,
    const uint8_t *dst)
{
#if LWIP_IPV4
	if (!v6 && IP_IS_V4_VAL(pcb->remote_ip)) {
		return memcmp(&ip_2_ip4(&pcb->remote_ip)->addr, src, 4) == 0 &&
		    memcmp(&ip_2_ip4(&pcb->local_ip)->addr, dst, 4) == 0;
	}
#endif
#if LWIP_IPV6
	if (v6 && IP_IS_V6_VAL(pcb->remote_ip)) {
		return memcmp(ip_2_ip6(&pcb->remote_ip)->addr, src, 16) == 0 &&
		    memcmp(ip_2_ip6(&pcb->local_ip)->addr, dst, 16) == 0;
	}
#endif
	return false;
}

void
stack_timewait_syn(const void *frame, size_t len)
{
	const uint8_t	*f = frame, *ip, *tcp, *src, *dst;
	struct tcp_pcb	*pcb, *match = NULL, *oldest = NULL;
	unsigned	 n = 0;
	uint16_t	 type, sport, dport;
	uint32_t	 seq;
	size_t		 ihl;
	int		 v6;

	if (tcp_tw_pcbs == NULL || len < SIZEOF_ETH_HDR)
		return;
	type = tw_get16(f + 12);
	ip = f + SIZEOF_ETH_HDR;
	len -= SIZEOF_ETH_HDR;
	if (type == ETHTYPE_IP) {
		if (len < IP_HLEN || (ip[0] >> 4) != 4 || ip[9] != IP_PROTO_TCP)
			return;
		/* A fragment carries no TCP header we could trust. */
		if ((tw_get16(ip + 6) & 0x3fff) != 0)
			return;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		src = ip + 12;
		dst = ip + 16;
		v6 = 0;
	} else if (type == ETHTYPE_IPV6) {
		if (len < IP6_HLEN || (ip[0] >> 4) != 6 || ip[6] != IP6_NEXTH_TCP)
			return;
		ihl = IP6_HLEN;
		src = ip + 8;
		dst = ip + 24;
		v6 = 1;
	} else {
		return;
	}
	if (ihl < (v6 ? IP6_HLEN : IP_HLEN) || len < ihl + TCP_HLEN)
		return;
	tcp = ip + ihl;
	/* A SYN alone: flags byte 13 has SYN set, ACK and RST clear. */
	if ((tcp[13] & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return;
	sport = tw_get16(tcp);
	dport = tw_get16(tcp + 2);
	seq = tw_get32(tcp + 4);
	for (pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
		n++;
		if (oldest == NULL ||
		    (u32_t)(tcp_ticks - pcb->tmr) > (u32_t)(tcp_ticks - oldest->tmr))
			oldest = pcb;
		if (match == NULL && pcb->remote_port == sport &&
		    pcb->local_port == dport && tw_addr_match(pcb, v6, src, dst))
			match = pcb;
	}
	if (match != NULL && TCP_SEQ_GT(seq, match->rcv_nxt)) {
		if (oldest == match)
			oldest = NULL;
		tcp_abort(match);
		n--;
	}
	if (n >= TIMEWAIT_MAX && oldest != NULL)
		tcp_abort(oldest);
}
