/* uplink.c: parse an uplink spec, open its backend, keep its filter. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "uplink_pvt.h"

/*
 * "none", "af_xdp:IFACE[:QUEUE]" or "dpdk:EAL-ARGS".  Returns the uplink,
 * or NULL with the reason in err ("none" also returns NULL, err empty).
 */
struct uplink *
uplink_open(const char *spec, const char *xdp_obj, unsigned mtu, char *err,
    size_t errlen)
{
	err[0] = '\0';
	if (strcmp(spec, "none") == 0)
		return NULL;
	if (strncmp(spec, "af_xdp:", 7) == 0)
		return uplink_xdp_open(spec + 7, xdp_obj, mtu, err, errlen);
	if (strncmp(spec, "dpdk:", 5) == 0)
		return uplink_dpdk_open(spec + 5, mtu, err, errlen);
	snprintf(err, errlen, "unknown uplink \"%s\" (expected none, "
	    "af_xdp:IFACE[:QUEUE] or dpdk:EAL-ARGS)", spec);
	return NULL;
}

/*
 * The switch's MTU: the one asked for (the backend has checked that it can
 * carry it), else the link's as far as the backend carries it, else 1500.
 */
unsigned
uplink_mtu(const struct uplink *up, unsigned want)
{
	unsigned m;

	if (want != 0)
		return want;
	if (up == NULL)
		return NSW_MTU_DEFAULT;
	m = up->mtu < up->mtu_max ? up->mtu : up->mtu_max;
	if (m < up->mtu)
		log_info("the link's MTU is %u; the %s uplink carries %u",
		    up->mtu, up->ops->name, m);
	if (m < NSW_MTU_MIN)
		m = NSW_MTU_MIN;
	if (m > NSW_MTU_MAX)
		m = NSW_MTU_MAX;
	return m;
}

/* Recompute what the stacks want from the wire and tell the backend. */
void
uplink_refilter(struct uplink *up, const struct port_set *set)
{
	struct mac_set	*m;
	uint32_t	 i, k;
	int		 rc;

	if (up == NULL || up->ops->filter == NULL)
		return;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_warnx("uplink filter: out of memory");
		return;
	}
	for (i = 0; i < set->n; i++) {
		const struct port *p = set->p[i];
		const struct nsw_addrs *a = &p->addrs;

		memcpy(m->macs[m->n_macs++], p->mac, 6);
		for (k = 0; k < a->n_groups && k < NSW_MAX_GROUPS; k++)
			memcpy(m->macs[m->n_macs++], a->groups[k], 6);
		for (k = 0; k < a->n_ip4 && k < NSW_MAX_ADDRS; k++)
			memcpy(m->ip4[m->n_ip4++], a->ip4[k], 4);
	}
	if ((rc = up->ops->filter(up, m)) < 0)
		log_warnx("uplink filter: %s", strerror(-rc));
	free(m);
}
