/*
 * polrun: start a command inside a profile without the agent (the launch
 * tests).  It resolves the profile, launches with our stdio and
 * environment, answers the program's seccomp notifications (each one a
 * line "polrun: security event: SYSCALL by pid N" on stderr) and exits
 * with the program's status (128+N when signal N killed it).
 *
 * usage: polrun [--profile NAME] [--service NAME] [--state DIR]
 *     [--endpoint-dir DIR] [--uid N] [--gid N] -- CMD ARGS...
 */
#include "config.h"

#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

extern char **environ;

static volatile sig_atomic_t	polrun_pid;

/* Hand a signal on to the program's init. */
static void
polrun_forward(int sig)
{
	if (polrun_pid > 0)
		kill((pid_t)polrun_pid, sig);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: polrun [--profile NAME] [--service NAME] "
	    "[--state DIR] [--endpoint-dir DIR] [--uid N] [--gid N] -- "
	    "CMD ARGS...\n");
	exit(2);
}

/* A number option's value, or usage. */
static unsigned
polrun_num(const char *s)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v > 0xfffffffeUL)
		usage();
	return (unsigned)v;
}

/* Answer every pending notification; the program waits for us. */
static void
polrun_answer(int fd)
{
	const char	*name;
	pid_t		 pid;
	int		 nr, rc;

	if ((rc = pol_seccomp_answer(fd, &nr, &pid)) == 1)
		return;		/* glibc's own datagram socket: no event */
	if (rc != 0) {
		if (rc != -ENOENT)
			fprintf(stderr, "polrun: seccomp answer: %s\n",
			    strerror(-rc));
		return;
	}
	name = pol_syscall_name(nr);
	fprintf(stderr, "polrun: security event: %s by pid %d\n",
	    name != NULL ? name : "?", (int)pid);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "endpoint-dir", required_argument, NULL, 'e' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	struct pol_spec		 spec;
	struct pol_launch	 l;
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	const char		*profile = "photon", *service = "polrun";
	char			 err[POL_ERR_MAX];
	pid_t			 pid;
	int			 c, rc, st, pidfd, n;

	memset(&l, 0, sizeof(l));
	l.uid = 65534;
	l.gid = 65534;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 'S':
			l.state_dir = optarg;
			break;
		case 'e':
			l.endpoint_dir = optarg;
			break;
		case 'u':
			l.uid = (uid_t)polrun_num(optarg);
			break;
		case 'g':
			l.gid = (gid_t)polrun_num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();

	memset(&spec, 0, sizeof(spec));
	if ((rc = pol_profile_resolve(NULL, profile, service, environ, &spec,
	    err, sizeof(err))) != 0) {
		fprintf(stderr, "polrun: profile %s: %s\n", profile, err);
		return 2;
	}
	l.spec = &spec;
	l.service = service;
	l.argv = argv + optind;
	l.envp = environ;
	l.stdio[0] = 0;
	l.stdio[1] = 1;
	l.stdio[2] = 2;
	if ((rc = pol_launch(&l, &pid, err, sizeof(err))) != 0) {
		fprintf(stderr, "polrun: %s\n", err);
		pol_spec_free(&spec);
		return rc == -ENOENT ? 127 : rc == -EACCES ||
		    rc == -ENOEXEC ? 126 : 125;
	}
	polrun_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = polrun_forward;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	/* The program ends when its init does: a pidfd says when. */
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
		fprintf(stderr, "polrun: pidfd_open: %s\n", strerror(errno));
		kill(pid, SIGKILL);
	}
	while (pidfd >= 0) {
		pfd[0].fd = pidfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = l.notify_fd;	/* -1: poll skips it */
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if ((n = poll(pfd, 2, -1)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents & POLLIN)
			polrun_answer(l.notify_fd);
		else if (pfd[1].revents != 0) {
			/* Every filtered task is gone. */
			close(l.notify_fd);
			l.notify_fd = -1;
		}
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "polrun: waitpid: %s\n",
			    strerror(errno));
			return 125;
		}
	pol_spec_free(&spec);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
