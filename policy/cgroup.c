/*
 * cgroup.c: one service's cgroup behind one interface: where this host's
 * hierarchies are, which backend (v2 or v1) serves them, and the file
 * helpers both backends share.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "cgroup_pvt.h"

/* Controller names of the v1 hierarchies, in enum cgroup_hier order. */
static const char *const hier_names[CG_NHIER] = {
	"memory", "cpu", "pids", "blkio", "cpuacct"
};

/* Format an error line into err (if there is room for one). */
void
cgroup_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Copy src into dst of len bytes; 0 or -ENAMETOOLONG (dst cut short). */
int
cgroup_copy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len == 0)
		return -ENAMETOOLONG;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Join dir and file into buf; 0 or -ENAMETOOLONG. */
static int
join(char *buf, size_t len, const char *dir, const char *file)
{
	int n;

	n = snprintf(buf, len, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read dir/file into buf, trailing newline dropped; length or -errno. */
int
cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	char	path[POL_PATH_MAX];
	ssize_t	n;
	size_t	got = 0;
	int	fd, rc;

	if ((rc = join(path, sizeof(path), dir, file)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	while (got > 0 && buf[got - 1] == '\n')
		buf[--got] = '\0';
	return (int)got;
}

/*
 * Parse one value as cgroup files show it: "max", or a number; v1's
 * "unlimited" (a page counter's largest value) also reads as POL_MAX.
 */
static int
parse_value(const char *s, int64_t *v)
{
	char		*end;
	long long	 n;

	while (isspace((unsigned char)*s))
		s++;
	if (strncmp(s, "max", 3) == 0) {
		*v = POL_MAX;
		return 0;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -EINVAL;
	*v = n >= INT64_MAX / 2 ? POL_MAX : (int64_t)n;
	return 0;
}

/* Read a file that holds one value; 0 or -errno. */
int
cgroup_read_int(const char *dir, const char *file, int64_t *v)
{
	char	buf[64];
	int	rc;

	if ((rc = cgroup_read(dir, file, buf, sizeof(buf))) < 0)
		return rc;
	return parse_value(buf, v);
}

/* Read the value of "key value" lines (cpu.stat); 0, -ENOENT or -errno. */
int
cgroup_read_key(const char *dir, const char *file, const char *key,
    int64_t *v)
{
	char	 buf[4096], *line, *save = NULL;
	size_t	 klen = strlen(key);
	int	 rc;

	if ((rc = cgroup_read(dir, file, buf, sizeof(buf))) < 0)
		return rc;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return parse_value(line + klen + 1, v);
	}
	return -ENOENT;
}

/* Write val to dir/file in one write (cgroupfs takes one per value). */
int
cgroup_write(const char *dir, const char *file, const char *val)
{
	char	path[POL_PATH_MAX];
	size_t	len = strlen(val);
	ssize_t	n;
	int	fd, rc;

	if ((rc = join(path, sizeof(path), dir, file)) != 0)
		return rc;
	/* No O_CREAT: a file cgroupfs does not offer is an error. */
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return -errno;
	do
		n = write(fd, val, len);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Write a number, or "max" for POL_MAX. */
int
cgroup_write_int(const char *dir, const char *file, int64_t v)
{
	char buf[32];

	if (v == POL_MAX)
		(void)cgroup_copy(buf, "max", sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return cgroup_write(dir, file, buf);
}

/* Whether dir/file exists. */
bool
cgroup_has(const char *dir, const char *file)
{
	char path[POL_PATH_MAX];

	if (join(path, sizeof(path), dir, file) != 0)
		return false;
	return access(path, F_OK) == 0;
}

/* mkdir that takes an existing directory; 0 or -errno. */
static int
mkdir_ok(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/*
 * Make own/membrane/slice/name (each level may exist already: another
 * service's slice, or a directory a test laid out); dir gets the path.
 */
int
cgroup_mkpath(const char *own, const char *slice, const char *name,
    char *dir, size_t len)
{
	int n, rc;

	n = snprintf(dir, len, "%s/membrane", own);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if ((rc = mkdir_ok(dir)) != 0)
		return rc;
	n = snprintf(dir, len, "%s/membrane/%s", own, slice);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if ((rc = mkdir_ok(dir)) != 0)
		return rc;
	n = snprintf(dir, len, "%s/membrane/%s/%s", own, slice, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	/*
	 * The service's own level is ours to make: one left by an agent
	 * that died may be taken over only once it is empty, or its
	 * processes would count against the new limits and die with us.
	 */
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if ((rc = cgroup_procs_empty(dir)) < 0)
		return rc;
	return rc == 1 ? 0 : -EBUSY;
}

/* Sleep ms milliseconds. */
static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Remove dir, then its empty parents up to, not including, own.  A parent
 * another service still uses stays (EBUSY, ENOTEMPTY).
 */
void
cgroup_rmpath(const char *own, const char *dir)
{
	char	 path[POL_PATH_MAX], *slash;
	size_t	 ownlen = strlen(own);
	int	 tries;

	if (cgroup_copy(path, dir, sizeof(path)) != 0)
		return;
	/* A cgroup whose last task is still exiting is busy for a moment. */
	for (tries = 0; rmdir(path) != 0 && errno == EBUSY && tries < 100;
	    tries++)
		nap(10);
	while ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		if (strlen(path) <= ownlen)
			break;
		if (rmdir(path) != 0)
			break;
	}
}

/* Whether cgroup.procs in dir is empty: 1, 0, or -errno (ENOENT: 1). */
int
cgroup_procs_empty(const char *dir)
{
	char	buf[16];
	int	rc;

	rc = cgroup_read(dir, "cgroup.procs", buf, sizeof(buf));
	if (rc == -ENOENT)
		return 1;
	if (rc < 0)
		return rc;
	return rc == 0;
}

/* A size for messages: "128M", "1G", "52.5M", "4096". */
void
cgroup_fmt_size(int64_t v, char *buf, size_t len)
{
	static const char	units[] = "KMGT";
	int64_t			u = 1;
	int			i, best = -1;

	if (v == POL_MAX) {
		(void)cgroup_copy(buf, "max", len);
		return;
	}
	for (i = 0; i < 4; i++) {
		u *= 1024;
		if (v >= u)
			best = i;
	}
	if (best < 0) {
		snprintf(buf, len, "%lld", (long long)v);
		return;
	}
	for (u = 1, i = 0; i <= best; i++)
		u *= 1024;
	if (v % u == 0)
		snprintf(buf, len, "%lld%c", (long long)(v / u), units[best]);
	else
		snprintf(buf, len, "%.1f%c", (double)v / (double)u,
		    units[best]);
}

/* Note that limit cannot be enforced here, and why. */
void
cgroup_gap(struct cgroup_gaps *g, const char *limit, const char *fmt, ...)
{
	char	why[256];
	size_t	used;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (g->n == 0)
		snprintf(g->first, sizeof(g->first), "cgroup: %s: %s", limit,
		    why);
	used = strlen(g->all);
	snprintf(g->all + used, sizeof(g->all) - used, "%s%s (%s)",
	    g->n > 0 ? "; " : "", limit, why);
	g->n++;
}

/*
 * End the check: with gaps, fail with the first (-EOPNOTSUPP) unless
 * degraded_ok, when err lists them all; without, err is "".
 */
int
cgroup_gaps_end(struct cgroup_gaps *g, bool degraded_ok, char *err,
    size_t errlen)
{
	if (g->n == 0) {
		cgroup_err(err, errlen, "%s", "");
		return 0;
	}
	if (!degraded_ok) {
		cgroup_err(err, errlen, "%s", g->first);
		return -EOPNOTSUPP;
	}
	cgroup_err(err, errlen, "degraded: %s", g->all);
	return 0;
}

/* Refuse a hard limit below the current usage: 0 or -EBUSY. */
int
cgroup_below(const char *limit, int64_t want, int64_t cur, char *err,
    size_t errlen)
{
	char a[32], b[32];

	if (want < 0 || cur <= want)
		return 0;
	if (strncmp(limit, "memory", 6) == 0) {
		cgroup_fmt_size(want, a, sizeof(a));
		cgroup_fmt_size(cur, b, sizeof(b));
	} else {
		snprintf(a, sizeof(a), "%lld", (long long)want);
		snprintf(b, sizeof(b), "%lld", (long long)cur);
	}
	cgroup_err(err, errlen, "cgroup: %s %s is below the current usage %s",
	    limit, a, b);
	return -EBUSY;
}

/* Whether v is unset or within lo..hi (max_ok: or POL_MAX). */
static bool
in_range(int64_t v, int64_t lo, int64_t hi, bool max_ok)
{
	if (v == POL_UNSET || (max_ok && v == POL_MAX))
		return true;
	return v >= lo && v <= hi;
}

/* Check every value's range before anything is written: 0 or -EINVAL. */
int
cgroup_check_limits(const struct pol_limits *lim, char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		size_t		 off;
		int64_t		 lo, hi;
		bool		 max_ok;
	} r[] = {
		{ "memory.max", offsetof(struct pol_limits, memory_max),
		    0, INT64_MAX, true },
		{ "memory.high", offsetof(struct pol_limits, memory_high),
		    0, INT64_MAX, true },
		{ "memory.swap.max", offsetof(struct pol_limits,
		    memory_swap_max), 0, INT64_MAX, true },
		{ "cpu.weight", offsetof(struct pol_limits, cpu_weight),
		    1, 10000, false },
		/* The kernel's least quota is 1 ms. */
		{ "cpu.max", offsetof(struct pol_limits, cpu_quota_us),
		    1000, INT64_MAX, true },
		{ "cpu.max period", offsetof(struct pol_limits, cpu_period_us),
		    1000, 1000000, false },
		{ "pids.max", offsetof(struct pol_limits, pids_max),
		    0, INT32_MAX, true },
		{ "io.weight", offsetof(struct pol_limits, io_weight),
		    1, 10000, false },
	};
	size_t	i;
	int64_t	v;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		memcpy(&v, (const char *)lim + r[i].off, sizeof(v));
		if (!in_range(v, r[i].lo, r[i].hi, r[i].max_ok)) {
			cgroup_err(err, errlen,
			    "cgroup: %s: %lld is out of range", r[i].name,
			    (long long)v);
			return -EINVAL;
		}
	}
	return 0;
}

/* Decode mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*d = *s;
	}
	*d = '\0';
}

/* Whether the list opts, words separated by sep, holds word. */
static bool
has_word_sep(const char *opts, const char *word, char sep)
{
	size_t		 len = strlen(word);
	const char	*p = opts;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, word, len) == 0 &&
		    (p[len] == sep || p[len] == '\0'))
			return true;
		if ((p = strchr(p, sep)) != NULL)
			p++;
	}
	return false;
}

/* Whether the comma-separated list opts holds word. */
static bool
has_word(const char *opts, const char *word)
{
	return has_word_sep(opts, word, ',');
}

/* The v2 controllers we use that dir's cgroup.controllers offers. */
int
cgroup_controllers(const char *dir, unsigned *bits)
{
	char	buf[1024];
	int	rc;

	*bits = 0;
	if ((rc = cgroup_read(dir, "cgroup.controllers", buf,
	    sizeof(buf))) < 0)
		return rc;
	if (has_word_sep(buf, "memory", ' '))
		*bits |= CG_C_MEMORY;
	if (has_word_sep(buf, "cpu", ' '))
		*bits |= CG_C_CPU;
	if (has_word_sep(buf, "pids", ' '))
		*bits |= CG_C_PIDS;
	if (has_word_sep(buf, "io", ' '))
		*bits |= CG_C_IO;
	return 0;
}

/* Our own cgroup's directory: mount and self joined. */
int
cgroup_own(const char *mount, const char *self, char *dir, size_t len)
{
	int n;

	n = snprintf(dir, len, "%s%s", mount, strcmp(self, "/") == 0 ? "" :
	    self);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Our cgroup path relative to a mount whose root is root (a bind mount or
 * a cgroup namespace may show a subtree); 0, or -ENOENT when our cgroup
 * is outside what the mount shows.
 */
static int
self_in(const char *root, const char *path, char *self, size_t len)
{
	size_t rl = strlen(root);

	if (strstr(path, "/..") != NULL)
		return -ENOENT;
	if (strcmp(root, "/") == 0)
		rl = 0;
	else if (strncmp(path, root, rl) != 0 ||
	    (path[rl] != '/' && path[rl] != '\0'))
		return -ENOENT;
	return cgroup_copy(self, path[rl] == '\0' ? "/" : path + rl, len);
}

/* Read the mounts of mountinfo into host; roots gets each mount's root. */
static int
detect_mounts(struct pol_cg_host *host, const char *mountinfo,
    char roots[CG_NHIER + 1][POL_PATH_MAX], char *err, size_t errlen)
{
	FILE	*f;
	char	*line = NULL, *fld[8], *p, *save, *tail;
	size_t	 cap = 0;
	int	 i, n;

	if ((f = fopen(mountinfo, "re")) == NULL) {
		n = -errno;
		cgroup_err(err, errlen, "cgroup: %s: %s", mountinfo,
		    strerror(-n));
		return n;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		/* "ID PARENT MAJ:MIN ROOT POINT OPTS [OPT...] - TYPE SRC SUPER" */
		if ((tail = strstr(line, " - ")) == NULL)
			continue;
		*tail = '\0';
		tail += 3;
		save = NULL;
		for (n = 0, p = strtok_r(line, " ", &save); p != NULL && n < 5;
		    p = strtok_r(NULL, " ", &save))
			fld[n++] = p;
		save = NULL;
		for (p = strtok_r(tail, " ", &save); p != NULL && n < 8;
		    p = strtok_r(NULL, " ", &save))
			fld[n++] = p;
		if (n < 8)
			continue;
		unescape(fld[3]);
		unescape(fld[4]);
		if (strcmp(fld[5], "cgroup2") == 0) {
			if (host->v2_mount[0] == '\0') {
				(void)cgroup_copy(host->v2_mount, fld[4],
				    sizeof(host->v2_mount));
				(void)cgroup_copy(roots[CG_NHIER], fld[3],
				    POL_PATH_MAX);
			}
			continue;
		}
		if (strcmp(fld[5], "cgroup") != 0)
			continue;
		for (i = 0; i < CG_NHIER; i++) {
			if (host->v1_mount[i][0] != '\0' ||
			    !has_word(fld[7], hier_names[i]))
				continue;
			(void)cgroup_copy(host->v1_mount[i], fld[4],
			    sizeof(host->v1_mount[i]));
			(void)cgroup_copy(roots[i], fld[3], POL_PATH_MAX);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

/* Read our own cgroups from self_cgroup ("ID:CONTROLLERS:PATH" lines). */
static int
detect_self(struct pol_cg_host *host, const char *self_cgroup,
    char roots[CG_NHIER + 1][POL_PATH_MAX], char *err, size_t errlen)
{
	FILE	*f;
	char	*line = NULL, *ctl, *path;
	size_t	 cap = 0;
	int	 i, rc;

	if ((f = fopen(self_cgroup, "re")) == NULL) {
		rc = -errno;
		cgroup_err(err, errlen, "cgroup: %s: %s", self_cgroup,
		    strerror(-rc));
		return rc;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL)
			continue;
		ctl++;
		if ((path = strchr(ctl, ':')) == NULL)
			continue;
		*path++ = '\0';
		if (strcmp(line, "0:") == 0 && *ctl == '\0') {
			if (host->v2_mount[0] != '\0')
				(void)self_in(roots[CG_NHIER], path,
				    host->v2_self, sizeof(host->v2_self));
			continue;
		}
		for (i = 0; i < CG_NHIER; i++)
			if (host->v1_mount[i][0] != '\0' &&
			    has_word(ctl, hier_names[i]))
				(void)self_in(roots[i], path, host->v1_self[i],
				    sizeof(host->v1_self[i]));
	}
	free(line);
	fclose(f);
	return 0;
}

int
pol_cg_host_detect(struct pol_cg_host *host, const char *mountinfo,
    const char *self_cgroup, char *err, size_t errlen)
{
	char	(*roots)[POL_PATH_MAX];
	int	 i, rc, found = 0;

	memset(host, 0, sizeof(*host));
	cgroup_err(err, errlen, "%s", "");
	if (mountinfo == NULL)
		mountinfo = "/proc/self/mountinfo";
	if (self_cgroup == NULL)
		self_cgroup = "/proc/self/cgroup";
	if ((roots = calloc(CG_NHIER + 1, POL_PATH_MAX)) == NULL)
		return -ENOMEM;
	if ((rc = detect_mounts(host, mountinfo, roots, err, errlen)) == 0)
		rc = detect_self(host, self_cgroup, roots, err, errlen);
	free(roots);
	if (rc != 0)
		return rc;
	/* A hierarchy whose cgroup of ours we cannot see is no use. */
	if (host->v2_self[0] == '\0')
		host->v2_mount[0] = '\0';
	else
		found++;
	for (i = 0; i < CG_NHIER; i++) {
		if (host->v1_self[i][0] == '\0')
			host->v1_mount[i][0] = '\0';
		else
			found++;
	}
	if (found == 0) {
		cgroup_err(err, errlen, "cgroup: no cgroup hierarchy of ours "
		    "in %s", mountinfo);
		return -ENOENT;
	}
	return 0;
}

/* Whether a slice or service name is one path component we can use. */
static bool
name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) >= POL_NAME_MAX)
		return false;
	return strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/*
 * v2 serves us when our own v2 cgroup offers memory, cpu and pids; else
 * the v1 hierarchies do; a v2 without them is the last resort (its
 * limits then fail as not enforceable, which is the truth).
 */
static const struct cgroup_ops *
choose(const struct pol_cg_host *host)
{
	const unsigned	need = CG_C_MEMORY | CG_C_CPU | CG_C_PIDS;
	char		own[POL_PATH_MAX];
	unsigned	bits;
	int		i;

	if (host->v2_mount[0] != '\0' &&
	    cgroup_own(host->v2_mount, host->v2_self, own, sizeof(own)) == 0 &&
	    cgroup_controllers(own, &bits) == 0 && (bits & need) == need)
		return &cgroup_v2_ops;
	for (i = 0; i < CG_NHIER; i++)
		if (host->v1_mount[i][0] != '\0')
			return &cgroup_v1_ops;
	if (host->v2_mount[0] != '\0')
		return &cgroup_v2_ops;
	return NULL;
}

int
pol_cg_create(const struct pol_cg_host *host, const char *slice,
    const char *name, struct pol_cg **out, char *err, size_t errlen)
{
	const struct cgroup_ops	*ops;
	struct pol_cg		*cg;
	int			 rc;

	*out = NULL;
	cgroup_err(err, errlen, "%s", "");
	if (!name_ok(slice) || !name_ok(name)) {
		cgroup_err(err, errlen, "cgroup: \"%s/%s\" is not a slice and "
		    "a name", slice != NULL ? slice : "",
		    name != NULL ? name : "");
		return -EINVAL;
	}
	if ((ops = choose(host)) == NULL) {
		cgroup_err(err, errlen, "cgroup: this host has no cgroup "
		    "hierarchy we can use");
		return -ENOENT;
	}
	if ((cg = calloc(1, sizeof(*cg))) == NULL)
		return -ENOMEM;
	cg->ops = ops;
	if ((rc = ops->create(cg, host, slice, name, err, errlen)) != 0) {
		free(cg);
		return rc;
	}
	*out = cg;
	return 0;
}

int
pol_cg_apply(struct pol_cg *cg, const struct pol_limits *lim,
    bool degraded_ok, char *err, size_t errlen)
{
	int rc;

	cgroup_err(err, errlen, "%s", "");
	if ((rc = cgroup_check_limits(lim, err, errlen)) != 0)
		return rc;
	return cg->ops->apply(cg, lim, degraded_ok, err, errlen);
}

/* Whether dir[i] is the first of its kind (cpu,cpuacct share one). */
static bool
first_dir(const struct pol_cg *cg, int i)
{
	int j;

	if (cg->dir[i][0] == '\0')
		return false;
	for (j = 0; j < i; j++)
		if (strcmp(cg->dir[j], cg->dir[i]) == 0)
			return false;
	return true;
}

int
pol_cg_attach(struct pol_cg *cg, pid_t pid)
{
	char	buf[32];
	int	i, rc;

	snprintf(buf, sizeof(buf), "%ld", (long)pid);
	/* v1: every hierarchy, cpuacct too, so that usage can be read. */
	for (i = 0; i < CG_NHIER; i++) {
		if (!first_dir(cg, i))
			continue;
		if ((rc = cgroup_write(cg->dir[i], "cgroup.procs", buf)) != 0)
			return rc;
	}
	return 0;
}

int
pol_cg_usage(struct pol_cg *cg, struct pol_cg_usage *u)
{
	u->memory_current = u->memory_peak = POL_UNSET;
	u->cpu_usage_us = u->pids_current = u->oom_kills = POL_UNSET;
	u->lim.memory_max = u->lim.memory_high = POL_UNSET;
	u->lim.memory_swap_max = u->lim.cpu_weight = POL_UNSET;
	u->lim.cpu_quota_us = u->lim.cpu_period_us = POL_UNSET;
	u->lim.pids_max = u->lim.io_weight = POL_UNSET;
	if (access(pol_cg_path(cg), F_OK) != 0)
		return -errno;
	return cg->ops->usage(cg, u);
}

const char *
pol_cg_backend(const struct pol_cg *cg)
{
	return cg->ops->name;
}

const char *
pol_cg_path(const struct pol_cg *cg)
{
	int i;

	for (i = 0; i < CG_NHIER; i++)
		if (cg->dir[i][0] != '\0')
			return cg->dir[i];
	return "";
}

/* SIGKILL every process cgroup.procs in dir lists; how many, or -errno. */
static int
kill_listed(const char *dir)
{
	char	 path[POL_PATH_MAX];
	FILE	*f;
	long	 pid;
	int	 n = 0;

	if (join(path, sizeof(path), dir, "cgroup.procs") != 0)
		return -ENAMETOOLONG;
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%ld", &pid) == 1) {
		/* Never ourselves, should the caller have joined it. */
		if (pid == (long)getpid())
			continue;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
		else if (pid > 0 && errno != ESRCH)
			n++;
	}
	fclose(f);
	return n;
}

int
pol_cg_kill(struct pol_cg *cg)
{
	struct timespec	t0, now;
	long		ms;
	int		i, n, busy;

	/* v2's cgroup.kill takes all at once, forks in flight included. */
	(void)cg->ops->kill(cg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/*
		 * Otherwise, and to wait for the kernel's kill: signal each
		 * listed process until none is left; a fork bomb's children
		 * appear between reads, hence the loop.
		 */
		busy = 0;
		for (i = 0; i < CG_NHIER; i++) {
			if (!first_dir(cg, i))
				continue;
			if ((n = kill_listed(cg->dir[i])) < 0)
				return n;
			busy += n;
		}
		if (busy == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > CG_KILL_WAIT_MS)
			return -ETIMEDOUT;
		nap(5);
	}
}

void
pol_cg_destroy(struct pol_cg *cg)
{
	int i;

	if (cg == NULL)
		return;
	(void)pol_cg_kill(cg);
	for (i = 0; i < CG_NHIER; i++)
		if (cg->made[i])
			cgroup_rmpath(cg->own[i], cg->dir[i]);
	free(cg);
}
