/*
 * launch.c: start a program inside a profile.
 *
 * pol_launch clones a child into new pid, net, mount, uts and ipc
 * namespaces (those the profile makes new), puts it in the service's
 * cgroup, and lets it go.  The child, still root on the host, then:
 *
 *   1. joins the namespaces the profile shares with another service,
 *   2. makes its cgroup namespace (now that it is in its cgroup, so that
 *      the cgroup is the namespace's root),
 *   3. brings lo up, sets the hostname, builds the filesystem view
 *      (launch_fs.c) and pivots into it,
 *   4. makes its user namespace last, and asks us for the uid/gid maps
 *      ("0 uid 1": root inside is the unprivileged host uid).
 *
 * The user namespace comes last because everything before needs the
 * host's privilege: an overlay mounted inside a user namespace cannot
 * copy up files whose owners it does not map (the host's root-owned
 * directories); and the namespaces made before it stay owned by the
 * host's user namespace, so that the program's capabilities, which are
 * only its user namespace's, give it no power over its mounts, network
 * or hostname at all.  The time namespace, like the pid namespace, holds
 * only the child's children.
 *
 * With a new pid namespace the child stays as the program's init (pid 1):
 * it forwards signals, reaps orphans and exits with the program's status.
 * The program itself sets its ids and capabilities, loads its seccomp
 * filter (handing us the listener), takes its stdio and execs.  Every
 * step that fails is sent back on the launch socket with its reason; the
 * socket's end of file (closed on exec) tells us that the exec happened.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch_pvt.h"

/* The signals init hands on to the program. */
static const int launch_fwd_sigs[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
};
static volatile sig_atomic_t launch_prog_pid;

/* What each namespace is called in /proc/PID/ns, and its clone flag. */
static const struct {
	const char	*name;
	int		 flag;
} launch_ns[POL_NS_COUNT] = {
	[POL_NS_PID] = { "pid", CLONE_NEWPID },
	[POL_NS_NET] = { "net", CLONE_NEWNET },
	[POL_NS_MNT] = { "mnt", CLONE_NEWNS },
	[POL_NS_UTS] = { "uts", CLONE_NEWUTS },
	[POL_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[POL_NS_USER] = { "user", CLONE_NEWUSER },
	[POL_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[POL_NS_TIME] = { "time", CLONE_NEWTIME },
};

/* Whether the profile makes namespace ns new. */
static int
launch_new(const struct pol_launch *l, enum pol_ns ns)
{
	return l->spec->ns[ns] == POL_NSM_PRIVATE ||
	    l->spec->ns[ns] == POL_NSM_MAPPED;
}

/* Send one message (and an fd, if fd >= 0); 0 or -errno. */
static int
launch_send(int sock, int type, int error, const char *text, int fd)
{
	struct launch_msg	 m;
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cm;
	struct cmsghdr		*c;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.error = error;
	if (text != NULL)
		snprintf(m.text, sizeof(m.text), "%s", text);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* Receive one message (and its fd into *fd); 1, 0 at end, or -errno. */
static int
launch_recv(int sock, struct launch_msg *m, int *fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct cmsghdr	*c;
	ssize_t		 n;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = m;
	iov.iov_len = sizeof(*m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return 0;
	if ((size_t)n != sizeof(*m) || (mh.msg_flags & MSG_TRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EBADMSG;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 1;
}

/* In a child: report a failed step to pol_launch and exit 127. */
static void __attribute__((noreturn))
launch_die(int sock, int error, const char *fmt, ...)
{
	char	text[POL_ERR_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	launch_send(sock, LAUNCH_ERROR, error, text, -1);
	_exit(127);
}

/* Wait for a message of type want from the parent, or die. */
static void
launch_await(int sock, int want)
{
	struct launch_msg	m;
	int			fd;

	if (launch_recv(sock, &m, &fd) != 1 || m.type != want)
		_exit(127);		/* the parent gave up on us */
}

/* Bring lo up in the new net namespace; 0 or -errno. */
static int
launch_lo_up(void)
{
	struct ifreq	ifr;
	int		s, rc = 0;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		rc = -errno;
	else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			rc = -errno;
	}
	close(s);
	return rc;
}

/* Join what the profile shares with a running service (not user). */
static void
launch_join(const struct pol_launch *l, int sock, int user)
{
	char	path[64];
	int	ns, fd;

	for (ns = 0; ns < POL_NS_COUNT; ns++) {
		if (l->spec->ns[ns] != POL_NSM_WITH ||
		    (ns == POL_NS_USER) != (user != 0))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)l->join[ns],
		    launch_ns[ns].name);
		if (l->join[ns] <= 0)
			launch_die(sock, ESRCH, "join the %s namespace of %s: "
			    "no such service running", launch_ns[ns].name,
			    l->spec->ns_with[ns]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    setns(fd, launch_ns[ns].flag) != 0)
			launch_die(sock, errno, "join %s: %s", path,
			    strerror(errno));
		close(fd);
	}
}

/* Take stdio from l->stdio and mark every other descriptor close-on-exec. */
static int
launch_stdio(const struct pol_launch *l)
{
	int	i, fd[3];

	/* Moved out of the way first: stdio[1] may be 0, and so on. */
	for (i = 0; i < 3; i++)
		if ((fd[i] = fcntl(l->stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return -errno;
	for (i = 0; i < 3; i++)
		if (dup2(fd[i], i) < 0)
			return -errno;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		return -errno;
	return 0;
}

/*
 * execvpe, searching the program's own PATH; returns the errno.  A name
 * found nowhere is ENOENT even when some PATH directory was not ours to
 * search (execvp would say EACCES: "Permission denied" for a typo).
 */
static int
launch_exec(char *const argv[], char *const envp[])
{
	const char	*path = "/usr/local/bin:/usr/bin:/bin", *p, *e;
	char		 file[POL_PATH_MAX];
	struct stat	 st;
	size_t		 i;
	int		 rc = ENOENT;

	if (strchr(argv[0], '/') != NULL) {
		execve(argv[0], argv, envp);
		return errno;
	}
	for (i = 0; envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	for (p = path; ; p = e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		if ((int)snprintf(file, sizeof(file), "%.*s%s%s", (int)(e - p),
		    p, e == p ? "" : "/", argv[0]) < (int)sizeof(file)) {
			execve(file, argv, envp);
			/* Found, and not runnable: that is the reason. */
			if (errno != ENOENT && errno != ENOTDIR &&
			    stat(file, &st) == 0)
				rc = errno;
		}
		if (*e == '\0')
			break;
	}
	return rc;
}

/* The program: ids, capabilities, seccomp, stdio, exec.  Never returns. */
static void __attribute__((noreturn))
launch_program(const struct pol_launch *l, int sock)
{
	const struct pol_spec	*s = l->spec;
	char			 err[POL_ERR_MAX];
	sigset_t		 none;
	int			 rc, nfd = -1, sig;

	sigemptyset(&none);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((rc = launch_caps_bound(s->cap_bounding, err, sizeof(err))) != 0)
		launch_die(sock, -rc, "%s", err);
	if (s->ns[POL_NS_USER] == POL_NSM_SHARED) {
		/* Keep the permitted set across the change of uid. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
		    setgroups(1, &l->gid) != 0 ||
		    setresgid(l->gid, l->gid, l->gid) != 0 ||
		    setresuid(l->uid, l->uid, l->uid) != 0)
			launch_die(sock, errno, "become uid %u gid %u: %s",
			    (unsigned)l->uid, (unsigned)l->gid,
			    strerror(errno));
	}
	/* The parent (init, or our caller) dies: so do we (after setuid,
	   which clears it). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if ((rc = launch_caps_set(s->cap_bounding, s->cap_ambient, err,
	    sizeof(err))) != 0 || (rc = launch_caps_nnp(err, sizeof(err))) != 0)
		launch_die(sock, -rc, "%s", err);
	if ((rc = pol_seccomp_load(s, &nfd, err, sizeof(err))) != 0)
		launch_die(sock, -rc, "%s", err);
	if (nfd >= 0) {
		if ((rc = launch_send(sock, LAUNCH_NOTIFY, 0, NULL, nfd)) != 0)
			_exit(127);
		close(nfd);
	}
	if ((rc = launch_stdio(l)) != 0)
		launch_die(sock, -rc, "standard descriptors: %s",
		    strerror(-rc));
	rc = launch_exec(l->argv, l->envp);
	launch_die(sock, rc, "exec %s: %s", l->argv[0], strerror(rc));
}

/* init: hand a signal on to the program. */
static void
launch_forward(int sig)
{
	if (launch_prog_pid > 0)
		kill((pid_t)launch_prog_pid, sig);
}

/* init: start the program, then reap until it exits; never returns. */
static void __attribute__((noreturn))
launch_init(const struct pol_launch *l, int sock)
{
	struct sigaction sa;
	sigset_t	 fwd, old;
	char		 err[POL_ERR_MAX];
	size_t		 i;
	pid_t		 pid, w;
	int		 st, rc;

	sigemptyset(&fwd);
	for (i = 0; i < sizeof(launch_fwd_sigs) / sizeof(int); i++)
		sigaddset(&fwd, launch_fwd_sigs[i]);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	if ((pid = fork()) < 0)
		launch_die(sock, errno, "fork the program: %s",
		    strerror(errno));
	if (pid == 0)
		launch_program(l, sock);
	launch_prog_pid = pid;
	prctl(PR_SET_NAME, "membrane-init", 0, 0, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = launch_forward;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(launch_fwd_sigs) / sizeof(int); i++)
		sigaction(launch_fwd_sigs[i], &sa, NULL);
	/*
	 * Nothing of the host's for init: no descriptors, no privilege.  The
	 * bounding set goes while we may (CAP_SETPCAP), then the ids.
	 */
	if ((rc = launch_caps_bound(0, err, sizeof(err))) != 0) {
		kill(pid, SIGKILL);
		launch_die(sock, -rc, "init: %s", err);
	}
	if (l->spec->ns[POL_NS_USER] == POL_NSM_SHARED &&
	    (setgroups(1, &l->gid) != 0 ||
	    setresgid(l->gid, l->gid, l->gid) != 0 ||
	    setresuid(l->uid, l->uid, l->uid) != 0)) {
		kill(pid, SIGKILL);
		launch_die(sock, errno, "init: become uid %u: %s",
		    (unsigned)l->uid, strerror(errno));
	}
	if ((rc = launch_caps_drop_all(err, sizeof(err))) != 0) {
		kill(pid, SIGKILL);
		launch_die(sock, -rc, "init: %s", err);
	}
	close_range(0, ~0U, 0);
	/*
	 * Nothing blocked, not even what our caller blocked: the agent holds
	 * SIGTERM and its kind for its signalfd, and init must take them to
	 * pass them on.
	 */
	sigemptyset(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);

	for (;;) {
		if ((w = waitpid(-1, &st, 0)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(127);	/* no program: cannot happen */
		}
		if (w != pid)
			continue;
		/* The rest die with us, pid 1 of their namespace. */
		if (WIFEXITED(st))
			_exit(WEXITSTATUS(st));
		_exit(128 + WTERMSIG(st));
	}
}

/* The cloned child: steps 1 to 4 of the top, then init or the program. */
static void __attribute__((noreturn))
launch_child(const struct pol_launch *l, int sock)
{
	const struct pol_spec	*s = l->spec;
	char			 err[POL_ERR_MAX];
	int			 rc, fork_prog;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	launch_await(sock, LAUNCH_GO);
	launch_join(l, sock, 0);
	if (launch_new(l, POL_NS_CGROUP) && unshare(CLONE_NEWCGROUP) != 0)
		launch_die(sock, errno, "new cgroup namespace: %s",
		    strerror(errno));
	if (launch_new(l, POL_NS_NET) && (rc = launch_lo_up()) != 0)
		launch_die(sock, -rc, "bring lo up: %s", strerror(-rc));
	if (launch_new(l, POL_NS_UTS) && l->service != NULL &&
	    sethostname(l->service, strlen(l->service)) != 0)
		launch_die(sock, errno, "set the hostname %s: %s", l->service,
		    strerror(errno));
	if (launch_new(l, POL_NS_MNT)) {
		if ((rc = launch_fs_setup(l, launch_new(l, POL_NS_PID),
		    launch_new(l, POL_NS_NET), err, sizeof(err))) != 0)
			launch_die(sock, -rc, "%s", err);
	} else if (s->fs.overlay || s->fs.read_only.n || s->fs.hidden.n ||
	    s->fs.writable.n || s->fs.volumes.n)
		launch_die(sock, EINVAL, "filesystem: the profile's view "
		    "needs a private mount namespace");
	/*
	 * The agent's supplementary groups (host gid 0 among them) would
	 * cross into the user namespace, still checked as the host's gids
	 * though shown as nobody: drop them while we may.
	 */
	if (s->ns[POL_NS_USER] != POL_NSM_SHARED &&
	    setgroups(1, &l->gid) != 0)
		launch_die(sock, errno, "drop the agent's groups: %s",
		    strerror(errno));
	if (launch_new(l, POL_NS_USER)) {
		if (unshare(CLONE_NEWUSER) != 0)
			launch_die(sock, errno, "new user namespace: %s",
			    strerror(errno));
		if (launch_send(sock, LAUNCH_USERNS, 0, NULL, -1) != 0)
			_exit(127);
		launch_await(sock, LAUNCH_MAPPED);
		/* Root inside: the host's l->uid, all of this ns's caps. */
		if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
			launch_die(sock, errno, "become root in the user "
			    "namespace: %s", strerror(errno));
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	} else if (s->ns[POL_NS_USER] == POL_NSM_WITH) {
		launch_join(l, sock, 1);
		if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
			launch_die(sock, errno, "become root in the joined "
			    "user namespace: %s", strerror(errno));
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	}
	if (launch_new(l, POL_NS_TIME) && unshare(CLONE_NEWTIME) != 0)
		launch_die(sock, errno, "new time namespace: %s",
		    strerror(errno));

	fork_prog = launch_new(l, POL_NS_PID) ||
	    s->ns[POL_NS_PID] == POL_NSM_WITH || launch_new(l, POL_NS_TIME);
	if (fork_prog)
		launch_init(l, sock);
	launch_program(l, sock);
}

/* Write text into /proc/pid/file; 0 or -errno. */
static int
launch_write(pid_t pid, const char *file, const char *text)
{
	char	path[64];
	int	fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = -errno;
	close(fd);
	return rc;
}

/* The child's uid and gid maps: root inside is l->uid; 0 or -errno. */
static int
launch_map(const struct pol_launch *l, pid_t pid, char *err, size_t errlen)
{
	char	map[64];
	int	rc;

	if ((rc = launch_write(pid, "setgroups", "deny")) != 0) {
		snprintf(err, errlen, "write setgroups: %s", strerror(-rc));
		return rc;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)l->uid);
	if ((rc = launch_write(pid, "uid_map", map)) != 0) {
		snprintf(err, errlen, "write uid_map \"0 %u 1\": %s",
		    (unsigned)l->uid, strerror(-rc));
		return rc;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)l->gid);
	if ((rc = launch_write(pid, "gid_map", map)) != 0) {
		snprintf(err, errlen, "write gid_map \"0 %u 1\": %s",
		    (unsigned)l->gid, strerror(-rc));
		return rc;
	}
	return 0;
}

int
pol_launch(struct pol_launch *l, pid_t *pid, char *err, size_t errlen)
{
	struct launch_msg	 m;
	unsigned long		 flags = SIGCHLD;
	pid_t			 child;
	int			 sv[2], ns, fd, rc, got, failed = 0;

	l->notify_fd = -1;
	*pid = -1;
	if (l->spec == NULL || l->argv == NULL || l->argv[0] == NULL ||
	    l->envp == NULL) {
		snprintf(err, errlen, "launch: no profile or no command");
		return -EINVAL;
	}
	if ((rc = launch_fs_prepare(l, err, errlen)) != 0)
		return rc;
	/* Made now: the rest waits for the cgroup or the user ns. */
	for (ns = 0; ns < POL_NS_COUNT; ns++)
		if (launch_new(l, (enum pol_ns)ns) && ns != POL_NS_USER &&
		    ns != POL_NS_CGROUP && ns != POL_NS_TIME)
			flags |= (unsigned long)launch_ns[ns].flag;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return rc;
	}
	/* Like fork(), into new namespaces: we are single-threaded. */
	child = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	if (child < 0) {
		rc = -errno;
		snprintf(err, errlen, "clone into new namespaces: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (child == 0) {
		close(sv[0]);
		launch_child(l, sv[1]);
	}
	close(sv[1]);

	if (l->cg != NULL && (rc = pol_cg_attach(l->cg, child)) != 0) {
		snprintf(err, errlen, "join the cgroup: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = launch_send(sv[0], LAUNCH_GO, 0, NULL, -1)) != 0) {
		snprintf(err, errlen, "start the child: %s", strerror(-rc));
		goto fail;
	}
	/* Until the end of file: every holder exec'd or exited. */
	while ((got = launch_recv(sv[0], &m, &fd)) != 0) {
		if (got < 0) {
			rc = got;
			snprintf(err, errlen, "launch socket: %s",
			    strerror(-rc));
			goto fail;
		}
		switch (m.type) {
		case LAUNCH_USERNS:
			if ((rc = launch_map(l, child, err, errlen)) != 0 ||
			    (rc = launch_send(sv[0], LAUNCH_MAPPED, 0, NULL,
			    -1)) != 0)
				goto fail;
			break;
		case LAUNCH_NOTIFY:
			if (fd >= 0 && l->notify_fd < 0) {
				l->notify_fd = fd;
				fd = -1;
			}
			break;
		case LAUNCH_ERROR:
			/* The first is the reason; the child exits 127. */
			if (!failed) {
				snprintf(err, errlen, "%s", m.text);
				rc = m.error > 0 ? -m.error : -EINVAL;
				failed = 1;
			}
			break;
		default:
			break;
		}
		if (fd >= 0)
			close(fd);
	}
	if (failed)
		goto fail;
	close(sv[0]);
	*pid = child;
	return 0;
fail:
	close(sv[0]);
	kill(child, SIGKILL);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (l->notify_fd >= 0)
		close(l->notify_fd);
	l->notify_fd = -1;
	return rc;
}
