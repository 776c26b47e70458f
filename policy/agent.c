/*
 * agent.c: membrane-agent, the policy daemon.  It reads one membrane.yaml,
 * starts and supervises the switches and stacks, launches each service in
 * its profile, answers `membrane` on its control socket, breathes, and
 * reports ruptures.  One thread, one epoll loop; timers are deadlines
 * checked on each turn.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

struct agent	agent;

static const char usage_text[] =
"usage: membrane-agent -c FILE [options]\n"
"\n"
"  -c, --config FILE     membrane.yaml (required)\n"
"  -s, --socket PATH     the control socket (default " POL_CTL_PATH ")\n"
"      --state-dir DIR   services' state (default: the config's, or\n"
"                        /var/lib/membrane)\n"
"      --run-dir DIR     sockets and the bus (default: the config's, or\n"
"                        /run/membrane)\n"
"      --switch-bin P    membrane-switch (default " MEMBRANE_SBINDIR
    "/membrane-switch)\n"
"      --stack-bin P     membrane-stack (default " MEMBRANE_SBINDIR
    "/membrane-stack)\n"
"      --xdp-prog P      the switch's XDP object (default "
    MEMBRANE_PKGLIBDIR "/xdp_filter.bpf.o)\n"
"      --preload P       what services get as LD_PRELOAD (default "
    MEMBRANE_LIBDIR "/libmembrane.so)\n"
"      --allow-degraded  run with limits this host cannot enforce\n"
"  -f, --foreground      log to stderr, not syslog\n"
"  -v, --verbose         log more\n"
"  -h, --help            this text\n"
"  -V, --version         the version\n";

int64_t
agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
agent_watch(int fd, struct evsrc *ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = ev;
	return epoll_ctl(agent.epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

void
agent_unwatch(int fd)
{
	(void)epoll_ctl(agent.epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* In a child about to exec: the signals the agent blocks are its own. */
void
agent_child(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * An alert: a line at alert level (syslog LOG_ALERT reaches every logged-in
 * terminal on most hosts) and, for fail-loud, the config's alert_hook with
 * the event in its environment.
 */
void
agent_alert(const struct svc *s, const char *event, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;
	pid_t	pid;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("ALERT: %s: %s: %s", s != NULL ? s->name : "agent", event,
	    msg);
	syslog(LOG_ALERT, "membrane: %s: %s: %s", s != NULL ? s->name :
	    "agent", event, msg);
	if (strcmp(event, "fail-loud") != 0 || agent.cfg->alert_hook == NULL)
		return;
	if ((pid = fork()) < 0) {
		log_warn("alert hook");
		return;
	}
	if (pid == 0) {
		agent_child();
		setenv("MEMBRANE_SERVICE", s != NULL ? s->name : "", 1);
		setenv("MEMBRANE_EVENT", event, 1);
		setenv("MEMBRANE_REASON", msg, 1);
		execl("/bin/sh", "sh", "-c", agent.cfg->alert_hook,
		    (char *)NULL);
		_exit(127);
	}
	log_info("alert hook started (pid %ld)", (long)pid);
}

/* Every child that ended: a daemon, a service, or a hook. */
static void
reap(void)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (daemon_reaped(pid, status) || svc_reaped(pid, status))
			continue;
		log_debug("child %ld ended", (long)pid);
	}
}

static void
on_signal(void)
{
	struct signalfd_siginfo	si;

	while (read(agent.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: stopping", si.ssi_signo);
			agent.quit = true;
			break;
		case SIGHUP: {
			char msg[POL_ERR_MAX + 64];

			if (agent_reload(msg, sizeof(msg)) == 0)
				log_info("SIGHUP: %s", msg);
			else
				log_warnx("SIGHUP: %s", msg);
			break;
		}
		}
	}
}

static void
loop(void)
{
	struct epoll_event	ev[32];
	int64_t			now, next;
	int			n, i, tmo;

	while (!agent.quit) {
		now = agent_now();
		next = now + 1000;
		daemon_tick(now, &next);
		svc_tick(now, &next);
		tmo = next > now ? (int)(next - now) : 0;
		n = epoll_wait(agent.epfd, ev, 32, tmo);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (i = 0; i < n; i++) {
			struct evsrc *e = ev[i].data.ptr;

			switch (e->kind) {
			case EV_SIGNAL: on_signal(); break;
			case EV_LISTEN: ctl_accept(); break;
			case EV_CLIENT: ctl_client_event(e->obj); break;
			case EV_NOTIFY: svc_notify(e->obj); break;
			}
		}
	}
}

/* Absent flags take the config's value, then the default. */
static void
path_default(char *dst, size_t len, const char *flag, const char *cfg,
    const char *def)
{
	const char *v = flag != NULL ? flag : cfg != NULL ? cfg : def;

	if (strlen(v) >= len)
		fatalx("%s: path too long (at most %zu bytes)", v, len - 1);
	strcpy(dst, v);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "socket",	required_argument,	NULL, 's' },
		{ "state-dir",	required_argument,	NULL, 'S' },
		{ "run-dir",	required_argument,	NULL, 'R' },
		{ "switch-bin",	required_argument,	NULL, 'W' },
		{ "stack-bin",	required_argument,	NULL, 'K' },
		{ "xdp-prog",	required_argument,	NULL, 'X' },
		{ "preload",	required_argument,	NULL, 'P' },
		{ "allow-degraded", no_argument,	NULL, 'D' },
		{ "foreground",	no_argument,		NULL, 'f' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *run = NULL, *sock = NULL;
	char		 err[POL_ERR_MAX];
	int		 ch, fg = 0, verbose = 0;
	sigset_t	 mask;

	agent.switch_bin = MEMBRANE_SBINDIR "/membrane-switch";
	agent.stack_bin = MEMBRANE_SBINDIR "/membrane-stack";
	agent.xdp_prog = MEMBRANE_PKGLIBDIR "/xdp_filter.bpf.o";
	agent.preload = MEMBRANE_LIBDIR "/libmembrane.so";
	while ((ch = getopt_long(argc, argv, "c:s:fvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': agent.cfg_path = optarg; break;
		case 's': sock = optarg; break;
		case 'S': state = optarg; break;
		case 'R': run = optarg; break;
		case 'W': agent.switch_bin = optarg; break;
		case 'K': agent.stack_bin = optarg; break;
		case 'X': agent.xdp_prog = optarg; break;
		case 'P': agent.preload = optarg; break;
		case 'D': agent.degraded_flag = true; break;
		case 'f': fg = 1; break;
		case 'v': verbose++; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("membrane-agent %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (agent.cfg_path == NULL || optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	log_init("membrane-agent", fg, verbose);
	if (geteuid() != 0)
		fatalx("needs root: it makes namespaces, cgroups and mounts "
		    "for the services (run it as root)");
	if (pol_config_load(agent.cfg_path, &agent.cfg, err, sizeof(err)) < 0 ||
	    pol_config_check(agent.cfg, err, sizeof(err)) < 0)
		fatalx("%s", err);
	agent.state_flag = state != NULL;
	agent.run_flag = run != NULL;
	path_default(agent.state_dir, sizeof(agent.state_dir), state,
	    agent.cfg->state_dir, "/var/lib/membrane");
	path_default(agent.run_dir, sizeof(agent.run_dir), run,
	    agent.cfg->run_dir, "/run/membrane");
	path_default(agent.ctl_path, sizeof(agent.ctl_path), sock, NULL,
	    POL_CTL_PATH);
	agent.degraded_ok = agent.degraded_flag || agent.cfg->degraded_ok;
	if (pol_cg_host_detect(&agent.cg_host, NULL, NULL, agent.cg_why,
	    sizeof(agent.cg_why)) == 0)
		agent.cg_ok = true;
	else
		log_warnx("cgroups: %s", agent.cg_why);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	if ((agent.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (agent.sigfd = signalfd(-1, &mask, SFD_CLOEXEC |
	    SFD_NONBLOCK)) < 0)
		fatal("epoll/signalfd");
	agent.sig_ev.kind = EV_SIGNAL;
	if (agent_watch(agent.sigfd, &agent.sig_ev) < 0)
		fatal("epoll_ctl");
	if (mkdir(agent.run_dir, 0755) < 0 && errno != EEXIST)
		fatal("%s", agent.run_dir);
	if (mkdir(agent.state_dir, 0700) < 0 && errno != EEXIST)
		fatal("%s", agent.state_dir);
	if (ctl_listen() < 0)
		exit(1);
	if (daemon_setup() < 0)
		exit(1);
	svc_start_config();
	log_info("ready: %s, %zu membranes, %zu services, control %s",
	    agent.cfg_path, agent.cfg->nmembranes, agent.cfg->nservices,
	    agent.ctl_path);
	loop();
	svc_stop_all();
	ctl_close_all();
	daemon_stop_all();
	ctl_unlink();
	pol_config_free(agent.cfg);
	log_info("stopped");
	return 0;
}
