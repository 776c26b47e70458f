/* uplink_pvt.h: the uplink backends' constructors; not for other parts. */
#ifndef MEMBRANE_UPLINK_PVT_H
#define MEMBRANE_UPLINK_PVT_H

#include <stddef.h>

#include "switch_pvt.h"

struct uplink	*uplink_xdp_open(const char *arg, const char *obj, char *err,
		    size_t errlen);
struct uplink	*uplink_dpdk_open(const char *arg, char *err, size_t errlen);

#endif /* MEMBRANE_UPLINK_PVT_H */
