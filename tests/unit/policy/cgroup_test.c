/*
 * cgroup_test.c: the cgroup backends against fake cgroupfs trees (v2, v1,
 * hybrid), then against this host's own hierarchies: a memory hog, a fork
 * bomb and a busy loop held to photon's limits.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define MiB		(1024 * 1024LL)

/* pol_cg_host.v1_mount's order. */
enum { V1_MEMORY, V1_CPU, V1_PIDS, V1_BLKIO, V1_CPUACCT };

static pid_t	runner_pid;		/* names this run's real cgroups */

/* A path from a format. */
static char *
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < len);
	return buf;
}

/* mkdir -p. */
static void
mkdirs(const char *path)
{
	char	buf[POL_PATH_MAX], *p;

	pathf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ck_assert(mkdir(buf, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	ck_assert(mkdir(buf, 0755) == 0 || errno == EEXIST);
}

/* Write dir/name with text (a fake interface file). */
static void
put(const char *dir, const char *name, const char *text)
{
	char	path[POL_PATH_MAX];
	FILE	*f;

	pathf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* dir/name's contents, trailing newline dropped, in buf. */
static const char *
get(const char *dir, const char *name, char *buf, size_t len)
{
	char	path[POL_PATH_MAX];
	ssize_t	n;
	int	fd;

	pathf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	ck_assert_int_ge(n, 0);
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

/* Assert dir/name holds want. */
#define ck_file(dir, name, want) do {					\
	char	_b[256];						\
	ck_assert_str_eq(get((dir), (name), _b, sizeof(_b)), (want));	\
} while (0)

/* Remove one entry (nftw callback). */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* rm -rf dir. */
static void
rm_tree(const char *dir)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Limits with nothing set. */
static struct pol_limits
lim_unset(void)
{
	struct pol_limits l = {
		POL_UNSET, POL_UNSET, POL_UNSET, POL_UNSET, POL_UNSET,
		POL_UNSET, POL_UNSET, POL_UNSET
	};

	return l;
}

/* photon's cgroup: 128M, high 64M, no swap, weight 25, 50%, 64 pids. */
static struct pol_limits
lim_photon(void)
{
	struct pol_limits l = lim_unset();

	l.memory_max = 128 * MiB;
	l.memory_high = 64 * MiB;
	l.memory_swap_max = 0;
	l.cpu_weight = 25;
	l.cpu_quota_us = 50000;
	l.cpu_period_us = 100000;
	l.pids_max = 64;
	return l;
}

/* ------------------------------------------------------------------ */
/* Fake trees. */

struct fake {
	char	root[POL_PATH_MAX];	/* the mkdtemp directory */
	char	mountinfo[POL_PATH_MAX];
	char	self[POL_PATH_MAX];
	char	own[POL_PATH_MAX];	/* v2: our cgroup */
	char	svc[POL_PATH_MAX];	/* v2: the service's, pre-made */
	char	v1[5][POL_PATH_MAX];	/* v1: the service's, per hierarchy */
};

/* A fresh temporary directory for one fake tree. */
static void
fake_root(struct fake *f)
{
	const char *tmp = getenv("TMPDIR");

	memset(f, 0, sizeof(*f));
	pathf(f->root, sizeof(f->root), "%s/cgtest.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert(mkdtemp(f->root) != NULL);
	pathf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->root);
	pathf(f->self, sizeof(f->self), "%s/self_cgroup", f->root);
}

/*
 * A v2 host: cgroup2 at ROOT/cg, our cgroup /user.slice/agent.service
 * offering ctls, and the service's directory already laid out with the
 * interface files the kernel would have made.
 */
static void
fake_v2(struct fake *f, const char *ctls)
{
	char	buf[POL_PATH_MAX * 2], dir[POL_PATH_MAX];

	fake_root(f);
	snprintf(buf, sizeof(buf),
	    "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
	    "30 22 0:26 / %s/cg rw,nosuid,nodev,noexec - cgroup2 cgroup2 "
	    "rw,nsdelegate\n", f->root);
	put(f->root, "mountinfo", buf);
	put(f->root, "self_cgroup", "0::/user.slice/agent.service\n");
	pathf(f->own, sizeof(f->own), "%s/cg/user.slice/agent.service",
	    f->root);
	mkdirs(f->own);
	put(f->own, "cgroup.controllers", ctls);
	put(f->own, "cgroup.subtree_control", "");
	put(f->own, "cgroup.procs", "");
	pathf(dir, sizeof(dir), "%s/membrane/test.slice", f->own);
	mkdirs(dir);
	put(dir, "cgroup.subtree_control", "");
	pathf(dir, sizeof(dir), "%s/membrane", f->own);
	put(dir, "cgroup.subtree_control", "");
	pathf(f->svc, sizeof(f->svc), "%s/membrane/test.slice/web", f->own);
	mkdirs(f->svc);
	put(f->svc, "memory.max", "max\n");
	put(f->svc, "memory.high", "max\n");
	put(f->svc, "memory.swap.max", "max\n");
	put(f->svc, "memory.current", "4096\n");
	put(f->svc, "memory.peak", "8192\n");
	put(f->svc, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\n"
	    "oom_kill 0\n");
	put(f->svc, "cpu.weight", "100\n");
	put(f->svc, "cpu.max", "max 100000\n");
	put(f->svc, "cpu.stat", "usage_usec 0\nuser_usec 0\n"
	    "system_usec 0\n");
	put(f->svc, "pids.max", "max\n");
	put(f->svc, "pids.current", "0\n");
	put(f->svc, "io.weight", "default 100\n");
	put(f->svc, "cgroup.procs", "");
}

/*
 * A hybrid host as this one is: memory, cpu, cpuacct, pids and blkio on
 * v1 (memory not at the root for us), cgroup2 with no controllers.
 * comount: cpu and cpuacct in one hierarchy.  weight: blkio's file.
 */
static void
fake_v1(struct fake *f, bool comount, const char *weight)
{
	static const char *const name[5] = {
		"memory", "cpu", "pids", "blkio", "cpuacct"
	};
	char	buf[POL_PATH_MAX * 8], *p;
	size_t	left;
	int	i;

	fake_root(f);
	p = buf;
	left = sizeof(buf);
	for (i = 0; i < 5; i++) {
		if (comount && i == V1_CPUACCT)
			continue;
		snprintf(p, left, "%d 31 0:%d / %s/%s rw,relatime - cgroup "
		    "cgroup rw,%s\n", 32 + i, 29 + i, f->root,
		    comount && i == V1_CPU ? "cpu,cpuacct" : name[i],
		    comount && i == V1_CPU ? "cpu,cpuacct" : name[i]);
		left -= strlen(p);
		p += strlen(p);
	}
	snprintf(p, left, "41 31 0:38 / %s/unified rw,relatime - cgroup2 "
	    "cgroup2 rw\n", f->root);
	put(f->root, "mountinfo", buf);
	put(f->root, "self_cgroup", comount ?
	    "4:memory:/process_api/x1\n1:cpu,cpuacct:/\n8:pids:/\n"
	    "7:blkio:/\n0::/\n" :
	    "4:memory:/process_api/x1\n1:cpu:/\n2:cpuacct:/\n8:pids:/\n"
	    "7:blkio:/\n0::/\n");
	pathf(buf, sizeof(buf), "%s/unified", f->root);
	mkdirs(buf);
	put(buf, "cgroup.controllers", "");
	for (i = 0; i < 5; i++) {
		pathf(f->v1[i], sizeof(f->v1[i]), "%s/%s%s/membrane/"
		    "test.slice/web", f->root, comount && (i == V1_CPU ||
		    i == V1_CPUACCT) ? "cpu,cpuacct" : name[i],
		    i == V1_MEMORY ? "/process_api/x1" : "");
		mkdirs(f->v1[i]);
		put(f->v1[i], "cgroup.procs", "");
	}
	put(f->v1[V1_MEMORY], "memory.limit_in_bytes",
	    "9223372036854771712\n");
	put(f->v1[V1_MEMORY], "memory.soft_limit_in_bytes",
	    "9223372036854771712\n");
	put(f->v1[V1_MEMORY], "memory.memsw.limit_in_bytes",
	    "9223372036854771712\n");
	put(f->v1[V1_MEMORY], "memory.usage_in_bytes", "4096\n");
	put(f->v1[V1_MEMORY], "memory.max_usage_in_bytes", "8192\n");
	put(f->v1[V1_MEMORY], "memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	put(f->v1[V1_CPU], "cpu.shares", "1024\n");
	put(f->v1[V1_CPU], "cpu.cfs_period_us", "100000\n");
	put(f->v1[V1_CPU], "cpu.cfs_quota_us", "-1\n");
	put(f->v1[V1_CPUACCT], "cpuacct.usage", "0\n");
	put(f->v1[V1_PIDS], "pids.max", "max\n");
	put(f->v1[V1_PIDS], "pids.current", "0\n");
	if (weight != NULL)
		put(f->v1[V1_BLKIO], weight, "100\n");
}

/* Detect the fake host and create the service "test.slice/web" in it. */
static struct pol_cg *
fake_cg(struct fake *f, struct pol_cg_host *host)
{
	struct pol_cg	*cg = NULL;
	char		 err[POL_ERR_MAX];

	ck_assert_int_eq(pol_cg_host_detect(host, f->mountinfo, f->self, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(pol_cg_create(host, "test.slice", "web", &cg, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	return cg;
}

START_TEST(test_detect_hybrid)
{
	struct pol_cg_host	*host;
	struct fake		 f;
	char			 want[POL_PATH_MAX];

	host = calloc(1, sizeof(*host));
	fake_v1(&f, false, NULL);
	ck_assert_int_eq(pol_cg_host_detect(host, f.mountinfo, f.self, NULL,
	    0), 0);
	ck_assert_str_eq(host->v1_mount[V1_MEMORY],
	    pathf(want, sizeof(want), "%s/memory", f.root));
	ck_assert_str_eq(host->v1_self[V1_MEMORY], "/process_api/x1");
	ck_assert_str_eq(host->v1_mount[V1_CPU],
	    pathf(want, sizeof(want), "%s/cpu", f.root));
	ck_assert_str_eq(host->v1_self[V1_CPU], "/");
	ck_assert_str_eq(host->v1_mount[V1_CPUACCT],
	    pathf(want, sizeof(want), "%s/cpuacct", f.root));
	ck_assert_str_eq(host->v1_mount[V1_PIDS],
	    pathf(want, sizeof(want), "%s/pids", f.root));
	ck_assert_str_eq(host->v1_mount[V1_BLKIO],
	    pathf(want, sizeof(want), "%s/blkio", f.root));
	ck_assert_str_eq(host->v2_mount,
	    pathf(want, sizeof(want), "%s/unified", f.root));
	ck_assert_str_eq(host->v2_self, "/");
	rm_tree(f.root);
	free(host);
}
END_TEST

/* A mount showing a subtree (its root is not "/"), and escaped paths. */
START_TEST(test_detect_mount_root)
{
	struct pol_cg_host	*host;
	struct fake		 f;
	char			 err[POL_ERR_MAX];

	host = calloc(1, sizeof(*host));
	fake_root(&f);
	put(f.root, "mountinfo",
	    "30 22 0:26 /user.slice /sys/fs/cg\\040x rw - cgroup2 cgroup2 rw\n"
	    "31 22 0:27 /other /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n");
	put(f.root, "self_cgroup",
	    "0::/user.slice/agent.service\n5:pids:/user.slice/a\n");
	ck_assert_int_eq(pol_cg_host_detect(host, f.mountinfo, f.self, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(host->v2_mount, "/sys/fs/cg x");
	ck_assert_str_eq(host->v2_self, "/agent.service");
	/* Our pids cgroup is outside what that mount shows: unusable. */
	ck_assert_str_eq(host->v1_mount[V1_PIDS], "");

	put(f.root, "mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
	ck_assert_int_eq(pol_cg_host_detect(host, f.mountinfo, f.self, err,
	    sizeof(err)), -ENOENT);
	ck_assert_int_ne(strlen(err), 0);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_v2_photon)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_photon();
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX], dir[POL_PATH_MAX];

	fake_v2(&f, "cpuset cpu io memory hugetlb pids rdma misc\n");
	cg = fake_cg(&f, host);
	ck_assert_str_eq(pol_cg_backend(cg), "v2");
	ck_assert_str_eq(pol_cg_path(cg), f.svc);
	/* Controllers handed down to the service's parent. */
	ck_file(f.own, "cgroup.subtree_control", "+memory +cpu +pids +io");
	ck_file(pathf(dir, sizeof(dir), "%s/membrane", f.own),
	    "cgroup.subtree_control", "+memory +cpu +pids +io");
	ck_file(pathf(dir, sizeof(dir), "%s/membrane/test.slice", f.own),
	    "cgroup.subtree_control", "+memory +cpu +pids +io");

	lim.io_weight = 50;
	strcpy(err, "junk");
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_file(f.svc, "memory.max", "134217728");
	ck_file(f.svc, "memory.high", "67108864");
	ck_file(f.svc, "memory.swap.max", "0");
	ck_file(f.svc, "cpu.weight", "25");
	ck_file(f.svc, "cpu.max", "50000 100000");
	ck_file(f.svc, "pids.max", "64");
	ck_file(f.svc, "io.weight", "default 50");

	/* max, and an unset limit left as it is. */
	lim = lim_unset();
	lim.memory_max = POL_MAX;
	lim.cpu_quota_us = POL_MAX;
	lim.cpu_period_us = 200000;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)), 0);
	ck_file(f.svc, "memory.max", "max");
	ck_file(f.svc, "cpu.max", "max 200000");
	ck_file(f.svc, "memory.high", "67108864");
	ck_file(f.svc, "pids.max", "64");

	/* Out of range: nothing written. */
	lim = lim_unset();
	lim.cpu_weight = 0;
	lim.pids_max = 5;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(err, "cgroup: cpu.weight: 0 is out of range");
	ck_file(f.svc, "pids.max", "64");

	ck_assert_int_eq(pol_cg_attach(cg, 4242), 0);
	ck_file(f.svc, "cgroup.procs", "4242");
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_v2_usage)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg_usage	 u;
	struct pol_cg		*cg;
	struct fake		 f;

	fake_v2(&f, "cpu io memory pids");
	cg = fake_cg(&f, host);
	put(f.svc, "memory.current", "52428800\n");
	put(f.svc, "memory.peak", "134213632\n");
	put(f.svc, "cpu.stat", "usage_usec 1234567\nuser_usec 1000000\n"
	    "system_usec 234567\nnr_periods 10\n");
	put(f.svc, "pids.current", "17\n");
	put(f.svc, "memory.events", "low 0\nhigh 12\nmax 40\noom 3\n"
	    "oom_kill 2\noom_group_kill 0\n");
	put(f.svc, "memory.max", "134217728\n");
	put(f.svc, "cpu.max", "50000 100000\n");
	put(f.svc, "cpu.weight", "25\n");
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.memory_current, 52428800);
	ck_assert_int_eq(u.memory_peak, 134213632);
	ck_assert_int_eq(u.cpu_usage_us, 1234567);
	ck_assert_int_eq(u.pids_current, 17);
	ck_assert_int_eq(u.oom_kills, 2);
	ck_assert_int_eq(u.lim.memory_max, 128 * MiB);
	ck_assert_int_eq(u.lim.memory_high, POL_MAX);
	ck_assert_int_eq(u.lim.cpu_quota_us, 50000);
	ck_assert_int_eq(u.lim.cpu_period_us, 100000);
	ck_assert_int_eq(u.lim.cpu_weight, 25);
	ck_assert_int_eq(u.lim.pids_max, POL_MAX);
	ck_assert_int_eq(u.lim.io_weight, 100);

	/* An old kernel without memory.peak: unknown, not zero. */
	pathf(f.self, sizeof(f.self), "%s/memory.peak", f.svc);
	ck_assert_int_eq(unlink(f.self), 0);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.memory_peak, POL_UNSET);
	ck_assert_int_eq(u.memory_current, 52428800);
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_v2_below_usage)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim;
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX];

	fake_v2(&f, "cpu io memory pids");
	cg = fake_cg(&f, host);
	put(f.svc, "memory.current", "52428800\n");
	put(f.svc, "pids.current", "10\n");
	lim = lim_unset();
	lim.memory_max = 32 * MiB;
	lim.cpu_weight = 50;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EBUSY);
	ck_assert_str_eq(err,
	    "cgroup: memory.max 32M is below the current usage 50M");
	/* Refused as a whole: nothing else changed either. */
	ck_file(f.svc, "memory.max", "max");
	ck_file(f.svc, "cpu.weight", "100");

	lim = lim_unset();
	lim.pids_max = 5;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, true, err, sizeof(err)),
	    -EBUSY);
	ck_assert_str_eq(err, "cgroup: pids.max 5 is below the current "
	    "usage 10");
	ck_file(f.svc, "pids.max", "max");

	/* memory.high is the soft one: it may go below usage. */
	lim = lim_unset();
	lim.memory_high = 16 * MiB;
	lim.memory_max = 64 * MiB;
	lim.pids_max = 10;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)), 0);
	ck_file(f.svc, "memory.high", "16777216");
	ck_file(f.svc, "memory.max", "67108864");
	ck_file(f.svc, "pids.max", "10");
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_v2_degraded)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_photon();
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX];

	fake_v2(&f, "cpuset cpu memory pids\n");
	/* No swap accounting either (swapaccount=0). */
	pathf(f.self, sizeof(f.self), "%s/memory.swap.max", f.svc);
	ck_assert_int_eq(unlink(f.self), 0);
	pathf(f.self, sizeof(f.self), "%s/self_cgroup", f.root);
	cg = fake_cg(&f, host);
	ck_file(f.own, "cgroup.subtree_control", "+memory +cpu +pids");

	lim.io_weight = 50;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EOPNOTSUPP);
	ck_assert_str_eq(err, "cgroup: memory.swap.max: this host's memory "
	    "controller has no memory.swap.max");
	ck_file(f.svc, "memory.max", "max");

	lim.memory_swap_max = POL_UNSET;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EOPNOTSUPP);
	ck_assert_str_eq(err, "cgroup: io.weight: no io controller was "
	    "delegated to our cgroup");
	ck_file(f.svc, "memory.max", "max");

	lim.memory_swap_max = 0;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, true, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "degraded: memory.swap.max (this host's memory "
	    "controller has no memory.swap.max); io.weight (no io controller "
	    "was delegated to our cgroup)");
	ck_file(f.svc, "memory.max", "134217728");
	ck_file(f.svc, "cpu.max", "50000 100000");
	ck_file(f.svc, "io.weight", "default 100");
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

/* Our own v2 cgroup holds processes: the agent moves to membrane/agent. */
START_TEST(test_v2_leave_own)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg		*cg;
	struct fake		 f;
	char			 dir[POL_PATH_MAX], pid[32];

	fake_v2(&f, "cpu memory pids");
	put(f.own, "cgroup.procs", "1\n");
	pathf(dir, sizeof(dir), "%s/membrane/agent", f.own);
	mkdirs(dir);
	put(dir, "cgroup.procs", "");
	cg = fake_cg(&f, host);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	ck_file(dir, "cgroup.procs", pid);
	ck_file(f.own, "cgroup.subtree_control", "+memory +cpu +pids");
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_v1_translate)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_photon();
	struct pol_cg_usage	 u;
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX];
	int			 i;

	fake_v1(&f, false, "blkio.bfq.weight");
	cg = fake_cg(&f, host);
	/* v2 is mounted but offers nothing: v1 it is. */
	ck_assert_str_eq(pol_cg_backend(cg), "v1");
	ck_assert_str_eq(pol_cg_path(cg), f.v1[V1_MEMORY]);

	lim.io_weight = 50;
	lim.memory_swap_max = 16 * MiB;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_file(f.v1[V1_MEMORY], "memory.limit_in_bytes", "134217728");
	ck_file(f.v1[V1_MEMORY], "memory.soft_limit_in_bytes", "67108864");
	/* memsw is memory and swap together. */
	ck_file(f.v1[V1_MEMORY], "memory.memsw.limit_in_bytes", "150994944");
	ck_file(f.v1[V1_CPU], "cpu.shares", "256");
	ck_file(f.v1[V1_CPU], "cpu.cfs_period_us", "100000");
	ck_file(f.v1[V1_CPU], "cpu.cfs_quota_us", "50000");
	ck_file(f.v1[V1_PIDS], "pids.max", "64");
	ck_file(f.v1[V1_BLKIO], "blkio.bfq.weight", "50");

	/* Weights at the ends; max as v1 says it. */
	lim = lim_unset();
	lim.cpu_weight = 1;
	lim.cpu_quota_us = POL_MAX;
	lim.memory_max = POL_MAX;
	lim.memory_high = POL_MAX;
	lim.pids_max = POL_MAX;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)), 0);
	ck_file(f.v1[V1_CPU], "cpu.shares", "10");
	ck_file(f.v1[V1_CPU], "cpu.cfs_quota_us", "-1");
	ck_file(f.v1[V1_MEMORY], "memory.limit_in_bytes", "-1");
	ck_file(f.v1[V1_MEMORY], "memory.soft_limit_in_bytes", "-1");
	/* The swap allowance (16M) kept: memsw unlimited with the limit. */
	ck_file(f.v1[V1_MEMORY], "memory.memsw.limit_in_bytes", "-1");
	ck_file(f.v1[V1_PIDS], "pids.max", "max");

	put(f.v1[V1_MEMORY], "memory.limit_in_bytes", "134217728\n");
	put(f.v1[V1_MEMORY], "memory.memsw.limit_in_bytes", "134217728\n");
	put(f.v1[V1_MEMORY], "memory.usage_in_bytes", "52428800\n");
	put(f.v1[V1_MEMORY], "memory.max_usage_in_bytes", "60000000\n");
	put(f.v1[V1_MEMORY], "memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put(f.v1[V1_CPUACCT], "cpuacct.usage", "2500000000\n");
	put(f.v1[V1_CPU], "cpu.shares", "256\n");
	put(f.v1[V1_CPU], "cpu.cfs_quota_us", "50000\n");
	put(f.v1[V1_PIDS], "pids.current", "7\n");
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.memory_current, 50 * MiB);
	ck_assert_int_eq(u.memory_peak, 60000000);
	ck_assert_int_eq(u.cpu_usage_us, 2500000);
	ck_assert_int_eq(u.pids_current, 7);
	ck_assert_int_eq(u.oom_kills, 3);
	ck_assert_int_eq(u.lim.memory_max, 128 * MiB);
	ck_assert_int_eq(u.lim.memory_swap_max, 0);
	ck_assert_int_eq(u.lim.memory_high, POL_MAX);
	ck_assert_int_eq(u.lim.cpu_weight, 25);
	ck_assert_int_eq(u.lim.cpu_quota_us, 50000);
	ck_assert_int_eq(u.lim.cpu_period_us, 100000);
	ck_assert_int_eq(u.lim.pids_max, POL_MAX);
	ck_assert_int_eq(u.lim.io_weight, 50);

	/* Below usage, v1 too. */
	lim = lim_unset();
	lim.memory_max = 32 * MiB;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EBUSY);
	ck_assert_str_eq(err,
	    "cgroup: memory.max 32M is below the current usage 50M");

	/* attach: every hierarchy, cpuacct included. */
	ck_assert_int_eq(pol_cg_attach(cg, 4242), 0);
	for (i = 0; i < 5; i++)
		ck_file(f.v1[i], "cgroup.procs", "4242");
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

/* cpu,cpuacct in one hierarchy; blkio without a weight file; no memsw. */
START_TEST(test_v1_comount_degraded)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_photon();
	struct pol_cg_usage	 u;
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX], path[POL_PATH_MAX];

	fake_v1(&f, true, NULL);
	ck_assert_int_eq(unlink(pathf(path, sizeof(path),
	    "%s/memory.memsw.limit_in_bytes", f.v1[V1_MEMORY])), 0);
	cg = fake_cg(&f, host);
	ck_assert_str_eq(host->v1_mount[V1_CPU], host->v1_mount[V1_CPUACCT]);
	ck_assert_str_eq(pol_cg_backend(cg), "v1");

	lim.io_weight = 50;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EOPNOTSUPP);
	ck_assert_str_eq(err, "cgroup: memory.swap.max: this host has no swap "
	    "accounting (v1 memory without memory.memsw.limit_in_bytes)");
	lim.memory_swap_max = POL_UNSET;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EOPNOTSUPP);
	ck_assert_str_eq(err, "cgroup: io.weight: this host has no io "
	    "controller (v1 blkio without a weight file)");
	ck_file(f.v1[V1_CPU], "cpu.shares", "1024");
	ck_assert_int_eq(pol_cg_apply(cg, &lim, true, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "degraded: io.weight (this host has no io "
	    "controller (v1 blkio without a weight file))");
	ck_file(f.v1[V1_CPU], "cpu.shares", "256");
	ck_file(f.v1[V1_MEMORY], "memory.limit_in_bytes", "134217728");

	put(f.v1[V1_CPU], "cpuacct.usage", "7000\n");
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.cpu_usage_us, 7);
	ck_assert_int_eq(u.lim.memory_swap_max, POL_UNSET);
	ck_assert_int_eq(u.lim.io_weight, POL_UNSET);
	pol_cg_destroy(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

START_TEST(test_bad_names)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg		*cg;
	struct fake		 f;
	char			 err[POL_ERR_MAX];

	fake_v2(&f, "cpu memory pids");
	ck_assert_int_eq(pol_cg_host_detect(host, f.mountinfo, f.self, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(pol_cg_create(host, "test.slice", "../x", &cg, err,
	    sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_cg_create(host, "..", "web", &cg, err,
	    sizeof(err)), -EINVAL);
	ck_assert_int_eq(pol_cg_create(host, "test.slice", "", &cg, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_null(cg);
	rm_tree(f.root);
	free(host);
}
END_TEST

/* ------------------------------------------------------------------ */
/* This host's own hierarchies (make check runs as root). */

static const char *const real_names[] = {
	"memory", "pids", "cpu", "kill", "memsw", "below"
};

/* The service's name for one real test: unique to this run. */
static const char *
real_name(const char *what, char *buf, size_t len)
{
	return pathf(buf, len, "cgt-%ld-%s", (long)runner_pid, what);
}

/* This host, and a service cgroup named for the test beneath our own. */
static struct pol_cg *
real_cg(const char *what, struct pol_cg_host *host)
{
	struct pol_cg	*cg = NULL;
	char		 err[POL_ERR_MAX], name[POL_NAME_MAX];

	ck_assert_msg(geteuid() == 0, "the cgroup tests need root "
	    "(make check runs them as root)");
	ck_assert_int_eq(pol_cg_host_detect(host, NULL, NULL, err,
	    sizeof(err)), 0);
	ck_assert_msg(pol_cg_create(host, "test.slice", real_name(what, name,
	    sizeof(name)), &cg, err, sizeof(err)) == 0, "%s", err);
	/* Reap the grandchildren that fork bombs leave behind. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	return cg;
}

/* Remove whatever a failed test left (runs in the runner process). */
static void
real_teardown(void)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg		*cg;
	char			 name[POL_NAME_MAX];
	size_t			 i;

	if (host == NULL || pol_cg_host_detect(host, NULL, NULL, NULL,
	    0) != 0) {
		free(host);
		return;
	}
	for (i = 0; i < sizeof(real_names) / sizeof(real_names[0]); i++)
		if (pol_cg_create(host, "test.slice", real_name(real_names[i],
		    name, sizeof(name)), &cg, NULL, 0) == 0)
			pol_cg_destroy(cg);
	free(host);
}

/* Reap every child; the last status of pid in *st. */
static void
reap_all(pid_t pid, int *st)
{
	pid_t	p;
	int	s;

	while ((p = waitpid(-1, &s, 0)) > 0 || (p < 0 && errno == EINTR))
		if (p == pid)
			*st = s;
}

/* Destroy and check the directory is gone. */
static void
destroy_gone(struct pol_cg *cg)
{
	char path[POL_PATH_MAX];

	pathf(path, sizeof(path), "%s", pol_cg_path(cg));
	ck_assert_int_eq(access(path, F_OK), 0);
	pol_cg_destroy(cg);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}

/* photon's hard limits: 128M, 64 pids, half a CPU. */
static void
real_apply(struct pol_cg *cg)
{
	struct pol_limits	lim = lim_unset();
	char			err[POL_ERR_MAX];

	lim.memory_max = 128 * MiB;
	lim.pids_max = 64;
	lim.cpu_quota_us = 50000;
	lim.cpu_period_us = 100000;
	ck_assert_msg(pol_cg_apply(cg, &lim, false, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(err, "");
}

START_TEST(test_real_memory)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg_usage	 u;
	struct pol_cg		*cg = real_cg("memory", host);
	unsigned char		*p;
	size_t			 i, len = 512 * MiB;
	pid_t			 pid;
	int			 st = 0;

	real_apply(cg);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.lim.memory_max, 128 * MiB);
	ck_assert_int_eq(u.oom_kills, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (pol_cg_attach(cg, getpid()) != 0)
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < len; i += 4096)
			p[i] = (unsigned char)i | 1;
		_exit(0);
	}
	reap_all(pid, &st);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "the hog was not OOM-killed (status %#x)", st);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_ge(u.oom_kills, 1);
	ck_assert_int_gt(u.memory_peak, 64 * MiB);
	ck_assert_int_le(u.memory_peak, 128 * MiB + 4 * MiB);
	destroy_gone(cg);
	free(host);
}
END_TEST

START_TEST(test_real_pids)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg_usage	 u;
	struct pol_cg		*cg = real_cg("pids", host);
	int			 fds[2], res[2] = { 0, 0 }, i, st = 0;
	pid_t			 pid, kid;

	real_apply(cg);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (pol_cg_attach(cg, getpid()) != 0)
			_exit(2);
		for (i = 0; i < 200; i++) {
			if ((kid = fork()) == 0) {
				for (;;)
					pause();
			}
			if (kid < 0)
				break;
		}
		res[0] = i;
		res[1] = i < 200 ? errno : 0;
		if (write(fds[1], res, sizeof(res)) != sizeof(res))
			_exit(4);
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], res, sizeof(res)), sizeof(res));
	close(fds[0]);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_msg(res[0] < 64 && res[1] == EAGAIN,
	    "forked %d times, then errno %d", res[0], res[1]);
	/* The bomber and its children: 64 at most, and it did reach it. */
	ck_assert_int_le(u.pids_current, 64);
	ck_assert_int_ge(u.pids_current, 60);
	ck_assert_int_eq(pol_cg_kill(cg), 0);
	reap_all(pid, &st);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	destroy_gone(cg);
	free(host);
}
END_TEST

/* Wall clock in microseconds. */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

START_TEST(test_real_cpu)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg_usage	 u0, u1;
	struct pol_cg		*cg = real_cg("cpu", host);
	volatile uint64_t	 spin = 0;
	int64_t			 t0, t1, used;
	pid_t			 pid;
	int			 st = 0;

	real_apply(cg);
	ck_assert_int_eq(pol_cg_usage(cg, &u0), 0);
	ck_assert_int_ge(u0.cpu_usage_us, 0);
	t0 = now_us();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (pol_cg_attach(cg, getpid()) != 0)
			_exit(2);
		while (now_us() - t0 < 2000000)
			spin++;
		_exit(0);
	}
	reap_all(pid, &st);
	t1 = now_us();
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(pol_cg_usage(cg, &u1), 0);
	used = u1.cpu_usage_us - u0.cpu_usage_us;
	ck_assert_msg(used <= (t1 - t0) * 55 / 100,
	    "used %lld us of CPU in %lld us", (long long)used,
	    (long long)(t1 - t0));
	/*
	 * It did run, and the usage was counted (a low bar: make check may
	 * run other tests on the same CPUs).
	 */
	ck_assert_msg(used >= (t1 - t0) * 10 / 100,
	    "used only %lld us of CPU in %lld us", (long long)used,
	    (long long)(t1 - t0));
	destroy_gone(cg);
	free(host);
}
END_TEST

START_TEST(test_real_kill)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_cg_usage	 u;
	struct pol_cg		*cg = real_cg("kill", host);
	pid_t			 pid[3];
	int			 i, st, tries;

	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			if (pol_cg_attach(cg, getpid()) != 0)
				_exit(2);
			for (;;)
				pause();
		}
	}
	for (tries = 0; tries < 200; tries++) {
		ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
		if (u.pids_current == 3)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(u.pids_current, 3);
	ck_assert_int_eq(pol_cg_kill(cg), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.pids_current, 0);
	destroy_gone(cg);
	free(host);
}
END_TEST

/* v1's memsw must never be below the limit: raise and lower both. */
START_TEST(test_real_memsw)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_unset();
	struct pol_cg_usage	 u;
	struct pol_cg		*cg = real_cg("memsw", host);
	char			 err[POL_ERR_MAX];
	int64_t			 steps[] = { 128 * MiB, 256 * MiB, 64 * MiB,
				    POL_MAX, 32 * MiB };
	size_t			 i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		lim.memory_max = steps[i];
		lim.memory_swap_max = 0;
		ck_assert_msg(pol_cg_apply(cg, &lim, false, err,
		    sizeof(err)) == 0, "step %zu: %s", i, err);
		ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
		ck_assert_int_eq(u.lim.memory_max, steps[i]);
		/* v1 reads swap back from memsw: unlimited with the limit. */
		ck_assert_int_eq(u.lim.memory_swap_max,
		    steps[i] == POL_MAX && strcmp(pol_cg_backend(cg),
		    "v1") == 0 ? POL_MAX : 0);
	}
	/* Only the limit: the swap allowance (none) stays. */
	lim.memory_swap_max = POL_UNSET;
	lim.memory_max = 96 * MiB;
	ck_assert_msg(pol_cg_apply(cg, &lim, false, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.lim.memory_max, 96 * MiB);
	ck_assert_int_eq(u.lim.memory_swap_max, 0);
	destroy_gone(cg);
	free(host);
}
END_TEST

/* A hard limit below what a running service uses is refused. */
START_TEST(test_real_below)
{
	struct pol_cg_host	*host = calloc(1, sizeof(*host));
	struct pol_limits	 lim = lim_unset();
	struct pol_cg_usage	 u;
	struct pol_cg		*cg = real_cg("below", host);
	char			 err[POL_ERR_MAX], c;
	unsigned char		*p;
	size_t			 i, len = 48 * MiB;
	int			 fds[2], st = 0;
	pid_t			 pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (pol_cg_attach(cg, getpid()) != 0)
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < len; i += 4096)
			p[i] = 1;
		if (write(fds[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	lim.memory_max = 16 * MiB;
	ck_assert_int_eq(pol_cg_apply(cg, &lim, false, err, sizeof(err)),
	    -EBUSY);
	ck_assert_msg(strncmp(err, "cgroup: memory.max 16M is below the "
	    "current usage ", 44) == 0, "%s", err);
	ck_assert_int_eq(pol_cg_usage(cg, &u), 0);
	ck_assert_int_eq(u.lim.memory_max, POL_MAX);
	ck_assert_int_ge(u.memory_current, 48 * MiB);
	/* The soft limit may go below. */
	lim = lim_unset();
	lim.memory_high = 16 * MiB;
	ck_assert_msg(pol_cg_apply(cg, &lim, false, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(pol_cg_kill(cg), 0);
	reap_all(pid, &st);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	destroy_gone(cg);
	free(host);
}
END_TEST

/* The cgroup suite: fake trees, then this host. */
static Suite *
cgroup_suite(void)
{
	Suite	*s = suite_create("cgroup");
	TCase	*tc;

	tc = tcase_create("fake");
	tcase_add_test(tc, test_detect_hybrid);
	tcase_add_test(tc, test_detect_mount_root);
	tcase_add_test(tc, test_v2_photon);
	tcase_add_test(tc, test_v2_usage);
	tcase_add_test(tc, test_v2_below_usage);
	tcase_add_test(tc, test_v2_degraded);
	tcase_add_test(tc, test_v2_leave_own);
	tcase_add_test(tc, test_v1_translate);
	tcase_add_test(tc, test_v1_comount_degraded);
	tcase_add_test(tc, test_bad_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_unchecked_fixture(tc, NULL, real_teardown);
	tcase_add_test(tc, test_real_memory);
	tcase_add_test(tc, test_real_pids);
	tcase_add_test(tc, test_real_cpu);
	tcase_add_test(tc, test_real_kill);
	tcase_add_test(tc, test_real_memsw);
	tcase_add_test(tc, test_real_below);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit non-zero if any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	runner_pid = getpid();
	sr = srunner_create(cgroup_suite());
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
