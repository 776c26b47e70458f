/*
 * priv.c: the stack's privilege separation, in the manner of OpenBSD's
 * daemons.  main() forks: the child is the engine (lwIP, the apps, the
 * switch port) and locks itself into a sandbox; the parent, the monitor,
 * stays outside with no capabilities and does the two things the sandbox
 * forbids, on the engine's request and by its own configuration only:
 *
 *   PRIV_SWITCH   connect to the switch's control socket; the connected
 *                 socket goes back to the engine (SCM_RIGHTS)
 *   PRIV_BUS_PUT  write the engine's state to the bus file (JSON text)
 *   PRIV_BUS_DEL  remove the bus file
 *
 * The engine can name neither a path nor a peer.  The monitor forwards
 * SIGINT/SIGTERM to the engine and, when the engine exits, removes the bus
 * file and exits with its status.
 */
#include "config.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stack_pvt.h"

#define PRIV_MAX_MSG	8192

struct priv_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes */
};

static int priv_sock = -1;		/* the engine's end */

/* mkdir -p. */
static int
priv_mkdirs(const char *dir)
{
	char	 buf[256];
	char	*c;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (c = buf + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(buf, 0755);
		*c = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Monitor: write the bus file atomically. */
static void
priv_bus_put(const struct stack_cfg *c, const char *json, size_t len)
{
	char	 path[300], tmp[310];
	FILE	*f;

	if (priv_mkdirs(c->bus_dir) < 0 ||
	    snprintf(path, sizeof(path), "%s/%s", c->bus_dir, c->name) >=
	    (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_warnx("bus: cannot write under %s", c->bus_dir);
		return;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("bus: %s", tmp);
		return;
	}
	if (fwrite(json, 1, len, f) != len || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		log_warn("bus: %s", path);
		unlink(tmp);
	}
}

static void
priv_bus_del(const struct stack_cfg *c)
{
	char path[300];

	if (snprintf(path, sizeof(path), "%s/%s", c->bus_dir, c->name) <
	    (int)sizeof(path))
		(void)unlink(path);
}

pid_t	priv_monitor_pid;

/* Monitor: the engine is gone; so is its endpoint (and its directory). */
static void
priv_endpoint_del(const struct stack_cfg *c)
{
	char	 dir[sizeof(c->endpoint)], *slash;

	if (c->endpoint[0] == '\0' || unlink(c->endpoint) < 0)
		return;
	snprintf(dir, sizeof(dir), "%s", c->endpoint);
	if ((slash = strrchr(dir, '/')) != NULL &&
	    strncmp(dir, MBS_RUN_DIR "/", strlen(MBS_RUN_DIR) + 1) == 0 &&
	    strcmp(slash + 1, MBS_ENDPOINT_NAME) == 0) {
		*slash = '\0';
		(void)rmdir(dir);
	}
}

/* Monitor: connect to the switch; returns the socket or -errno. */
static int
priv_connect(const struct stack_cfg *c)
{
	struct sockaddr_un	sun;
	int			s, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->switch_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, c->switch_path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Monitor: serve the engine until it exits; never returns. */
static void
priv_monitor(const struct stack_cfg *c, int sock, pid_t engine)
{
	static char	 buf[sizeof(struct priv_hdr) + PRIV_MAX_MSG];
	struct pollfd	 pfd[2];
	sigset_t	 mask;
	cap_t		 keep;
	cap_value_t	 kill_cap = CAP_KILL;
	int		 sfd, status;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	/*
	 * Root owns what the monitor writes, so it needs one capability
	 * only: CAP_KILL, to pass signals on to the engine, which runs as
	 * another user.
	 */
	if ((keep = cap_init()) == NULL ||
	    cap_set_flag(keep, CAP_EFFECTIVE, 1, &kill_cap, CAP_SET) < 0 ||
	    cap_set_flag(keep, CAP_PERMITTED, 1, &kill_cap, CAP_SET) < 0 ||
	    cap_set_proc(keep) < 0)
		fatal("monitor: dropping capabilities");
	cap_free(keep);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sock;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				if (waitpid(engine, &status, WNOHANG) != engine)
					continue;
				priv_bus_del(c);
				priv_endpoint_del(c);
				if (WIFSIGNALED(status)) {
					log_warnx("engine killed by signal %d%s",
					    WTERMSIG(status), WTERMSIG(status) ==
					    SIGSYS ? " (a system call outside its "
					    "sandbox)" : "");
					exit(128 + WTERMSIG(status));
				}
				exit(WEXITSTATUS(status));
			}
			if (si.ssi_signo != SIGPIPE &&
			    kill(engine, (int)si.ssi_signo) < 0)
				log_warn("passing signal %u to the engine",
				    si.ssi_signo);
		}
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			struct priv_hdr	h;
			ssize_t		n = recv(sock, buf, sizeof(buf), MSG_TRUNC);

			if (n <= 0) {
				pfd[1].fd = -1;	/* engine gone; SIGCHLD follows */
				continue;
			}
			if ((size_t)n < sizeof(h) || (size_t)n > sizeof(buf)) {
				log_warnx("monitor: malformed request (%zd bytes)", n);
				continue;
			}
			memcpy(&h, buf, sizeof(h));
			if (h.len != (size_t)n - sizeof(h)) {
				log_warnx("monitor: request length mismatch");
				continue;
			}
			switch (h.type) {
			case PRIV_SWITCH: {
				int32_t	err = 0;
				int	s = priv_connect(c);

				if (s < 0)
					err = s;
				(void)ion_send_fds(sock, &err, sizeof(err),
				    s >= 0 ? &s : NULL, s >= 0 ? 1 : 0);
				if (s >= 0)
					close(s);
				break;
			}
			case PRIV_BUS_PUT:
				priv_bus_put(c, buf + sizeof(h), h.len);
				break;
			case PRIV_BUS_DEL:
				priv_bus_del(c);
				break;
			default:
				log_warnx("monitor: unknown request %u", h.type);
			}
		}
	}
}

/* Fork the monitor; returns in the engine only. */
void
priv_start(const struct stack_cfg *c)
{
	int	sp[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal("socketpair");
	priv_monitor_pid = getpid();
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		close(sp[1]);
		priv_monitor(c, sp[0], pid);
	}
	close(sp[0]);
	priv_sock = sp[1];
	/* Die with the monitor: the engine must never outlive its keeper. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
		fatal("prctl(PR_SET_PDEATHSIG)");
}

static int
priv_send(uint32_t type, const void *payload, size_t len)
{
	char		buf[sizeof(struct priv_hdr) + PRIV_MAX_MSG];
	struct priv_hdr	h = { .type = type, .len = (uint32_t)len };

	if (len > PRIV_MAX_MSG)
		return -EMSGSIZE;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), payload, len);
	if (send(priv_sock, buf, sizeof(h) + len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Engine: a socket connected to the switch, by way of the monitor. */
int
priv_switch_connect(void)
{
	int32_t		err;
	int		fd = -1;
	unsigned	nfd = 1;
	ssize_t		n;
	int		rc;

	if ((rc = priv_send(PRIV_SWITCH, NULL, 0)) < 0)
		return rc;
	n = ion_recv_fds(priv_sock, &err, sizeof(err), &fd, &nfd);
	if (n != sizeof(err))
		return n < 0 ? (int)n : -EPROTO;
	if (err < 0)
		return err;
	return nfd == 1 ? fd : -EPROTO;
}

int
priv_bus_publish(const char *json, size_t len)
{
	return priv_send(PRIV_BUS_PUT, json, len);
}

void
priv_bus_remove(void)
{
	(void)priv_send(PRIV_BUS_DEL, NULL, 0);
}
