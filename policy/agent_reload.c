/*
 * agent_reload.c: SIGHUP and `membrane reload`.  The config file is read
 * again; one that does not load or check changes nothing.  Its services
 * are compared with the running config's: one whose entry and resolved
 * profile are the same keeps running untouched, a changed one is stopped
 * and started again from its new entry, a removed one is stopped, a new
 * one is started.  Membranes (their switches and stacks) and the agent's
 * directories change only with a restart of the agent: a reload that
 * would change them is refused as a whole.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "agent_pvt.h"

static bool
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
strv_same(const struct pol_strv *a, const struct pol_strv *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static bool
membrane_same(const struct pol_membrane *a, const struct pol_membrane *b)
{
	return str_same(a->uplink, b->uplink) &&
	    str_same(a->address, b->address) &&
	    str_same(a->gateway, b->gateway) && str_same(a->mac, b->mac) &&
	    str_same(a->switch_args, b->switch_args) &&
	    a->nuids == b->nuids && (a->nuids == 0 ||
	    memcmp(a->uids, b->uids, a->nuids * sizeof(a->uids[0])) == 0);
}

static bool
elastic_same(const struct pol_elastic *a, const struct pol_elastic *b)
{
	return a->mem_soft == b->mem_soft && a->mem_hard == b->mem_hard &&
	    a->oom_kill == b->oom_kill && a->cpu_shares == b->cpu_shares &&
	    a->cpu_burst == b->cpu_burst && a->burst_ms == b->burst_ms &&
	    a->io_weight == b->io_weight &&
	    a->io_burst_weight == b->io_burst_weight;
}

static bool
breathing_same(const struct pol_breathing *a, const struct pol_breathing *b)
{
	size_t i;

	if (a->interval_ms != b->interval_ms || a->nsig != b->nsig)
		return false;
	for (i = 0; i < a->nsig; i++)
		if (a->sig[i].metric != b->sig[i].metric ||
		    a->sig[i].threshold != b->sig[i].threshold ||
		    a->sig[i].action != b->sig[i].action)
			return false;
	return true;
}

/* Do two resolved profiles ask the same of the host? (Lines aside.) */
static bool
spec_same(const struct pol_spec *a, const struct pol_spec *b)
{
	int i;

	if (strcmp(a->profile, b->profile) != 0 ||
	    memcmp(a->ns, b->ns, sizeof(a->ns)) != 0 ||
	    memcmp(&a->lim, &b->lim, sizeof(a->lim)) != 0 ||
	    a->cap_bounding != b->cap_bounding ||
	    a->cap_ambient != b->cap_ambient || a->seccomp != b->seccomp ||
	    strcmp(a->seccomp_file, b->seccomp_file) != 0 ||
	    a->rupture != b->rupture || a->degraded_ok != b->degraded_ok)
		return false;
	for (i = 0; i < POL_NS_COUNT; i++)
		if (a->ns[i] == POL_NSM_WITH &&
		    strcmp(a->ns_with[i], b->ns_with[i]) != 0)
			return false;
	return a->fs.overlay == b->fs.overlay &&
	    strv_same(&a->fs.lower, &b->fs.lower) &&
	    strv_same(&a->fs.writable, &b->fs.writable) &&
	    strv_same(&a->fs.read_only, &b->fs.read_only) &&
	    strv_same(&a->fs.hidden, &b->fs.hidden) &&
	    strv_same(&a->fs.volumes, &b->fs.volumes) &&
	    elastic_same(&a->el, &b->el) && breathing_same(&a->br, &b->br);
}

/* Is service a of config ca what b of cb is, down to its profile? */
static bool
service_same(const struct pol_config *ca, const struct pol_service *a,
    const struct pol_config *cb, const struct pol_service *b)
{
	struct pol_spec	sa, sb;
	char		err[POL_ERR_MAX];
	bool		same;

	if (!strv_same(&a->command, &b->command) ||
	    strcmp(a->profile, b->profile) != 0 ||
	    strcmp(a->membrane, b->membrane) != 0 ||
	    !str_same(a->user, b->user) ||
	    !strv_same(&a->environment, &b->environment))
		return false;
	if (pol_profile_resolve(ca, a->profile, a->name, a->environment.v,
	    &sa, err, sizeof(err)) < 0)
		return false;
	if (pol_profile_resolve(cb, b->profile, b->name, b->environment.v,
	    &sb, err, sizeof(err)) < 0) {
		pol_spec_free(&sa);
		return false;
	}
	same = spec_same(&sa, &sb);
	pol_spec_free(&sa);
	pol_spec_free(&sb);
	return same;
}

/* Is every uid of the comma list want in the list have? */
static bool
uids_within(const char *want, const char *have)
{
	char	 h[1100], tok[16];
	size_t	 n;

	snprintf(h, sizeof(h), ",%s,", have);
	while (*want != '\0') {
		n = strcspn(want, ",");
		if (n + 3 > sizeof(tok))
			return false;
		tok[0] = ',';
		memcpy(tok + 1, want, n);
		tok[n + 1] = ',';
		tok[n + 2] = '\0';
		if (strstr(h, tok) == NULL)
			return false;
		want += n;
		want += *want == ',';
	}
	return true;
}

/* The uids the running stack of a membrane was started to admit. */
static const char *
stack_allowed(const char *membrane)
{
	unsigned i;

	for (i = 0; i < agent.ndaemons; i++)
		if (agent.daemons[i].kind == DAEMON_STACK &&
		    strcmp(agent.daemons[i].name, membrane) == 0)
			return agent.daemons[i].allow;
	return NULL;
}

/* What only a restart of the agent applies; 0, or -1 with msg set. */
static int
reload_fixed(const struct pol_config *old, const struct pol_config *cfg,
    char *msg, size_t msglen)
{
	static const char tail[] = ": that takes a restart of the agent; "
	    "nothing was reloaded";
	const char *allowed;
	char	uo[1024], un[1024];
	size_t	i;

	for (i = 0; i < cfg->nmembranes; i++)
		if (pol_config_membrane(old, cfg->membranes[i].name) == NULL) {
			snprintf(msg, msglen, "membrane %s is new%s",
			    cfg->membranes[i].name, tail);
			return -1;
		}
	for (i = 0; i < old->nmembranes; i++) {
		const struct pol_membrane *mo = &old->membranes[i], *mn;

		if ((mn = pol_config_membrane(cfg, mo->name)) == NULL) {
			snprintf(msg, msglen, "membrane %s was removed%s",
			    mo->name, tail);
			return -1;
		}
		if (!membrane_same(mo, mn)) {
			snprintf(msg, msglen, "membrane %s changed%s",
			    mo->name, tail);
			return -1;
		}
		/* Its stack lets only the users it was started with attach. */
		if ((allowed = stack_allowed(mo->name)) == NULL) {
			daemon_allowed_uids(old, mo, uo, sizeof(uo));
			allowed = uo;
		}
		daemon_allowed_uids(cfg, mn, un, sizeof(un));
		if (!uids_within(un, allowed)) {
			snprintf(msg, msglen, "membrane %s: a service runs as a "
			    "user its stack does not let attach yet%s",
			    mo->name, tail);
			return -1;
		}
	}
	/* A directory given by a flag does not follow the file. */
	if ((!agent.state_flag && !str_same(old->state_dir, cfg->state_dir)) ||
	    (!agent.run_flag && !str_same(old->run_dir, cfg->run_dir))) {
		snprintf(msg, msglen, "agent.state_dir or agent.run_dir "
		    "changed%s", tail);
		return -1;
	}
	return 0;
}

/* Append " name" to one of the summary's lists. */
static void
list_add(char *list, size_t size, const char *name)
{
	size_t len = strlen(list);

	if (len + strlen(name) + 2 < size)
		snprintf(list + len, size - len, " %s", name);
	else if (len + 5 < size && strcmp(list + len - 4, " ...") != 0)
		snprintf(list + len, size - len, " ...");
}

/* A service a reload changed or removed has ended: free it, or renew it. */
void
svc_retired(struct svc *s)
{
	const struct pol_service	*ps;
	char				 name[POL_NAME_MAX];
	bool				 again = s->retire == SVC_REPLACE;

	snprintf(name, sizeof(name), "%s", s->name);
	svc_free(s);
	if (!again) {
		log_info("service %s: removed from the config", name);
		return;
	}
	if ((ps = pol_config_service(agent.cfg, name)) != NULL &&
	    svc_from_config(ps) != NULL)
		log_info("service %s: starting again as the config now has it",
		    name);
}

int
agent_reload(char *msg, size_t msglen)
{
	struct pol_config	*old = agent.cfg, *cfg = NULL;
	struct svc		*s, *nx;
	char			 err[POL_ERR_MAX];
	char			 added[256] = "", changed[256] = "";
	char			 removed[256] = "";
	unsigned		 kept = 0;
	size_t			 i;

	if (pol_config_load(agent.cfg_path, &cfg, err, sizeof(err)) < 0 ||
	    pol_config_check(cfg, err, sizeof(err)) < 0) {
		if (cfg != NULL)
			pol_config_free(cfg);
		snprintf(msg, msglen, "%s; nothing was reloaded", err);
		return -1;
	}
	if (reload_fixed(old, cfg, msg, msglen) < 0) {
		pol_config_free(cfg);
		return -1;
	}
	/* Decide while both configs stand. */
	for (s = agent.svcs; s != NULL; s = s->next) {
		const struct pol_service *po, *pn;

		if (!s->configured)
			continue;
		pn = pol_config_service(cfg, s->name);
		po = pol_config_service(old, s->name);
		if (pn == NULL)
			s->retire = SVC_REMOVE;
		else if (s->retire != SVC_KEEP || po == NULL ||
		    !service_same(old, po, cfg, pn))
			s->retire = SVC_REPLACE;
	}
	agent.cfg = cfg;
	daemon_reconfig(cfg);
	agent.degraded_ok = agent.degraded_flag || cfg->degraded_ok;
	for (s = agent.svcs; s != NULL; s = nx) {
		nx = s->next;
		/* A resolved profile names its file by the config's string. */
		if (s->spec.file == old->path)
			s->spec.file = cfg->path;
		if (!s->configured)
			continue;
		if (s->retire == SVC_KEEP) {
			kept++;
			continue;
		}
		list_add(s->retire == SVC_REMOVE ? removed : changed,
		    sizeof(removed), s->name);
		if (s->pid > 0)
			svc_stop(s, s->retire == SVC_REMOVE ?
			    "removed from the config" :
			    "changed in the config");
		else
			svc_retired(s);
	}
	for (i = 0; i < cfg->nservices; i++) {
		const struct pol_service *ps = &cfg->services[i];

		if ((s = svc_find(ps->name)) != NULL) {
			if (!s->configured)
				log_warnx("service %s: one of that name was "
				    "made by membrane create; the config's "
				    "waits for it to go", ps->name);
			continue;
		}
		if (svc_from_config(ps) != NULL)
			list_add(added, sizeof(added), ps->name);
	}
	pol_config_free(old);
	snprintf(msg, msglen, "reloaded %s: %u unchanged; added:%s; "
	    "changed:%s; removed:%s", agent.cfg_path, kept,
	    added[0] != '\0' ? added : " none",
	    changed[0] != '\0' ? changed : " none",
	    removed[0] != '\0' ? removed : " none");
	return 0;
}
