/*
 * launch_fs.c: a launched program's filesystem view, built in its new
 * mount namespace: an overlay root (the host's / or the profile's layers
 * below, the service's state directory above), /dev, /proc, /sys, the
 * membrane's endpoint directory, volumes, read-only, writable and hidden
 * paths; then pivot_root into it.
 *
 * This runs in the launched child while it is still root on the host
 * (before it makes its user namespace, see launch.c): the overlay is the
 * host root's mount, so copy-up keeps the owners of files whose ids the
 * user namespace does not map (every root-owned directory of the host),
 * which a mount made inside the user namespace cannot do.
 *
 * Paths inside the new root are resolved with openat2(RESOLVE_IN_ROOT),
 * so that a symbolic link in the view (/lib -> usr/lib, or an absolute
 * one) stays inside it, and every mount targets /proc/self/fd/N.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch_pvt.h"

/* Open path inside the view rooted at rootfd; the fd or -errno. */
static int
fs_open(int rootfd, const char *path, int flags)
{
	struct open_how	how;
	int		fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT;
	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how,
	    sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* "/proc/self/fd/N" for fd, in buf. */
static const char *
fs_fdpath(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

/*
 * mkdir -p path inside the view; a directory it creates last is given to
 * uid:gid if own (a writable path the program must write into).  0 or
 * -errno.
 */
static int
fs_mkdirs(int rootfd, const char *path, int own, uid_t uid, gid_t gid)
{
	char	 buf[POL_PATH_MAX], parent[POL_PATH_MAX + 1], *p, *slash;
	int	 fd, dfd, rc = 0;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf; *p == '/'; p++)
		;
	while (*p != '\0') {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		if ((fd = fs_open(rootfd, buf, O_PATH | O_DIRECTORY)) >= 0)
			close(fd);
		else if (fd != -ENOENT)
			return fd;
		else {
			/* buf up to p is the parent, which exists. */
			snprintf(parent, sizeof(parent), "/%.*s",
			    (int)(p - buf), buf);
			if ((dfd = fs_open(rootfd, parent, O_PATH |
			    O_DIRECTORY)) < 0)
				return dfd;
			if (mkdirat(dfd, p, 0755) != 0 && errno != EEXIST)
				rc = -errno;
			else if (own && slash == NULL && fchownat(dfd, p, uid,
			    gid, AT_SYMLINK_NOFOLLOW) != 0)
				rc = -errno;
			close(dfd);
			if (rc != 0)
				return rc;
		}
		if (slash == NULL)
			break;
		*slash = '/';
		for (p = slash + 1; *p == '/'; p++)
			;
	}
	return 0;
}

/* Set (or clear) mount attributes on the mount at path in the view. */
static int
fs_setattr(int rootfd, const char *path, uint64_t set, uint64_t clr)
{
	struct mount_attr	attr;
	int			fd, rc = 0;

	/* Opened afresh: an fd from before the mount sees what is below. */
	if ((fd = fs_open(rootfd, path, O_PATH)) < 0)
		return fd;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = set;
	attr.attr_clr = clr;
	/*
	 * Setting (read-only) reaches every mount below; clearing (writable)
	 * only this one, or read-only paths and volumes beneath a writable
	 * path would be made writable again.
	 */
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (set != 0 ? AT_RECURSIVE :
	    0), &attr, sizeof(attr)) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Bind src (a host path, or NULL: path itself) on path in the view. */
static int
fs_bind(int rootfd, const char *src, const char *path, int rec)
{
	char	s[64], t[64];
	int	sfd = -1, tfd, rc = 0;

	if ((tfd = fs_open(rootfd, path, O_PATH)) < 0)
		return tfd;
	if (src == NULL && (sfd = fs_open(rootfd, path, O_PATH)) < 0) {
		close(tfd);
		return sfd;
	}
	if (mount(src != NULL ? src : fs_fdpath(s, sizeof(s), sfd),
	    fs_fdpath(t, sizeof(t), tfd), NULL,
	    MS_BIND | (rec ? MS_REC : 0), NULL) != 0)
		rc = -errno;
	if (sfd >= 0)
		close(sfd);
	close(tfd);
	return rc;
}

/* Mount a new filesystem of type on path in the view. */
static int
fs_mount(int rootfd, const char *type, const char *path,
    unsigned long flags, const char *opts)
{
	char	t[64];
	int	tfd, rc = 0;

	if ((tfd = fs_open(rootfd, path, O_PATH | O_DIRECTORY)) < 0)
		return tfd;
	if (mount(type, fs_fdpath(t, sizeof(t), tfd), type, flags, opts) != 0)
		rc = -errno;
	close(tfd);
	return rc;
}

/* Mount /proc from a child, in the pid namespace we joined; 0 or -errno. */
static int
fs_proc_joined(int rootfd)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0)
		_exit(-fs_mount(rootfd, "proc", "/proc",
		    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EINTR;
	return -WEXITSTATUS(st);
}

/* Hide path: /dev/null over a file, an empty read-only tmpfs on a dir. */
static int
fs_hide(int rootfd, const char *path)
{
	struct stat	st;
	int		fd, rc;

	if ((fd = fs_open(rootfd, path, O_PATH)) < 0)
		return fd;
	rc = fstat(fd, &st) != 0 ? -errno : 0;
	close(fd);
	if (rc != 0)
		return rc;
	if (S_ISDIR(st.st_mode))
		return fs_mount(rootfd, "tmpfs", path,
		    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "size=4k,nr_inodes=1,mode=0555");
	if ((rc = fs_bind(rootfd, "/dev/null", path, 0)) != 0)
		return rc;
	return fs_setattr(rootfd, path, MOUNT_ATTR_RDONLY, 0);
}

/* One volume "HOST:INSIDE[:ro]" into the view; 0 or -errno, err set. */
static int
fs_volume(int rootfd, const char *vol, char *err, size_t errlen)
{
	char		 buf[POL_PATH_MAX], *inside, *mode;
	struct stat	 st;
	int		 fd, rc;

	if (strlen(vol) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, vol);
	if ((inside = strchr(buf, ':')) == NULL) {
		snprintf(err, errlen, "volume \"%s\": expected HOST:INSIDE"
		    "[:ro]", vol);
		return -EINVAL;
	}
	*inside++ = '\0';
	if ((mode = strchr(inside, ':')) != NULL) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
			snprintf(err, errlen, "volume \"%s\": \"%s\" is "
			    "neither ro nor rw", vol, mode);
			return -EINVAL;
		}
	}
	if (buf[0] != '/' || inside[0] != '/') {
		snprintf(err, errlen, "volume \"%s\": paths must be absolute",
		    vol);
		return -EINVAL;
	}
	if (stat(buf, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "volume %s: %s", buf, strerror(errno));
		return rc;
	}
	if (S_ISDIR(st.st_mode))
		rc = fs_mkdirs(rootfd, inside, 0, 0, 0);
	else if ((fd = fs_open(rootfd, inside, O_PATH)) >= 0) {
		close(fd);
		rc = 0;
	} else {
		/* A file volume: its mount point is an empty file. */
		char *slash = strrchr(inside, '/');

		*slash = '\0';
		rc = fs_mkdirs(rootfd, *inside ? inside : "/", 0, 0, 0);
		if (rc == 0 && (fd = fs_open(rootfd, *inside ? inside : "/",
		    O_RDONLY | O_DIRECTORY)) < 0)
			rc = fd;
		*slash = '/';
		if (rc == 0) {
			/* Never through a link: this runs before pivot_root,
			   where an absolute one would reach the host's files. */
			int f = openat(fd, slash + 1, O_CREAT | O_WRONLY |
			    O_NOFOLLOW | O_CLOEXEC, 0644);

			rc = f < 0 ? -errno : 0;
			if (f >= 0)
				close(f);
			close(fd);
		}
	}
	if (rc == 0)
		rc = fs_bind(rootfd, buf, inside, 1);
	if (rc == 0 && mode != NULL && strcmp(mode, "ro") == 0)
		rc = fs_setattr(rootfd, inside, MOUNT_ATTR_RDONLY, 0);
	if (rc != 0)
		snprintf(err, errlen, "volume %s on %s: %s", buf, inside,
		    strerror(-rc));
	return rc;
}

/* Join v (top first) with ':' into buf: overlay's lowerdir; 0 or -errno. */
static int
fs_lowerdir(const struct pol_strv *v, char *buf, size_t len)
{
	size_t	i, off = 0;
	int	n;

	if (v->n == 0) {
		snprintf(buf, len, "/");
		return 0;
	}
	for (i = 0; i < v->n; i++) {
		/* overlay's option syntax has no escape we could rely on. */
		if (strpbrk(v->v[i], ",:") != NULL)
			return -EINVAL;
		n = snprintf(buf + off, len - off, "%s%s", i ? ":" : "",
		    v->v[i]);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return 0;
}

int
launch_fs_prepare(const struct pol_launch *l, char *err, size_t errlen)
{
	static const char *const dirs[] = { "upper", "work", "root" };
	char	path[POL_PATH_MAX];
	size_t	i;
	int	rc;

	if (!l->spec->fs.overlay)
		return 0;
	if (l->state_dir == NULL) {
		snprintf(err, errlen, "overlay root: no state directory");
		return -EINVAL;
	}
	/*
	 * Root-owned, like the host's /: upper/ is the view's root
	 * directory, and the overlay is mounted by root on the host, so it
	 * needs no owner the user namespace maps (see the top).
	 */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", l->state_dir, dirs[i]);
		if (mkdir(path, i == 1 ? 0700 : 0755) != 0 &&
		    errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "mkdir %s: %s", path,
			    strerror(errno));
			return rc;
		}
	}
	return 0;
}

int
launch_fs_setup(const struct pol_launch *l, int newpid, int newnet,
    char *err, size_t errlen)
{
	const struct pol_fs	*fs = &l->spec->fs;
	char			 root[POL_PATH_MAX], lower[POL_PATH_MAX];
	char			 opts[3 * POL_PATH_MAX];
	const char		*step = NULL, *what = NULL;
	size_t			 i;
	int			 rootfd = -1, rc;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		rc = -errno;
		snprintf(err, errlen, "make / private: %s", strerror(errno));
		return rc;
	}
	if (fs->overlay) {
		snprintf(root, sizeof(root), "%s/root", l->state_dir);
		if ((rc = fs_lowerdir(&fs->lower, lower, sizeof(lower))) != 0) {
			snprintf(err, errlen, "overlay lower layers: %s",
			    rc == -EINVAL ? "a path holds ',' or ':'" :
			    strerror(-rc));
			return rc;
		}
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,"
		    "workdir=%s/work", lower, l->state_dir, l->state_dir);
		if (strpbrk(l->state_dir, ",:") != NULL) {
			snprintf(err, errlen, "overlay: state directory %s "
			    "holds ',' or ':'", l->state_dir);
			return -EINVAL;
		}
		if (mount("overlay", root, "overlay", 0, opts) != 0) {
			rc = -errno;
			snprintf(err, errlen, "mount overlay on /: %s",
			    strerror(errno));
			return rc;
		}
	} else
		snprintf(root, sizeof(root), "/");
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "open %s: %s", root, strerror(errno));
		return rc;
	}

	/* The kernel's filesystems. */
	rc = 0;
	if (fs->overlay && (rc = fs_bind(rootfd, "/dev", "/dev", 1)) != 0)
		step = "bind /dev";
	if (rc == 0 && newpid && (rc = fs_mount(rootfd, "proc", "/proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) != 0)
		step = "mount /proc";
	/*
	 * A joined pid namespace: a /proc of it (the host's would show the
	 * host's processes), mounted by a child, which setns put in it.
	 */
	if (rc == 0 && !newpid && l->spec->ns[POL_NS_PID] == POL_NSM_WITH) {
		if ((rc = fs_proc_joined(rootfd)) != 0)
			step = "mount the joined pid namespace's /proc";
	} else if (rc == 0 && !newpid && fs->overlay &&
	    (rc = fs_bind(rootfd, "/proc", "/proc", 1)) != 0)
		step = "bind /proc";
	/* A fresh sysfs shows the new net namespace's devices only. */
	if (rc == 0 && newnet && (rc = fs_mount(rootfd, "sysfs", "/sys",
	    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) != 0)
		step = "mount /sys";
	if (rc == 0 && !newnet && fs->overlay &&
	    ((rc = fs_bind(rootfd, "/sys", "/sys", 1)) != 0 ||
	    (rc = fs_setattr(rootfd, "/sys", MOUNT_ATTR_RDONLY, 0)) != 0))
		step = "bind /sys read-only";
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", step, strerror(-rc));
		goto out;
	}
	/* The membrane's endpoint: the directory, its socket connectable. */
	if (fs->overlay && l->endpoint_dir != NULL &&
	    ((rc = fs_mkdirs(rootfd, l->endpoint_dir, 0, 0, 0)) != 0 ||
	    (rc = fs_bind(rootfd, l->endpoint_dir, l->endpoint_dir, 0)) !=
	    0)) {
		snprintf(err, errlen, "bind the endpoint directory %s: %s",
		    l->endpoint_dir, strerror(-rc));
		goto out;
	}
	for (i = 0; i < fs->volumes.n; i++)
		if ((rc = fs_volume(rootfd, fs->volumes.v[i], err,
		    errlen)) != 0)
			goto out;
	/* Writable paths exist before anything above them is read-only. */
	for (i = 0; i < fs->writable.n; i++)
		if ((rc = fs_mkdirs(rootfd, fs->writable.v[i], 1, l->uid,
		    l->gid)) != 0) {
			step = "create writable path", what = fs->writable.v[i];
			goto fail;
		}
	for (i = 0; i < fs->read_only.n; i++) {
		what = fs->read_only.v[i];
		step = "make read-only";
		rc = fs_bind(rootfd, NULL, what, 1);
		if (rc == -ENOENT) {	/* nothing there to protect */
			rc = 0;
			continue;
		}
		if (rc != 0 || (rc = fs_setattr(rootfd, what,
		    MOUNT_ATTR_RDONLY, 0)) != 0)
			goto fail;
	}
	for (i = 0; i < fs->writable.n; i++) {
		what = fs->writable.v[i];
		step = "make writable";
		if ((rc = fs_bind(rootfd, NULL, what, 1)) != 0 ||
		    (rc = fs_setattr(rootfd, what, 0, MOUNT_ATTR_RDONLY)) != 0)
			goto fail;
	}
	for (i = 0; i < fs->hidden.n; i++) {
		what = fs->hidden.v[i];
		step = "hide";
		if ((rc = fs_hide(rootfd, what)) == -ENOENT)
			rc = 0;
		else if (rc != 0)
			goto fail;
	}

	if (fs->overlay) {
		/* The old root stacked under the new one, then let go. */
		step = "pivot_root into", what = root;
		if (getcwd(lower, sizeof(lower)) == NULL)
			snprintf(lower, sizeof(lower), "/");
		if (fchdir(rootfd) != 0 ||
		    syscall(SYS_pivot_root, ".", ".") != 0 ||
		    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
			rc = -errno;
			goto fail;
		}
		/* The same working directory, if the view has it. */
		(void)chdir(lower);
	}
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s %s: %s", step, what, strerror(-rc));
out:
	close(rootfd);
	return rc;
}
