/* profile.c: a profile resolved for one service (extends, ${VAR:-default}). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/capability.h>

#include "config_pvt.h"

/* One resolution: the spec being built and what substitutions see. */
struct res {
	const struct pol_config	*cfg;
	const char		*service;
	char *const		*env;
	bool			 use_getenv;
	struct pol_spec		*spec;
	const struct pol_profile_src *src;	/* being applied */
	struct pol_strv		 lower, middle;
	bool			 degraded_set;
	int			 nest;		/* defaults within defaults */
	const char		*caps_file;	/* the last caps entry */
	int			 caps_line;
	char			*err;
	size_t			 errlen;
};

/* An error about the value at line of the profile being applied. */
#define rerr(r, line, ...) \
	pol_errf((r)->err, (r)->errlen, (r)->src->file, (line), __VA_ARGS__)

/* A variable for ${NAME}: env first, then (maybe) the process's; or NULL. */
static const char *
lookup(const struct res *r, const char *name, size_t len)
{
	char *const	*e;
	char		 buf[256];

	for (e = r->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	if (!r->use_getenv || len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return getenv(buf);
}

/* Whether c may be part of a variable's name. */
static bool
var_char(int c)
{
	return isalnum(c) || c == '_';
}

/*
 * Expand $SERVICE, ${SERVICE}, ${VAR} and ${VAR:-default} in s into *out
 * (malloc'd).  An unset or empty VAR takes the default, or "".  Any other
 * "$" is kept as it is.  0, or -EINVAL / -ENOMEM with err set.
 */
/* The "}" that closes the "${" before s, counting nested ones; or NULL. */
static const char *
brace_end(const char *s)
{
	int depth = 1;

	for (; *s != '\0'; s++) {
		if (s[0] == '$' && s[1] == '{') {
			depth++;
			s++;
		} else if (*s == '}' && --depth == 0)
			return s;
	}
	return NULL;
}

static int
subst(struct res *r, const char *s, int line, const char *path, char **out)
{
	const char	*p, *end, *name, *def, *val;
	size_t		 nlen, dlen, size;
	FILE		*f;
	char		*buf;

	if ((f = open_memstream(&buf, &size)) == NULL)
		return -ENOMEM;
	for (p = s; *p != '\0'; p++) {
		if (*p != '$') {
			fputc(*p, f);
			continue;
		}
		if (strncmp(p + 1, "SERVICE", 7) == 0 &&
		    !var_char((unsigned char)p[8])) {
			fputs(r->service, f);
			p += 7;
			continue;
		}
		if (p[1] != '{') {
			fputc(*p, f);
			continue;
		}
		name = p + 2;
		if ((end = brace_end(name)) == NULL) {
			fclose(f);
			free(buf);
			return rerr(r, line, "%s: \"%s\": ${ without }", path,
			    s);
		}
		for (nlen = 0; var_char((unsigned char)name[nlen]); nlen++)
			;
		def = NULL;
		dlen = 0;
		if (name + nlen != end) {
			if (strncmp(name + nlen, ":-", 2) != 0 || nlen == 0 ||
			    isdigit((unsigned char)*name)) {
				fclose(f);
				free(buf);
				return rerr(r, line, "%s: \"%.*s\" is not "
				    "${VAR} or ${VAR:-default}", path,
				    (int)(end - p + 1), p);
			}
			def = name + nlen + 2;
			dlen = (size_t)(end - def);
		} else if (nlen == 0 || isdigit((unsigned char)*name)) {
			fclose(f);
			free(buf);
			return rerr(r, line, "%s: \"%.*s\" is not ${VAR} or "
			    "${VAR:-default}", path, (int)(end - p + 1), p);
		}
		if (nlen == 7 && strncmp(name, "SERVICE", 7) == 0)
			val = r->service;
		else
			val = lookup(r, name, nlen);
		if (val != NULL && *val != '\0')
			fputs(val, f);
		else if (def != NULL) {
			/* A default is substituted too: ${A:-/srv/$SERVICE}. */
			char *d, *dv;
			int rc;

			if (r->nest == 8) {
				fclose(f);
				free(buf);
				return rerr(r, line, "%s: \"%s\": defaults nest "
				    "deeper than 8", path, s);
			}
			if ((d = strndup(def, dlen)) == NULL) {
				fclose(f);
				free(buf);
				return -ENOMEM;
			}
			r->nest++;
			rc = subst(r, d, line, path, &dv);
			r->nest--;
			free(d);
			if (rc != 0) {
				fclose(f);
				free(buf);
				return rc;
			}
			fputs(dv, f);
			free(dv);
		}
		p = end;
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

/* Add the words of s split at any of seps to sv; 0 or -ENOMEM. */
static int
split(struct pol_strv *sv, const char *s, const char *seps, int line)
{
	size_t	n;

	for (;;) {
		s += strspn(s, seps);
		if (*s == '\0')
			return 0;
		n = strcspn(s, seps);
		if (pol_strv_add(sv, s, n, line) != 0)
			return -ENOMEM;
		s += n;
	}
}

/*
 * The words of a list entry after substitution: each item of a YAML list,
 * or one string split at seps; empty items dropped.
 */
static int
entry_words(struct res *r, const struct pol_entry *e, const char *seps,
    struct pol_strv *out)
{
	char	*s;
	size_t	 i;
	int	 err;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < e->val.n; i++) {
		if ((err = subst(r, e->val.v[i], e->val.line[i], e->key->path,
		    &s)) != 0)
			goto fail;
		if (e->list && *s != '\0')
			err = pol_strv_add(out, s, strlen(s), e->val.line[i]);
		else if (!e->list)
			err = split(out, s, seps, e->val.line[i]);
		free(s);
		if (err != 0)
			goto fail;
	}
	return 0;
fail:
	pol_strv_free(out);
	return err;
}

/* A namespace's mode: private, per-service, shared, mapped, shared-with-X. */
static int
apply_ns(struct res *r, const struct pol_entry *e, enum pol_ns ns,
    const char *s)
{
	struct pol_spec	*sp = r->spec;
	const char	*with;

	if (strcmp(s, "private") == 0 || strcmp(s, "per-service") == 0 ||
	    strcmp(s, "private-with-debug") == 0)
		sp->ns[ns] = POL_NSM_PRIVATE;
	else if (strcmp(s, "shared") == 0)
		sp->ns[ns] = POL_NSM_SHARED;
	else if (strcmp(s, "mapped") == 0) {
		if (ns != POL_NS_USER)
			return rerr(r, e->line, "%s: mapped is only for the "
			    "user namespace", e->key->path);
		sp->ns[ns] = POL_NSM_MAPPED;
	} else if (strncmp(s, "shared-with-", 12) == 0 && s[12] != '\0') {
		with = s + 12;
		if (!pol_profile_exists(r->cfg, with))
			return rerr(r, e->line, "%s: no profile \"%s\" to share "
			    "with", e->key->path, with);
		sp->ns[ns] = POL_NSM_WITH;
		snprintf(sp->ns_with[ns], sizeof(sp->ns_with[ns]), "%s", with);
	} else
		return rerr(r, e->line, "%s: \"%s\" is not private, "
		    "per-service, private-with-debug, shared, mapped or "
		    "shared-with-PROFILE", e->key->path, s);
	if (sp->ns[ns] != POL_NSM_WITH)
		sp->ns_with[ns][0] = '\0';
	return 0;
}

/* A size or max, at least min bytes; empty leaves it unset. */
static int
apply_size(struct res *r, const struct pol_entry *e, const char *s,
    int64_t min, int64_t *v)
{
	if (*s == '\0')
		*v = POL_UNSET;
	else if (pol_parse_size(s, v) != 0)
		return rerr(r, e->line, "%s: \"%s\" is not a size", e->key->path,
		    s);
	else if (*v != POL_MAX && *v < min)
		return rerr(r, e->line, "%s: \"%s\" is below %lld bytes",
		    e->key->path, s, (long long)min);
	return 0;
}

/* An integer within lo..hi (or max, if allow_max); empty leaves it unset. */
static int
apply_int(struct res *r, const struct pol_entry *e, const char *s,
    int64_t lo, int64_t hi, bool allow_max, const char *what, int64_t *v)
{
	if (*s == '\0')
		*v = POL_UNSET;
	else if (allow_max && strcmp(s, "max") == 0)
		*v = POL_MAX;
	else if (pol_val_int(s, lo, hi, v) != 0)
		return rerr(r, e->line, "%s: \"%s\" is not %s", e->key->path, s,
		    what);
	return 0;
}

/* A capability set from a list; sets *mask. */
static int
apply_caps(struct res *r, const struct pol_entry *e, uint64_t *mask)
{
	struct pol_strv	w;
	uint64_t	m = 0;
	size_t		i;
	int		err, cap;

	if ((err = entry_words(r, e, ", \t", &w)) != 0)
		return err;
	for (i = 0; i < w.n; i++) {
		if (pol_parse_cap(w.v[i], &cap) != 0) {
			err = rerr(r, w.line[i], "%s: \"%s\" is not a "
			    "capability", e->key->path, w.v[i]);
			pol_strv_free(&w);
			return err;
		}
		m |= 1ULL << cap;
	}
	pol_strv_free(&w);
	*mask = m;
	r->caps_file = r->src->file;
	r->caps_line = e->line;
	return 0;
}

/* seccomp: default-restrict, permissive, none or a policy file. */
static int
apply_seccomp(struct res *r, const struct pol_entry *e, const char *s)
{
	struct pol_spec	*sp = r->spec;
	int		 n;

	if (strcmp(s, "default-restrict") == 0)
		sp->seccomp = POL_SC_DEFAULT_RESTRICT;
	else if (strcmp(s, "permissive") == 0)
		sp->seccomp = POL_SC_PERMISSIVE;
	else if (strcmp(s, "none") == 0)
		sp->seccomp = POL_SC_NONE;
	else if (*s == '/' || strncmp(s, "./", 2) == 0 ||
	    strncmp(s, "../", 3) == 0) {
		/* Relative to the config's directory, not the agent's cwd;
		   a built-in profile has none. */
		if (*s != '/' && strcmp(r->src->file, POL_BUILTIN_FILE) == 0)
			return rerr(r, e->line, "%s: \"%s\": a relative path "
			    "has no config file to be relative to here; give "
			    "it whole", e->key->path, s);
		if (*s == '/')
			n = snprintf(sp->seccomp_file, sizeof(sp->seccomp_file),
			    "%s", s);
		else
			n = snprintf(sp->seccomp_file, sizeof(sp->seccomp_file),
			    "%s/%s", strcmp(r->src->dir, "/") == 0 ? "" :
			    r->src->dir, s);
		if (n < 0 || (size_t)n >= sizeof(sp->seccomp_file))
			return rerr(r, e->line, "%s: the path is too long",
			    e->key->path);
		sp->seccomp = POL_SC_FILE;
	} else
		return rerr(r, e->line, "%s: \"%s\" is not default-restrict, "
		    "permissive, none or a policy file (/PATH or ./PATH)",
		    e->key->path, s);
	if (sp->seccomp != POL_SC_FILE)
		sp->seccomp_file[0] = '\0';
	return 0;
}

/* A list of absolute paths (or volumes "HOST:INSIDE[:ro]") into *out. */
static int
apply_paths(struct res *r, const struct pol_entry *e, bool volumes,
    struct pol_strv *out)
{
	struct pol_strv	 w;
	const char	*c1, *c2;
	size_t		 i;
	int		 err;

	if ((err = entry_words(r, e, volumes ? ", \t" : ",: \t", &w)) != 0)
		return err;
	for (i = 0; i < w.n; i++) {
		if (!volumes && w.v[i][0] != '/') {
			err = rerr(r, w.line[i], "%s: \"%s\" is not an absolute "
			    "path", e->key->path, w.v[i]);
			goto fail;
		}
		if (!volumes)
			continue;
		c1 = strchr(w.v[i], ':');
		c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (w.v[i][0] != '/' || c1 == NULL || c1[1] != '/' ||
		    (c2 != NULL && strcmp(c2, ":ro") != 0 &&
		    strcmp(c2, ":rw") != 0)) {
			err = rerr(r, w.line[i], "%s: \"%s\" is not "
			    "HOST:INSIDE[:ro] with absolute paths",
			    e->key->path, w.v[i]);
			goto fail;
		}
	}
	pol_strv_free(out);
	*out = w;
	return 0;
fail:
	pol_strv_free(&w);
	return err;
}

/* A threshold in the metric's unit (ms for latency). */
static int
parse_threshold(enum pol_metric m, const char *s, double *v)
{
	char	*end;
	int64_t	 ms;

	if (*s == '\0')
		return -EINVAL;
	*v = strtod(s, &end);
	if (*end == '\0' && *v >= 0) {
		if (m == POL_METRIC_ERROR_RATE && *v > 1)
			return -EINVAL;
		return 0;
	}
	if (m == POL_METRIC_LATENCY_P99 && pol_parse_duration(s, &ms) == 0) {
		*v = (double)ms;
		return 0;
	}
	return -EINVAL;
}

/* breathing.trust_signals: three strings per signal. */
static int
apply_signals(struct res *r, const struct pol_entry *e)
{
	static const char *const what[] = {
		[POL_METRIC_ERROR_RATE] = "an error rate (0..1)",
		[POL_METRIC_LATENCY_P99] = "a latency (100ms, or ms)",
		[POL_METRIC_SECURITY_EVENTS] = "a count of events"
	};
	struct pol_breathing	*br = &r->spec->br;
	struct pol_signal	*sig;
	char			*v[3];
	size_t			 i, j, n = e->val.n / 3;
	int			 err = 0;

	sig = n > 0 ? calloc(n, sizeof(*sig)) : NULL;
	if (n > 0 && sig == NULL)
		return -ENOMEM;
	for (i = 0; i < n && err == 0; i++) {
		memset(v, 0, sizeof(v));
		for (j = 0; j < 3 && err == 0; j++)
			err = subst(r, e->val.v[i * 3 + j],
			    e->val.line[i * 3 + j], e->key->path, &v[j]);
		if (err != 0)
			goto next;
		sig[i].line = e->sigline[i];
		if (strcmp(v[0], "error_rate") == 0)
			sig[i].metric = POL_METRIC_ERROR_RATE;
		else if (strcmp(v[0], "latency_p99") == 0)
			sig[i].metric = POL_METRIC_LATENCY_P99;
		else if (strcmp(v[0], "security_events") == 0)
			sig[i].metric = POL_METRIC_SECURITY_EVENTS;
		else {
			err = rerr(r, e->val.line[i * 3], "%s[%zu].metric: "
			    "\"%s\" is not error_rate, latency_p99 or "
			    "security_events", e->key->path, i, v[0]);
			goto next;
		}
		if (parse_threshold(sig[i].metric, v[1],
		    &sig[i].threshold) != 0) {
			err = rerr(r, e->val.line[i * 3 + 1], "%s[%zu]."
			    "threshold: \"%s\" is not %s", e->key->path, i,
			    v[1], what[sig[i].metric]);
			goto next;
		}
		if (strcmp(v[2], "contract") == 0)
			sig[i].action = POL_ACT_CONTRACT;
		else if (strcmp(v[2], "stretch") == 0)
			sig[i].action = POL_ACT_STRETCH;
		else if (strcmp(v[2], "contract_hard") == 0)
			sig[i].action = POL_ACT_CONTRACT_HARD;
		else
			err = rerr(r, e->val.line[i * 3 + 2], "%s[%zu].action: "
			    "\"%s\" is not contract, stretch or contract_hard",
			    e->key->path, i, v[2]);
next:
		for (j = 0; j < 3; j++)
			free(v[j]);
	}
	if (err != 0) {
		free(sig);
		return err;
	}
	free(br->sig);
	br->sig = sig;
	br->nsig = n;
	return 0;
}

/* Apply one scalar entry, its value substituted, to the spec. */
static int
apply_value(struct res *r, const struct pol_entry *e, const char *s)
{
	struct pol_spec		*sp = r->spec;
	struct pol_limits	*lim = &sp->lim;
	struct pol_elastic	*el = &sp->el;
	int			 f = e->key->field;
	bool			 b;

	if (f >= POL_F_NS && f < POL_F_NS + POL_NS_COUNT) {
		if (*s == '\0')
			return rerr(r, e->line, "%s: is empty", e->key->path);
		return apply_ns(r, e, (enum pol_ns)(f - POL_F_NS), s);
	}
	switch (f) {
	case POL_F_MEM_MAX:
		return apply_size(r, e, s, 4096, &lim->memory_max);
	case POL_F_MEM_HIGH:
		return apply_size(r, e, s, 4096, &lim->memory_high);
	case POL_F_SWAP_MAX:
		return apply_size(r, e, s, 0, &lim->memory_swap_max);
	case POL_F_CPU_WEIGHT:
		return apply_int(r, e, s, 1, 10000, false,
		    "a weight (1..10000)", &lim->cpu_weight);
	case POL_F_IO_WEIGHT:
		return apply_int(r, e, s, 1, 10000, false,
		    "a weight (1..10000)", &lim->io_weight);
	case POL_F_PIDS_MAX:
		/* The kernel's PID_MAX_LIMIT is the most pids.max takes. */
		return apply_int(r, e, s, 1, 4194304, true,
		    "a count (1..4194304) or max", &lim->pids_max);
	case POL_F_CPU_MAX:
		if (*s == '\0') {
			lim->cpu_quota_us = lim->cpu_period_us = POL_UNSET;
			return 0;
		}
		if (pol_parse_cpu_max(s, &lim->cpu_quota_us,
		    &lim->cpu_period_us) != 0)
			return rerr(r, e->line, "%s: \"%s\" is not \"QUOTA "
			    "PERIOD\", max or \"max PERIOD\" (microseconds, "
			    "1000 or more)", e->key->path, s);
		return 0;
	case POL_F_SECCOMP:
		return apply_seccomp(r, e, s);
	case POL_F_FS_ROOT:
		if (strcmp(s, "overlay") == 0)
			sp->fs.overlay = true;
		else if (strcmp(s, "host") == 0)
			sp->fs.overlay = false;
		else
			return rerr(r, e->line, "%s: \"%s\" is not overlay or "
			    "host", e->key->path, s);
		return 0;
	case POL_F_EL_MEM_SOFT:
		return apply_size(r, e, s, 4096, &el->mem_soft);
	case POL_F_EL_MEM_HARD:
		return apply_size(r, e, s, 4096, &el->mem_hard);
	case POL_F_EL_CPU_SHARES:
		return apply_int(r, e, s, 2, 262144, false,
		    "a count of shares (2..262144)", &el->cpu_shares);
	case POL_F_EL_CPU_BURST:
		return apply_int(r, e, s, 2, 262144, false,
		    "a count of shares (2..262144)", &el->cpu_burst);
	case POL_F_EL_IO_WEIGHT:
		return apply_int(r, e, s, 1, 10000, false,
		    "a weight (1..10000)", &el->io_weight);
	case POL_F_EL_IO_BURST_WEIGHT:
		return apply_int(r, e, s, 1, 10000, false,
		    "a weight (1..10000)", &el->io_burst_weight);
	case POL_F_EL_BURST_DURATION:
	case POL_F_BR_INTERVAL:
		if (*s == '\0') {
			if (f == POL_F_BR_INTERVAL)
				sp->br.interval_ms = 0;
			else
				el->burst_ms = POL_UNSET;
			return 0;
		}
		if (pol_parse_duration(s, f == POL_F_BR_INTERVAL ?
		    &sp->br.interval_ms : &el->burst_ms) != 0)
			return rerr(r, e->line, "%s: \"%s\" is not a duration "
			    "(like 100ms, 30s, 5m, 1h)", e->key->path, s);
		return 0;
	case POL_F_EL_OOM_KILL:
	case POL_F_DEGRADED:
		if (pol_val_bool(s, &b) != 0)
			return rerr(r, e->line, "%s: \"%s\" is not true or "
			    "false", e->key->path, s);
		if (f == POL_F_EL_OOM_KILL)
			el->oom_kill = b;
		else {
			sp->degraded_ok = b;
			r->degraded_set = true;
		}
		return 0;
	case POL_F_RUPTURE:
		if (strcmp(s, "fail-closed") == 0)
			sp->rupture = POL_RUPTURE_FAIL_CLOSED;
		else if (strcmp(s, "fail-open") == 0)
			sp->rupture = POL_RUPTURE_FAIL_OPEN;
		else if (strcmp(s, "fail-loud") == 0)
			sp->rupture = POL_RUPTURE_FAIL_LOUD;
		else
			return rerr(r, e->line, "%s: \"%s\" is not fail-closed, "
			    "fail-open or fail-loud", e->key->path, s);
		return 0;
	}
	return rerr(r, e->line, "%s: not a value", e->key->path);
}

/* Apply one entry of the profile being applied. */
static int
apply_entry(struct res *r, const struct pol_entry *e)
{
	struct pol_spec	*sp = r->spec;
	char		*s;
	int		 err;

	switch (e->key->field) {
	case POL_F_CAP_BOUNDING:
		return apply_caps(r, e, &sp->cap_bounding);
	case POL_F_CAP_AMBIENT:
		return apply_caps(r, e, &sp->cap_ambient);
	case POL_F_FS_LOWER:
		return apply_paths(r, e, false, &r->lower);
	case POL_F_FS_MIDDLE:
		return apply_paths(r, e, false, &r->middle);
	case POL_F_FS_WRITABLE:
		return apply_paths(r, e, false, &sp->fs.writable);
	case POL_F_FS_READ_ONLY:
		return apply_paths(r, e, false, &sp->fs.read_only);
	case POL_F_FS_HIDDEN:
		return apply_paths(r, e, false, &sp->fs.hidden);
	case POL_F_FS_VOLUMES:
		return apply_paths(r, e, true, &sp->fs.volumes);
	case POL_F_BR_SIGNALS:
		return apply_signals(r, e);
	}
	if ((err = subst(r, e->val.v[0], e->line, e->key->path, &s)) != 0)
		return err;
	err = apply_value(r, e, s);
	free(s);
	return err;
}

/* The spec every profile starts from: no membrane at all. */
static void
spec_init(struct pol_spec *sp, const struct pol_profile_src *src)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->profile, sizeof(sp->profile), "%s", src->name);
	sp->lim.memory_max = sp->lim.memory_high = POL_UNSET;
	sp->lim.memory_swap_max = sp->lim.cpu_weight = POL_UNSET;
	sp->lim.cpu_quota_us = sp->lim.cpu_period_us = POL_UNSET;
	sp->lim.pids_max = sp->lim.io_weight = POL_UNSET;
	sp->cap_bounding = CAP_LAST_CAP >= 63 ? ~0ULL :
	    (1ULL << (CAP_LAST_CAP + 1)) - 1;
	sp->el.mem_soft = sp->el.mem_hard = POL_UNSET;
	sp->el.cpu_shares = sp->el.cpu_burst = POL_UNSET;
	sp->el.burst_ms = POL_UNSET;
	sp->el.io_weight = sp->el.io_burst_weight = POL_UNSET;
	sp->rupture = POL_RUPTURE_FAIL_CLOSED;
	sp->file = src->file;
	sp->line = src->line;
}

/* The profile named name: the config's, else a built-in; or NULL. */
const struct pol_profile_src *
pol_profile_find(const struct pol_config *cfg, const char *name)
{
	const struct pol_config	*b;
	size_t			 i;

	for (i = 0; cfg != NULL && i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	if ((b = pol_profile_builtin(NULL, 0)) == NULL || b == cfg)
		return NULL;
	for (i = 0; i < b->nprofiles; i++)
		if (strcmp(b->profiles[i].name, name) == 0)
			return &b->profiles[i];
	return NULL;
}

/* Whether name is a profile (built-in or the config's). */
bool
pol_profile_exists(const struct pol_config *cfg, const char *name)
{
	return pol_profile_is_builtin(name) ||
	    pol_profile_find(cfg, name) != NULL;
}

/* Resolve as pol_profile_resolve, falling back on getenv if use_getenv. */
int
pol_profile_resolve_env(const struct pol_config *cfg, const char *profile,
    const char *service, char *const env[], bool use_getenv,
    struct pol_spec *out, char *err, size_t errlen)
{
	const struct pol_profile_src	*chain[POL_EXTENDS_MAX], *src;
	struct res			 r;
	size_t				 n = 0, i, j;
	uint64_t			 extra;
	int				 rc = 0, cap;

	memset(out, 0, sizeof(*out));
	for (src = pol_profile_find(cfg, profile); src != NULL;
	    src = src->extends[0] != '\0' ?
	    pol_profile_find(cfg, src->extends) : NULL) {
		if (n == POL_EXTENDS_MAX)
			return pol_errf(err, errlen, src->file,
			    src->extends_line, "extends: more than %d "
			    "profiles deep", POL_EXTENDS_MAX);
		chain[n++] = src;
	}
	if (n == 0) {
		snprintf(err, errlen, "no profile \"%s\"", profile);
		return -ENOENT;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.service = service;
	r.env = env;
	r.use_getenv = use_getenv;
	r.spec = out;
	r.err = err;
	r.errlen = errlen;
	spec_init(out, chain[0]);
	/* The base first, then each profile over it, key by key. */
	for (i = n; i-- > 0 && rc == 0;) {
		r.src = chain[i];
		for (j = 0; j < chain[i]->nent && rc == 0; j++)
			rc = apply_entry(&r, &chain[i]->ent[j]);
	}
	if (rc == 0 && (extra = out->cap_ambient & ~out->cap_bounding) != 0) {
		for (cap = 0; !(extra & (1ULL << cap)); cap++)
			;
		rc = pol_errf(err, errlen, r.caps_file, r.caps_line,
		    "capabilities.ambient: %s is not in the bounding set",
		    pol_cap_name(cap));
	}
	/* Middle layers sit above the lower ones: top first. */
	for (i = 0; rc == 0 && i < r.middle.n + r.lower.n; i++) {
		if (i < r.middle.n)
			rc = pol_strv_add(&out->fs.lower, r.middle.v[i],
			    strlen(r.middle.v[i]), r.middle.line[i]);
		else
			rc = pol_strv_add(&out->fs.lower,
			    r.lower.v[i - r.middle.n],
			    strlen(r.lower.v[i - r.middle.n]),
			    r.lower.line[i - r.middle.n]);
	}
	/* Paths that fail for memory alone leave no message: say it. */
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	pol_strv_free(&r.middle);
	pol_strv_free(&r.lower);
	if (!r.degraded_set && cfg != NULL)
		out->degraded_ok = cfg->degraded_ok;
	if (rc != 0)
		pol_spec_free(out);
	return rc;
}

/* Resolve profile for service; see policy.h. */
int
pol_profile_resolve(const struct pol_config *cfg, const char *profile,
    const char *service, char *const env[], struct pol_spec *out,
    char *err, size_t errlen)
{
	return pol_profile_resolve_env(cfg, profile, service, env, true, out,
	    err, errlen);
}

/* Free what a resolved spec holds; the spec is zeroed. */
void
pol_spec_free(struct pol_spec *spec)
{
	pol_strv_free(&spec->fs.lower);
	pol_strv_free(&spec->fs.writable);
	pol_strv_free(&spec->fs.read_only);
	pol_strv_free(&spec->fs.hidden);
	pol_strv_free(&spec->fs.volumes);
	free(spec->br.sig);
	memset(spec, 0, sizeof(*spec));
}
