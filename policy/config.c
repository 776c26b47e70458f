/* config.c: membrane.yaml into profiles, membranes and services. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config_pvt.h"

#define CONFIG_MAX_BYTES	(4 << 20)	/* no config is this big */

static const struct pol_key ns_keys[] = {
	{ "pid", "namespaces.pid", POL_SH_VALUE, POL_F_NS + POL_NS_PID, NULL },
	{ "net", "namespaces.net", POL_SH_VALUE, POL_F_NS + POL_NS_NET, NULL },
	{ "mnt", "namespaces.mnt", POL_SH_VALUE, POL_F_NS + POL_NS_MNT, NULL },
	{ "uts", "namespaces.uts", POL_SH_VALUE, POL_F_NS + POL_NS_UTS, NULL },
	{ "ipc", "namespaces.ipc", POL_SH_VALUE, POL_F_NS + POL_NS_IPC, NULL },
	{ "user", "namespaces.user", POL_SH_VALUE, POL_F_NS + POL_NS_USER,
	    NULL },
	{ "cgroup", "namespaces.cgroup", POL_SH_VALUE,
	    POL_F_NS + POL_NS_CGROUP, NULL },
	{ "time", "namespaces.time", POL_SH_VALUE, POL_F_NS + POL_NS_TIME,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key cgroup_keys[] = {
	{ "memory.max", "cgroup.memory.max", POL_SH_VALUE, POL_F_MEM_MAX,
	    NULL },
	{ "memory.high", "cgroup.memory.high", POL_SH_VALUE, POL_F_MEM_HIGH,
	    NULL },
	{ "memory.swap.max", "cgroup.memory.swap.max", POL_SH_VALUE,
	    POL_F_SWAP_MAX, NULL },
	{ "cpu.weight", "cgroup.cpu.weight", POL_SH_VALUE, POL_F_CPU_WEIGHT,
	    NULL },
	{ "cpu.max", "cgroup.cpu.max", POL_SH_VALUE, POL_F_CPU_MAX, NULL },
	{ "pids.max", "cgroup.pids.max", POL_SH_VALUE, POL_F_PIDS_MAX, NULL },
	{ "io.weight", "cgroup.io.weight", POL_SH_VALUE, POL_F_IO_WEIGHT,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key cap_keys[] = {
	{ "bounding", "capabilities.bounding", POL_SH_LIST,
	    POL_F_CAP_BOUNDING, NULL },
	{ "ambient", "capabilities.ambient", POL_SH_LIST, POL_F_CAP_AMBIENT,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key fs_keys[] = {
	{ "root", "filesystem.root", POL_SH_VALUE, POL_F_FS_ROOT, NULL },
	{ "lower", "filesystem.lower", POL_SH_LIST, POL_F_FS_LOWER, NULL },
	{ "middle", "filesystem.middle", POL_SH_LIST, POL_F_FS_MIDDLE, NULL },
	{ "writable_paths", "filesystem.writable_paths", POL_SH_LIST,
	    POL_F_FS_WRITABLE, NULL },
	{ "read_only_paths", "filesystem.read_only_paths", POL_SH_LIST,
	    POL_F_FS_READ_ONLY, NULL },
	{ "hidden_paths", "filesystem.hidden_paths", POL_SH_LIST,
	    POL_F_FS_HIDDEN, NULL },
	{ "volumes", "filesystem.volumes", POL_SH_LIST, POL_F_FS_VOLUMES,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key el_mem_keys[] = {
	{ "soft", "elasticity.memory.soft", POL_SH_VALUE, POL_F_EL_MEM_SOFT,
	    NULL },
	{ "hard", "elasticity.memory.hard", POL_SH_VALUE, POL_F_EL_MEM_HARD,
	    NULL },
	{ "oom_kill", "elasticity.memory.oom_kill", POL_SH_VALUE,
	    POL_F_EL_OOM_KILL, NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key el_cpu_keys[] = {
	{ "shares", "elasticity.cpu.shares", POL_SH_VALUE,
	    POL_F_EL_CPU_SHARES, NULL },
	{ "burst", "elasticity.cpu.burst", POL_SH_VALUE, POL_F_EL_CPU_BURST,
	    NULL },
	{ "burst_duration", "elasticity.cpu.burst_duration", POL_SH_VALUE,
	    POL_F_EL_BURST_DURATION, NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key el_io_keys[] = {
	{ "weight", "elasticity.io.weight", POL_SH_VALUE, POL_F_EL_IO_WEIGHT,
	    NULL },
	{ "burst_weight", "elasticity.io.burst_weight", POL_SH_VALUE,
	    POL_F_EL_IO_BURST_WEIGHT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key el_keys[] = {
	{ "memory", "elasticity.memory", POL_SH_SECTION, 0, el_mem_keys },
	{ "cpu", "elasticity.cpu", POL_SH_SECTION, 0, el_cpu_keys },
	{ "io", "elasticity.io", POL_SH_SECTION, 0, el_io_keys },
	{ NULL, NULL, 0, 0, NULL }
};

static const struct pol_key br_keys[] = {
	{ "interval", "breathing.interval", POL_SH_VALUE, POL_F_BR_INTERVAL,
	    NULL },
	{ "trust_signals", "breathing.trust_signals", POL_SH_SIGNALS,
	    POL_F_BR_SIGNALS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};

const struct pol_key pol_profile_keys[] = {
	{ "vertex", "vertex", POL_SH_VALUE, POL_F_VERTEX, NULL },
	{ "namespaces", "namespaces", POL_SH_SECTION, 0, ns_keys },
	{ "cgroup", "cgroup", POL_SH_SECTION, 0, cgroup_keys },
	{ "capabilities", "capabilities", POL_SH_SECTION, 0, cap_keys },
	{ "seccomp", "seccomp", POL_SH_VALUE, POL_F_SECCOMP, NULL },
	{ "filesystem", "filesystem", POL_SH_SECTION, 0, fs_keys },
	{ "elasticity", "elasticity", POL_SH_SECTION, 0, el_keys },
	{ "breathing", "breathing", POL_SH_SECTION, 0, br_keys },
	{ "rupture", "rupture", POL_SH_VALUE, POL_F_RUPTURE, NULL },
	{ "allow_degraded", "allow_degraded", POL_SH_VALUE, POL_F_DEGRADED,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

static const char *const signal_keys[] = { "metric", "threshold", "action" };


/* The node numbered idx of the document. */
yaml_node_t *
config_node(struct cparse *cp, int idx)
{
	return yaml_document_get_node(&cp->doc, idx);
}

/* The 1-based line a node starts on. */
int
config_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

/* Whether n is YAML's null: an empty plain scalar, ~ or null. */
bool
config_null(const yaml_node_t *n)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* Whether key is one of the NULL-ended keys. */
bool
config_known(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}


/* path + "." + key into buf (just key when path is empty). */
const char *
config_join(char *buf, size_t len, const char *path, const char *key)
{
	snprintf(buf, len, "%s%s%s", path, *path != '\0' ? "." : "", key);
	return buf;
}

/* The text of a scalar node (null is ""), or NULL with err set. */
const char *
config_scalar(struct cparse *cp, const yaml_node_t *n, const char *path)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE) {
		config_err(cp, config_line(n), "%s: expected a value", path);
		return NULL;
	}
	if (config_null(n))
		return "";
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		config_err(cp, config_line(n), "%s: holds a NUL byte", path);
		return NULL;
	}
	return s;
}

/*
 * Check that n is a mapping (null counts as an empty one) with scalar,
 * unique keys; path names it in messages.  0 or -EINVAL.
 */
int
config_map_check(struct cparse *cp, const yaml_node_t *n, const char *path)
{
	yaml_node_pair_t	*p, *q;
	yaml_node_t		*k, *k2;
	char			 buf[256];

	if (config_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return config_err(cp, config_line(n), "%s: expected a mapping",
		    *path != '\0' ? path : "top level");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_node(cp, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return config_err(cp, config_line(k), "%s: a key must be a "
			    "plain value", *path != '\0' ? path : "top level");
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			k2 = config_node(cp, q->key);
			if (strcmp((char *)k->data.scalar.value,
			    (char *)k2->data.scalar.value) == 0)
				return config_err(cp, config_line(k), "%s: duplicate "
				    "key (first at line %d)", config_join(buf,
				    sizeof(buf), path,
				    (char *)k->data.scalar.value),
				    config_line(k2));
		}
	}
	return 0;
}

/* The pairs of a mapping node checked by map_check (none for null). */
size_t
config_map_len(const yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start);
}

/* The i-th key (its text) and value of a mapping. */
const char *
config_map_pair(struct cparse *cp, const yaml_node_t *n, size_t i,
    yaml_node_t **val)
{
	yaml_node_pair_t *p = n->data.mapping.pairs.start + i;

	*val = config_node(cp, p->value);
	return (const char *)config_node(cp, p->key)->data.scalar.value;
}

/* Add an empty entry for key to src; NULL if out of memory. */
static struct pol_entry *
entry_add(struct cparse *cp, struct pol_profile_src *src,
    const struct pol_key *key, int line)
{
	struct pol_entry	*e;

	e = reallocarray(src->ent, src->nent + 1, sizeof(*e));
	if (e == NULL) {
		snprintf(cp->err, cp->errlen, "%s: out of memory", cp->file);
		return NULL;
	}
	src->ent = e;
	e = &src->ent[src->nent++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->line = line;
	return e;
}

/* Add a string to a strv, with the out-of-memory message. */
int
config_add_str(struct cparse *cp, struct pol_strv *sv, const char *s, int line)
{
	if (pol_strv_add(sv, s, strlen(s), line) != 0) {
		snprintf(cp->err, cp->errlen, "%s: out of memory", cp->file);
		return -ENOMEM;
	}
	return 0;
}

/* breathing.trust_signals: a list of {metric, threshold, action}. */
static int
parse_signals(struct cparse *cp, struct pol_entry *e, const yaml_node_t *n)
{
	yaml_node_item_t	*it;
	yaml_node_t		*m, *v;
	const char		*k, *s, *val[3];
	char			 path[128], buf[256];
	size_t			 i, j, idx;
	int			 lines[3], err, *sl;

	if (config_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return config_err(cp, config_line(n), "%s: expected a list",
		    e->key->path);
	for (it = n->data.sequence.items.start, idx = 0;
	    it < n->data.sequence.items.top; it++, idx++) {
		m = config_node(cp, *it);
		snprintf(path, sizeof(path), "%s[%zu]", e->key->path, idx);
		if (config_null(m) || m->type != YAML_MAPPING_NODE)
			return config_err(cp, config_line(m), "%s: expected a mapping",
			    path);
		if ((err = config_map_check(cp, m, path)) != 0)
			return err;
		memset(val, 0, sizeof(val));
		for (i = 0; i < config_map_len(m); i++) {
			k = config_map_pair(cp, m, i, &v);
			for (j = 0; j < 3; j++)
				if (strcmp(k, signal_keys[j]) == 0)
					break;
			config_join(buf, sizeof(buf), path, k);
			if (j == 3)
				return config_err(cp, config_line(config_node(cp,
				    m->data.mapping.pairs.start[i].key)),
				    "%s: unknown key", buf);
			if ((s = config_scalar(cp, v, buf)) == NULL)
				return -EINVAL;
			val[j] = s;
			lines[j] = config_line(v);
		}
		for (j = 0; j < 3; j++) {
			if (val[j] == NULL)
				return config_err(cp, config_line(m), "%s: %s is "
				    "required", path, signal_keys[j]);
			if ((err = config_add_str(cp, &e->val, val[j], lines[j])) != 0)
				return err;
		}
		sl = reallocarray(e->sigline, idx + 1, sizeof(*sl));
		if (sl == NULL) {
			snprintf(cp->err, cp->errlen, "%s: out of memory",
			    cp->file);
			return -ENOMEM;
		}
		e->sigline = sl;
		sl[idx] = config_line(m);
	}
	return 0;
}

/* One key of a profile (or of a section of it) against the schema tab. */
static int
parse_pkey(struct cparse *cp, struct pol_profile_src *src,
    const struct pol_key *tab, const char *prefix, const char *name,
    int kline, const yaml_node_t *v)
{
	const struct pol_key	*k;
	struct pol_entry	*e;
	yaml_node_item_t	*it;
	const yaml_node_t	*item;
	const char		*s, *kn;
	yaml_node_t		*sv;
	char			 buf[256];
	size_t			 i, idx;
	int			 err;

	for (k = tab; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			break;
	if (k->name == NULL)
		return config_err(cp, kline, "%s: unknown key",
		    config_join(buf, sizeof(buf), prefix, name));
	switch (k->shape) {
	case POL_SH_SECTION:
		if ((err = config_map_check(cp, v, k->path)) != 0)
			return err;
		for (i = 0; i < config_map_len(v); i++) {
			kn = config_map_pair(cp, v, i, &sv);
			if ((err = parse_pkey(cp, src, k->sub, k->path, kn,
			    config_line(config_node(cp,
			    v->data.mapping.pairs.start[i].key)), sv)) != 0)
				return err;
		}
		return 0;
	case POL_SH_VALUE:
		if ((s = config_scalar(cp, v, k->path)) == NULL)
			return -EINVAL;
		if (k->field == POL_F_VERTEX) {
			free(src->vertex);
			if ((src->vertex = strdup(s)) == NULL)
				return -ENOMEM;
			return 0;
		}
		if ((e = entry_add(cp, src, k, config_line(v))) == NULL)
			return -ENOMEM;
		return config_add_str(cp, &e->val, s, config_line(v));
	case POL_SH_LIST:
		if (v->type == YAML_MAPPING_NODE)
			return config_err(cp, config_line(v), "%s: expected a list",
			    k->path);
		if ((e = entry_add(cp, src, k, config_line(v))) == NULL)
			return -ENOMEM;
		if (v->type == YAML_SCALAR_NODE) {
			if ((s = config_scalar(cp, v, k->path)) == NULL)
				return -EINVAL;
			return config_add_str(cp, &e->val, s, config_line(v));
		}
		e->list = true;
		for (it = v->data.sequence.items.start, idx = 0;
		    it < v->data.sequence.items.top; it++, idx++) {
			item = config_node(cp, *it);
			snprintf(buf, sizeof(buf), "%s[%zu]", k->path, idx);
			if ((s = config_scalar(cp, item, buf)) == NULL)
				return -EINVAL;
			if ((err = config_add_str(cp, &e->val, s,
			    config_line(item))) != 0)
				return err;
		}
		return 0;
	case POL_SH_SIGNALS:
		if ((e = entry_add(cp, src, k, config_line(v))) == NULL)
			return -ENOMEM;
		return parse_signals(cp, e, v);
	}
	return -EINVAL;
}

/* Whether an earlier profile of this config is named name. */
static const struct pol_profile_src *
earlier_profile(const struct pol_config *cfg, const char *name, size_t upto)
{
	size_t	i;

	for (i = 0; i < upto; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

/* One item of profiles:. */
static int
parse_profile(struct cparse *cp, const yaml_node_t *m, size_t idx)
{
	struct pol_config	*cfg = cp->cfg;
	struct pol_profile_src	*src;
	const struct pol_profile_src *prev;
	yaml_node_t		*v;
	const char		*k, *s;
	char			 path[64];
	size_t			 i;
	int			 err, kline;

	snprintf(path, sizeof(path), "profiles[%zu]", idx);
	if (config_null(m) || m->type != YAML_MAPPING_NODE)
		return config_err(cp, config_line(m), "%s: expected a mapping", path);
	if ((err = config_map_check(cp, m, path)) != 0)
		return err;
	src = reallocarray(cfg->profiles, cfg->nprofiles + 1, sizeof(*src));
	if (src == NULL)
		return -ENOMEM;
	cfg->profiles = src;
	src = &cfg->profiles[cfg->nprofiles++];
	memset(src, 0, sizeof(*src));
	src->file = cfg->path;
	src->line = config_line(m);
	if ((src->dir = strdup(cp->dir)) == NULL)
		return -ENOMEM;
	for (i = 0; i < config_map_len(m); i++) {
		k = config_map_pair(cp, m, i, &v);
		kline = config_line(config_node(cp, m->data.mapping.pairs.start[i].key));
		if (strcmp(k, "name") == 0) {
			if ((s = config_scalar(cp, v, "name")) == NULL)
				return -EINVAL;
			if (pol_val_name(s, POL_NAME_MAX - 1) != 0)
				return config_err(cp, config_line(v), "name: \"%s\" is "
				    "not a name (letters, digits, - and _)", s);
			if (!cp->builtin && pol_profile_is_builtin(s))
				return config_err(cp, config_line(v), "name: %s is a "
				    "built-in profile (extend it under another "
				    "name)", s);
			if ((prev = earlier_profile(cfg, s, idx)) != NULL)
				return config_err(cp, config_line(v), "name: \"%s\" is "
				    "defined twice (first at line %d)", s,
				    prev->line);
			snprintf(src->name, sizeof(src->name), "%s", s);
		} else if (strcmp(k, "extends") == 0) {
			if ((s = config_scalar(cp, v, "extends")) == NULL)
				return -EINVAL;
			if (!pol_profile_is_builtin(s) &&
			    earlier_profile(cfg, s, idx) == NULL)
				return config_err(cp, config_line(v), "extends: \"%s\" "
				    "is not a built-in or earlier profile", s);
			snprintf(src->extends, sizeof(src->extends), "%s", s);
			src->extends_line = config_line(v);
		} else if ((err = parse_pkey(cp, src, pol_profile_keys, "", k,
		    kline, v)) != 0)
			return err;
	}
	if (src->name[0] == '\0')
		return config_err(cp, src->line, "%s: name is required", path);
	return 0;
}

/* A top-level list: each item through fn. */
static int
parse_list(struct cparse *cp, const yaml_node_t *n, const char *path,
    int (*fn)(struct cparse *, const yaml_node_t *, size_t))
{
	yaml_node_item_t	*it;
	size_t			 idx;
	int			 err;

	if (config_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return config_err(cp, config_line(n), "%s: expected a list", path);
	for (it = n->data.sequence.items.start, idx = 0;
	    it < n->data.sequence.items.top; it++, idx++)
		if ((err = fn(cp, config_node(cp, *it), idx)) != 0)
			return err;
	return 0;
}

/* Services name profiles and membranes that exist (anywhere in the file). */
static int
check_refs(struct cparse *cp)
{
	const struct pol_config	*cfg = cp->cfg;
	const struct pol_service *svc;
	size_t			 i;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		if (!pol_profile_exists(cfg, svc->profile))
			return config_err(cp, cp->refs[i].profile_line,
			    "services[%zu].profile: no profile \"%s\"", i,
			    svc->profile);
		if (svc->membrane[0] != '\0' &&
		    pol_config_membrane(cfg, svc->membrane) == NULL)
			return config_err(cp, cp->refs[i].membrane_line,
			    "services[%zu].membrane: no membrane \"%s\"", i,
			    svc->membrane);
	}
	return 0;
}

/* The directory of the config named name, absolute; NULL if no memory. */
static char *
config_dir(const char *name, bool builtin)
{
	const char	*slash = strrchr(name, '/');
	char		 cwd[POL_PATH_MAX], *d;
	int		 n;

	if (builtin)
		return strdup("/");
	if (slash != NULL && *name == '/')
		return strndup(name, slash == name ? 1 : (size_t)(slash - name));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "%s", "/");
	if (slash == NULL)
		return strdup(cwd);
	n = asprintf(&d, "%s/%.*s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    (int)(slash - name), name);
	return n < 0 ? NULL : d;
}

/* The document's top level into cp->cfg. */
static int
parse_top(struct cparse *cp)
{
	yaml_node_t	*root, *v;
	const char	*k;
	size_t		 i;
	int		 err;

	root = yaml_document_get_root_node(&cp->doc);
	if (root == NULL)
		return 0;	/* an empty file: nothing configured */
	if ((err = config_map_check(cp, root, "")) != 0)
		return err;
	for (i = 0; i < config_map_len(root); i++) {
		k = config_map_pair(cp, root, i, &v);
		if (strcmp(k, "agent") == 0)
			err = config_agent(cp, v);
		else if (strcmp(k, "profiles") == 0)
			err = parse_list(cp, v, "profiles", parse_profile);
		else if (strcmp(k, "membranes") == 0)
			err = parse_list(cp, v, "membranes", config_membrane);
		else if (strcmp(k, "services") == 0)
			err = parse_list(cp, v, "services", config_service);
		else
			err = config_err(cp, config_line(config_node(cp,
			    root->data.mapping.pairs.start[i].key)),
			    "%s: unknown key", k);
		if (err != 0)
			return err;
	}
	return cp->builtin ? 0 : check_refs(cp);
}

/* Every user profile resolves with its defaults (literal values checked). */
static int
check_profiles(struct cparse *cp)
{
	const struct pol_config	*cfg = cp->cfg;
	struct pol_spec		 spec;
	size_t			 i;
	int			 err;

	for (i = 0; i < cfg->nprofiles; i++) {
		err = pol_profile_resolve_env(cfg, cfg->profiles[i].name,
		    cfg->profiles[i].name, NULL, false, &spec, cp->err,
		    cp->errlen);
		if (err != 0)
			return err;
		pol_spec_free(&spec);
	}
	return 0;
}

/* Parse text named name (a file or "<builtin>"); 0 or -errno, err set. */
int
pol_config_parse_text(const char *name, const char *text, size_t len,
    bool builtin, struct pol_config **out, char *err, size_t errlen)
{
	struct cparse	 cp;
	yaml_parser_t	 parser;
	yaml_document_t	 more;
	int		 rc = 0;
	bool		 extra;

	*out = NULL;
	memset(&cp, 0, sizeof(cp));
	cp.file = name;
	cp.builtin = builtin;
	cp.err = err;
	cp.errlen = errlen;
	if ((cp.cfg = calloc(1, sizeof(*cp.cfg))) == NULL ||
	    (cp.cfg->path = strdup(name)) == NULL ||
	    (cp.cfg->state_dir = strdup("/var/lib/membrane")) == NULL ||
	    (cp.cfg->run_dir = strdup("/run/membrane")) == NULL ||
	    (cp.dir = config_dir(name, builtin)) == NULL) {
		pol_config_free(cp.cfg);
		free(cp.dir);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	cp.file = cp.cfg->path;
	if (!yaml_parser_initialize(&parser)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &cp.doc)) {
		rc = config_err(&cp, (int)parser.problem_mark.line + 1, "YAML: %s",
		    parser.problem != NULL ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		goto out;
	}
	/* One document only: a second one would be silently ignored. */
	if (yaml_document_get_root_node(&cp.doc) != NULL) {
		if (!yaml_parser_load(&parser, &more)) {
			rc = config_err(&cp, (int)parser.problem_mark.line + 1,
			    "YAML: %s", parser.problem != NULL ?
			    parser.problem : "parse error");
		} else {
			extra = yaml_document_get_root_node(&more) != NULL;
			if (extra)
				rc = config_err(&cp, (int)more.start_mark.line + 1,
				    "YAML: more than one document");
			yaml_document_delete(&more);
		}
	}
	yaml_parser_delete(&parser);
	if (rc == 0)
		rc = parse_top(&cp);
	yaml_document_delete(&cp.doc);
	if (rc == 0 && !builtin)
		rc = check_profiles(&cp);
out:
	if (rc == -ENOMEM && err != NULL && errlen > 0 &&
	    strstr(err, "out of memory") == NULL)
		snprintf(err, errlen, "%s: out of memory", name);
	free(cp.dir);
	free(cp.refs);
	if (rc != 0) {
		pol_config_free(cp.cfg);
		return rc;
	}
	*out = cp.cfg;
	return 0;
}

/* Parse a config held in memory, reported as name. */
int
pol_config_parse(const char *name, const char *text, size_t len,
    struct pol_config **out, char *err, size_t errlen)
{
	return pol_config_parse_text(name, text, len, false, out, err, errlen);
}

/* Read the file at path and parse it; 0 or -errno with err set. */
int
pol_config_load(const char *path, struct pol_config **out, char *err,
    size_t errlen)
{
	FILE	*f;
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, n;
	int	 rc;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > CONFIG_MAX_BYTES) {
				snprintf(err, errlen, "%s: larger than %d "
				    "bytes", path, CONFIG_MAX_BYTES);
				rc = -EFBIG;
				goto out;
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: %s", path, strerror(EIO));
		goto out;
	}
	rc = pol_config_parse(path, buf, len, out, err, errlen);
out:
	fclose(f);
	free(buf);
	return rc;
}

/* Free a profile as written. */
static void
profile_src_free(struct pol_profile_src *src)
{
	size_t	i;

	for (i = 0; i < src->nent; i++) {
		pol_strv_free(&src->ent[i].val);
		free(src->ent[i].sigline);
	}
	free(src->ent);
	free(src->vertex);
	free(src->dir);
}

/* Free a config and everything it holds. */
void
pol_config_free(struct pol_config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nprofiles; i++)
		profile_src_free(&cfg->profiles[i]);
	free(cfg->profiles);
	for (i = 0; i < cfg->nmembranes; i++) {
		free(cfg->membranes[i].uplink);
		free(cfg->membranes[i].address);
		free(cfg->membranes[i].gateway);
		free(cfg->membranes[i].mac);
		free(cfg->membranes[i].uids);
		free(cfg->membranes[i].switch_args);
	}
	free(cfg->membranes);
	for (i = 0; i < cfg->nservices; i++) {
		pol_strv_free(&cfg->services[i].command);
		pol_strv_free(&cfg->services[i].environment);
		free(cfg->services[i].user);
	}
	free(cfg->services);
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->run_dir);
	free(cfg->alert_hook);
	free(cfg);
}

/*
 * Each service's profile resolves with the service's environment and the
 * defaults (not the checking process's environment: a check says the same
 * wherever it runs).
 */
int
pol_config_check(const struct pol_config *cfg, char *err, size_t errlen)
{
	const struct pol_service *svc;
	struct pol_spec		 spec;
	size_t			 i, n;
	int			 rc;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		rc = pol_profile_resolve_env(cfg, svc->profile, svc->name,
		    svc->environment.n > 0 ? svc->environment.v : NULL, false,
		    &spec, err, errlen);
		if (rc != 0) {
			/* Say whose environment gave the value. */
			n = strlen(err);
			if (n + 1 < errlen)
				snprintf(err + n, errlen - n, " (service "
				    "\"%s\")", svc->name);
			return rc;
		}
		pol_spec_free(&spec);
	}
	return 0;
}

/* The service named name, or NULL. */
const struct pol_service *
pol_config_service(const struct pol_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; cfg != NULL && i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

/* The membrane named name, or NULL. */
const struct pol_membrane *
pol_config_membrane(const struct pol_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; cfg != NULL && i < cfg->nmembranes; i++)
		if (strcmp(cfg->membranes[i].name, name) == 0)
			return &cfg->membranes[i];
	return NULL;
}
