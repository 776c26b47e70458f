/*
 * cgroup_pvt.h: inside the cgroup part: one service's cgroup, the backend
 * ops table (v2, v1) and the file helpers both backends share.
 */
#ifndef MEMBRANE_CGROUP_PVT_H
#define MEMBRANE_CGROUP_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Index into pol_cg_host.v1_mount and pol_cg.dir (v1). */
enum cgroup_hier {
	CG_MEMORY = 0,
	CG_CPU,
	CG_PIDS,
	CG_BLKIO,
	CG_CPUACCT,
	CG_NHIER
};

/* v2 controllers we use, as bits (pol_cg.ctl). */
#define CG_C_MEMORY	0x01
#define CG_C_CPU	0x02
#define CG_C_PIDS	0x04
#define CG_C_IO		0x08

/* How long pol_cg_kill waits for a cgroup to empty. */
#define CG_KILL_WAIT_MS	2000

struct pol_cg;

struct cgroup_ops {
	const char	*name;		/* "v2", "v1" */
	int		(*create)(struct pol_cg *, const struct pol_cg_host *,
			    const char *, const char *, char *, size_t);
	int		(*apply)(struct pol_cg *, const struct pol_limits *,
			    bool, char *, size_t);
	int		(*usage)(struct pol_cg *, struct pol_cg_usage *);
	/* Ask the kernel to kill everything at once; -EOPNOTSUPP: no way. */
	int		(*kill)(struct pol_cg *);
};

struct pol_cg {
	const struct cgroup_ops	*ops;
	/*
	 * v2: dir[0] only.  v1: one per hierarchy (enum cgroup_hier), "" when
	 * the host lacks it; a hierarchy mounted together with another (cpu,
	 * cpuacct) has the same directory in both and is made once.
	 */
	char			 dir[CG_NHIER][POL_PATH_MAX];
	char			 own[CG_NHIER][POL_PATH_MAX];	/* our cgroup */
	bool			 made[CG_NHIER];	/* we own dir[i] */
	unsigned		 ctl;	/* v2: controllers enabled (CG_C_) */
};

extern const struct cgroup_ops cgroup_v2_ops;
extern const struct cgroup_ops cgroup_v1_ops;

/* cgroup.c: files and directories. */
int	cgroup_copy(char *dst, const char *src, size_t len);
int	cgroup_own(const char *mount, const char *self, char *dir,
	    size_t len);
int	cgroup_controllers(const char *dir, unsigned *bits);
int	cgroup_read(const char *dir, const char *file, char *buf, size_t len);
int	cgroup_read_int(const char *dir, const char *file, int64_t *v);
int	cgroup_read_key(const char *dir, const char *file, const char *key,
	    int64_t *v);
int	cgroup_write(const char *dir, const char *file, const char *val);
int	cgroup_write_int(const char *dir, const char *file, int64_t v);
bool	cgroup_has(const char *dir, const char *file);
int	cgroup_mkpath(const char *own, const char *slice, const char *name,
	    char *dir, size_t len);
void	cgroup_rmpath(const char *own, const char *dir);
int	cgroup_procs_empty(const char *dir);
void	cgroup_fmt_size(int64_t v, char *buf, size_t len);
void	cgroup_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * A limit this host cannot enforce, collected while checking: the caller
 * either fails with the first one or lists them all as degraded.
 */
struct cgroup_gaps {
	char	first[POL_ERR_MAX];
	char	all[POL_ERR_MAX];
	int	n;
};
void	cgroup_gap(struct cgroup_gaps *g, const char *limit,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int	cgroup_gaps_end(struct cgroup_gaps *g, bool degraded_ok, char *err,
	    size_t errlen);
int	cgroup_check_limits(const struct pol_limits *lim, char *err,
	    size_t errlen);
int	cgroup_below(const char *limit, int64_t want, int64_t cur, char *err,
	    size_t errlen);

#endif /* MEMBRANE_CGROUP_PVT_H */
