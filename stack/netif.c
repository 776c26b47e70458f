/* netif.c: lwIP's Ethernet interface over a membrane-switch port. */
#include "config.h"

#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/pbuf.h"
#include "lwip/snmp.h"
#include "netif/ethernet.h"

#include "log.h"
#include "stack_pvt.h"

#define NETIF_RX_BURST	64

/* lwIP hands us a frame: copy it straight into a tx buffer of the port. */
static err_t
netif_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct stack	*st = nif->state;
	void		*buf;
	int		 rc;

	if (!st->attached) {
		st->tx_drops++;
		return ERR_IF;
	}
	buf = nsw_port_send_reserve(&st->port, p->tot_len, &rc);
	if (buf == NULL && rc == -ENOBUFS) {
		/* Every buffer in flight: push them out and try once more. */
		nsw_port_flush(&st->port);
		buf = nsw_port_send_reserve(&st->port, p->tot_len, &rc);
	}
	if (buf == NULL) {
		st->tx_drops++;
		return rc == -EMSGSIZE ? ERR_IF : ERR_MEM;
	}
	if (pbuf_copy_partial(p, buf, p->tot_len, 0) != p->tot_len) {
		st->tx_drops++;
		return ERR_BUF;
	}
	if (nsw_port_send_commit(&st->port) < 0) {
		st->tx_drops++;
		return ERR_IF;
	}
	st->tx_frames++;
	st->tx_pending++;
	return ERR_OK;
}

/* Tell the switch our addresses and groups, so its uplink passes their frames. */
void
stack_netif_addrs(struct stack *st)
{
	struct nsw_addrs	a;
	unsigned		i;

	if (!st->attached)
		return;
	memset(&a, 0, sizeof(a));
	if (!ip4_addr_isany_val(*netif_ip4_addr(&st->netif))) {
		memcpy(a.ip4[0], &ip4_addr_get_u32(netif_ip4_addr(&st->netif)), 4);
		a.n_ip4 = 1;
	}
	for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES && a.n_ip6 < NSW_MAX_ADDRS; i++)
		if (!ip6_addr_isinvalid(netif_ip6_addr_state(&st->netif, i)))
			memcpy(a.ip6[a.n_ip6++], netif_ip6_addr(&st->netif, i)->addr, 16);
	for (i = 0; i < NSW_MAX_GROUPS; i++)
		if (st->groups[i].refs > 0)
			memcpy(a.groups[a.n_groups++], st->groups[i].mac, 6);
	if (nsw_port_addrs(&st->port, &a) < 0)
		log_warnx("telling the switch our addresses failed");
}

/* Count a join (or leave) of the multicast MAC m; resend if it changed. */
static err_t
netif_group(struct stack *st, const uint8_t m[6], enum netif_mac_filter_action act)
{
	unsigned i, slot = NSW_MAX_GROUPS;

	for (i = 0; i < NSW_MAX_GROUPS; i++) {
		if (st->groups[i].refs > 0 && memcmp(st->groups[i].mac, m, 6) == 0)
			break;
		if (st->groups[i].refs == 0 && slot == NSW_MAX_GROUPS)
			slot = i;
	}
	if (act == NETIF_ADD_MAC_FILTER) {
		if (i < NSW_MAX_GROUPS) {
			st->groups[i].refs++;
			return ERR_OK;
		}
		if (slot == NSW_MAX_GROUPS)
			return ERR_MEM;
		memcpy(st->groups[slot].mac, m, 6);
		st->groups[slot].refs = 1;
	} else {
		if (i == NSW_MAX_GROUPS)
			return ERR_OK;
		if (--st->groups[i].refs > 0)
			return ERR_OK;
	}
	stack_netif_addrs(st);
	return ERR_OK;
}

#if LWIP_IGMP
static err_t
netif_igmp_filter(struct netif *nif, const ip4_addr_t *group,
    enum netif_mac_filter_action act)
{
	uint32_t	g = lwip_ntohl(ip4_addr_get_u32(group));
	uint8_t		m[6] = { 0x01, 0x00, 0x5e, (uint8_t)((g >> 16) & 0x7f),
			    (uint8_t)(g >> 8), (uint8_t)g };

	return netif_group(nif->state, m, act);
}
#endif

#if LWIP_IPV6_MLD
static err_t
netif_mld_filter(struct netif *nif, const ip6_addr_t *group,
    enum netif_mac_filter_action act)
{
	const uint8_t	*b = (const uint8_t *)group->addr;
	uint8_t		 m[6] = { 0x33, 0x33, b[12], b[13], b[14], b[15] };

	return netif_group(nif->state, m, act);
}
#endif

err_t
stack_netif_init(struct netif *nif)
{
	struct stack *st = nif->state;

	nif->name[0] = 'm';
	nif->name[1] = 'b';
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, st->cfg.mac, ETH_HWADDR_LEN);
	nif->mtu = st->cfg.mtu != 0 ? st->cfg.mtu : NSW_MTU_DEFAULT;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
	    NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
#if LWIP_IPV6
	nif->output_ip6 = ethip6_output;
#endif
	nif->linkoutput = netif_linkoutput;
#if LWIP_IGMP
	netif_set_igmp_mac_filter(nif, netif_igmp_filter);
#endif
#if LWIP_IPV6_MLD
	netif_set_mld_mac_filter(nif, netif_mld_filter);
#endif
	return ERR_OK;
}

/* Feed the frames waiting on the port to lwIP; returns how many. */
int
stack_netif_poll(struct stack *st)
{
	struct nsw_desc	d[NETIF_RX_BURST];
	int		n, i;

	if (!st->attached)
		return 0;
	n = nsw_port_recv(&st->port, d, NETIF_RX_BURST);
	if (n < 0) {
		log_warnx("switch port: %s; detaching", strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++) {
		const void	*f = nsw_port_frame(&st->port, &d[i]);
		struct pbuf	*p;

		if (f == NULL || d[i].len < SIZEOF_ETH_HDR) {
			st->rx_drops++;
			continue;
		}
		p = pbuf_alloc(PBUF_RAW, d[i].len, PBUF_POOL);
		if (p == NULL) {
			st->rx_drops++;
			continue;
		}
		/* The switch's buffer may be scribbled on: copy, then parse. */
		pbuf_take(p, f, d[i].len);
		st->rx_frames++;
		stack_timewait_syn(p->payload, p->len);
		if (st->netif.input(p, &st->netif) != ERR_OK)
			pbuf_free(p);
	}
	if (n > 0 && nsw_port_release(&st->port, d, (unsigned)n) < 0)
		return -EPROTO;
	return n;
}

/* Publish what lwIP sent during this turn of the loop. */
void
stack_netif_flush(struct stack *st)
{
	if (st->attached && st->tx_pending > 0) {
		nsw_port_flush(&st->port);
		st->tx_pending = 0;
	}
}
