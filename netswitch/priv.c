/* priv.c: check the capabilities an uplink needs, then drop the rest. */
#include "config.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "switch_pvt.h"

#ifndef CAP_BPF
#define CAP_BPF	39
#endif

static bool
priv_has(cap_t caps, cap_value_t v)
{
	cap_flag_value_t on = CAP_CLEAR;

	if (!CAP_IS_SUPPORTED(v))
		return false;
	(void)cap_get_flag(caps, v, CAP_EFFECTIVE, &on);
	return on == CAP_SET;
}

/*
 * Refuse, naming the capabilities, when the uplink in spec cannot be
 * acquired without privileges we lack.  Returns 0 or -EPERM (err filled).
 */
int
priv_check(const char *spec, char *err, size_t errlen)
{
	cap_t	caps;
	char	missing[128] = "";
	bool	xdp = strncmp(spec, "af_xdp:", 7) == 0;
	bool	dpdk = strncmp(spec, "dpdk:", 5) == 0;

	if (!xdp && !dpdk)
		return 0;
	if ((caps = cap_get_proc()) == NULL) {
		snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -errno;
	}
	if (!priv_has(caps, CAP_NET_ADMIN))
		strcat(missing, " CAP_NET_ADMIN");
	if (!priv_has(caps, CAP_NET_RAW))
		strcat(missing, " CAP_NET_RAW");
	if (xdp && !priv_has(caps, CAP_SYS_ADMIN) &&
	    !(CAP_IS_SUPPORTED(CAP_BPF) && priv_has(caps, CAP_BPF)))
		strcat(missing, " CAP_BPF (or CAP_SYS_ADMIN)");
	cap_free(caps);
	if (missing[0] == '\0')
		return 0;
	snprintf(err, errlen, "the %s uplink needs%s; run as root or grant "
	    "them (e.g. systemd's AmbientCapabilities=)", xdp ? "af_xdp" :
	    "dpdk", missing);
	return -EPERM;
}

/*
 * After the uplink is acquired: keep only CAP_NET_ADMIN when keep_admin
 * (to detach the XDP program at exit), drop every other capability from
 * the effective, permitted, inheritable and bounding sets, and forbid
 * gaining privileges again.  Fatal on failure: a half-dropped switch must
 * not run.
 */
void
priv_drop(bool keep_admin)
{
	cap_value_t	admin = CAP_NET_ADMIN;
	cap_t		caps;
	cap_value_t	v;

	for (v = 0; v <= CAP_LAST_CAP; v++) {
		if (keep_admin && v == CAP_NET_ADMIN)
			continue;
		if (cap_drop_bound(v) < 0 && errno != EINVAL && errno != EPERM)
			fatal("cap_drop_bound(%d)", (int)v);
	}
	if ((caps = cap_init()) == NULL)
		fatal("cap_init");
	if (keep_admin &&
	    (cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_PERMITTED, 1, &admin, CAP_SET) < 0))
		fatal("cap_set_flag");
	if (cap_set_proc(caps) < 0)
		fatal("dropping capabilities");
	cap_free(caps);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	log_debug("capabilities dropped%s", keep_admin ?
	    " (CAP_NET_ADMIN kept to detach the XDP program)" : "");
}
