/* portset.c: immutable snapshots of the ports, with their MAC hash. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "switch_pvt.h"

#define HASH_SLOTS	(4 * SW_MAX_PORTS)

static uint32_t
portset_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h;
}

/* Rebuild the MAC hash of s from its port array. */
static void
portset_rehash(struct port_set *s)
{
	uint32_t i, h;

	memset(s->hash, 0, sizeof(s->hash));
	memset(s->ip4, 0, sizeof(s->ip4));
	for (i = 0; i < s->n; i++) {
		const struct nsw_addrs *a = &s->p[i]->addrs;

		s->ip4[i].n = a->n_ip4 <= NSW_MAX_ADDRS ? a->n_ip4 : 0;
		memcpy(s->ip4[i].a, a->ip4, sizeof(s->ip4[i].a));
		h = portset_hash(s->p[i]->mac) % HASH_SLOTS;
		while (s->hash[h] != 0)
			h = (h + 1) % HASH_SLOTS;
		s->hash[h] = (uint8_t)(i + 1);
	}
}

/* A new snapshot: old plus p; NULL when full or out of memory. */
struct port_set *
port_set_with(const struct port_set *old, struct port *p)
{
	struct port_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (old != NULL)
		*s = *old;
	if (s->n >= SW_MAX_PORTS) {
		free(s);
		return NULL;
	}
	s->p[s->n++] = p;
	portset_rehash(s);
	return s;
}

/* A new snapshot: old without p; NULL when out of memory. */
struct port_set *
port_set_without(const struct port_set *old, const struct port *p)
{
	struct port_set *s = calloc(1, sizeof(*s));
	uint32_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; old != NULL && i < old->n; i++)
		if (old->p[i] != p)
			s->p[s->n++] = old->p[i];
	portset_rehash(s);
	return s;
}

/* A new snapshot of the same ports, their addresses read afresh. */
struct port_set *
port_set_copy(const struct port_set *old)
{
	return port_set_without(old, NULL);
}

/* The port that owns mac, or NULL. */
struct port *
port_set_lookup(const struct port_set *s, const uint8_t mac[6])
{
	uint32_t h = portset_hash(mac) % HASH_SLOTS, k;

	for (k = 0; k < HASH_SLOTS; k++) {
		uint8_t idx = s->hash[h];

		if (idx == 0)
			return NULL;
		if (memcmp(s->p[idx - 1]->mac, mac, 6) == 0)
			return s->p[idx - 1];
		h = (h + 1) % HASH_SLOTS;
	}
	return NULL;
}
