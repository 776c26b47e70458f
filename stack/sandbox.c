/*
 * sandbox.c: lock the engine in, in a fixed order, each step fatal on
 * failure (OpenBSD ntpd, OpenSSH's sandbox): an empty root, no groups, an
 * unprivileged uid, no capabilities, no new privileges, then a seccomp
 * allowlist of what the event loop needs.  Calls that must never happen
 * (files, programs, kernel sockets, debugging, mounts) fail with EACCES,
 * so a bug shows as an error; anything else unforeseen kills the engine.
 */
#include "config.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stack_pvt.h"

#define SANDBOX_ROOT	"/run/membrane/empty"

/* The calls the event loop makes, and nothing more. */
static const int sandbox_allow[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(accept4),
	SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1), SCMP_SYS(eventfd2),
	SCMP_SYS(fcntl), SCMP_SYS(memfd_create), SCMP_SYS(ftruncate),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(mmap),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday),
	SCMP_SYS(getrandom), SCMP_SYS(futex), SCMP_SYS(sched_yield),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(signalfd4),
};

/* The calls that must never succeed: they fail, loudly, with EACCES. */
static const int sandbox_deny[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(creat),
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(socket),
	SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(ptrace), SCMP_SYS(mount),
	SCMP_SYS(umount2), SCMP_SYS(chroot), SCMP_SYS(pivot_root),
	SCMP_SYS(bpf), SCMP_SYS(kexec_load), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(setuid), SCMP_SYS(setgid),
	SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(unshare),
	SCMP_SYS(setns), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(clone3),
};

/* Make (or check) the empty directory the engine is locked into. */
static void
sandbox_root(void)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;

	(void)mkdir("/run/membrane", 0755);
	if (mkdir(SANDBOX_ROOT, 0555) < 0 && errno != EEXIST)
		fatal("mkdir %s", SANDBOX_ROOT);
	if (lstat(SANDBOX_ROOT, &st) < 0)
		fatal("%s", SANDBOX_ROOT);
	/* Nobody but root may have put anything there. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		fatalx("%s must be a directory owned by root and writable by "
		    "nobody else", SANDBOX_ROOT);
	if ((d = opendir(SANDBOX_ROOT)) == NULL)
		fatal("%s", SANDBOX_ROOT);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fatalx("%s is not empty", SANDBOX_ROOT);
	closedir(d);
}

static void
sandbox_seccomp(void)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		rc;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init failed");
	for (i = 0; i < sizeof(sandbox_allow) / sizeof(sandbox_allow[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    sandbox_allow[i], 0)) < 0 && rc != -EDOM)
			fatalx("seccomp_rule_add(%d): %s", sandbox_allow[i],
			    strerror(-rc));
	for (i = 0; i < sizeof(sandbox_deny) / sizeof(sandbox_deny[0]); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
		    sandbox_deny[i], 0)) < 0 && rc != -EDOM)
			fatalx("seccomp_rule_add(%d): %s", sandbox_deny[i],
			    strerror(-rc));
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}

/* Enter the sandbox as user (a name or a number); fatal on any failure. */
void
sandbox_enter(const char *user)
{
	struct passwd	*pw;
	cap_t		 none;
	cap_value_t	 v;
	uid_t		 uid;
	gid_t		 gid;
	char		*end;

	errno = 0;
	uid = (uid_t)strtoul(user, &end, 10);
	if (*end == '\0' && end != user)
		pw = getpwuid(uid);
	else
		pw = getpwnam(user);
	if (pw == NULL)
		fatalx("sandbox: no user %s", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		fatalx("sandbox: refusing to run the engine as root");

	sandbox_root();
	if (chroot(SANDBOX_ROOT) < 0 || chdir("/") < 0)
		fatal("sandbox: chroot %s", SANDBOX_ROOT);
	if (setgroups(0, NULL) < 0)
		fatal("sandbox: setgroups");
	for (v = 0; v <= CAP_LAST_CAP; v++)
		if (cap_drop_bound(v) < 0 && errno != EINVAL)
			fatal("sandbox: dropping the bounding set");
	if (setresgid(gid, gid, gid) < 0)
		fatal("sandbox: setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		fatal("sandbox: setresuid %u", (unsigned)uid);
	if ((none = cap_init()) == NULL || cap_set_proc(none) < 0)
		fatal("sandbox: dropping capabilities");
	cap_free(none);
	/*
	 * A change of credentials clears the parent-death signal priv_start
	 * set: arm it again, or an engine whose monitor was killed (-9) would
	 * live on, holding the switch port and the MAC its successor needs.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fatal("sandbox: prctl(PR_SET_PDEATHSIG)");
	if (getppid() != priv_monitor_pid)
		fatalx("sandbox: the monitor is gone");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("sandbox: prctl(PR_SET_NO_NEW_PRIVS)");
	sandbox_seccomp();
	log_info("sandboxed: root %s, uid %u, no capabilities, seccomp",
	    SANDBOX_ROOT, (unsigned)uid);
}

/* Try what the sandbox must forbid, and say what happened (tests). */
void
sandbox_selftest(void)
{
	char	*argv[] = { (char *)"/bin/true", NULL };
	int	 fd;

	fd = open("/etc/passwd", O_RDONLY);
	log_info("sandbox test: open(/etc/passwd): %s%s", fd < 0 ? "denied: " :
	    "ALLOWED", fd < 0 ? strerror(errno) : "");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	log_info("sandbox test: socket(AF_INET): %s%s", fd < 0 ? "denied: " :
	    "ALLOWED", fd < 0 ? strerror(errno) : "");
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	log_info("sandbox test: socket(AF_INET6): %s%s", fd < 0 ? "denied: " :
	    "ALLOWED", fd < 0 ? strerror(errno) : "");
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	log_info("sandbox test: socket(AF_PACKET): %s%s", fd < 0 ? "denied: " :
	    "ALLOWED", fd < 0 ? strerror(errno) : "");
	execve(argv[0], argv, NULL);
	log_info("sandbox test: execve(/bin/true): denied: %s", strerror(errno));
}
