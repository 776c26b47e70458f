/*
 * agent_ops.c: the verbs of `membrane`, parsed here so that the agent is
 * the one place that knows them.  Each returns the command's exit status
 * (0 done, 1 refused with a reason, 2 bad usage), or -1 for run, which
 * answers when its program ends.
 */
#include "config.h"

#include <sys/capability.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

#define OPS_MAX_ENV	64

/* Options shared by run and create. */
struct launch_opts {
	const char	*name, *profile, *membrane, *user;
	char		*env[OPS_MAX_ENV + 1];
	int		 nenv;
};

/* getopt_long over the words; GNU's optind = 0 restarts its scan. */
static void
ops_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

static int
ops_bad(struct client *c, const char *verb, const char *what)
{
	ctl_err(c, "%s: %s (see membrane --help)\n", verb, what);
	return 2;
}

static const char *
default_membrane(void)
{
	return agent.cfg->nmembranes == 1 ? agent.cfg->membranes[0].name : "";
}

/* One option of run or create; 0, or the status of a refusal. */
static int
launch_opt(struct client *c, const char *verb, int ch, bool named,
    struct launch_opts *o)
{
	switch (ch) {
	case 'p':
		o->profile = optarg;
		return 0;
	case 'm':
		o->membrane = strcmp(optarg, "none") == 0 ? "" : optarg;
		return 0;
	case 'n':
		if (named)
			return ops_bad(c, verb, "the name comes first, without "
			    "--name");
		o->name = optarg;
		return 0;
	case 'u':
		o->user = optarg;
		return 0;
	case 'e':
		if (strchr(optarg, '=') == NULL || o->nenv == OPS_MAX_ENV)
			return ops_bad(c, verb, "--env takes KEY=VALUE");
		o->env[o->nenv++] = optarg;
		return 0;
	}
	return ops_bad(c, verb, "unknown option");
}

static int
ops_launch_opts(struct client *c, int argc, char **argv, bool named,
    struct launch_opts *o, int *first)
{
	static const struct option opts[] = {
		{ "profile",	required_argument,	NULL, 'p' },
		{ "membrane",	required_argument,	NULL, 'm' },
		{ "name",	required_argument,	NULL, 'n' },
		{ "user",	required_argument,	NULL, 'u' },
		{ "env",	required_argument,	NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	o->profile = "photon";
	o->membrane = default_membrane();
	ops_getopt_reset();
	/* create's NAME may stand before, between or after the options. */
	for (;;) {
		while ((ch = getopt_long(argc, argv, "+p:m:n:u:e:", opts,
		    NULL)) != -1)
			if ((rc = launch_opt(c, argv[0], ch, named, o)) != 0)
				return rc;
		if (!named || o->name != NULL || optind >= argc ||
		    strcmp(argv[optind - 1], "--") == 0)
			break;
		o->name = argv[optind++];
	}
	if (named && o->name == NULL)
		return ops_bad(c, argv[0], "which service?");
	if (optind >= argc)
		return ops_bad(c, argv[0], "no command (membrane run "
		    "[OPTIONS] -- CMD...)");
	if (!pol_profile_exists(agent.cfg, o->profile)) {
		ctl_err(c, "no profile named %s\n", o->profile);
		return 1;
	}
	*first = optind;
	return 0;
}

static int
op_run(struct client *c, int argc, char **argv, int fds[3], int nfds,
    bool create)
{
	struct launch_opts	 o;
	struct svc		*s;
	char			 err[POL_ERR_MAX], name[POL_NAME_MAX];
	int			 first, rc;

	if ((rc = ops_launch_opts(c, argc, argv, create, &o, &first)) != 0)
		return rc;
	if (!create && nfds != 3) {
		ctl_err(c, "run: the client did not pass its stdio\n");
		return 2;
	}
	if (o.name == NULL) {
		snprintf(name, sizeof(name), "run%u", ++agent.nrun);
		o.name = name;
	}
	/* A service that ended (stopped, ruptured) gives its name up. */
	if ((s = svc_find(o.name)) != NULL && s->pid <= 0 &&
	    (s->state == SVC_STOPPED || s->state == SVC_RUPTURED ||
	    s->state == SVC_EXITED) && s->client == NULL)
		svc_free(s);
	if ((s = svc_new(o.name, o.profile, o.membrane, argv + first, o.env,
	    o.user, err, sizeof(err))) == NULL) {
		ctl_err(c, "%s\n", err);
		return 1;
	}
	s->transient = !create;
	if (svc_start(s, create ? NULL : fds, err, sizeof(err)) < 0) {
		ctl_err(c, "%s: %s\n", s->name, err);
		svc_free(s);
		return 1;
	}
	if (create) {
		ctl_out(c, "%s: started, pid %ld, profile %s\n", s->name,
		    (long)s->pid, s->profile);
		return 0;
	}
	s->client = c;
	c->run = s;
	return -1;
}

static struct svc *
ops_svc(struct client *c, const char *verb, const char *name)
{
	struct svc *s;

	if (name == NULL) {
		ctl_err(c, "%s: which service?\n", verb);
		return NULL;
	}
	if ((s = svc_find(name)) == NULL)
		ctl_err(c, "%s: no service named %s\n", verb, name);
	return s;
}

static int
op_list(struct client *c, int argc, char **argv)
{
	struct svc		*s;
	struct pol_cg_usage	 u;
	char			*buf = NULL, mem[32], max[32];
	size_t			 len = 0;
	FILE			*f;
	bool			 json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > (json ? 2 : 1))
		return ops_bad(c, "list", "takes only --json");
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	if (json)
		fprintf(f, "{\"services\": [");
	else
		fprintf(f, "%-16s %-10s %-10s %-10s %-8s %-8s %s\n", "SERVICE",
		    "PROFILE", "MEMBRANE", "STATE", "PID", "RESTARTS",
		    "MEMORY");
	for (s = agent.svcs; s != NULL; s = s->next) {
		mem[0] = '\0';
		if (s->cg != NULL && pol_cg_usage(s->cg, &u) == 0)
			size_text(u.memory_current, mem, sizeof(mem));
		size_text(s->cur.memory_max, max, sizeof(max));
		if (json)
			fprintf(f, "%s{\"name\": \"%s\", \"profile\": \"%s\", "
			    "\"membrane\": \"%s\", \"state\": \"%s\", "
			    "\"pid\": %ld, \"restarts\": %u}", s == agent.svcs ?
			    "" : ", ", s->name, s->profile, s->membrane,
			    svc_state_name(s->state), (long)s->pid,
			    s->restarts);
		else
			fprintf(f, "%-16s %-10s %-10s %-10s %-8ld %-8u %s%s%s\n",
			    s->name, s->profile, s->membrane[0] != '\0' ?
			    s->membrane : "-", svc_state_name(s->state),
			    (long)s->pid, s->restarts, mem[0] != '\0' ? mem :
			    "-", mem[0] != '\0' ? " of " : "", mem[0] != '\0' ?
			    max : "");
	}
	if (json) {
		fprintf(f, "], \"daemons\": [");
		daemon_list(f, true);
		fprintf(f, "]}\n");
	} else {
		fprintf(f, "\n");
		daemon_list(f, false);
	}
	fclose(f);
	ctl_out(c, "%s", buf);
	free(buf);
	return 0;
}

/* "cap_a,cap_b" from a capability mask. */
static void
caps_text(uint64_t mask, char *buf, size_t len)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < 64 && off < len; i++) {
		char *n;

		if (!(mask & (1ULL << i)) || (n = cap_to_name(i)) == NULL)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off > 0 ? "," : "", n);
		cap_free(n);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

/* A field of /proc/PID/status, or "". */
static void
proc_status(pid_t pid, const char *key, char *out, size_t len)
{
	char	 path[64], line[256];
	size_t	 kl = strlen(key);
	FILE	*f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			char *v = line + kl + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			break;
		}
	fclose(f);
}

static const char *
seccomp_name(enum pol_seccomp sc)
{
	switch (sc) {
	case POL_SC_NONE:		return "none";
	case POL_SC_DEFAULT_RESTRICT:	return "default-restrict";
	case POL_SC_PERMISSIVE:		return "permissive";
	case POL_SC_FILE:		return "file";
	}
	return "?";
}

static void
json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			putc(*s, f);
	}
	putc('"', f);
}

/*
 * The stack's lines about the service's own processes: each "app N: pid
 * P ..." line whose P is one of them, and the socket lines under it.
 */
static void
inspect_sockets(FILE *f, const char *text, pid_t init, const pid_t *kids,
    size_t nk, bool json)
{
	const char	*l, *e;
	bool		 mine = false, first = true;
	size_t		 i;
	long		 pid;

	if (json)
		fprintf(f, ", \"sockets\": [");
	for (l = text; l != NULL && *l != '\0'; l = *e != '\0' ? e + 1 : e) {
		char line[512];

		e = l + strcspn(l, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)(e - l), l);
		if (sscanf(line, "app %*u: pid %ld", &pid) == 1) {
			mine = pid == (long)init;
			for (i = 0; i < nk && !mine; i++)
				mine = pid == (long)kids[i];
		} else if (strncmp(line, "  sock ", 7) != 0) {
			mine = false;
			continue;
		}
		if (!mine)
			continue;
		if (json) {
			fprintf(f, "%s", first ? "" : ", ");
			json_str(f, line + strspn(line, " "));
		} else
			fprintf(f, "  %s\n", line);
		first = false;
	}
	if (json)
		fprintf(f, "]");
}

static int
op_inspect(struct client *c, int argc, char **argv)
{
	struct svc		*s;
	struct pol_cg_usage	 u;
	struct stack_health	 h;
	pid_t			 kids[256], prog = 0;
	size_t			 nk = 0, len = 0;
	char			*buf = NULL, a[64], b[64], d[64], e[64];
	char			 caps[512], sc[32], addr[256], herr[POL_ERR_MAX];
	char			 nsbuf[POL_NS_COUNT][64], path[64];
	bool			 json = false, have_u, have_h;
	FILE			*f;
	int			 k;

	if (argc < 2 || argc > 3)
		return ops_bad(c, "inspect", "usage: inspect NAME [--json]");
	if (argc == 3) {
		if (strcmp(argv[2], "--json") != 0)
			return ops_bad(c, "inspect", "takes only --json");
		json = true;
	}
	if ((s = ops_svc(c, "inspect", argv[1])) == NULL)
		return 1;
	if (s->pid > 0)
		svc_descendants(s->pid, kids, &nk, 256);
	/* With a pid namespace of its own, the program is init's child. */
	prog = s->spec.ns[POL_NS_PID] == POL_NSM_SHARED ? s->pid :
	    nk > 0 ? kids[0] : 0;
	caps[0] = sc[0] = '\0';
	if (prog > 0) {
		proc_status(prog, "CapEff", a, sizeof(a));
		caps_text(strtoull(a, NULL, 16), caps, sizeof(caps));
		proc_status(prog, "Seccomp", sc, sizeof(sc));
	}
	for (k = 0; k < POL_NS_COUNT; k++) {
		ssize_t n;
		static const char *const file[POL_NS_COUNT] = { "pid", "net",
		    "mnt", "uts", "ipc", "user", "cgroup", "time" };

		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)prog,
		    file[k]);
		n = prog > 0 ? readlink(path, nsbuf[k], sizeof(nsbuf[k]) - 1) :
		    -1;
		nsbuf[k][n > 0 ? n : 0] = '\0';
	}
	have_u = s->cg != NULL && pol_cg_usage(s->cg, &u) == 0;
	addr[0] = '\0';
	have_h = false;
	if (s->membrane[0] != '\0') {
		(void)stats_bus_field(s->membrane, "addresses", addr,
		    sizeof(addr));
		have_h = stats_read(s->membrane, &h, herr, sizeof(herr)) == 0;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	if (json) {
		fprintf(f, "{\"name\": ");
		json_str(f, s->name);
		fprintf(f, ", \"profile\": ");
		json_str(f, s->profile);
		fprintf(f, ", \"state\": \"%s\", \"pid\": %ld, "
		    "\"program_pid\": %ld, \"restarts\": %u, \"namespaces\": {",
		    svc_state_name(s->state), (long)s->pid, (long)prog,
		    s->restarts);
		for (k = 0; k < POL_NS_COUNT; k++) {
			fprintf(f, "%s\"%s\": ", k > 0 ? ", " : "",
			    pol_ns_name(k));
			json_str(f, nsbuf[k]);
		}
		fprintf(f, "}, \"cgroup\": {\"backend\": \"%s\"",
		    s->cg != NULL ? pol_cg_backend(s->cg) : "none");
		if (have_u)
			fprintf(f, ", \"memory_current\": %lld, "
			    "\"memory_peak\": %lld, \"cpu_usage_us\": %lld, "
			    "\"pids_current\": %lld, \"oom_kills\": %lld",
			    (long long)u.memory_current,
			    (long long)u.memory_peak,
			    (long long)u.cpu_usage_us,
			    (long long)u.pids_current, (long long)u.oom_kills);
		fprintf(f, ", \"limits\": {\"memory.max\": %lld, "
		    "\"memory.high\": %lld, \"memory.swap.max\": %lld, "
		    "\"cpu.weight\": %lld, \"cpu.max.quota\": %lld, "
		    "\"cpu.max.period\": %lld, \"pids.max\": %lld, "
		    "\"io.weight\": %lld}}",
		    (long long)s->cur.memory_max, (long long)s->cur.memory_high,
		    (long long)s->cur.memory_swap_max,
		    (long long)s->cur.cpu_weight,
		    (long long)s->cur.cpu_quota_us,
		    (long long)s->cur.cpu_period_us,
		    (long long)s->cur.pids_max, (long long)s->cur.io_weight);
		fprintf(f, ", \"capabilities\": ");
		json_str(f, caps);
		fprintf(f, ", \"seccomp\": {\"profile\": \"%s\", \"mode\": ",
		    seccomp_name(s->spec.seccomp));
		json_str(f, sc);
		fprintf(f, ", \"security_events\": %llu}, \"breathing\": "
		    "{\"level\": %d, \"interval_ms\": %lld}, \"rupture\": "
		    "\"%s\", \"membrane\": {\"name\": ",
		    (unsigned long long)s->sec_events, (int)s->level,
		    (long long)s->spec.br.interval_ms,
		    pol_rupture_name(s->rupture));
		json_str(f, s->membrane);
		fprintf(f, ", \"addresses\": %s", addr[0] != '\0' ? addr :
		    "[]");
		if (have_h)
			fprintf(f, ", \"segments_out\": %llu, \"segments_in\": "
			    "%llu, \"connects_failed\": %llu, \"resets\": %llu, "
			    "\"rtx\": %llu, \"rtt_p99_ms\": %d",
			    (unsigned long long)h.seg_out,
			    (unsigned long long)h.seg_in,
			    (unsigned long long)h.conn_failed,
			    (unsigned long long)h.resets,
			    (unsigned long long)h.rtx, h.rtt_p99_ms);
		if (have_h)
			inspect_sockets(f, h.text, s->pid, kids, nk, true);
		fprintf(f, "}}\n");
	} else {
		fprintf(f, "service       %s\n", s->name);
		fprintf(f, "profile       %s\n", s->profile);
		fprintf(f, "state         %s, pid %ld (program %ld), restarts "
		    "%u\n", svc_state_name(s->state), (long)s->pid,
		    (long)prog, s->restarts);
		fprintf(f, "namespaces   ");
		for (k = 0; k < POL_NS_COUNT; k++)
			fprintf(f, " %s", nsbuf[k][0] != '\0' ? nsbuf[k] : "-");
		fprintf(f, "\ncgroup        %s %s\n", s->cg != NULL ?
		    pol_cg_backend(s->cg) : "none", s->cg != NULL ?
		    pol_cg_path(s->cg) : agent.cg_why);
		if (have_u) {
			size_text(u.memory_current, a, sizeof(a));
			size_text(s->cur.memory_max, b, sizeof(b));
			size_text(s->cur.memory_high, d, sizeof(d));
			size_text(u.memory_peak, e, sizeof(e));
			fprintf(f, "  memory      %s of max %s, high %s; peak "
			    "%s; OOM kills %lld\n", a, b, d, e,
			    (long long)u.oom_kills);
			cpu_text(&s->cur, a, sizeof(a));
			count_text(s->cur.cpu_weight, b, sizeof(b));
			fprintf(f, "  cpu         %.2f s used; max %s, weight "
			    "%s\n", (double)u.cpu_usage_us / 1e6, a, b);
			count_text(s->cur.pids_max, a, sizeof(a));
			fprintf(f, "  pids        %lld of %s\n",
			    (long long)u.pids_current, a);
		}
		fprintf(f, "capabilities  %s\n", caps[0] != '\0' ? caps : "-");
		fprintf(f, "seccomp       %s (Seccomp: %s), security events "
		    "%llu\n", seccomp_name(s->spec.seccomp), sc[0] != '\0' ?
		    sc : "-", (unsigned long long)s->sec_events);
		fprintf(f, "rupture       %s\n", pol_rupture_name(s->rupture));
		fprintf(f, "membrane      %s %s\n", s->membrane[0] != '\0' ?
		    s->membrane : "none", addr);
		if (have_h)
			fprintf(f, "  tcp         segments out %llu in %llu, "
			    "connects failed %llu, resets %llu, rtx %llu, "
			    "rtt p99 %d ms\n", (unsigned long long)h.seg_out,
			    (unsigned long long)h.seg_in,
			    (unsigned long long)h.conn_failed,
			    (unsigned long long)h.resets,
			    (unsigned long long)h.rtx, h.rtt_p99_ms);
		if (have_h)
			inspect_sockets(f, h.text, s->pid, kids, nk, false);
	}
	if (have_h)
		stats_free(&h);
	fclose(f);
	ctl_out(c, "%s", buf);
	free(buf);
	return 0;
}

/* --cpu: "50%" of one CPU, "QUOTA PERIOD", or max. */
static int
cpu_arg(const char *s, const struct pol_limits *cur, int64_t *q, int64_t *p)
{
	char	*end;
	double	 pct;

	if (strchr(s, '%') != NULL) {
		pct = strtod(s, &end);
		if (end == s || strcmp(end, "%") != 0 || pct <= 0 ||
		    pct > 100000)
			return -EINVAL;
		*p = cur->cpu_period_us > 0 ? cur->cpu_period_us : 100000;
		*q = (int64_t)((double)*p * pct / 100.0);
		return *q >= 1000 ? 0 : -EINVAL;
	}
	return pol_parse_cpu_max(s, q, p);
}

/* stretch and contract: new limits from the options. */
static int
op_limits(struct client *c, int argc, char **argv, bool stretch)
{
	static const struct option opts[] = {
		{ "memory",	required_argument,	NULL, 'm' },
		{ "cpu",	required_argument,	NULL, 'c' },
		{ "pids",	required_argument,	NULL, 'p' },
		{ "duration",	required_argument,	NULL, 'd' },
		{ "hard",	no_argument,		NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct pol_limits	 lim;
	struct svc		*s;
	char			 err[POL_ERR_MAX], what[256], v[32];
	int64_t			 dur = 0, n, hard;
	int			 ch, given = 0;
	bool			 contract_hard = false;

	if (argc < 2 || argv[1][0] == '-')
		return ops_bad(c, argv[0], "which service?");
	if ((s = ops_svc(c, argv[0], argv[1])) == NULL)
		return 1;
	if (s->state != SVC_RUNNING) {
		ctl_err(c, "%s: %s is %s\n", argv[0], s->name,
		    svc_state_name(s->state));
		return 1;
	}
	lim = s->cur;
	ops_getopt_reset();
	argv[1] = argv[0];	/* getopt skips argv[0]: skip the name too */
	while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (pol_parse_size(optarg, &n) < 0 || n == POL_MAX)
				return ops_bad(c, argv[0], "--memory takes a "
				    "size (64M, 1G)");
			lim.memory_high = n;
			given++;
			break;
		case 'c':
			if (cpu_arg(optarg, &s->cur, &lim.cpu_quota_us,
			    &lim.cpu_period_us) < 0)
				return ops_bad(c, argv[0], "--cpu takes 50%, "
				    "\"QUOTA PERIOD\" or max");
			given++;
			break;
		case 'p':
			if (pol_parse_size(optarg, &n) < 0 || n == 0)
				return ops_bad(c, argv[0], "--pids takes a "
				    "count");
			lim.pids_max = n;
			given++;
			break;
		case 'd':
			if (!stretch || pol_parse_duration(optarg, &dur) < 0 ||
			    dur <= 0)
				return ops_bad(c, argv[0], "--duration takes "
				    "a duration (30s, 5m) and belongs to "
				    "stretch");
			break;
		case 'H':
			if (stretch)
				return ops_bad(c, argv[0], "--hard belongs to "
				    "contract");
			contract_hard = true;
			break;
		default:
			return ops_bad(c, argv[0], "unknown option");
		}
	}
	if (optind + 1 != argc)
		return ops_bad(c, argv[0], "unexpected words");
	if (stretch) {
		if (given == 0)
			return ops_bad(c, argv[0], "what to stretch? "
			    "(--memory, --cpu, --pids)");
		if (dur == 0)
			dur = s->spec.el.burst_ms > 0 ? s->spec.el.burst_ms :
			    30000;
		/* Toward the hard limit, never past it. */
		hard = s->cur.memory_max;
		if (lim.memory_high != s->cur.memory_high && hard > 0 &&
		    lim.memory_high > hard) {
			size_text(hard, v, sizeof(v));
			ctl_out(c, "%s: memory.high held at the hard limit "
			    "memory.max %s\n", s->name, v);
			lim.memory_high = hard;
		}
	} else if (contract_hard) {
		if (breathe_apply(s, POL_ACT_CONTRACT_HARD, what,
		    sizeof(what)) < 0) {
			ctl_err(c, "contract: %s\n", what);
			return 1;
		}
		log_info("contract --hard of %s: %s", s->name, what);
		ctl_out(c, "%s: contracted hard: %s\n", s->name, what);
		return 0;
	} else if (given == 0) {
		s->stretch_until = 0;
		breathe_relax(s, what, sizeof(what));
		log_info("contract of %s: back to its profile (%s)", s->name,
		    what);
		ctl_out(c, "%s: back to profile %s: %s\n", s->name, s->profile,
		    what);
		return 0;
	}
	if (svc_limits(s, &lim, err, sizeof(err)) < 0) {
		ctl_err(c, "%s: %s\n", argv[0], err);
		return 1;
	}
	limits_text(&s->cur, what, sizeof(what));
	if (stretch) {
		s->stretch_until = agent_now() + dur;
		s->level = BREATH_STRETCHED;
		log_info("stretch of %s for %lld ms: %s", s->name,
		    (long long)dur, what);
		ctl_out(c, "%s: stretched for %lld s: %s\n", s->name,
		    (long long)(dur / 1000), what);
	} else {
		s->stretch_until = 0;
		s->level = BREATH_CONTRACTED;
		log_info("contract of %s: %s", s->name, what);
		ctl_out(c, "%s: contracted: %s\n", s->name, what);
	}
	return 0;
}

static int
op_rupture(struct client *c, int argc, char **argv)
{
	struct svc		*s;
	enum pol_rupture	 mode;

	if (argc != 3)
		return ops_bad(c, "rupture", "usage: rupture NAME "
		    "--fail-closed|--fail-open|--fail-loud");
	if (strcmp(argv[2], "--fail-closed") == 0)
		mode = POL_RUPTURE_FAIL_CLOSED;
	else if (strcmp(argv[2], "--fail-open") == 0)
		mode = POL_RUPTURE_FAIL_OPEN;
	else if (strcmp(argv[2], "--fail-loud") == 0)
		mode = POL_RUPTURE_FAIL_LOUD;
	else
		return ops_bad(c, "rupture", "--fail-closed, --fail-open or "
		    "--fail-loud");
	if ((s = ops_svc(c, "rupture", argv[1])) == NULL)
		return 1;
	if (s->state != SVC_RUNNING) {
		ctl_err(c, "rupture: %s is %s\n", s->name,
		    svc_state_name(s->state));
		return 1;
	}
	svc_rupture(s, mode, "forced by membrane rupture");
	ctl_out(c, "%s: ruptured (%s)\n", s->name, pol_rupture_name(mode));
	return 0;
}

/* Whether a filesystem list differs (said on f); 1 or 0. */
static int
strv_diff(FILE *f, const char *what, const struct pol_strv *a,
    const struct pol_strv *b)
{
	size_t	i;
	bool	same = a->n == b->n;

	for (i = 0; same && i < a->n; i++)
		same = strcmp(a->v[i], b->v[i]) == 0;
	if (!same)
		fprintf(f, "  filesystem %s: differs: needs a restart\n", what);
	return same ? 0 : 1;
}

/*
 * A limit the new profile leaves unset is lifted, not kept: "max" for
 * the limits, the kernel's default 100 for the weights.
 */
static void
limits_lift(struct pol_limits *to, const struct pol_limits *cur)
{
	if (to->memory_max == POL_UNSET && cur->memory_max != POL_UNSET)
		to->memory_max = POL_MAX;
	if (to->memory_high == POL_UNSET && cur->memory_high != POL_UNSET)
		to->memory_high = POL_MAX;
	if (to->memory_swap_max == POL_UNSET &&
	    cur->memory_swap_max != POL_UNSET)
		to->memory_swap_max = POL_MAX;
	if (to->pids_max == POL_UNSET && cur->pids_max != POL_UNSET)
		to->pids_max = POL_MAX;
	if (to->cpu_quota_us == POL_UNSET && cur->cpu_quota_us != POL_UNSET) {
		to->cpu_quota_us = POL_MAX;
		to->cpu_period_us = cur->cpu_period_us > 0 ?
		    cur->cpu_period_us : 100000;
	}
	if (to->cpu_weight == POL_UNSET && cur->cpu_weight != POL_UNSET)
		to->cpu_weight = 100;
	if (to->io_weight == POL_UNSET && cur->io_weight != POL_UNSET)
		to->io_weight = 100;
}

static int
op_transition(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from",	required_argument,	NULL, 'f' },
		{ "to",		required_argument,	NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct pol_spec	 to;
	struct svc	*s;
	const char	*from = NULL, *dst = NULL;
	char		 err[POL_ERR_MAX], what[256], a[512], b[512];
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f;
	int		 ch, k, later = 0;

	if (argc < 2 || argv[1][0] == '-')
		return ops_bad(c, "transition", "which service?");
	if ((s = ops_svc(c, "transition", argv[1])) == NULL)
		return 1;
	ops_getopt_reset();
	argv[1] = argv[0];
	while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': dst = optarg; break;
		default: return ops_bad(c, "transition", "unknown option");
		}
	}
	if (dst == NULL || optind + 1 != argc)
		return ops_bad(c, "transition", "usage: transition NAME "
		    "--from PROFILE --to PROFILE");
	if (from != NULL && strcmp(from, s->profile) != 0) {
		ctl_err(c, "transition: %s runs under %s, not %s\n", s->name,
		    s->profile, from);
		return 1;
	}
	if (pol_profile_resolve(agent.cfg, dst, s->name, s->env, &to, err,
	    sizeof(err)) < 0) {
		ctl_err(c, "transition: %s\n", err);
		return 1;
	}
	limits_lift(&to.lim, &s->cur);
	if (s->state == SVC_RUNNING && svc_limits(s, &to.lim, err,
	    sizeof(err)) < 0) {
		ctl_err(c, "transition: %s: the limits of %s: %s\n", s->name,
		    dst, err);
		pol_spec_free(&to);
		return 1;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	limits_text(&to.lim, what, sizeof(what));
	fprintf(f, "%s: %s -> %s: limits applied: %s\n", s->name, s->profile,
	    dst, what);
	/* What a running process cannot be given or relieved of. */
	for (k = 0; k < POL_NS_COUNT; k++)
		if (to.ns[k] != s->spec.ns[k]) {
			fprintf(f, "  namespace %s: differs: needs a restart\n",
			    pol_ns_name(k));
			later++;
		}
	if (to.cap_bounding != s->spec.cap_bounding ||
	    to.cap_ambient != s->spec.cap_ambient) {
		caps_text(s->spec.cap_bounding, a, sizeof(a));
		caps_text(to.cap_bounding, b, sizeof(b));
		fprintf(f, "  capabilities %s -> %s: needs a restart\n", a, b);
		later++;
	}
	if (to.seccomp != s->spec.seccomp) {
		fprintf(f, "  seccomp %s -> %s: needs a restart (a filter "
		    "cannot be %s in a running process)\n",
		    seccomp_name(s->spec.seccomp), seccomp_name(to.seccomp),
		    to.seccomp == POL_SC_NONE || to.seccomp ==
		    POL_SC_PERMISSIVE ? "loosened" : "changed");
		later++;
	}
	if (to.fs.overlay != s->spec.fs.overlay) {
		fprintf(f, "  filesystem root: differs: needs a restart\n");
		later++;
	}
	later += strv_diff(f, "writable_paths", &s->spec.fs.writable,
	    &to.fs.writable);
	later += strv_diff(f, "read_only_paths", &s->spec.fs.read_only,
	    &to.fs.read_only);
	later += strv_diff(f, "hidden_paths", &s->spec.fs.hidden,
	    &to.fs.hidden);
	later += strv_diff(f, "volumes", &s->spec.fs.volumes, &to.fs.volumes);
	if (later == 0)
		fprintf(f, "  nothing else differs\n");
	fclose(f);
	log_info("transition of %s: %s -> %s (%d parts need a restart)",
	    s->name, s->profile, dst, later);
	ctl_out(c, "%s", buf);
	free(buf);
	/* The new profile is the service's from now on, restarts included. */
	pol_spec_free(&s->spec);
	s->spec = to;
	s->base = to.lim;
	s->rupture = to.rupture;
	s->level = BREATH_NORMAL;
	s->stretch_until = 0;
	snprintf(s->profile, sizeof(s->profile), "%s", dst);
	if (s->spec.br.interval_ms > 0 && s->next_breath == 0)
		s->next_breath = agent_now() + s->spec.br.interval_ms;
	return 0;
}

static int
op_stop(struct client *c, int argc, char **argv)
{
	struct svc *s;

	if (argc != 2)
		return ops_bad(c, "stop", "usage: stop NAME");
	if ((s = ops_svc(c, "stop", argv[1])) == NULL)
		return 1;
	if (s->state != SVC_RUNNING && s->state != SVC_BACKOFF) {
		ctl_err(c, "stop: %s is %s already\n", s->name,
		    svc_state_name(s->state));
		return 1;
	}
	svc_stop(s, "membrane stop");
	ctl_out(c, "%s: stopping\n", s->name);
	return 0;
}

/* reload: the config file again (as SIGHUP does), with the outcome. */
static int
op_reload(struct client *c, int argc, char **argv)
{
	char msg[POL_ERR_MAX + 64];

	(void)argv;
	if (argc != 1)
		return ops_bad(c, "reload", "takes no arguments");
	if (agent_reload(msg, sizeof(msg)) < 0) {
		log_warnx("reload: %s", msg);
		ctl_err(c, "%s\n", msg);
		return 1;
	}
	log_info("reload: %s", msg);
	ctl_out(c, "%s\n", msg);
	return 0;
}

int
ops_dispatch(struct client *c, int argc, char **argv, int fds[3], int nfds)
{
	const char *v = argv[0];

	if (strcmp(v, "run") == 0)
		return op_run(c, argc, argv, fds, nfds, false);
	if (strcmp(v, "create") == 0)
		return op_run(c, argc, argv, fds, nfds, true);
	if (strcmp(v, "list") == 0)
		return op_list(c, argc, argv);
	if (strcmp(v, "inspect") == 0)
		return op_inspect(c, argc, argv);
	if (strcmp(v, "stretch") == 0)
		return op_limits(c, argc, argv, true);
	if (strcmp(v, "contract") == 0)
		return op_limits(c, argc, argv, false);
	if (strcmp(v, "rupture") == 0)
		return op_rupture(c, argc, argv);
	if (strcmp(v, "transition") == 0)
		return op_transition(c, argc, argv);
	if (strcmp(v, "stop") == 0)
		return op_stop(c, argc, argv);
	if (strcmp(v, "reload") == 0)
		return op_reload(c, argc, argv);
	ctl_err(c, "unknown command \"%s\"\n", v);
	return 2;
}
