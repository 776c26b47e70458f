/*
 * icmperr.c: a connected UDP socket hears of a closed port.
 *
 * Linux reports an ICMP port unreachable for a connected UDP socket's
 * datagram as ECONNREFUSED on the socket's next call; lwIP tells UDP
 * nothing of ICMP.  lwIP's IPv4 input hook shows every datagram to us
 * before lwIP takes it: an intact port-unreachable message that quotes one
 * of our connected UDP sockets sets that socket's error.  lwIP then goes
 * on with the message as usual.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip.h"
#include "lwip/udp.h"

#include "stack_pvt.h"

/* IP header, ICMP header, quoted IP header, quoted UDP ports. */
#define ICMPERR_COPY	(60 + 8 + 60 + 8)

int
stack_icmp_hook4(struct pbuf *p, struct netif *inp)
{
	uint8_t		 b[ICMPERR_COPY];
	const uint8_t	*icmp, *in, *udp;
	struct udp_pcb	*pcb;
	uint16_t	 n, ihl, iihl, tot, sport, dport;

	(void)inp;
	/*
	 * Every IPv4 datagram passes here: the protocol byte first, from
	 * the header lwIP has in the first pbuf, so that only ICMP is copied.
	 */
	if (p->len < 20 || ((const uint8_t *)p->payload)[9] != IP_PROTO_ICMP)
		return 0;
	n = pbuf_copy_partial(p, b, sizeof(b), 0);
	if (n < 20 || (b[0] >> 4) != 4 || b[9] != IP_PROTO_ICMP)
		return 0;
	ihl = (uint16_t)((b[0] & 0x0f) * 4);
	tot = (uint16_t)((b[2] << 8) | b[3]);
	if (ihl < 20 || ((b[6] << 8 | b[7]) & 0x3fff) != 0 || tot > p->tot_len ||
	    tot < ihl + 8 + 20 + 8 || n < ihl + 8 + 20)
		return 0;
	icmp = b + ihl;
	if (icmp[0] != ICMP_DUR || icmp[1] != ICMP_DUR_PORT)
		return 0;
	in = icmp + 8;
	iihl = (uint16_t)((in[0] & 0x0f) * 4);
	if ((in[0] >> 4) != 4 || in[9] != IP_PROTO_UDP || iihl < 20 ||
	    n < ihl + 8 + iihl + 4 || tot < ihl + 8 + iihl + 8)
		return 0;
	/* Only an intact message counts: its checksum, over the ICMP part. */
	if (pbuf_remove_header(p, ihl) != 0)
		return 0;
	if (inet_chksum_pbuf(p) != 0) {
		pbuf_add_header(p, ihl);
		return 0;
	}
	pbuf_add_header(p, ihl);
	udp = in + iihl;
	sport = (uint16_t)((udp[0] << 8) | udp[1]);
	dport = (uint16_t)((udp[2] << 8) | udp[3]);
	for (pcb = udp_pcbs; pcb != NULL; pcb = pcb->next) {
		if (!(pcb->flags & UDP_FLAGS_CONNECTED) ||
		    pcb->local_port != sport || pcb->remote_port != dport ||
		    !IP_IS_V4_VAL(pcb->remote_ip) ||
		    memcmp(&ip_2_ip4(&pcb->remote_ip)->addr, in + 16, 4) != 0)
			continue;
		if (pcb->recv_arg != NULL)
			sock_set_error(pcb->recv_arg, ECONNREFUSED);
		break;
	}
	return 0;
}
