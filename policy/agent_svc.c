/*
 * agent_svc.c: services, each a program in its profile: its cgroup, its
 * launch, its end, its restarts, OOM kills and the ruptures they make,
 * and the seccomp notifications that become security events.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

#define SVC_STOP_GRACE_MS	2000
#define SVC_OOM_POLL_MS		500

const char *
svc_state_name(enum svc_state st)
{
	switch (st) {
	case SVC_STARTING:	return "starting";
	case SVC_RUNNING:	return "running";
	case SVC_BACKOFF:	return "restarting";
	case SVC_STOPPED:	return "stopped";
	case SVC_RUPTURED:	return "ruptured";
	case SVC_EXITED:	return "exited";
	}
	return "?";
}

struct svc *
svc_find(const char *name)
{
	struct svc *s;

	for (s = agent.svcs; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* A user name or number, default nobody; 0 or -ENOENT. */
int
svc_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	char		*end;
	unsigned long	 n;

	if (user == NULL || user[0] == '\0')
		user = "nobody";
	if ((pw = getpwnam(user)) != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	errno = 0;
	n = strtoul(user, &end, 10);
	if (*end != '\0' || errno != 0 || n > 0xfffffffeUL)
		return -ENOENT;
	*uid = (uid_t)n;
	*gid = (pw = getpwuid(*uid)) != NULL ? pw->pw_gid : (gid_t)n;
	return 0;
}

static char **
strv_dup(char *const *v)
{
	char	**d;
	size_t	  n = 0, i;

	while (v != NULL && v[n] != NULL)
		n++;
	if ((d = calloc(n + 1, sizeof(*d))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++)
		if ((d[i] = strdup(v[i])) == NULL)
			fatal("strdup");
	return d;
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static bool
name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= 32)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

struct svc *
svc_new(const char *name, const char *profile, const char *membrane,
    char **argv, char **env, const char *user, char *err, size_t errlen)
{
	struct svc	*s;

	if (!name_ok(name)) {
		snprintf(err, errlen, "\"%s\" is not a service name (letters, "
		    "digits, - and _, up to 31)", name);
		return NULL;
	}
	if (svc_find(name) != NULL) {
		snprintf(err, errlen, "a service named %s exists already",
		    name);
		return NULL;
	}
	if (membrane[0] != '\0' && daemon_stack(membrane) == NULL) {
		snprintf(err, errlen, "no membrane named %s in %s", membrane,
		    agent.cfg_path);
		return NULL;
	}
	if (argv == NULL || argv[0] == NULL) {
		snprintf(err, errlen, "no command to run");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->profile, sizeof(s->profile), "%s", profile);
	snprintf(s->membrane, sizeof(s->membrane), "%s", membrane);
	s->notify_fd = -1;
	s->log_fd = -1;
	if (svc_user(user, &s->uid, &s->gid) < 0) {
		snprintf(err, errlen, "no user %s on this host", user);
		free(s);
		return NULL;
	}
	s->argv = strv_dup(argv);
	s->env = strv_dup(env);
	if (pol_profile_resolve(agent.cfg, profile, name, s->env, &s->spec,
	    err, errlen) < 0) {
		svc_free(s);
		return NULL;
	}
	s->have_spec = true;
	s->base = s->cur = s->spec.lim;
	s->rupture = s->spec.rupture;
	s->next = agent.svcs;
	agent.svcs = s;
	return s;
}

/* Unlink and free a service that no longer runs. */
void
svc_free(struct svc *s)
{
	struct svc **pp;

	for (pp = &agent.svcs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->notify_fd >= 0) {
		agent_unwatch(s->notify_fd);
		close(s->notify_fd);
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->cg != NULL)
		pol_cg_destroy(s->cg);
	if (s->have_spec)
		pol_spec_free(&s->spec);
	strv_free(s->argv);
	strv_free(s->env);
	free(s);
}

static void
env_add(char ***v, size_t *n, const char *fmt, const char *a, const char *b)
{
	char	**nv;
	char	 *e;

	if (asprintf(&e, fmt, a, b) < 0 ||
	    (nv = realloc(*v, (*n + 2) * sizeof(*nv))) == NULL)
		fatal("environment");
	nv[(*n)++] = e;
	nv[*n] = NULL;
	*v = nv;
}

/* The service's environment: ours first, then its own, then the membrane. */
static char **
svc_environ(const struct svc *s)
{
	char	**v = NULL, path[POL_PATH_MAX];
	size_t	  n = 0, i;

	env_add(&v, &n, "%s%s", "PATH=/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin", "");
	env_add(&v, &n, "%s%s", "HOME=/tmp", "");
	env_add(&v, &n, "SERVICE=%s%s", s->name, "");
	for (i = 0; s->env[i] != NULL; i++)
		env_add(&v, &n, "%s%s", s->env[i], "");
	if (s->membrane[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s/stack.sock",
		    agent.run_dir, s->membrane);
		env_add(&v, &n, "LD_PRELOAD=%s%s", agent.preload, "");
		env_add(&v, &n, "MEMBRANE=%s%s", s->membrane, "");
		env_add(&v, &n, "MEMBRANE_SOCKET=%s%s", path, "");
	}
	return v;
}

/* The pid of a running service of that profile, for shared-with-. */
static pid_t
svc_with(const char *profile)
{
	struct svc *s;

	for (s = agent.svcs; s != NULL; s = s->next)
		if (s->state == SVC_RUNNING && s->pid > 0 &&
		    strcmp(s->profile, profile) == 0)
			return s->pid;
	return 0;
}

int
svc_limits(struct svc *s, const struct pol_limits *lim, char *err,
    size_t errlen)
{
	int rc;

	if (s->cg == NULL) {
		snprintf(err, errlen, "%s has no cgroup on this host: %s",
		    s->name, agent.cg_why);
		return -EOPNOTSUPP;
	}
	if ((rc = pol_cg_apply(s->cg, lim, agent.degraded_ok ||
	    s->spec.degraded_ok, err, errlen)) < 0)
		return rc;
	if (err[0] != '\0')
		log_warnx("%s: %s", s->name, err);
	s->cur = *lim;
	return 0;
}

static bool
has_limits(const struct pol_limits *l)
{
	return l->memory_max != POL_UNSET || l->memory_high != POL_UNSET ||
	    l->memory_swap_max != POL_UNSET || l->cpu_weight != POL_UNSET ||
	    l->cpu_quota_us != POL_UNSET || l->pids_max != POL_UNSET ||
	    l->io_weight != POL_UNSET;
}

int
svc_start(struct svc *s, int stdio[3], char *err, size_t errlen)
{
	struct pol_launch	 l;
	struct pol_spec		 spec = s->spec;
	struct pol_cg_usage	 u;
	char			 dir[POL_PATH_MAX], ep[POL_PATH_MAX], slice[80];
	char			**envp;
	int			 rc, i, io[3];
	pid_t			 pid;

	err[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", agent.state_dir, s->name);
	/* 0700: the view's lower layer is the host's root, where other
	   services could otherwise read this one's state. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (agent.cg_ok && s->cg == NULL) {
		snprintf(slice, sizeof(slice), "%s.slice", s->profile);
		if ((rc = pol_cg_create(&agent.cg_host, slice, s->name,
		    &s->cg, err, errlen)) < 0)
			return rc;
	}
	if (s->cg != NULL) {
		if ((rc = svc_limits(s, &s->cur, err, errlen)) < 0)
			return rc;
	} else if (has_limits(&s->cur) && !agent.degraded_ok &&
	    !s->spec.degraded_ok) {
		snprintf(err, errlen, "profile %s sets cgroup limits and this "
		    "host has no usable cgroups (%s); allow degraded mode to "
		    "run without them", s->profile, agent.cg_why);
		return -EOPNOTSUPP;
	}
	memset(&l, 0, sizeof(l));
	/* shared-with-PROFILE: join a running one, or stand alone. */
	for (i = 0; i < POL_NS_COUNT; i++) {
		if (spec.ns[i] != POL_NSM_WITH)
			continue;
		if ((l.join[i] = svc_with(spec.ns_with[i])) == 0) {
			log_info("%s: %s namespace: no %s service runs, so a "
			    "private one", s->name, pol_ns_name(i),
			    spec.ns_with[i]);
			spec.ns[i] = POL_NSM_PRIVATE;
		}
	}
	if (stdio == NULL) {
		if (s->log_fd < 0) {
			snprintf(ep, sizeof(ep), "%s/%s.log", agent.state_dir,
			    s->name);
			s->log_fd = open(ep, O_WRONLY | O_CREAT | O_APPEND |
			    O_CLOEXEC, 0640);
		}
		io[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		io[1] = io[2] = s->log_fd >= 0 ? s->log_fd : 2;
	} else {
		io[0] = stdio[0];
		io[1] = stdio[1];
		io[2] = stdio[2];
	}
	snprintf(ep, sizeof(ep), "%s/%s", agent.run_dir, s->membrane);
	envp = svc_environ(s);
	l.spec = &spec;
	l.service = s->name;
	l.argv = s->argv;
	l.envp = envp;
	memcpy(l.stdio, io, sizeof(io));
	l.uid = s->uid;
	l.gid = s->gid;
	l.state_dir = dir;
	l.endpoint_dir = s->membrane[0] != '\0' ? ep : NULL;
	l.cg = s->cg;
	l.notify_fd = -1;
	rc = pol_launch(&l, &pid, err, errlen);
	if (stdio == NULL && io[0] >= 0)
		close(io[0]);
	strv_free(envp);
	if (rc < 0)
		return rc;
	s->pid = pid;
	s->state = SVC_RUNNING;
	s->started = agent_now();
	s->next_start = 0;
	s->notify_fd = l.notify_fd;
	if (s->notify_fd >= 0) {
		s->notify_ev.kind = EV_NOTIFY;
		s->notify_ev.obj = s;
		if (agent_watch(s->notify_fd, &s->notify_ev) < 0)
			log_warn("%s: seccomp listener", s->name);
	}
	s->oom_seen = 0;
	if (s->cg != NULL && pol_cg_usage(s->cg, &u) == 0)
		s->oom_seen = u.oom_kills;
	s->next_oom = s->started + SVC_OOM_POLL_MS;
	s->h_valid = false;
	s->next_breath = s->spec.br.interval_ms > 0 ?
	    s->started + s->spec.br.interval_ms : 0;
	log_info("service %s started: pid %ld, profile %s, membrane %s%s",
	    s->name, (long)pid, s->profile, s->membrane[0] != '\0' ?
	    s->membrane : "none", s->restarts > 0 ? " (a restart)" : "");
	return 0;
}

/* Stop: TERM to its init now, KILL to the whole cgroup past the grace. */
void
svc_stop(struct svc *s, const char *why)
{
	if (s->state == SVC_RUNNING && s->pid > 0) {
		log_info("service %s: stopping (%s)", s->name, why);
		kill(s->pid, SIGTERM);
		s->kill_at = agent_now() + SVC_STOP_GRACE_MS;
	}
	if (s->state != SVC_RUPTURED)
		s->state = SVC_STOPPED;
	s->next_start = 0;
}

static void
svc_kill_now(struct svc *s)
{
	if (s->pid > 0)
		kill(s->pid, SIGKILL);
	if (s->cg != NULL)
		(void)pol_cg_kill(s->cg);
}

void
svc_rupture(struct svc *s, enum pol_rupture mode, const char *why)
{
	switch (mode) {
	case POL_RUPTURE_FAIL_CLOSED:
		log_warnx("rupture: %s: %s (fail-closed): the service is "
		    "killed", s->name, why);
		s->state = SVC_RUPTURED;
		s->next_start = 0;
		svc_kill_now(s);
		break;
	case POL_RUPTURE_FAIL_OPEN:
		agent_alert(s, "fail-open", "rupture: %s; the service "
		    "continues", why);
		break;
	case POL_RUPTURE_FAIL_LOUD:
		agent_alert(s, "fail-loud", "rupture: %s", why);
		break;
	}
}

/* An OOM kill under memory.max is a rupture of the membrane. */
static void
svc_oom_check(struct svc *s)
{
	struct pol_cg_usage	u;
	char			max[32], why[128];

	if (s->cg == NULL || pol_cg_usage(s->cg, &u) < 0 ||
	    u.oom_kills <= s->oom_seen)
		return;
	size_text(s->cur.memory_max, max, sizeof(max));
	snprintf(why, sizeof(why), "OOM kill under memory.max %s (%lld in "
	    "all)", max, (long long)u.oom_kills);
	s->oom_seen = u.oom_kills;
	/* elasticity.memory.oom_kill: such a rupture kills the service. */
	svc_rupture(s, s->spec.el.oom_kill ? POL_RUPTURE_FAIL_CLOSED :
	    s->rupture, why);
}

bool
svc_reaped(pid_t pid, int status)
{
	struct svc	*s;
	int64_t		 now = agent_now();

	for (s = agent.svcs; s != NULL; s = s->next)
		if (s->pid == pid)
			break;
	if (s == NULL)
		return false;
	s->pid = 0;
	s->kill_at = 0;
	s->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	if (s->state == SVC_RUNNING)
		svc_oom_check(s);
	if (s->notify_fd >= 0) {
		agent_unwatch(s->notify_fd);
		close(s->notify_fd);
		s->notify_fd = -1;
	}
	/* What is left in its cgroup goes with it. */
	if (s->cg != NULL)
		(void)pol_cg_kill(s->cg);
	log_info("service %s (pid %ld) ended: %s %d", s->name, (long)pid,
	    WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (s->transient) {
		if (s->state == SVC_RUNNING)
			s->state = SVC_EXITED;
		ctl_run_ended(s);
		return true;
	}
	/* A reload removed or changed it: it goes, or comes back anew. */
	if (s->retire != SVC_KEEP) {
		svc_retired(s);
		return true;
	}
	if (s->state != SVC_RUNNING)
		return true;
	/* A supervised service is kept running. */
	if (now - s->started >= AGENT_STABLE_MS)
		s->backoff_ms = 0;
	s->restarts++;
	s->state = SVC_BACKOFF;
	s->next_start = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms == 0 ? 100 : s->backoff_ms * 2;
	if (s->backoff_ms > AGENT_BACKOFF_MAX_MS)
		s->backoff_ms = AGENT_BACKOFF_MAX_MS;
	return true;
}

static void
svc_due(int64_t t, int64_t *next)
{
	if (t > 0 && t < *next)
		*next = t;
}

void
svc_tick(int64_t now, int64_t *next)
{
	struct svc	*s, *nx;
	char		 err[POL_ERR_MAX], what[256];

	for (s = agent.svcs; s != NULL; s = nx) {
		nx = s->next;
		if (s->kill_at > 0 && now >= s->kill_at) {
			log_warnx("service %s did not stop in %d ms: killed",
			    s->name, SVC_STOP_GRACE_MS);
			s->kill_at = 0;
			svc_kill_now(s);
		}
		svc_due(s->kill_at, next);
		if (s->state == SVC_BACKOFF && s->next_start > 0) {
			if (now >= s->next_start) {
				if (svc_start(s, NULL, err, sizeof(err)) < 0) {
					log_warnx("service %s: %s", s->name,
					    err);
					s->next_start = now + (s->backoff_ms >
					    0 ? s->backoff_ms : 1000);
				}
			}
			svc_due(s->next_start, next);
		}
		if (s->state != SVC_RUNNING)
			continue;
		if (now >= s->next_oom) {
			svc_oom_check(s);
			s->next_oom = now + SVC_OOM_POLL_MS;
		}
		svc_due(s->next_oom, next);
		if (s->stretch_until > 0 && now >= s->stretch_until) {
			s->stretch_until = 0;
			breathe_relax(s, what, sizeof(what));
			log_info("stretch of %s ended: contracted back (%s)",
			    s->name, what);
		}
		svc_due(s->stretch_until, next);
		if (s->next_breath > 0 && now >= s->next_breath) {
			breathe_tick(s, now);
			s->next_breath = now + s->spec.br.interval_ms;
		}
		svc_due(s->next_breath, next);
	}
}

/* Answer a denied system call; each is a security event. */
void
svc_notify(struct svc *s)
{
	const char	*name;
	int		 nr, rc;
	pid_t		 pid;

	if ((rc = pol_seccomp_answer(s->notify_fd, &nr, &pid)) == -ENOENT ||
	    rc == -EAGAIN)
		return;
	if (rc < 0) {
		/* The filter's last process ended: the listener hangs up. */
		if (rc == -EPIPE)
			log_debug("%s: seccomp listener closed", s->name);
		else
			log_warnx("%s: seccomp listener: %s", s->name,
			    strerror(-rc));
		agent_unwatch(s->notify_fd);
		close(s->notify_fd);
		s->notify_fd = -1;
		return;
	}
	name = pol_syscall_name(nr);
	if (rc == 1) {
		log_debug("%s: pid %ld: glibc's own datagram socket refused",
		    s->name, (long)pid);
		return;
	}
	s->sec_events++;
	log_warnx("security event: %s: pid %ld called %s (%d), denied",
	    s->name, (long)pid, name != NULL ? name : "?", nr);
}

/* Every descendant of pid (its children's children too), up to max. */
void
svc_descendants(pid_t pid, pid_t *out, size_t *n, size_t max)
{
	char	 path[64], buf[4096], *p, *end;
	FILE	*f;
	size_t	 len;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; *n < max; p = end) {
		long c = strtol(p, &end, 10);

		if (end == p)
			break;
		out[(*n)++] = (pid_t)c;
		svc_descendants((pid_t)c, out, n, max);
	}
}

/* A service of the config, to be started by the loop; NULL if it cannot. */
struct svc *
svc_from_config(const struct pol_service *ps)
{
	struct svc	*s;
	char		 err[POL_ERR_MAX];

	if ((s = svc_new(ps->name, ps->profile, ps->membrane, ps->command.v,
	    ps->environment.v, ps->user, err, sizeof(err))) == NULL) {
		log_warnx("service %s: %s", ps->name, err);
		return NULL;
	}
	s->configured = true;
	/* Started by the loop, once its membrane had a moment. */
	s->state = SVC_BACKOFF;
	s->next_start = agent_now() + (ps->membrane[0] != '\0' ? 500 : 0);
	return s;
}

int
svc_start_config(void)
{
	size_t	i;

	for (i = 0; i < agent.cfg->nservices; i++)
		(void)svc_from_config(&agent.cfg->services[i]);
	return 0;
}

void
svc_stop_all(void)
{
	struct svc	*s;
	int64_t		 end;
	int		 status;
	bool		 left;

	for (s = agent.svcs; s != NULL; s = s->next)
		if (s->pid > 0)
			kill(s->pid, SIGTERM);
	end = agent_now() + SVC_STOP_GRACE_MS;
	do {
		left = false;
		for (s = agent.svcs; s != NULL; s = s->next) {
			if (s->pid <= 0)
				continue;
			if (waitpid(s->pid, &status, WNOHANG) == s->pid)
				s->pid = 0;
			else
				left = true;
		}
		if (left)
			usleep(20000);
	} while (left && agent_now() < end);
	while (agent.svcs != NULL) {
		s = agent.svcs;
		if (s->pid > 0) {
			svc_kill_now(s);
			(void)waitpid(s->pid, &status, 0);
		}
		if (s->client != NULL) {
			ctl_done(s->client, 128 + SIGTERM);
			s->client->run = NULL;
			s->client = NULL;
		}
		svc_free(s);
	}
}
