/* config_sections.c: membrane.yaml's membranes, services and agent. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_pvt.h"

static const char *const membrane_keys[] = { "name", "uplink", "address",
    "gateway", "mac", "allowed_uids", "switch_args", NULL };
static const char *const service_keys[] = { "name", "command", "profile",
    "membrane", "user", "environment", NULL };
static const char *const agent_keys[] = { "state_dir", "run_dir",
    "alert_hook", "allow_degraded", NULL };

/* A list of strings (or one string) for membranes and services. */
static int
parse_words(struct cparse *cp, const yaml_node_t *v, const char *path,
    struct pol_strv *out)
{
	yaml_node_item_t	*it;
	const yaml_node_t	*item;
	const char		*s;
	char			 buf[128];
	size_t			 idx;
	int			 err;

	if (v->type == YAML_SCALAR_NODE) {
		if ((s = config_scalar(cp, v, path)) == NULL)
			return -EINVAL;
		return *s == '\0' ? 0 : config_add_str(cp, out, s, config_line(v));
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return config_err(cp, config_line(v), "%s: expected a list", path);
	for (it = v->data.sequence.items.start, idx = 0;
	    it < v->data.sequence.items.top; it++, idx++) {
		item = config_node(cp, *it);
		snprintf(buf, sizeof(buf), "%s[%zu]", path, idx);
		if ((s = config_scalar(cp, item, buf)) == NULL)
			return -EINVAL;
		if ((err = config_add_str(cp, out, s, config_line(item))) != 0)
			return err;
	}
	return 0;
}

/* Copy s into *dst (freeing the old one); 0 or -ENOMEM. */
static int
set_str(char **dst, const char *s)
{
	char	*c;

	if ((c = strdup(s)) == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* One item of membranes:. */
int
config_membrane(struct cparse *cp, const yaml_node_t *m, size_t idx)
{
	struct pol_config	*cfg = cp->cfg;
	struct pol_membrane	*mb;
	struct pol_strv		 uids = { 0 };
	yaml_node_t		*v;
	const char		*k, *s;
	char			 path[64], kp[128];
	size_t			 i, j;
	int			 err, line, prefix;
	uid_t			*u;

	snprintf(path, sizeof(path), "membranes[%zu]", idx);
	if (config_null(m) || m->type != YAML_MAPPING_NODE)
		return config_err(cp, config_line(m), "%s: expected a mapping", path);
	if ((err = config_map_check(cp, m, path)) != 0)
		return err;
	mb = reallocarray(cfg->membranes, cfg->nmembranes + 1, sizeof(*mb));
	if (mb == NULL)
		return -ENOMEM;
	cfg->membranes = mb;
	mb = &cfg->membranes[cfg->nmembranes++];
	memset(mb, 0, sizeof(*mb));
	mb->line = config_line(m);
	for (i = 0; i < config_map_len(m); i++) {
		k = config_map_pair(cp, m, i, &v);
		config_join(kp, sizeof(kp), path, k);
		line = config_line(v);
		if (!config_known(k, membrane_keys))
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
		if (strcmp(k, "allowed_uids") == 0) {
			if ((err = parse_words(cp, v, kp, &uids)) != 0)
				goto out;
			u = reallocarray(NULL, uids.n + 1, sizeof(*u));
			if (u == NULL) {
				err = -ENOMEM;
				goto out;
			}
			free(mb->uids);
			mb->uids = u;
			mb->nuids = 0;
			for (j = 0; j < uids.n; j++) {
				if (pol_val_uid(uids.v[j], &u[j]) != 0) {
					err = config_err(cp, uids.line[j], "%s[%zu]: "
					    "\"%s\" is not a user", kp, j,
					    uids.v[j]);
					goto out;
				}
				mb->nuids++;
			}
			pol_strv_free(&uids);
			continue;
		}
		if ((s = config_scalar(cp, v, kp)) == NULL)
			return -EINVAL;
		if (strcmp(k, "name") == 0) {
			if (pol_val_name(s, 15) != 0)
				return config_err(cp, line, "%s: \"%s\" is not a "
				    "membrane name (1 to 15 letters, digits, "
				    "- and _)", kp, s);
			for (j = 0; j + 1 < cfg->nmembranes; j++)
				if (strcmp(cfg->membranes[j].name, s) == 0)
					return config_err(cp, line, "%s: \"%s\" is "
					    "defined twice (first at line %d)",
					    kp, s, cfg->membranes[j].line);
			snprintf(mb->name, sizeof(mb->name), "%s", s);
		} else if (strcmp(k, "uplink") == 0) {
			if (pol_val_uplink(s) != 0)
				return config_err(cp, line, "%s: \"%s\" is not none, "
				    "af_xdp:IFACE[:QUEUE] or dpdk:EAL-ARGS",
				    kp, s);
			if (set_str(&mb->uplink, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "address") == 0) {
			if (strcmp(s, "dhcp") != 0 &&
			    pol_val_ipv4(s, &prefix) != 0)
				return config_err(cp, line, "%s: \"%s\" is not dhcp "
				    "or an IPv4 address/prefix", kp, s);
			if (set_str(&mb->address, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "gateway") == 0) {
			if (pol_val_ipv4(s, NULL) != 0)
				return config_err(cp, line, "%s: \"%s\" is not an "
				    "IPv4 address", kp, s);
			if (set_str(&mb->gateway, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "mac") == 0) {
			if (pol_val_mac(s) != 0)
				return config_err(cp, line, "%s: \"%s\" is not a MAC "
				    "address (xx:xx:xx:xx:xx:xx)", kp, s);
			if (set_str(&mb->mac, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "switch_args") == 0) {
			if (set_str(&mb->switch_args, s) != 0)
				return -ENOMEM;
		} else
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
	}
	if (mb->name[0] == '\0')
		return config_err(cp, mb->line, "%s: name is required", path);
	if (mb->uplink == NULL)
		return config_err(cp, mb->line, "%s: uplink is required", path);
	if (mb->address == NULL && set_str(&mb->address, "dhcp") != 0)
		return -ENOMEM;
	return 0;
out:
	pol_strv_free(&uids);
	return err;
}

/* Whether s is an environment variable's name. */
static bool
env_name(const char *s)
{
	size_t	i;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* services[i].environment: KEY: VALUE into "KEY=VALUE". */
static int
parse_environment(struct cparse *cp, struct pol_service *svc,
    const yaml_node_t *v, const char *path)
{
	yaml_node_t	*ev;
	const char	*k, *s;
	char		 kp[192], *kv;
	size_t		 i;
	int		 err;

	if ((err = config_map_check(cp, v, path)) != 0)
		return err;
	for (i = 0; i < config_map_len(v); i++) {
		k = config_map_pair(cp, v, i, &ev);
		config_join(kp, sizeof(kp), path, k);
		if (!env_name(k))
			return config_err(cp, config_line(config_node(cp,
			    v->data.mapping.pairs.start[i].key)), "%s: \"%s\" "
			    "is not a variable name", kp, k);
		if ((s = config_scalar(cp, ev, kp)) == NULL)
			return -EINVAL;
		if (asprintf(&kv, "%s=%s", k, s) < 0)
			return -ENOMEM;
		err = config_add_str(cp, &svc->environment, kv, config_line(ev));
		free(kv);
		if (err != 0)
			return err;
	}
	return 0;
}

/* One item of services:. */
int
config_service(struct cparse *cp, const yaml_node_t *m, size_t idx)
{
	struct pol_config	*cfg = cp->cfg;
	struct pol_service	*svc;
	struct svc_ref		*refs;
	struct passwd		*pw;
	yaml_node_t		*v;
	const char		*k, *s;
	char			 path[64], kp[128];
	size_t			 i, j;
	int			 err, line;
	uid_t			 uid;

	snprintf(path, sizeof(path), "services[%zu]", idx);
	if (config_null(m) || m->type != YAML_MAPPING_NODE)
		return config_err(cp, config_line(m), "%s: expected a mapping", path);
	if ((err = config_map_check(cp, m, path)) != 0)
		return err;
	svc = reallocarray(cfg->services, cfg->nservices + 1, sizeof(*svc));
	if (svc == NULL)
		return -ENOMEM;
	cfg->services = svc;
	refs = reallocarray(cp->refs, cfg->nservices + 1, sizeof(*refs));
	if (refs == NULL)
		return -ENOMEM;
	cp->refs = refs;
	refs = &cp->refs[cfg->nservices];
	svc = &cfg->services[cfg->nservices++];
	memset(svc, 0, sizeof(*svc));
	memset(refs, 0, sizeof(*refs));
	svc->line = config_line(m);
	snprintf(svc->profile, sizeof(svc->profile), "%s", "photon");
	for (i = 0; i < config_map_len(m); i++) {
		k = config_map_pair(cp, m, i, &v);
		config_join(kp, sizeof(kp), path, k);
		line = config_line(v);
		if (!config_known(k, service_keys))
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
		if (strcmp(k, "command") == 0) {
			pol_strv_free(&svc->command);
			if (v->type == YAML_SCALAR_NODE) {
				if ((s = config_scalar(cp, v, kp)) == NULL)
					return -EINVAL;
				if (*s != '\0' &&
				    ((err = config_add_str(cp, &svc->command,
				    "/bin/sh", line)) != 0 ||
				    (err = config_add_str(cp, &svc->command, "-c",
				    line)) != 0 ||
				    (err = config_add_str(cp, &svc->command, s,
				    line)) != 0))
					return err;
			} else if ((err = parse_words(cp, v, kp,
			    &svc->command)) != 0)
				return err;
			if (svc->command.n == 0)
				return config_err(cp, line, "%s: is empty", kp);
			continue;
		}
		if (strcmp(k, "environment") == 0) {
			if ((err = parse_environment(cp, svc, v, kp)) != 0)
				return err;
			continue;
		}
		if ((s = config_scalar(cp, v, kp)) == NULL)
			return -EINVAL;
		if (strcmp(k, "name") == 0) {
			if (pol_val_name(s, POL_NAME_MAX - 1) != 0)
				return config_err(cp, line, "%s: \"%s\" is not a "
				    "name (letters, digits, - and _)", kp, s);
			for (j = 0; j + 1 < cfg->nservices; j++)
				if (strcmp(cfg->services[j].name, s) == 0)
					return config_err(cp, line, "%s: \"%s\" is "
					    "defined twice (first at line %d)",
					    kp, s, cfg->services[j].line);
			snprintf(svc->name, sizeof(svc->name), "%s", s);
		} else if (strcmp(k, "profile") == 0) {
			if (pol_val_name(s, POL_NAME_MAX - 1) != 0)
				return config_err(cp, line, "%s: no profile \"%s\"",
				    kp, s);
			snprintf(svc->profile, sizeof(svc->profile), "%s", s);
			refs->profile_line = line;
		} else if (strcmp(k, "membrane") == 0) {
			if (pol_val_name(s, 15) != 0)
				return config_err(cp, line, "%s: no membrane \"%s\"",
				    kp, s);
			snprintf(svc->membrane, sizeof(svc->membrane), "%s", s);
			refs->membrane_line = line;
		} else if (strcmp(k, "user") == 0) {
			pw = NULL;
			if (pol_val_uid(s, &uid) == 0)
				pw = getpwuid(uid);
			if (pw == NULL)
				return config_err(cp, line, "%s: \"%s\" is not a user "
				    "of this host", kp, s);
			if (set_str(&svc->user, s) != 0)
				return -ENOMEM;
		} else
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
	}
	if (svc->name[0] == '\0')
		return config_err(cp, svc->line, "%s: name is required", path);
	if (svc->command.n == 0)
		return config_err(cp, svc->line, "%s: command is required", path);
	return 0;
}

/* agent: the daemon's own settings. */
int
config_agent(struct cparse *cp, const yaml_node_t *m)
{
	struct pol_config	*cfg = cp->cfg;
	yaml_node_t		*v;
	const char		*k, *s;
	char			 kp[128];
	size_t			 i;
	int			 err, line;

	if ((err = config_map_check(cp, m, "agent")) != 0)
		return err;
	for (i = 0; i < config_map_len(m); i++) {
		k = config_map_pair(cp, m, i, &v);
		config_join(kp, sizeof(kp), "agent", k);
		line = config_line(v);
		if (!config_known(k, agent_keys))
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
		if ((s = config_scalar(cp, v, kp)) == NULL)
			return -EINVAL;
		if (strcmp(k, "state_dir") == 0 || strcmp(k, "run_dir") == 0) {
			if (*s != '/')
				return config_err(cp, line, "%s: \"%s\" is not an "
				    "absolute path", kp, s);
			if (strlen(s) >= POL_PATH_MAX / 2)
				return config_err(cp, line, "%s: is too long", kp);
			if (set_str(k[0] == 's' ? &cfg->state_dir :
			    &cfg->run_dir, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "alert_hook") == 0) {
			if (*s == '\0')
				continue;
			if (set_str(&cfg->alert_hook, s) != 0)
				return -ENOMEM;
		} else if (strcmp(k, "allow_degraded") == 0) {
			if (pol_val_bool(s, &cfg->degraded_ok) != 0)
				return config_err(cp, line, "%s: \"%s\" is not true "
				    "or false", kp, s);
		} else
			return config_err(cp, config_line(config_node(cp,
			    m->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", kp);
	}
	return 0;
}
