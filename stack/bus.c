/* bus.c: the stack's state on the bus, /run/membrane/bus/net/NAME (JSON). */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
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

/* mkdir -p for the bus directory. */
static int
bus_mkdirs(const char *dir)
{
	char	 buf[256];
	char	*c;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (c = buf + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(buf, 0755);
		*c = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

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

static int
bus_path(const struct stack *st, char *buf, size_t len, const char *suffix)
{
	return snprintf(buf, len, "%s/%s%s", st->cfg.bus_dir, st->cfg.name,
	    suffix) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Write the current state, replacing the file atomically; 0 or -errno. */
int
bus_publish(const struct stack *st)
{
	const struct netif	*nif = &st->netif;
	char			 path[300], tmp[300], a[IPADDR_STRLEN_MAX];
	FILE			*f;
	unsigned		 i, prefix = 0;
	uint32_t		 mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif)));
	long long		 expiry = 0;
	int			 err;

	if ((err = bus_mkdirs(st->cfg.bus_dir)) != 0 ||
	    (err = bus_path(st, path, sizeof(path), "")) != 0 ||
	    (err = bus_path(st, tmp, sizeof(tmp), ".tmp")) != 0)
		return err;
	while (mask & 0x80000000u) {
		prefix++;
		mask <<= 1;
	}
#if LWIP_DHCP
	{
		const struct dhcp *d = netif_dhcp_data(nif);

		if (d != NULL && d->state == DHCP_STATE_BOUND)
			expiry = (long long)time(NULL) +
			    (long long)(d->t0_timeout - d->lease_used) *
			    DHCP_COARSE_TIMER_SECS;
	}
#endif
	if ((f = fopen(tmp, "w")) == NULL)
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
	fprintf(f, ", \"pid\": %ld}\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

void
bus_remove(const struct stack *st)
{
	char path[300];

	if (bus_path(st, path, sizeof(path), "") == 0)
		(void)unlink(path);
}
