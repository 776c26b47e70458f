/*
 * cgroup_v1.c: the v1 (and hybrid) backend: one hierarchy per controller,
 * the v2 limits translated to v1's files.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "cgroup_pvt.h"

/* v1 memory files show "no limit" as a huge number; compare as this. */
#define V1_UNLIMITED	INT64_MAX

/*
 * Make the service's cgroup in every hierarchy this host has.
 * XXX: memory.use_hierarchy is not checked: it is 1 by default and cannot
 * be cleared since Linux 5.x; an older host that cleared it in a parent
 * would bound each level on its own, not the subtree.
 */
static int
v1_create(struct pol_cg *cg, const struct pol_cg_host *host,
    const char *slice, const char *name, char *err, size_t errlen)
{
	int i, j, rc, n = 0;

	for (i = 0; i < CG_NHIER; i++) {
		if (host->v1_mount[i][0] == '\0')
			continue;
		if ((rc = cgroup_own(host->v1_mount[i], host->v1_self[i],
		    cg->own[i], POL_PATH_MAX)) != 0) {
			cgroup_err(err, errlen, "cgroup: %s: %s",
			    host->v1_self[i], strerror(-rc));
			goto fail;
		}
		/* cpu,cpuacct mounted together: one directory for both. */
		for (j = 0; j < i; j++)
			if (strcmp(cg->own[j], cg->own[i]) == 0)
				break;
		if (j < i) {
			memcpy(cg->dir[i], cg->dir[j], POL_PATH_MAX);
			continue;
		}
		if ((rc = cgroup_mkpath(cg->own[i], slice, name, cg->dir[i],
		    POL_PATH_MAX)) != 0) {
			cgroup_err(err, errlen, "cgroup: mkdir %s: %s",
			    cg->dir[i], rc == -EBUSY ? "it exists and holds "
			    "processes" : strerror(-rc));
			goto fail;
		}
		cg->made[i] = true;
		n++;
	}
	if (n > 0)
		return 0;
	cgroup_err(err, errlen, "cgroup: this host has no v1 hierarchy we "
	    "can use");
	rc = -ENOENT;
fail:
	for (i = 0; i < CG_NHIER; i++)
		if (cg->made[i]) {
			cgroup_rmpath(cg->own[i], cg->dir[i]);
			cg->made[i] = false;
		}
	return rc;
}

/* Whether hierarchy h is here and has file; records the gap if not. */
static bool
v1_can(struct pol_cg *cg, struct cgroup_gaps *g, const char *limit,
    enum cgroup_hier h, const char *ctl, const char *file)
{
	if (cg->dir[h][0] == '\0') {
		cgroup_gap(g, limit, "this host has no %s controller", ctl);
		return false;
	}
	if (!cgroup_has(cg->dir[h], file)) {
		cgroup_gap(g, limit, "this host has no %s controller (v1 %s "
		    "without %s)", ctl, ctl, file);
		return false;
	}
	return true;
}

/* Write a number (-1 for no limit) to a v1 file; err names it. */
static int
v1_set(struct pol_cg *cg, enum cgroup_hier h, const char *file, int64_t v,
    char *err, size_t errlen)
{
	char	val[32];
	int	rc;

	snprintf(val, sizeof(val), "%lld", (long long)(v == POL_MAX ||
	    v == V1_UNLIMITED ? -1 : v));
	if ((rc = cgroup_write(cg->dir[h], file, val)) != 0)
		cgroup_err(err, errlen, "cgroup: %s/%s: \"%s\": %s",
		    cg->dir[h], file, val, strerror(-rc));
	return rc;
}

/* A memory value read back: POL_MAX (the huge "unlimited") as V1_UNLIMITED. */
static int64_t
v1_bytes(int64_t v)
{
	return v == POL_MAX ? V1_UNLIMITED : v;
}

/*
 * memory.max, memory.swap.max.  v1 limits memory plus swap together
 * (memsw), which must never be below the memory limit: when the new limit
 * is above the present memsw, raise memsw first; otherwise lower (or set)
 * the limit first.  An unset swap keeps the swap it had.
 */
static int
v1_memory(struct pol_cg *cg, const struct pol_limits *lim, bool swap_ok,
    char *err, size_t errlen)
{
	const char	*dir = cg->dir[CG_MEMORY];
	int64_t		 limit, old_limit, memsw = POL_UNSET, old_memsw;
	bool		 has_memsw, limit_first;
	int		 rc;

	if (cgroup_read_int(dir, "memory.limit_in_bytes", &old_limit) != 0)
		old_limit = POL_MAX;
	old_limit = v1_bytes(old_limit);
	limit = lim->memory_max == POL_UNSET ? old_limit :
	    v1_bytes(lim->memory_max);
	has_memsw = cgroup_has(dir, "memory.memsw.limit_in_bytes");
	old_memsw = V1_UNLIMITED;
	if (has_memsw && cgroup_read_int(dir, "memory.memsw.limit_in_bytes",
	    &old_memsw) == 0)
		old_memsw = v1_bytes(old_memsw);
	if (swap_ok && lim->memory_swap_max != POL_UNSET) {
		if (lim->memory_swap_max == POL_MAX || limit == V1_UNLIMITED ||
		    limit > V1_UNLIMITED - lim->memory_swap_max)
			memsw = V1_UNLIMITED;
		else
			memsw = limit + lim->memory_swap_max;
	} else if (has_memsw && lim->memory_max != POL_UNSET &&
	    old_memsw != V1_UNLIMITED) {
		/* Keep the swap allowance it had, saturating. */
		if (limit == V1_UNLIMITED ||
		    limit > V1_UNLIMITED - (old_memsw - old_limit))
			memsw = V1_UNLIMITED;
		else
			memsw = limit + (old_memsw - old_limit);
	}
	limit_first = memsw == POL_UNSET || limit <= old_memsw;
	if (!limit_first &&
	    (rc = v1_set(cg, CG_MEMORY, "memory.memsw.limit_in_bytes", memsw,
	    err, errlen)) != 0)
		return rc;
	if (lim->memory_max != POL_UNSET &&
	    (rc = v1_set(cg, CG_MEMORY, "memory.limit_in_bytes", limit, err,
	    errlen)) != 0)
		return rc;
	if (limit_first && memsw != POL_UNSET &&
	    (rc = v1_set(cg, CG_MEMORY, "memory.memsw.limit_in_bytes", memsw,
	    err, errlen)) != 0)
		return rc;
	return 0;
}

/* Clamp v into lo..hi. */
static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Check everything, then write, so a refused apply changes nothing. */
static int
v1_apply(struct pol_cg *cg, const struct pol_limits *lim, bool degraded_ok,
    char *err, size_t errlen)
{
	struct cgroup_gaps	 g;
	const char		*iofile = NULL;
	bool			 mem_max = false, mem_high = false,
				 swap = false, weight = false, cmax = false,
				 pids = false;
	int64_t			 cur, v;
	int			 rc;

	memset(&g, 0, sizeof(g));
	if (lim->memory_max != POL_UNSET)
		mem_max = v1_can(cg, &g, "memory.max", CG_MEMORY, "memory",
		    "memory.limit_in_bytes");
	if (lim->memory_high != POL_UNSET)
		mem_high = v1_can(cg, &g, "memory.high", CG_MEMORY, "memory",
		    "memory.soft_limit_in_bytes");
	if (lim->memory_swap_max != POL_UNSET) {
		if (cg->dir[CG_MEMORY][0] == '\0')
			cgroup_gap(&g, "memory.swap.max",
			    "this host has no memory controller");
		else if (!cgroup_has(cg->dir[CG_MEMORY],
		    "memory.memsw.limit_in_bytes"))
			cgroup_gap(&g, "memory.swap.max", "this host has no "
			    "swap accounting (v1 memory without "
			    "memory.memsw.limit_in_bytes)");
		else
			swap = true;
	}
	if (lim->cpu_weight != POL_UNSET)
		weight = v1_can(cg, &g, "cpu.weight", CG_CPU, "cpu",
		    "cpu.shares");
	if (lim->cpu_quota_us != POL_UNSET)
		cmax = v1_can(cg, &g, "cpu.max", CG_CPU, "cpu",
		    "cpu.cfs_quota_us");
	if (lim->pids_max != POL_UNSET)
		pids = v1_can(cg, &g, "pids.max", CG_PIDS, "pids", "pids.max");
	if (lim->io_weight != POL_UNSET) {
		if (cg->dir[CG_BLKIO][0] == '\0')
			cgroup_gap(&g, "io.weight", "this host has no io "
			    "controller (no v1 blkio hierarchy)");
		else if (cgroup_has(cg->dir[CG_BLKIO], "blkio.weight"))
			iofile = "blkio.weight";
		else if (cgroup_has(cg->dir[CG_BLKIO], "blkio.bfq.weight"))
			iofile = "blkio.bfq.weight";
		else
			cgroup_gap(&g, "io.weight", "this host has no io "
			    "controller (v1 blkio without a weight file)");
	}

	/* Hard limits never go below what is in use (memory.high may). */
	if (mem_max && cgroup_read_int(cg->dir[CG_MEMORY],
	    "memory.usage_in_bytes", &cur) == 0 &&
	    (rc = cgroup_below("memory.max", lim->memory_max, cur, err,
	    errlen)) != 0)
		return rc;
	if (pids && cgroup_read_int(cg->dir[CG_PIDS], "pids.current",
	    &cur) == 0 &&
	    (rc = cgroup_below("pids.max", lim->pids_max, cur, err,
	    errlen)) != 0)
		return rc;
	if ((rc = cgroup_gaps_end(&g, degraded_ok, err, errlen)) != 0)
		return rc;

	/* err now holds the degraded list (or ""); keep it on success. */
	if ((mem_max || swap) &&
	    (rc = v1_memory(cg, lim, swap, err, errlen)) != 0)
		return rc;
	/*
	 * v1 has no throttling limit like memory.high; the soft limit is the
	 * nearest: the target reclaim pushes the group back to under
	 * pressure.
	 */
	if (mem_high && (rc = v1_set(cg, CG_MEMORY,
	    "memory.soft_limit_in_bytes", lim->memory_high, err,
	    errlen)) != 0)
		return rc;
	/* cpu.weight's default 100 is cpu.shares' 1024; shares are >= 2. */
	if (weight && (rc = v1_set(cg, CG_CPU, "cpu.shares",
	    clamp(lim->cpu_weight * 1024 / 100, 2, INT64_MAX), err,
	    errlen)) != 0)
		return rc;
	if (cmax) {
		/* A quota alone is per 100 ms, as v2 has it. */
		if ((rc = v1_set(cg, CG_CPU, "cpu.cfs_period_us",
		    lim->cpu_period_us != POL_UNSET ? lim->cpu_period_us :
		    100000, err, errlen)) != 0)
			return rc;
		if ((rc = v1_set(cg, CG_CPU, "cpu.cfs_quota_us",
		    lim->cpu_quota_us, err, errlen)) != 0)
			return rc;
	}
	/* pids.max is the one v1 file that says "max" rather than -1. */
	if (pids && (rc = cgroup_write_int(cg->dir[CG_PIDS], "pids.max",
	    lim->pids_max)) != 0) {
		cgroup_err(err, errlen, "cgroup: %s/pids.max: %s",
		    cg->dir[CG_PIDS], strerror(-rc));
		return rc;
	}
	if (iofile != NULL) {
		/*
		 * bfq's v1 weight is 1..1000 with v2's default of 100; cfq's
		 * blkio.weight is 10..1000 around 500.
		 */
		if (strcmp(iofile, "blkio.bfq.weight") == 0)
			v = clamp(lim->io_weight, 1, 1000);
		else
			v = clamp(lim->io_weight * 5, 10, 1000);
		if ((rc = v1_set(cg, CG_BLKIO, iofile, v, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* What is in use, and the limits (in v2's terms) the files now hold. */
static int
v1_usage(struct pol_cg *cg, struct pol_cg_usage *u)
{
	const char	*mem = cg->dir[CG_MEMORY], *cpu = cg->dir[CG_CPU];
	const char	*pids = cg->dir[CG_PIDS], *blk = cg->dir[CG_BLKIO];
	int64_t		 v, memsw;

	if (mem[0] != '\0') {
		(void)cgroup_read_int(mem, "memory.usage_in_bytes",
		    &u->memory_current);
		(void)cgroup_read_int(mem, "memory.max_usage_in_bytes",
		    &u->memory_peak);
		if (cgroup_read_key(mem, "memory.oom_control", "oom_kill",
		    &v) == 0)
			u->oom_kills = v;
		(void)cgroup_read_int(mem, "memory.limit_in_bytes",
		    &u->lim.memory_max);
		(void)cgroup_read_int(mem, "memory.soft_limit_in_bytes",
		    &u->lim.memory_high);
		if (cgroup_read_int(mem, "memory.memsw.limit_in_bytes",
		    &memsw) == 0) {
			if (memsw == POL_MAX || u->lim.memory_max == POL_MAX)
				u->lim.memory_swap_max = POL_MAX;
			else if (u->lim.memory_max >= 0)
				u->lim.memory_swap_max = memsw -
				    u->lim.memory_max;
		}
	}
	/* cpuacct may be its own hierarchy (or share cpu's directory). */
	if (cg->dir[CG_CPUACCT][0] != '\0' &&
	    cgroup_read_int(cg->dir[CG_CPUACCT], "cpuacct.usage", &v) == 0)
		u->cpu_usage_us = v / 1000;
	if (cpu[0] != '\0') {
		if (cgroup_read_int(cpu, "cpu.shares", &v) == 0)
			u->lim.cpu_weight = (v * 100 + 512) / 1024;
		if (cgroup_read_int(cpu, "cpu.cfs_quota_us", &v) == 0)
			u->lim.cpu_quota_us = v < 0 ? POL_MAX : v;
		(void)cgroup_read_int(cpu, "cpu.cfs_period_us",
		    &u->lim.cpu_period_us);
	}
	if (pids[0] != '\0') {
		(void)cgroup_read_int(pids, "pids.current", &u->pids_current);
		(void)cgroup_read_int(pids, "pids.max", &u->lim.pids_max);
	}
	if (blk[0] != '\0') {
		if (cgroup_read_int(blk, "blkio.weight", &v) == 0)
			u->lim.io_weight = v / 5;
		else if (cgroup_read_int(blk, "blkio.bfq.weight", &v) == 0)
			u->lim.io_weight = v;
	}
	return 0;
}

/* v1 has no cgroup.kill: pol_cg_kill signals each process. */
static int
v1_kill(struct pol_cg *cg)
{
	return -EOPNOTSUPP;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.apply = v1_apply,
	.usage = v1_usage,
	.kill = v1_kill
};
