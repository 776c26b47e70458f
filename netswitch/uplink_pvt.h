/* uplink_pvt.h: the uplink backends' constructors; not for other parts. */
#ifndef MEMBRANE_UPLINK_PVT_H
#define MEMBRANE_UPLINK_PVT_H

#include <stddef.h>

#include "switch_pvt.h"

/* mtu: what --mtu asked for, or 0; each fails if it cannot carry it. */
struct uplink	*uplink_xdp_open(const char *arg, const char *obj,
		    unsigned mtu, char *err, size_t errlen);
struct uplink	*uplink_dpdk_open(const char *arg, unsigned mtu, char *err,
		    size_t errlen);

#endif /* MEMBRANE_UPLINK_PVT_H */
