/* launch_caps.c: a launched program's capabilities (libcap). */
#include "config.h"

#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/capability.h>

#include "launch_pvt.h"

/* Whether capability c is in the mask. */
static int
caps_has(uint64_t mask, int c)
{
	return c < 64 && (mask & ((uint64_t)1 << c)) != 0;
}

/* Drop every capability not in keep from the bounding set; 0 or -errno. */
int
launch_caps_bound(uint64_t keep, char *err, size_t errlen)
{
	int	c, max = (int)cap_max_bits();

	for (c = 0; c < max; c++) {
		/* Already gone: dropping again would need CAP_SETPCAP. */
		if (caps_has(keep, c) || cap_get_bound((cap_value_t)c) != 1)
			continue;
		if (cap_drop_bound((cap_value_t)c) != 0) {
			snprintf(err, errlen, "drop %s from the bounding set: "
			    "%s", cap_to_name((cap_value_t)c),
			    strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/*
 * Permitted = effective = inheritable = keep and what we hold; then raise
 * each ambient capability (it must be permitted and inheritable, which is
 * why inheritable is set at all: ambient carries across exec into a
 * program without file capabilities).  0 or -errno.
 */
int
launch_caps_set(uint64_t keep, uint64_t ambient, char *err, size_t errlen)
{
	cap_t		cur, caps;
	cap_flag_value_t v;
	cap_value_t	list[1];
	int		c, max = (int)cap_max_bits(), rc = 0;

	if ((cur = cap_get_proc()) == NULL || (caps = cap_init()) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "read capabilities: %s", strerror(-rc));
		if (cur != NULL)
			cap_free(cur);
		return rc;
	}
	for (c = 0; c < max; c++) {
		if (!caps_has(keep, c))
			continue;
		if (cap_get_flag(cur, (cap_value_t)c, CAP_PERMITTED, &v) != 0 ||
		    v != CAP_SET)
			continue;
		list[0] = (cap_value_t)c;
		cap_set_flag(caps, CAP_PERMITTED, 1, list, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, list, CAP_SET);
		cap_set_flag(caps, CAP_INHERITABLE, 1, list, CAP_SET);
	}
	if (cap_set_proc(caps) != 0) {
		rc = -errno;
		snprintf(err, errlen, "set capabilities: %s", strerror(-rc));
		goto out;
	}
	if (cap_reset_ambient() != 0 && errno != EINVAL) {
		rc = -errno;
		snprintf(err, errlen, "clear the ambient set: %s",
		    strerror(-rc));
		goto out;
	}
	for (c = 0; c < max; c++) {
		if (!caps_has(ambient, c))
			continue;
		if (!caps_has(keep, c)) {
			rc = -EINVAL;
			snprintf(err, errlen, "ambient %s is not in the "
			    "bounding set", cap_to_name((cap_value_t)c));
			goto out;
		}
		if (cap_set_ambient((cap_value_t)c, CAP_SET) != 0) {
			rc = -errno;
			snprintf(err, errlen, "raise ambient %s: %s",
			    cap_to_name((cap_value_t)c), strerror(-rc));
			goto out;
		}
	}
out:
	cap_free(cur);
	cap_free(caps);
	return rc;
}

/* Set no_new_privs; 0 or -errno. */
int
launch_caps_nnp(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "set no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Drop everything: bounding set, every set, no_new_privs; 0 or -errno. */
int
launch_caps_drop_all(char *err, size_t errlen)
{
	int	rc;

	if ((rc = launch_caps_bound(0, err, errlen)) != 0 ||
	    (rc = launch_caps_set(0, 0, err, errlen)) != 0)
		return rc;
	return launch_caps_nnp(err, errlen);
}
