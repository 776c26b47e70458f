/*
 * agent_daemon.c: the switches and stacks the agent supervises.  One
 * switch per distinct uplink, one stack per membrane; a daemon that dies
 * is started again at once the first time, then with a doubling backoff
 * that resets once it has stayed up for AGENT_STABLE_MS.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

struct argv_b {
	char	**v;
	size_t	  n;
};

static void
argv_add(struct argv_b *a, const char *s)
{
	char **v;

	if ((v = realloc(a->v, (a->n + 2) * sizeof(*v))) == NULL ||
	    (v[a->n] = strdup(s)) == NULL)
		fatal("argv");
	v[++a->n] = NULL;
	a->v = v;
}

/* Words of a string, split on blanks (switch_args). */
static void
argv_split(struct argv_b *a, const char *s)
{
	char *copy, *w, *save = NULL;

	if (s == NULL)
		return;
	if ((copy = strdup(s)) == NULL)
		fatal("argv");
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save))
		argv_add(a, w);
	free(copy);
}

static struct daemon *
daemon_add(enum daemon_kind kind, const char *name)
{
	struct daemon *d;

	if (agent.ndaemons == AGENT_MAX_DAEMONS)
		fatalx("more than %d daemons", AGENT_MAX_DAEMONS);
	d = &agent.daemons[agent.ndaemons++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->next_start = 1;	/* as soon as the loop turns */
	return d;
}

/* The uids a membrane's stack lets attach: root, nobody, its services'. */
void
daemon_allowed_uids(const struct pol_config *cfg,
    const struct pol_membrane *mb, char *buf, size_t size)
{
	size_t	 i, len;

	len = (size_t)snprintf(buf, size, "0,65534");
	for (i = 0; i < mb->nuids && len < size - 16; i++)
		len += (size_t)snprintf(buf + len, size - len, ",%u",
		    (unsigned)mb->uids[i]);
	for (i = 0; i < cfg->nservices && len < size - 16; i++) {
		const struct pol_service *s = &cfg->services[i];
		uid_t uid;
		gid_t gid;

		if (strcmp(s->membrane, mb->name) != 0 ||
		    svc_user(s->user, &uid, &gid) < 0)
			continue;
		len += (size_t)snprintf(buf + len, size - len, ",%u",
		    (unsigned)uid);
	}
}

/* The stack's --allow-uid, kept: it holds for the stack's whole life. */
static void
allow_uids(struct argv_b *a, struct daemon *st)
{
	daemon_allowed_uids(agent.cfg, st->mb, st->allow, sizeof(st->allow));
	argv_add(a, "--allow-uid");
	argv_add(a, st->allow);
}

/* A reloaded config holds the same membranes: point at its copies. */
void
daemon_reconfig(const struct pol_config *cfg)
{
	unsigned i;

	for (i = 0; i < agent.ndaemons; i++)
		agent.daemons[i].mb = pol_config_membrane(cfg,
		    agent.daemons[i].mb->name);
}

int
daemon_setup(void)
{
	struct daemon	*sw;
	char		 path[POL_PATH_MAX];
	size_t		 i;
	unsigned	 j, nsw = 0;

	snprintf(path, sizeof(path), "%s/bus", agent.run_dir);
	(void)mkdir(path, 0755);
	for (i = 0; i < agent.cfg->nmembranes; i++) {
		const struct pol_membrane *mb = &agent.cfg->membranes[i];
		struct argv_b a = { NULL, 0 };

		/* One switch per uplink: membranes on it reach each other. */
		sw = NULL;
		for (j = 0; j < agent.ndaemons; j++)
			if (agent.daemons[j].kind == DAEMON_SWITCH &&
			    strcmp(agent.daemons[j].mb->uplink, mb->uplink) == 0)
				sw = &agent.daemons[j];
		if (sw == NULL) {
			char name[POL_NAME_MAX];

			snprintf(name, sizeof(name), "switch%u", nsw++);
			sw = daemon_add(DAEMON_SWITCH, name);
			sw->mb = mb;
			snprintf(sw->ctl, sizeof(sw->ctl), "%s/%s.sock",
			    agent.run_dir, name);
			argv_add(&a, agent.switch_bin);
			argv_add(&a, "--uplink");
			argv_add(&a, mb->uplink);
			argv_add(&a, "--ctl");
			argv_add(&a, sw->ctl);
			if (strncmp(mb->uplink, "af_xdp:", 7) == 0) {
				argv_add(&a, "--xdp-prog");
				argv_add(&a, agent.xdp_prog);
			}
			argv_split(&a, mb->switch_args);
			sw->argv = a.v;
			a.v = NULL;
			a.n = 0;
		}
		{
			struct daemon *st = daemon_add(DAEMON_STACK, mb->name);

			st->sw = sw;
			st->mb = mb;
			argv_add(&a, agent.stack_bin);
			argv_add(&a, "--name");
			argv_add(&a, mb->name);
			argv_add(&a, "--switch");
			argv_add(&a, sw->ctl);
			snprintf(path, sizeof(path), "%s/bus/net", agent.run_dir);
			argv_add(&a, "--bus");
			argv_add(&a, path);
			snprintf(path, sizeof(path), "%s/%s/stack.sock",
			    agent.run_dir, mb->name);
			argv_add(&a, "--endpoint");
			argv_add(&a, path);
			argv_add(&a, "--address");
			argv_add(&a, mb->address != NULL ? mb->address : "dhcp");
			if (mb->gateway != NULL) {
				argv_add(&a, "--gateway");
				argv_add(&a, mb->gateway);
			}
			if (mb->mac != NULL) {
				argv_add(&a, "--mac");
				argv_add(&a, mb->mac);
			}
			allow_uids(&a, st);
			st->argv = a.v;
		}
	}
	return 0;
}

static void
daemon_start(struct daemon *d, int64_t now)
{
	pid_t	 pid;

	if ((pid = fork()) < 0) {
		log_warn("%s %s: fork", d->kind == DAEMON_SWITCH ? "switch" :
		    "stack", d->name);
		d->next_start = now + 1000;
		return;
	}
	if (pid == 0) {
		agent_child();
		execv(d->argv[0], d->argv);
		fprintf(stderr, "membrane-agent: exec %s: %s\n", d->argv[0],
		    strerror(errno));
		_exit(127);
	}
	d->pid = pid;
	d->started = now;
	d->next_start = 0;
	log_info("%s %s started (pid %ld%s)", d->kind == DAEMON_SWITCH ?
	    "switch" : "stack", d->name, (long)pid, d->restarts > 0 ?
	    ", a restart" : "");
}

/* Start what is due; a stack waits for its switch's control socket. */
void
daemon_tick(int64_t now, int64_t *next)
{
	unsigned	i;
	struct stat	sb;

	for (i = 0; i < agent.ndaemons; i++) {
		struct daemon *d = &agent.daemons[i];

		if (d->pid > 0 || d->next_start == 0)
			continue;
		if (d->next_start > now) {
			if (d->next_start < *next)
				*next = d->next_start;
			continue;
		}
		if (d->kind == DAEMON_STACK && (d->sw->pid <= 0 ||
		    stat(d->sw->ctl, &sb) < 0 || !S_ISSOCK(sb.st_mode))) {
			d->next_start = now + 20;
			if (d->next_start < *next)
				*next = d->next_start;
			continue;
		}
		daemon_start(d, now);
	}
}

bool
daemon_reaped(pid_t pid, int status)
{
	unsigned	i;
	int64_t		now = agent_now();

	for (i = 0; i < agent.ndaemons; i++) {
		struct daemon *d = &agent.daemons[i];

		if (d->pid != pid)
			continue;
		d->pid = 0;
		if (agent.quit)
			return true;
		if (now - d->started >= AGENT_STABLE_MS)
			d->backoff_ms = 0;
		d->restarts++;
		d->next_start = now + d->backoff_ms;
		if (WIFSIGNALED(status))
			log_warnx("%s %s (pid %ld) killed by signal %d: restart "
			    "%u in %lld ms", d->kind == DAEMON_SWITCH ?
			    "switch" : "stack", d->name, (long)pid,
			    WTERMSIG(status), d->restarts,
			    (long long)d->backoff_ms);
		else
			log_warnx("%s %s (pid %ld) exited with %d: restart %u "
			    "in %lld ms", d->kind == DAEMON_SWITCH ? "switch" :
			    "stack", d->name, (long)pid, WEXITSTATUS(status),
			    d->restarts, (long long)d->backoff_ms);
		d->backoff_ms = d->backoff_ms == 0 ? 100 : d->backoff_ms * 2;
		if (d->backoff_ms > AGENT_BACKOFF_MAX_MS)
			d->backoff_ms = AGENT_BACKOFF_MAX_MS;
		return true;
	}
	return false;
}

struct daemon *
daemon_stack(const char *membrane)
{
	unsigned i;

	for (i = 0; i < agent.ndaemons; i++)
		if (agent.daemons[i].kind == DAEMON_STACK &&
		    strcmp(agent.daemons[i].name, membrane) == 0)
			return &agent.daemons[i];
	return NULL;
}

/* Stacks first, then the switches: TERM, and KILL past two seconds. */
void
daemon_stop_all(void)
{
	int		 kind, status;
	unsigned	 i, left;
	int64_t		 end;

	for (kind = DAEMON_STACK; kind >= DAEMON_SWITCH; kind--) {
		for (i = 0; i < agent.ndaemons; i++)
			if (agent.daemons[i].kind == (enum daemon_kind)kind &&
			    agent.daemons[i].pid > 0)
				kill(agent.daemons[i].pid, SIGTERM);
		end = agent_now() + 2000;
		do {
			left = 0;
			for (i = 0; i < agent.ndaemons; i++) {
				struct daemon *d = &agent.daemons[i];

				if (d->kind != (enum daemon_kind)kind ||
				    d->pid <= 0)
					continue;
				if (waitpid(d->pid, &status, WNOHANG) ==
				    d->pid)
					d->pid = 0;
				else
					left++;
			}
			if (left > 0)
				usleep(20000);
		} while (left > 0 && agent_now() < end);
		for (i = 0; i < agent.ndaemons; i++) {
			struct daemon *d = &agent.daemons[i];

			if (d->kind == (enum daemon_kind)kind && d->pid > 0) {
				log_warnx("%s did not stop: killed", d->name);
				kill(d->pid, SIGKILL);
				(void)waitpid(d->pid, &status, 0);
				d->pid = 0;
			}
		}
	}
}

void
daemon_list(FILE *out, bool json)
{
	unsigned i;

	if (!json)
		fprintf(out, "%-8s %-16s %-8s %-8s %s\n", "DAEMON", "NAME",
		    "PID", "RESTARTS", "STATE");
	for (i = 0; i < agent.ndaemons; i++) {
		const struct daemon *d = &agent.daemons[i];
		const char *kind = d->kind == DAEMON_SWITCH ? "switch" :
		    "stack";
		const char *st = d->pid > 0 ? "running" : "restarting";

		if (json)
			fprintf(out, "%s{\"kind\": \"%s\", \"name\": \"%s\", "
			    "\"pid\": %ld, \"restarts\": %u, \"state\": "
			    "\"%s\"}", i > 0 ? ", " : "", kind, d->name,
			    (long)d->pid, d->restarts, st);
		else
			fprintf(out, "%-8s %-16s %-8ld %-8u %s\n", kind,
			    d->name, (long)d->pid, d->restarts, st);
	}
}
