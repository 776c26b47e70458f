/* agent_pvt.h: membrane-agent's own structures (private to policy/). */
#ifndef MEMBRANE_AGENT_PVT_H
#define MEMBRANE_AGENT_PVT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define AGENT_MAX_DAEMONS	64
#define AGENT_DIR_MAX		200	/* run_dir, state_dir: room to append */
#define AGENT_BACKOFF_MAX_MS	30000
#define AGENT_STABLE_MS		10000	/* up this long: backoff resets */

/* What an epoll event is about. */
enum ev_kind { EV_SIGNAL = 1, EV_LISTEN, EV_CLIENT, EV_NOTIFY };

struct evsrc {
	enum ev_kind	 kind;
	void		*obj;
};

/* A supervised daemon: a switch or a stack. */
enum daemon_kind { DAEMON_SWITCH, DAEMON_STACK };

struct daemon {
	enum daemon_kind	 kind;
	char			 name[POL_NAME_MAX];	/* the membrane's */
	char			**argv;
	char			 ctl[POL_PATH_MAX];	/* switch: its socket */
	struct daemon		*sw;			/* stack: its switch */
	const struct pol_membrane *mb;
	char			 allow[1024];	/* stack: its --allow-uid */
	pid_t			 pid;
	unsigned		 restarts;
	int64_t			 backoff_ms;
	int64_t			 next_start;	/* monotonic ms, 0 = none */
	int64_t			 started;
	bool			 ready_logged;
};

enum svc_state { SVC_STARTING, SVC_RUNNING, SVC_BACKOFF, SVC_STOPPED,
    SVC_RUPTURED, SVC_EXITED };

/* Where breathing holds a service. */
enum breath_level { BREATH_NORMAL, BREATH_STRETCHED, BREATH_CONTRACTED,
    BREATH_HARD };

struct client;

struct svc {
	struct svc		*next;
	char			 name[POL_NAME_MAX];
	char			 profile[POL_NAME_MAX];
	char			 membrane[POL_NAME_MAX];	/* "" = none */
	char			**argv;
	char			**env;		/* the service's own K=V */
	uid_t			 uid;
	gid_t			 gid;
	bool			 transient;	/* `run`: ends with its client */
	struct client		*client;	/* `run`: who waits */
	struct pol_spec		 spec;
	bool			 have_spec;
	struct pol_limits	 base;		/* the profile's limits */
	struct pol_limits	 cur;		/* in force */
	struct pol_cg		*cg;
	pid_t			 pid;		/* its init */
	int			 notify_fd;
	struct evsrc		 notify_ev;
	enum svc_state		 state;
	int			 status;	/* last exit: code or 128+sig */
	unsigned		 restarts;
	int64_t			 backoff_ms;
	int64_t			 next_start;
	int64_t			 started;
	int64_t			 oom_seen;
	int64_t			 next_oom;	/* OOM counter poll */
	int64_t			 kill_at;	/* stopping: SIGKILL then */
	int			 log_fd;	/* config services' output */
	/* stretch with a duration: contract back at stretch_until. */
	int64_t			 stretch_until;
	/* breathing */
	enum breath_level	 level;
	int64_t			 next_breath;
	unsigned		 calm;		/* intervals below threshold */
	uint64_t		 sec_events;	/* all of them */
	uint64_t		 sec_events_seen; /* at the last breath */
	uint64_t		 h_err, h_seg;	/* health counters then */
	bool			 h_valid;
	enum pol_rupture	 rupture;
	/* from the config file; what a reload does with it once it ends */
	bool			 configured;
	enum { SVC_KEEP, SVC_REMOVE, SVC_REPLACE } retire;
};

struct client {
	struct client		*next;
	int			 fd;
	struct evsrc		 ev;
	struct svc		*run;		/* `run` in progress */
};

struct agent {
	struct pol_config	*cfg;
	const char		*cfg_path;
	char			 ctl_path[POL_PATH_MAX];
	char			 state_dir[AGENT_DIR_MAX];
	char			 run_dir[AGENT_DIR_MAX];
	bool			 state_flag, run_flag;	/* set by flags */
	const char		*switch_bin, *stack_bin, *xdp_prog, *preload;
	bool			 degraded_ok;
	bool			 degraded_flag;	/* --allow-degraded */
	struct pol_cg_host	 cg_host;
	bool			 cg_ok;
	char			 cg_why[POL_ERR_MAX];
	int			 epfd, sigfd, lfd;
	ino_t			 ctl_ino;	/* our socket file, not a successor's */
	struct evsrc		 sig_ev, listen_ev;
	struct daemon		 daemons[AGENT_MAX_DAEMONS];
	unsigned		 ndaemons;
	struct svc		*svcs;
	struct client		*clients;
	unsigned		 nrun;		/* names for `run` */
	volatile bool		 quit;
};

extern struct agent	agent;

int64_t	 agent_now(void);			/* monotonic ms */
int	 agent_watch(int fd, struct evsrc *ev);
void	 agent_unwatch(int fd);
void	 agent_child(void);
void	 agent_alert(const struct svc *, const char *event,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* agent_daemon.c */
int	 daemon_setup(void);
void	 daemon_tick(int64_t now, int64_t *next);
bool	 daemon_reaped(pid_t pid, int status);
void	 daemon_stop_all(void);
struct daemon *daemon_stack(const char *membrane);
void	 daemon_list(FILE *out, bool json);
void	 daemon_allowed_uids(const struct pol_config *,
	     const struct pol_membrane *, char *buf, size_t size);
void	 daemon_reconfig(const struct pol_config *);

/* agent_svc.c */
struct svc *svc_find(const char *name);
struct svc *svc_new(const char *name, const char *profile,
	     const char *membrane, char **argv, char **env, const char *user,
	     char *err, size_t errlen);
int	 svc_start(struct svc *, int stdio[3], char *err, size_t errlen);
void	 svc_tick(int64_t now, int64_t *next);
bool	 svc_reaped(pid_t pid, int status);
void	 svc_stop(struct svc *, const char *why);
void	 svc_free(struct svc *);
void	 svc_stop_all(void);
void	 svc_notify(struct svc *);
int	 svc_limits(struct svc *, const struct pol_limits *, char *err,
	     size_t errlen);
void	 svc_rupture(struct svc *, enum pol_rupture, const char *why);
void	 svc_descendants(pid_t pid, pid_t *out, size_t *n, size_t max);
const char *svc_state_name(enum svc_state);
int	 svc_start_config(void);
struct svc *svc_from_config(const struct pol_service *);
int	 svc_user(const char *user, uid_t *uid, gid_t *gid);

/* agent_reload.c */
int	 agent_reload(char *msg, size_t msglen);
void	 svc_retired(struct svc *);

/* agent_ctl.c */
int	 ctl_listen(void);
void	 ctl_accept(void);
void	 ctl_client_event(struct client *);
void	 ctl_client_close(struct client *);
void	 ctl_close_all(void);
void	 ctl_unlink(void);
void	 ctl_out(struct client *, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
void	 ctl_err(struct client *, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
void	 ctl_done(struct client *, int status);
void	 ctl_run_ended(struct svc *);

/* agent_ops.c: each verb; returns the exit status for ctl_done, or -1
 * when the reply comes later (run). */
int	 ops_dispatch(struct client *, int argc, char **argv, int fds[3],
	     int nfds);

/* agent_breathe.c */
void	 breathe_tick(struct svc *, int64_t now);
int	 breathe_apply(struct svc *, enum pol_action, char *what,
	     size_t whatlen);
void	 breathe_relax(struct svc *, char *what, size_t whatlen);
void	 limits_text(const struct pol_limits *, char *buf, size_t len);
void	 size_text(int64_t v, char *buf, size_t len);
void	 count_text(int64_t v, char *buf, size_t len);
void	 cpu_text(const struct pol_limits *, char *buf, size_t len);

/* agent_stats.c */
struct stack_health {
	uint64_t	seg_out, seg_in, conn_failed, resets, rtx;
	int		rtt_p99_ms;
	unsigned	rtt_n;
	char		*text;		/* every line, for inspect */
};
int	 stats_read(const char *membrane, struct stack_health *h,
	     char *err, size_t errlen);
void	 stats_free(struct stack_health *h);
int	 stats_bus_field(const char *membrane, const char *key, char *out,
	     size_t len);

#endif /* MEMBRANE_AGENT_PVT_H */
