/* cgroup_v2.c: the cgroup v2 backend (one unified hierarchy). */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "cgroup_pvt.h"

/* The controllers in bits as a subtree_control line: "+memory +cpu". */
static void
v2_ctl_line(unsigned bits, char *buf, size_t len)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} c[] = {
		{ CG_C_MEMORY, "memory" }, { CG_C_CPU, "cpu" },
		{ CG_C_PIDS, "pids" }, { CG_C_IO, "io" }
	};
	size_t	i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if ((bits & c[i].bit) == 0)
			continue;
		snprintf(buf + used, len - used, "%s+%s", used > 0 ? " " : "",
		    c[i].name);
		used = strlen(buf);
	}
}

/*
 * v2 lets a cgroup hand controllers to its children only while it has no
 * processes of its own (the no-internal-process rule).  If our own cgroup
 * is not the root and holds processes, move ourselves into a leaf
 * "<own>/membrane/agent" first, as systemd's delegation model expects of
 * a delegated service; others left behind make the enable fail (EBUSY).
 */
static int
v2_leave_own(const struct pol_cg_host *host, const char *own, char *err,
    size_t errlen)
{
	char	dir[POL_PATH_MAX], pid[32];
	int	rc;

	if (strcmp(host->v2_self, "/") == 0)
		return 0;
	if ((rc = cgroup_procs_empty(own)) != 0) {
		if (rc < 0)
			cgroup_err(err, errlen, "cgroup: %s/cgroup.procs: %s",
			    own, strerror(-rc));
		return rc < 0 ? rc : 0;
	}
	if (snprintf(dir, sizeof(dir), "%s/membrane/agent", own) >=
	    (int)sizeof(dir)) {
		cgroup_err(err, errlen, "cgroup: %s/membrane/agent: %s", own,
		    strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		cgroup_err(err, errlen, "cgroup: mkdir %s: %s", dir,
		    strerror(-rc));
		return rc;
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if ((rc = cgroup_write(dir, "cgroup.procs", pid)) != 0) {
		cgroup_err(err, errlen, "cgroup: moving the agent into %s: %s",
		    dir, strerror(-rc));
		return rc;
	}
	return 0;
}

/* Make the service's cgroup and hand it the controllers we use. */
static int
v2_create(struct pol_cg *cg, const struct pol_cg_host *host,
    const char *slice, const char *name, char *err, size_t errlen)
{
	char		*own = cg->own[0], level[POL_PATH_MAX], line[64];
	unsigned	 bits = 0;
	int		 i, rc;

	if ((rc = cgroup_own(host->v2_mount, host->v2_self, own,
	    POL_PATH_MAX)) != 0) {
		cgroup_err(err, errlen, "cgroup: %s: %s", host->v2_self,
		    strerror(-rc));
		return rc;
	}
	(void)cgroup_controllers(own, &bits);
	if ((rc = cgroup_mkpath(own, slice, name, cg->dir[0],
	    POL_PATH_MAX)) != 0) {
		cgroup_err(err, errlen, "cgroup: mkdir %s: %s", cg->dir[0],
		    rc == -EBUSY ? "it exists and holds processes" :
		    strerror(-rc));
		return rc;
	}
	cg->made[0] = true;
	cg->ctl = bits;
	if (bits == 0)
		return 0;
	if ((rc = v2_leave_own(host, own, err, errlen)) != 0)
		goto fail;
	/*
	 * Enable top-down: our cgroup, membrane, the slice; each child's
	 * cgroup.controllers is what its parent enabled, so one set serves.
	 */
	v2_ctl_line(bits, line, sizeof(line));
	for (i = 0; i < 3; i++) {
		if (i == 0)
			rc = cgroup_copy(level, own, sizeof(level));
		else if (i == 1)
			rc = snprintf(level, sizeof(level), "%s/membrane",
			    own) < (int)sizeof(level) ? 0 : -ENAMETOOLONG;
		else
			rc = snprintf(level, sizeof(level), "%s/membrane/%s",
			    own, slice) < (int)sizeof(level) ? 0 :
			    -ENAMETOOLONG;
		if (rc == 0)
			rc = cgroup_write(level, "cgroup.subtree_control",
			    line);
		if (rc != 0) {
			cgroup_err(err, errlen, "cgroup: %s/cgroup."
			    "subtree_control: \"%s\": %s", level, line,
			    strerror(-rc));
			goto fail;
		}
	}
	return 0;
fail:
	cgroup_rmpath(own, cg->dir[0]);
	cg->made[0] = false;
	return rc;
}

/* Whether limit can be set here: its controller and its file. */
static bool
v2_can(struct pol_cg *cg, struct cgroup_gaps *g, const char *limit,
    unsigned bit, const char *ctl, const char *file)
{
	/* Our cgroup lists what its parent delegated, not all the host has. */
	if ((cg->ctl & bit) == 0) {
		cgroup_gap(g, limit, "no %s controller was delegated to our "
		    "cgroup", ctl);
		return false;
	}
	if (!cgroup_has(cg->dir[0], file)) {
		cgroup_gap(g, limit, "this host's %s controller has no %s",
		    ctl, file);
		return false;
	}
	return true;
}

/* Write one limit file; err names it on failure. */
static int
v2_set(struct pol_cg *cg, const char *file, const char *val, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = cgroup_write(cg->dir[0], file, val)) != 0)
		cgroup_err(err, errlen, "cgroup: %s/%s: \"%s\": %s",
		    cg->dir[0], file, val, strerror(-rc));
	return rc;
}

/* A value as v2 files take it: a number, or "max". */
static void
v2_val(int64_t v, char *buf, size_t len)
{
	if (v == POL_MAX)
		(void)cgroup_copy(buf, "max", len);
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* Check everything, then write, so a refused apply changes nothing. */
static int
v2_apply(struct pol_cg *cg, const struct pol_limits *lim, bool degraded_ok,
    char *err, size_t errlen)
{
	struct cgroup_gaps	 g;
	char			 v[64], q[32];
	const char		*dir = cg->dir[0];
	bool			 mem_max = false, mem_high = false,
				 swap = false, weight = false, cmax = false,
				 pids = false, io = false;
	int64_t			 cur, period;
	int			 rc;

	memset(&g, 0, sizeof(g));
	if (lim->memory_max != POL_UNSET)
		mem_max = v2_can(cg, &g, "memory.max", CG_C_MEMORY, "memory",
		    "memory.max");
	if (lim->memory_high != POL_UNSET)
		mem_high = v2_can(cg, &g, "memory.high", CG_C_MEMORY,
		    "memory", "memory.high");
	if (lim->memory_swap_max != POL_UNSET)
		swap = v2_can(cg, &g, "memory.swap.max", CG_C_MEMORY,
		    "memory", "memory.swap.max");
	if (lim->cpu_weight != POL_UNSET)
		weight = v2_can(cg, &g, "cpu.weight", CG_C_CPU, "cpu",
		    "cpu.weight");
	/* A period alone means nothing: cpu.max is set with a quota. */
	if (lim->cpu_quota_us != POL_UNSET)
		cmax = v2_can(cg, &g, "cpu.max", CG_C_CPU, "cpu", "cpu.max");
	if (lim->pids_max != POL_UNSET)
		pids = v2_can(cg, &g, "pids.max", CG_C_PIDS, "pids",
		    "pids.max");
	if (lim->io_weight != POL_UNSET)
		io = v2_can(cg, &g, "io.weight", CG_C_IO, "io", "io.weight");

	/* Hard limits never go below what is in use (memory.high may). */
	if (mem_max && cgroup_read_int(dir, "memory.current", &cur) == 0 &&
	    (rc = cgroup_below("memory.max", lim->memory_max, cur, err,
	    errlen)) != 0)
		return rc;
	if (pids && cgroup_read_int(dir, "pids.current", &cur) == 0 &&
	    (rc = cgroup_below("pids.max", lim->pids_max, cur, err,
	    errlen)) != 0)
		return rc;
	if ((rc = cgroup_gaps_end(&g, degraded_ok, err, errlen)) != 0)
		return rc;

	/* err now holds the degraded list (or ""); keep it on success. */
	if (swap) {
		v2_val(lim->memory_swap_max, v, sizeof(v));
		if ((rc = v2_set(cg, "memory.swap.max", v, err, errlen)) != 0)
			return rc;
	}
	if (mem_high) {
		v2_val(lim->memory_high, v, sizeof(v));
		if ((rc = v2_set(cg, "memory.high", v, err, errlen)) != 0)
			return rc;
	}
	if (mem_max) {
		v2_val(lim->memory_max, v, sizeof(v));
		if ((rc = v2_set(cg, "memory.max", v, err, errlen)) != 0)
			return rc;
	}
	if (weight) {
		v2_val(lim->cpu_weight, v, sizeof(v));
		if ((rc = v2_set(cg, "cpu.weight", v, err, errlen)) != 0)
			return rc;
	}
	if (cmax) {
		period = lim->cpu_period_us;
		if (period == POL_UNSET)
			period = 100000;	/* the kernel's default */
		v2_val(lim->cpu_quota_us, q, sizeof(q));
		snprintf(v, sizeof(v), "%s %lld", q, (long long)period);
		if ((rc = v2_set(cg, "cpu.max", v, err, errlen)) != 0)
			return rc;
	}
	if (pids) {
		v2_val(lim->pids_max, v, sizeof(v));
		if ((rc = v2_set(cg, "pids.max", v, err, errlen)) != 0)
			return rc;
	}
	if (io) {
		snprintf(v, sizeof(v), "default %lld",
		    (long long)lim->io_weight);
		if ((rc = v2_set(cg, "io.weight", v, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* What is in use, and the limits as the files now say. */
static int
v2_usage(struct pol_cg *cg, struct pol_cg_usage *u)
{
	const char	*dir = cg->dir[0];
	char		 buf[128], *sp;
	int64_t		 v;

	(void)cgroup_read_int(dir, "memory.current", &u->memory_current);
	/* memory.peak came with Linux 5.19. */
	(void)cgroup_read_int(dir, "memory.peak", &u->memory_peak);
	if (cgroup_read_key(dir, "cpu.stat", "usage_usec", &v) == 0)
		u->cpu_usage_us = v;
	(void)cgroup_read_int(dir, "pids.current", &u->pids_current);
	if (cgroup_read_key(dir, "memory.events", "oom_kill", &v) == 0)
		u->oom_kills = v;

	(void)cgroup_read_int(dir, "memory.max", &u->lim.memory_max);
	(void)cgroup_read_int(dir, "memory.high", &u->lim.memory_high);
	(void)cgroup_read_int(dir, "memory.swap.max",
	    &u->lim.memory_swap_max);
	(void)cgroup_read_int(dir, "cpu.weight", &u->lim.cpu_weight);
	if (cgroup_read(dir, "cpu.max", buf, sizeof(buf)) > 0 &&
	    (sp = strchr(buf, ' ')) != NULL) {
		sp++;
		if (cgroup_read_int(dir, "cpu.max", &u->lim.cpu_quota_us) != 0)
			u->lim.cpu_quota_us = POL_UNSET;
		u->lim.cpu_period_us = strtoll(sp, NULL, 10);
	}
	(void)cgroup_read_int(dir, "pids.max", &u->lim.pids_max);
	if (cgroup_read_key(dir, "io.weight", "default", &v) == 0)
		u->lim.io_weight = v;
	return 0;
}

/* cgroup.kill (Linux 5.14) kills the whole cgroup at once. */
static int
v2_kill(struct pol_cg *cg)
{
	if (!cgroup_has(cg->dir[0], "cgroup.kill"))
		return -EOPNOTSUPP;
	return cgroup_write(cg->dir[0], "cgroup.kill", "1");
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.apply = v2_apply,
	.usage = v2_usage,
	.kill = v2_kill
};
