/* uplink.c: parse an uplink spec and open the backend it names. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switch_pvt.h"

/*
 * "none", "af_xdp:IFACE[:QUEUE]" or "dpdk:EAL-ARGS".  Returns the uplink,
 * or NULL with the reason in err ("none" also returns NULL, err empty).
 */
struct uplink *
uplink_open(const char *spec, char *err, size_t errlen)
{
	err[0] = '\0';
	if (strcmp(spec, "none") == 0)
		return NULL;
	if (strncmp(spec, "af_xdp:", 7) == 0 || strncmp(spec, "dpdk:", 5) == 0) {
		snprintf(err, errlen, "uplink \"%s\": this backend is not built yet",
		    spec);
		return NULL;
	}
	snprintf(err, errlen, "unknown uplink \"%s\" (expected none, "
	    "af_xdp:IFACE[:QUEUE] or dpdk:EAL-ARGS)", spec);
	return NULL;
}
