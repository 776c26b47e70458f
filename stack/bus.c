/* bus.c: the stack's state on the bus, /run/membrane/bus/net/NAME (JSON). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/prot/dhcp.h"

#include "log.h"
#include "stack_pvt.h"

/* RFC 5952 wants IPv6 text in lower case; lwIP prints upper case. */
static const char *
bus_lower(char *s)
{
	char *c;

	for (c = s; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	return s;
}

/* Publish the current state (the monitor writes the file); 0 or -errno. */
int
bus_publish(const struct stack *st)
{
	const struct netif	*nif = &st->netif;
	char			 a[IPADDR_STRLEN_MAX], *json = NULL;
	size_t			 len = 0;
	FILE			*f;
	unsigned		 i, prefix = 0;
	uint32_t		 mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif)));
	long long		 expiry = 0;
	int			 err;

	while (mask & 0x80000000u) {
		prefix++;
		mask <<= 1;
	}
#if LWIP_DHCP
	{
		const struct dhcp *d = netif_dhcp_data(nif);

		/* Bound before bus_lease_watch saw it: the ack is now. */
		if (d != NULL && d->state == DHCP_STATE_BOUND)
			expiry = (long long)(st->lease_acked != 0 ?
			    st->lease_acked : time(NULL)) +
			    (long long)d->t0_timeout * DHCP_COARSE_TIMER_SECS;
	}
#endif
	/* In memory: the sandbox allows no files. */
	if ((f = open_memstream(&json, &len)) == NULL)
		return -errno;
	fprintf(f, "{\"name\": \"%s\", \"mac\": \"%02x:%02x:%02x:%02x:%02x:%02x\", ",
	    st->cfg.name, nif->hwaddr[0], nif->hwaddr[1], nif->hwaddr[2],
	    nif->hwaddr[3], nif->hwaddr[4], nif->hwaddr[5]);
	fprintf(f, "\"addresses\": [");
	if (!ip4_addr_isany_val(*netif_ip4_addr(nif)))
		fprintf(f, "\"%s\"", ip4addr_ntoa_r(netif_ip4_addr(nif), a,
		    sizeof(a)));
	for (i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
		if (ip6_addr_isvalid(netif_ip6_addr_state(nif, i)))
			fprintf(f, "%s\"%s\"", ip4_addr_isany_val(
			    *netif_ip4_addr(nif)) && i == 0 ? "" : ", ",
			    bus_lower(ip6addr_ntoa_r(netif_ip6_addr(nif, i), a,
			    sizeof(a))));
	fprintf(f, "], \"prefix\": %u, \"gateway\": \"%s\", \"dns\": [",
	    prefix, ip4addr_ntoa_r(netif_ip4_gw(nif), a, sizeof(a)));
	for (i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *d = dns_getserver((u8_t)i);

		if (d != NULL && !ip_addr_isany(d))
			fprintf(f, "%s\"%s\"", i > 0 ? ", " : "",
			    bus_lower(ipaddr_ntoa_r(d, a, sizeof(a))));
	}
	fprintf(f, "], \"lease_expiry\": ");
	if (expiry > 0)
		fprintf(f, "%lld", expiry);
	else
		fprintf(f, "null");
	/* The monitor is the stack's process; the engine is its child. */
	fprintf(f, ", \"pid\": %ld, \"engine_pid\": %ld}\n",
	    (long)priv_monitor_pid, (long)getpid());
	if (fclose(f) != 0) {
		free(json);
		return -ENOMEM;
	}
	err = priv_bus_publish(json, len);
	free(json);
	return err;
}

/*
 * A renewal or rebinding keeps the address, so lwIP tells nobody: watch
 * for its acknowledgement (lwIP restarts the lease's clock, lease_used, at
 * every ack) and publish the new expiry.  Called after lwIP's timers.
 */
void
bus_lease_watch(struct stack *st)
{
#if LWIP_DHCP
	const struct dhcp	*d = netif_dhcp_data(&st->netif);
	int			 rc;

	if (d == NULL)
		return;
	if (d->state != DHCP_STATE_BOUND) {
		st->lease_acked = 0;
		st->lease_used = 0;
		return;
	}
	if (st->lease_acked != 0 && d->lease_used >= st->lease_used) {
		st->lease_used = d->lease_used;
		return;
	}
	/* Bound just now, or lease_used went back to 0: a new ack. */
	st->lease_acked = time(NULL);
	st->lease_used = d->lease_used;
	st->lease_acks++;
	if (st->lease_acks > 1)
		log_info("dhcp: lease renewed, %u s",
		    (unsigned)d->t0_timeout * DHCP_COARSE_TIMER_SECS);
	if ((rc = bus_publish(st)) < 0)
		log_warnx("bus: %s", strerror(-rc));
#else
	(void)st;
#endif
}

void
bus_remove(const struct stack *st)
{
	(void)st;
	priv_bus_remove();
}
