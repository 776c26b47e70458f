/* config_val.c: value syntax (sizes, durations, cpu.max, capabilities). */
#include "config.h"

#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/capability.h>

#include "config_pvt.h"

/* Capability names by number, as libcap spells them. */
static const char *const cap_names[] = {
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
	"cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
	"cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
	"cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
	"cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
	"cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
	"cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
	"cap_checkpoint_restore"
};

/* Parse a whole unsigned decimal number into *v; 0 or -EINVAL. */
static int
parse_u64(const char *s, size_t len, int64_t *v)
{
	int64_t	n = 0;
	size_t	i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		if (n > (INT64_MAX - (s[i] - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	return 0;
}

/* Multiply without overflow; 0 or -EINVAL. */
static int
mul_ok(int64_t a, int64_t b, int64_t *r)
{
	if (a != 0 && b > INT64_MAX / a)
		return -EINVAL;
	*r = a * b;
	return 0;
}

/* A byte count: digits with an optional K, M, G, T or P, or "max". */
int
pol_parse_size(const char *s, int64_t *bytes)
{
	size_t	len = strlen(s);
	int64_t	n, mul = 1;

	if (strcmp(s, "max") == 0) {
		*bytes = POL_MAX;
		return 0;
	}
	if (len > 0 && !isdigit((unsigned char)s[len - 1])) {
		switch (toupper((unsigned char)s[len - 1])) {
		case 'K':
			mul = 1LL << 10;
			break;
		case 'M':
			mul = 1LL << 20;
			break;
		case 'G':
			mul = 1LL << 30;
			break;
		case 'T':
			mul = 1LL << 40;
			break;
		case 'P':
			mul = 1LL << 50;
			break;
		default:
			return -EINVAL;
		}
		len--;
	}
	if (parse_u64(s, len, &n) != 0 || mul_ok(n, mul, &n) != 0)
		return -EINVAL;
	*bytes = n;
	return 0;
}

/* A duration with its unit (ms, s, m, h, d), or 0; into milliseconds. */
int
pol_parse_duration(const char *s, int64_t *ms)
{
	size_t	len = strlen(s), digits;
	int64_t	n, mul;

	for (digits = 0; digits < len && isdigit((unsigned char)s[digits]);
	    digits++)
		;
	if (parse_u64(s, digits, &n) != 0)
		return -EINVAL;
	s += digits;
	if (*s == '\0' && n == 0)
		mul = 0;
	else if (strcmp(s, "ms") == 0)
		mul = 1;
	else if (strcmp(s, "s") == 0)
		mul = 1000;
	else if (strcmp(s, "m") == 0 || strcmp(s, "min") == 0)
		mul = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		mul = 3600 * 1000;
	else if (strcmp(s, "d") == 0)
		mul = 86400 * 1000;
	else
		return -EINVAL;
	return mul_ok(n, mul, ms);
}

/*
 * cpu.max as cgroup v2 writes it: "QUOTA PERIOD", "QUOTA" (period
 * 100000), "max" or "max PERIOD"; microseconds.  The kernel wants the
 * quota at least 1000 and the period between 1000 and 1000000.
 */
int
pol_parse_cpu_max(const char *s, int64_t *quota, int64_t *period)
{
	const char	*sp;
	int64_t		 q, p = 100000;
	size_t		 qlen;

	sp = strchr(s, ' ');
	qlen = sp != NULL ? (size_t)(sp - s) : strlen(s);
	if (qlen == 3 && strncmp(s, "max", 3) == 0)
		q = POL_MAX;
	else if (parse_u64(s, qlen, &q) != 0 || q < 1000)
		return -EINVAL;
	if (sp != NULL) {
		while (*sp == ' ')
			sp++;
		if (parse_u64(sp, strlen(sp), &p) != 0 || p < 1000 ||
		    p > 1000000)
			return -EINVAL;
	}
	*quota = q;
	*period = p;
	return 0;
}

/* A capability's number from its name (cap_net_raw, NET_RAW); -EINVAL. */
int
pol_parse_cap(const char *s, int *cap)
{
	size_t	i;

	if (strncasecmp(s, "cap_", 4) == 0)
		s += 4;
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]) &&
	    (int)i <= CAP_LAST_CAP; i++) {
		if (strcasecmp(s, cap_names[i] + 4) == 0) {
			*cap = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The capability's name ("cap_net_raw"), or NULL if unknown. */
const char *
pol_cap_name(int cap)
{
	if (cap < 0 || cap > CAP_LAST_CAP ||
	    (size_t)cap >= sizeof(cap_names) / sizeof(cap_names[0]))
		return NULL;
	return cap_names[cap];
}

/* The namespace's name as in the config (and /proc/PID/ns). */
const char *
pol_ns_name(enum pol_ns ns)
{
	static const char *const names[POL_NS_COUNT] = {
		"pid", "net", "mnt", "uts", "ipc", "user", "cgroup", "time"
	};

	if ((unsigned)ns >= POL_NS_COUNT)
		return "?";
	return names[ns];
}

/* The trust signal's name as in the config. */
const char *
pol_metric_name(enum pol_metric m)
{
	switch (m) {
	case POL_METRIC_ERROR_RATE:
		return "error_rate";
	case POL_METRIC_LATENCY_P99:
		return "latency_p99";
	case POL_METRIC_SECURITY_EVENTS:
		return "security_events";
	}
	return "?";
}

/* The breathing action's name as in the config. */
const char *
pol_action_name(enum pol_action a)
{
	switch (a) {
	case POL_ACT_CONTRACT:
		return "contract";
	case POL_ACT_STRETCH:
		return "stretch";
	case POL_ACT_CONTRACT_HARD:
		return "contract_hard";
	}
	return "?";
}

/* The rupture mode's name as in the config. */
const char *
pol_rupture_name(enum pol_rupture r)
{
	switch (r) {
	case POL_RUPTURE_FAIL_CLOSED:
		return "fail-closed";
	case POL_RUPTURE_FAIL_OPEN:
		return "fail-open";
	case POL_RUPTURE_FAIL_LOUD:
		return "fail-loud";
	}
	return "?";
}

/* A name: letters, digits, - and _, 1..max characters; 0 or -EINVAL. */
int
pol_val_name(const char *s, size_t max)
{
	size_t	i;

	if (*s == '\0' || strlen(s) > max)
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return -EINVAL;
	return 0;
}

/* An IPv4 address, with "/PREFIX" (0..32) when prefix is not NULL. */
int
pol_val_ipv4(const char *s, int *prefix)
{
	char		 buf[INET_ADDRSTRLEN];
	const char	*slash = strchr(s, '/');
	struct in_addr	 a;
	int64_t		 p;
	size_t		 len;

	if ((prefix == NULL) != (slash == NULL))
		return -EINVAL;
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	if (slash != NULL) {
		if (parse_u64(slash + 1, strlen(slash + 1), &p) != 0 ||
		    p > 32 || strlen(slash + 1) > 2)
			return -EINVAL;
		*prefix = (int)p;
	}
	return 0;
}

/* A MAC address, six hex pairs separated by colons. */
int
pol_val_mac(const char *s)
{
	int	i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	}
	return 0;
}

/* The switch's uplink: none, af_xdp:IFACE[:QUEUE] or dpdk:EAL-ARGS. */
int
pol_val_uplink(const char *s)
{
	const char	*iface, *q;
	int64_t		 queue;
	size_t		 len;

	if (strcmp(s, "none") == 0)
		return 0;
	if (strncmp(s, "dpdk:", 5) == 0)
		return s[5] != '\0' ? 0 : -EINVAL;
	if (strncmp(s, "af_xdp:", 7) != 0)
		return -EINVAL;
	iface = s + 7;
	q = strchr(iface, ':');
	len = q != NULL ? (size_t)(q - iface) : strlen(iface);
	if (len == 0 || len >= IFNAMSIZ || memchr(iface, '/', len) != NULL)
		return -EINVAL;
	if (q != NULL && (parse_u64(q + 1, strlen(q + 1), &queue) != 0 ||
	    queue > INT_MAX))
		return -EINVAL;
	return 0;
}

/* A YAML boolean: true, false, yes, no, on, off (any case). */
int
pol_val_bool(const char *s, bool *b)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcasecmp(s, "on") == 0)
		*b = true;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcasecmp(s, "off") == 0)
		*b = false;
	else
		return -EINVAL;
	return 0;
}

/* A decimal integer within lo..hi. */
int
pol_val_int(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	int64_t	n;

	if (parse_u64(s, strlen(s), &n) != 0 || n < lo || n > hi)
		return -EINVAL;
	*v = n;
	return 0;
}

/* A user of this host, by name or number. */
int
pol_val_uid(const char *s, uid_t *uid)
{
	struct passwd	*pw;
	int64_t		 n;

	if (parse_u64(s, strlen(s), &n) == 0) {
		if (n > (int64_t)UINT32_MAX - 1)
			return -EINVAL;
		/* A number need not have a passwd entry; a name must. */
		*uid = (uid_t)n;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL)
		return -EINVAL;
	*uid = pw->pw_uid;
	return 0;
}

/* Append a copy of s (len bytes) with its line; 0 or -ENOMEM. */
int
pol_strv_add(struct pol_strv *sv, const char *s, size_t len, int line)
{
	char	**v;
	int	 *l;
	char	 *c;

	if ((c = strndup(s, len)) == NULL)
		return -ENOMEM;
	if ((v = reallocarray(sv->v, sv->n + 2, sizeof(*v))) == NULL) {
		free(c);
		return -ENOMEM;
	}
	sv->v = v;
	if ((l = reallocarray(sv->line, sv->n + 1, sizeof(*l))) == NULL) {
		free(c);
		return -ENOMEM;
	}
	sv->line = l;
	sv->v[sv->n] = c;
	sv->line[sv->n] = line;
	sv->n++;
	sv->v[sv->n] = NULL;	/* usable as an argv */
	return 0;
}

/* Free the strings and the arrays; the strv is empty again. */
void
pol_strv_free(struct pol_strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	free(sv->line);
	memset(sv, 0, sizeof(*sv));
}

/* Write "FILE:LINE: " and the message into err; returns -EINVAL. */
int
pol_errf(char *err, size_t errlen, const char *file, int line,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	if (line > 0)
		n = snprintf(err, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
