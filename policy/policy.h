/*
 * policy.h: the policy half of Membrane, everything policy/ offers.
 *
 *   config     membrane.yaml (libyaml) into profiles, membranes, services,
 *              every value with the file and line it came from;
 *   profile    a profile resolved for one service (built-ins vacuum,
 *              photon, electron, positron; extends; ${VAR:-default});
 *   cg         cgroup limits behind one interface, v2 and v1/hybrid;
 *   launch     a program started inside a profile: namespaces, uid maps,
 *              filesystem view, capabilities, seccomp, the preload;
 *   ctl        the agent's control protocol, spoken by `membrane`.
 *
 * Errors: functions return 0 or a negative errno and, where a user needs a
 * reason, write one line into err (errlen bytes), already prefixed with
 * "FILE:LINE: " when it is about the config.  None of them exit or print.
 * Nothing here is thread-safe; the agent is one thread.
 */
#ifndef MEMBRANE_POLICY_H
#define MEMBRANE_POLICY_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POL_NAME_MAX	64	/* profile, service and membrane names */
#define POL_PATH_MAX	4096
#define POL_ERR_MAX	512	/* room for one error line */

/* ------------------------------------------------------------------ */
/* Values shared by config and spec. */

/* A limit that is absent (leave the cgroup's own), or "max". */
#define POL_UNSET	(-2)
#define POL_MAX		(-1)

enum pol_ns {
	POL_NS_PID, POL_NS_NET, POL_NS_MNT, POL_NS_UTS, POL_NS_IPC,
	POL_NS_USER, POL_NS_CGROUP, POL_NS_TIME,
	POL_NS_COUNT
};

enum pol_ns_mode {
	POL_NSM_SHARED = 0,	/* the agent's own (no new namespace) */
	POL_NSM_PRIVATE,	/* private, per-service, private-with-debug */
	POL_NSM_MAPPED,		/* user only: a new user ns with uid/gid maps */
	POL_NSM_WITH		/* shared-with-PROFILE: join a running service's */
};

enum pol_seccomp {
	POL_SC_NONE = 0,	/* no filter (vacuum) */
	POL_SC_DEFAULT_RESTRICT,
	POL_SC_PERMISSIVE,	/* only what would let a program escape */
	POL_SC_FILE		/* a named policy file */
};

enum pol_rupture {
	POL_RUPTURE_FAIL_CLOSED = 0,	/* kill the service, log */
	POL_RUPTURE_FAIL_OPEN,		/* let it go on, raise an alert */
	POL_RUPTURE_FAIL_LOUD		/* system-wide alert and the hook */
};

enum pol_metric {
	POL_METRIC_ERROR_RATE,		/* errors / events, 0..1 */
	POL_METRIC_LATENCY_P99,		/* milliseconds */
	POL_METRIC_SECURITY_EVENTS	/* count in the interval */
};

enum pol_action {
	POL_ACT_CONTRACT,
	POL_ACT_STRETCH,
	POL_ACT_CONTRACT_HARD
};

/* cgroup limits in the cgroup v2 vocabulary; the v1 backend translates. */
struct pol_limits {
	int64_t		memory_max;	/* bytes, POL_MAX or POL_UNSET */
	int64_t		memory_high;
	int64_t		memory_swap_max;
	int64_t		cpu_weight;	/* 1..10000 or POL_UNSET */
	int64_t		cpu_quota_us;	/* cpu.max: quota or POL_MAX/UNSET */
	int64_t		cpu_period_us;	/* 1000..1000000 */
	int64_t		pids_max;	/* count, POL_MAX or POL_UNSET */
	int64_t		io_weight;	/* 1..10000 or POL_UNSET */
};

/* A list of strings, each with the line it came from. */
struct pol_strv {
	char		**v;
	int		 *line;
	size_t		  n;
};

/* ------------------------------------------------------------------ */
/* profile: one profile resolved for one service. */

struct pol_fs {
	bool		 overlay;	/* root: overlay (else the host's root) */
	struct pol_strv	 lower;		/* lower layers, top first; none = / */
	struct pol_strv	 writable;	/* paths writable inside */
	struct pol_strv	 read_only;
	struct pol_strv	 hidden;
	struct pol_strv	 volumes;	/* "HOST:INSIDE[:ro]" */
};

struct pol_elastic {
	int64_t		 mem_soft;	/* bytes or POL_UNSET */
	int64_t		 mem_hard;
	bool		 oom_kill;	/* an OOM kill ruptures the membrane */
	int64_t		 cpu_shares;	/* v1-style shares, or POL_UNSET */
	int64_t		 cpu_burst;
	int64_t		 burst_ms;	/* how long a stretch may last */
	int64_t		 io_weight;
	int64_t		 io_burst_weight;
};

struct pol_signal {
	enum pol_metric	 metric;
	double		 threshold;	/* unit of the metric (ms for latency) */
	enum pol_action	 action;
	int		 line;
};

struct pol_breathing {
	int64_t		  interval_ms;	/* 0: no breathing */
	struct pol_signal *sig;
	size_t		  nsig;
};

struct pol_spec {
	char		 profile[POL_NAME_MAX];
	enum pol_ns_mode ns[POL_NS_COUNT];
	char		 ns_with[POL_NS_COUNT][POL_NAME_MAX]; /* POL_NSM_WITH */
	struct pol_limits lim;
	uint64_t	 cap_bounding;	/* bit n: capability n */
	uint64_t	 cap_ambient;	/* a subset of cap_bounding */
	enum pol_seccomp seccomp;
	char		 seccomp_file[POL_PATH_MAX];
	struct pol_fs	 fs;
	struct pol_elastic el;
	struct pol_breathing br;
	enum pol_rupture rupture;
	bool		 degraded_ok;	/* a limit this host cannot enforce is
					   reported, not fatal */
	const char	*file;		/* where the profile was defined */
	int		 line;
};

/* ------------------------------------------------------------------ */
/* config: membrane.yaml. */

struct pol_membrane {
	char		 name[POL_NAME_MAX];
	char		*uplink;	/* the switch's --uplink SPEC */
	char		*address;	/* dhcp (default) or CIDR */
	char		*gateway;	/* or NULL */
	char		*mac;		/* or NULL: the stack derives one */
	uid_t		*uids;		/* allowed_uids, besides services' */
	size_t		 nuids;
	char		*switch_args;	/* extra switch flags (faults), or NULL */
	int		 line;
};

struct pol_service {
	char		 name[POL_NAME_MAX];
	struct pol_strv	 command;	/* argv */
	char		 profile[POL_NAME_MAX];
	char		 membrane[POL_NAME_MAX];	/* "" = none */
	char		*user;		/* host user the service runs as
					   (inside root maps to it) or NULL */
	struct pol_strv	 environment;	/* "KEY=VALUE" */
	int		 line;
};

struct pol_profile_src;			/* a profile as written (private) */

struct pol_config {
	char			*path;		/* as given, for messages */
	struct pol_profile_src	*profiles;	/* user profiles */
	size_t			 nprofiles;
	struct pol_membrane	*membranes;
	size_t			 nmembranes;
	struct pol_service	*services;
	size_t			 nservices;
	/* agent: settings (all optional). */
	char			*state_dir;	/* default /var/lib/membrane */
	char			*run_dir;	/* default /run/membrane */
	char			*alert_hook;	/* fail-loud command, or NULL */
	bool			 degraded_ok;	/* agent.allow_degraded */
};

/* Parse a file / a buffer named name; 0, or -errno with err set. */
int	pol_config_load(const char *path, struct pol_config **out,
	    char *err, size_t errlen);
int	pol_config_parse(const char *name, const char *text, size_t len,
	    struct pol_config **out, char *err, size_t errlen);
/* Every profile and service resolves (with default substitutions). */
int	pol_config_check(const struct pol_config *cfg, char *err,
	    size_t errlen);
void	pol_config_free(struct pol_config *cfg);
const struct pol_service	*pol_config_service(const struct pol_config *,
	    const char *name);
const struct pol_membrane	*pol_config_membrane(const struct pol_config *,
	    const char *name);

/*
 * Resolve profile for the service named service (its name replaces
 * $SERVICE), looking up ${VAR} and ${VAR:-default} in env (NULL-terminated
 * "K=V" strings, searched first) and then the process environment.
 * cfg may be NULL (built-ins only).  The spec is freed by pol_spec_free.
 */
int	pol_profile_resolve(const struct pol_config *cfg, const char *profile,
	    const char *service, char *const env[], struct pol_spec *out,
	    char *err, size_t errlen);
void	pol_spec_free(struct pol_spec *spec);
/* Whether name is a profile (built-in or the config's). */
bool	pol_profile_exists(const struct pol_config *cfg, const char *name);
/* The built-in profiles' names, NULL-terminated. */
extern const char *const pol_builtin_names[];

/* Value syntax, shared with the command line: 0 or -EINVAL. */
int	pol_parse_size(const char *s, int64_t *bytes);	/* 64M, 1G, max */
int	pol_parse_duration(const char *s, int64_t *ms);	/* 30s, 5m, 100ms */
int	pol_parse_cpu_max(const char *s, int64_t *quota, int64_t *period);
int	pol_parse_cap(const char *s, int *cap);		/* cap_net_raw */
const char *pol_ns_name(enum pol_ns);
const char *pol_metric_name(enum pol_metric);
const char *pol_action_name(enum pol_action);
const char *pol_rupture_name(enum pol_rupture);

/* ------------------------------------------------------------------ */
/* cg: one service's cgroup, v2 or v1/hybrid behind the same calls. */

/* Where the hierarchies are; pol_cg_host_detect reads the running host. */
struct pol_cg_host {
	char	v2_mount[POL_PATH_MAX];		/* "" if none */
	char	v2_self[POL_PATH_MAX];		/* our cgroup in it */
	char	v1_mount[5][POL_PATH_MAX];	/* memory, cpu, pids, blkio,
						   cpuacct; "" if none */
	char	v1_self[5][POL_PATH_MAX];	/* our cgroup in each */
};

/*
 * Fill host from mountinfo and self_cgroup (paths of files in the format of
 * /proc/self/mountinfo and /proc/self/cgroup; NULL: the real ones), so
 * that the tests can point it at fake trees.
 */
int	pol_cg_host_detect(struct pol_cg_host *host, const char *mountinfo,
	    const char *self_cgroup, char *err, size_t errlen);

struct pol_cg;

struct pol_cg_usage {
	int64_t	memory_current;		/* bytes */
	int64_t	memory_peak;
	int64_t	cpu_usage_us;		/* total CPU time */
	int64_t	pids_current;
	int64_t	oom_kills;		/* since creation */
	struct pol_limits lim;		/* as now in force (POL_MAX etc.) */
};

/*
 * Create the cgroup "membrane/<slice>/<name>" beneath our own cgroup in
 * every hierarchy that has a controller we need (v2 first; otherwise the
 * v1 hierarchies).  Returns 0 or -errno with err naming what failed.
 */
int	pol_cg_create(const struct pol_cg_host *host, const char *slice,
	    const char *name, struct pol_cg **out, char *err, size_t errlen);
/*
 * Apply lim; a limit the host cannot enforce fails with -EOPNOTSUPP and
 * names the missing controller, unless degraded_ok (then it is listed in
 * err and 0 returned).  A hard limit below current usage is refused
 * (-EBUSY).
 */
int	pol_cg_apply(struct pol_cg *cg, const struct pol_limits *lim,
	    bool degraded_ok, char *err, size_t errlen);
int	pol_cg_attach(struct pol_cg *cg, pid_t pid);
int	pol_cg_usage(struct pol_cg *cg, struct pol_cg_usage *u);
/* "v2" or "v1"; and the directories, for inspect. */
const char *pol_cg_backend(const struct pol_cg *cg);
const char *pol_cg_path(const struct pol_cg *cg);
/* Kill every process in it (SIGKILL) and wait until it is empty. */
int	pol_cg_kill(struct pol_cg *cg);
/* Remove the directories (kills what is left first) and free. */
void	pol_cg_destroy(struct pol_cg *cg);

/* ------------------------------------------------------------------ */
/* launch: a program inside a profile. */

struct pol_launch {
	const struct pol_spec	*spec;
	const char		*service;	/* name: hostname, $SERVICE */
	char *const		*argv;
	char *const		*envp;		/* the whole environment */
	int			 stdio[3];	/* given to the program */
	uid_t			 uid;		/* host identity it runs as */
	gid_t			 gid;
	const char		*state_dir;	/* host dir for this service:
						   overlay upper/work, state */
	const char		*endpoint_dir;	/* the membrane's directory
						   (bound inside), or NULL */
	struct pol_cg		*cg;		/* joined before exec, or NULL */
	pid_t			 join[POL_NS_COUNT]; /* POL_NSM_WITH: a pid */
	int			 notify_fd;	/* out: seccomp listener or -1 */
};

/*
 * Start the program; *pid is its init (pid 1 in its pid namespace, which
 * exits with the program's status).  Every failure before exec is reported
 * here with the step that failed.  Not async-signal-safe; call from a
 * single-threaded process.
 */
int	pol_launch(struct pol_launch *l, pid_t *pid, char *err, size_t errlen);

/*
 * Answer one pending seccomp notification on a listener from pol_launch:
 * the call is refused with the errno the profile gives it (EPERM for
 * most).  *nr is the system call's number and *pid the caller, for the
 * log and the security_events signal.  0; 1 when the call was glibc's own
 * datagram socket (refused alike, but no security event); or -errno
 * (-ENOENT: the caller went away meanwhile; -EPIPE: every filtered process
 * is gone, close the listener; -EAGAIN: nothing pending).
 */
int	pol_seccomp_answer(int notify_fd, int *nr, pid_t *pid);
/* The system call's name ("ptrace"), or NULL. */
const char *pol_syscall_name(int nr);

/* ------------------------------------------------------------------ */
/* ctl: the agent's control socket (SOCK_SEQPACKET, root only). */

#define POL_CTL_VERSION		1
#define POL_CTL_MAX		65536	/* largest message */

enum pol_ctl_type {
	POL_CTL_REQUEST = 1,	/* C->A: NUL-separated words: verb, args */
	POL_CTL_OUTPUT,		/* A->C: text for stdout */
	POL_CTL_ERROR,		/* A->C: text for stderr */
	POL_CTL_DONE,		/* A->C: status (int32) ends the request */
	POL_CTL_SIGNAL		/* C->A: forward a signal (int32) to `run` */
};

struct pol_ctl_hdr {
	uint32_t	version;
	uint32_t	type;
	uint32_t	len;		/* the whole message, header included */
	uint32_t	reserved;
};

/* Send one message with up to 3 descriptors; 0 or -errno. */
int	pol_ctl_send(int s, enum pol_ctl_type type, const void *body,
	    size_t len, const int *fds, int nfds);
/*
 * Receive one message: its body (NUL-terminated, at most cap - 1 bytes)
 * and up to 3 descriptors (*nfds; extra ones are closed).  Returns the
 * body's length, -ECONNRESET at the peer's end, -EPROTO for a message of
 * the wrong version, size or type, -EINTR when a signal came first.
 */
ssize_t	pol_ctl_recv(int s, enum pol_ctl_type *type, char *body, size_t cap,
	    int *fds, int *nfds);
/* Split a request body into words (NUL-separated); the count, or -EPROTO. */
int	pol_ctl_words(char *body, size_t len, char **words, int max);
/* The agent's default control socket. */
#define POL_CTL_PATH	"/run/membrane/agent.sock"

#endif /* MEMBRANE_POLICY_H */
