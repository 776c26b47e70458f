/* config_pvt.h: profiles as written, the profile schema; inside policy/. */
#ifndef MEMBRANE_CONFIG_PVT_H
#define MEMBRANE_CONFIG_PVT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "policy.h"

/* The file name the built-in profiles are reported under. */
#define POL_BUILTIN_FILE	"<builtin>"
/* How deep extends may chain. */
#define POL_EXTENDS_MAX		32

/* The shape a profile key takes in YAML. */
enum pol_shape {
	POL_SH_SECTION,		/* a mapping of further keys */
	POL_SH_VALUE,		/* a scalar */
	POL_SH_LIST,		/* a list of scalars, or one string to split */
	POL_SH_SIGNALS		/* breathing.trust_signals */
};

/* Which spec field a profile value sets. */
enum pol_field {
	POL_F_NONE = 0,
	POL_F_NS,		/* + enum pol_ns */
	POL_F_MEM_MAX = POL_F_NS + POL_NS_COUNT,
	POL_F_MEM_HIGH,
	POL_F_SWAP_MAX,
	POL_F_CPU_WEIGHT,
	POL_F_CPU_MAX,
	POL_F_PIDS_MAX,
	POL_F_IO_WEIGHT,
	POL_F_CAP_BOUNDING,
	POL_F_CAP_AMBIENT,
	POL_F_SECCOMP,
	POL_F_FS_ROOT,
	POL_F_FS_LOWER,
	POL_F_FS_MIDDLE,
	POL_F_FS_WRITABLE,
	POL_F_FS_READ_ONLY,
	POL_F_FS_HIDDEN,
	POL_F_FS_VOLUMES,
	POL_F_EL_MEM_SOFT,
	POL_F_EL_MEM_HARD,
	POL_F_EL_OOM_KILL,
	POL_F_EL_CPU_SHARES,
	POL_F_EL_CPU_BURST,
	POL_F_EL_BURST_DURATION,
	POL_F_EL_IO_WEIGHT,
	POL_F_EL_IO_BURST_WEIGHT,
	POL_F_BR_INTERVAL,
	POL_F_BR_SIGNALS,
	POL_F_RUPTURE,
	POL_F_DEGRADED,
	POL_F_VERTEX
};

/* One key of the profile schema. */
struct pol_key {
	const char		*name;	/* as written: "memory.max" */
	const char		*path;	/* in messages: "cgroup.memory.max" */
	enum pol_shape		 shape;
	int			 field;	/* enum pol_field */
	const struct pol_key	*sub;	/* POL_SH_SECTION: NULL-name ended */
};

/* The keys a profile mapping may hold (name and extends aside). */
extern const struct pol_key pol_profile_keys[];

/*
 * One value of a profile as written.  A scalar has val.n == 1; a list as
 * a YAML sequence has list set; trust signals hold three strings per
 * signal (metric, threshold, action) and each signal's line in sigline.
 */
struct pol_entry {
	const struct pol_key	*key;
	bool			 list;
	struct pol_strv		 val;
	int			*sigline;
	int			 line;
};

struct pol_profile_src {
	char			 name[POL_NAME_MAX];
	char			 extends[POL_NAME_MAX];	/* "" = none */
	int			 extends_line;
	char			*vertex;		/* or NULL */
	struct pol_entry	*ent;
	size_t			 nent;
	const char		*file;		/* the config's path */
	char			*dir;		/* its directory, absolute */
	int			 line;
};

/* Parse name/text; builtin allows the built-in names (profile_builtin). */
int	pol_config_parse_text(const char *name, const char *text, size_t len,
	    bool builtin, struct pol_config **out, char *err, size_t errlen);

/* The built-in profiles (parsed once); NULL if they do not parse. */
const struct pol_config *pol_profile_builtin(char *err, size_t errlen);
bool	pol_profile_is_builtin(const char *name);
const struct pol_profile_src *pol_profile_find(const struct pol_config *cfg,
	    const char *name);
/* pol_profile_resolve, where use_getenv says whether to fall back. */
int	pol_profile_resolve_env(const struct pol_config *cfg,
	    const char *profile, const char *service, char *const env[],
	    bool use_getenv, struct pol_spec *out, char *err, size_t errlen);

/* Value checks of config_val.c: 0 or -EINVAL. */
int	pol_val_name(const char *s, size_t max);
int	pol_val_ipv4(const char *s, int *prefix);
int	pol_val_mac(const char *s);
int	pol_val_uplink(const char *s);
int	pol_val_bool(const char *s, bool *b);
int	pol_val_int(const char *s, int64_t lo, int64_t hi, int64_t *v);
int	pol_val_uid(const char *s, uid_t *uid);
/* "cap_net_raw" for its number, or NULL. */
const char *pol_cap_name(int cap);

/* strv helpers: append a copy (0 or -ENOMEM), free. */
int	pol_strv_add(struct pol_strv *sv, const char *s, size_t len, int line);
void	pol_strv_free(struct pol_strv *sv);

/* "FILE:LINE: " then fmt into err; returns -EINVAL. */
int	pol_errf(char *err, size_t errlen, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ------------------------------------------------------------------ */
/* Parsing, shared by config.c and config_sections.c. */

/* Lines of a service's references, checked once the whole file is read. */
struct svc_ref {
	int	profile_line;
	int	membrane_line;
};

/* One parse: the document and where its messages go. */
struct cparse {
	const char		*file;
	yaml_document_t		 doc;
	struct pol_config	*cfg;
	bool			 builtin;
	char			*dir;
	struct svc_ref		*refs;
	char			*err;
	size_t			 errlen;
};

/* An error about the config at line; returns -EINVAL. */
#define config_err(cp, line, ...) \
	pol_errf((cp)->err, (cp)->errlen, (cp)->file, (line), __VA_ARGS__)

yaml_node_t	*config_node(struct cparse *, int idx);
int		 config_line(const yaml_node_t *);
bool		 config_null(const yaml_node_t *);
bool		 config_known(const char *key, const char *const *keys);
const char	*config_join(char *buf, size_t len, const char *path,
		    const char *key);
const char	*config_scalar(struct cparse *, const yaml_node_t *,
		    const char *path);
int		 config_map_check(struct cparse *, const yaml_node_t *,
		    const char *path);
size_t		 config_map_len(const yaml_node_t *);
const char	*config_map_pair(struct cparse *, const yaml_node_t *,
		    size_t i, yaml_node_t **val);
int		 config_add_str(struct cparse *, struct pol_strv *,
		    const char *s, int line);
/* One item of membranes: / services:, and the agent: section. */
int		 config_membrane(struct cparse *, const yaml_node_t *,
		    size_t idx);
int		 config_service(struct cparse *, const yaml_node_t *,
		    size_t idx);
int		 config_agent(struct cparse *, const yaml_node_t *);

#endif /* MEMBRANE_CONFIG_PVT_H */
