/* profile_builtin.c: the built-in profiles, in the config's own YAML. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_pvt.h"

const char *const pol_builtin_names[] = {
	"vacuum", "photon", "electron", "positron", NULL
};

/*
 * The membrane architecture's profiles, value for value; parsed by the
 * same code as membrane.yaml, so they are checked the same way.  Photon's
 * writable /var/waterlight/state/$SERVICE is our state directory.
 */
static const char builtin_yaml[] =
"profiles:\n"
"  # No membrane: for programs that must see the host as it is.\n"
"  - name: vacuum\n"
"    vertex: V000\n"
"    namespaces:\n"
"      pid: shared\n"
"      net: shared\n"
"      mnt: shared\n"
"      uts: shared\n"
"      ipc: shared\n"
"      user: shared\n"
"      cgroup: shared\n"
"      time: shared\n"
"    seccomp: none\n"
"    filesystem:\n"
"      root: host\n"
"    rupture: fail-open\n"
"\n"
"  # Tight: lightweight production.\n"
"  - name: photon\n"
"    vertex: V100\n"
"    namespaces:\n"
"      pid: private\n"
"      net: private\n"
"      mnt: private\n"
"      uts: private\n"
"      ipc: private\n"
"      user: mapped\n"
"      cgroup: private\n"
"    cgroup:\n"
"      memory.max: 128M\n"
"      memory.high: 64M\n"
"      memory.swap.max: 0\n"
"      cpu.weight: 25\n"
"      cpu.max: \"50000 100000\"  # 50% of one CPU\n"
"      pids.max: 64\n"
"    capabilities:\n"
"      bounding: [cap_net_bind_service]\n"
"      ambient: [cap_net_bind_service]\n"
"    seccomp: default-restrict\n"
"    filesystem:\n"
"      root: overlay\n"
"      writable_paths: [/var/lib/membrane/state/$SERVICE, /tmp]\n"
"      read_only_paths: [/usr, /lib, /etc]\n"
"      hidden_paths: [/proc/kcore, /proc/kallsyms, /sys/firmware]\n"
"    elasticity:\n"
"      memory:\n"
"        soft: 64M\n"
"        hard: 128M\n"
"        oom_kill: true\n"
"    rupture: fail-closed\n"
"\n"
"  # Configurable: heavyweight production, set per service.\n"
"  - name: electron\n"
"    vertex: V110\n"
"    namespaces:\n"
"      pid: private\n"
"      net: per-service\n"
"      mnt: private\n"
"      uts: private\n"
"      ipc: per-service\n"
"      user: mapped\n"
"      cgroup: private\n"
"    cgroup:\n"
"      memory.max: \"${SERVICE_MEMORY_MAX:-1G}\"\n"
"      memory.high: \"${SERVICE_MEMORY_HIGH:-512M}\"\n"
"      memory.swap.max: \"${SERVICE_SWAP_MAX:-0}\"\n"
"      cpu.weight: \"${SERVICE_CPU_WEIGHT:-100}\"\n"
"      cpu.max: \"${SERVICE_CPU_MAX:-max}\"\n"
"      pids.max: \"${SERVICE_PIDS_MAX:-4096}\"\n"
"    capabilities:\n"
"      bounding: \"${SERVICE_CAPS}\"\n"
"      ambient: \"${SERVICE_AMBIENT_CAPS}\"\n"
"    seccomp: \"${SERVICE_SECCOMP:-default-restrict}\"\n"
"    filesystem:\n"
"      root: overlay\n"
"      writable_paths: \"${SERVICE_WRITABLE}\"\n"
"      volumes: \"${SERVICE_VOLUMES}\"\n"
"    rupture: fail-closed\n"
"\n"
"  # Permissive: development, beside the electron services it debugs.\n"
"  - name: positron\n"
"    vertex: V111\n"
"    namespaces:\n"
"      pid: shared-with-electron\n"
"      net: shared-with-electron\n"
"      mnt: private-with-debug\n"
"      uts: private\n"
"      ipc: shared-with-electron\n"
"      user: mapped\n"
"      cgroup: private\n"
"    cgroup:\n"
"      memory.max: 4G\n"
"      memory.high: 2G\n"
"      cpu.weight: 200\n"
"      cpu.max: max\n"
"      pids.max: 16384\n"
"    capabilities:\n"
"      bounding: [cap_sys_ptrace, cap_sys_admin, cap_dac_read_search,\n"
"                 cap_net_admin, cap_ipc_lock]\n"
"      ambient: [cap_sys_ptrace]\n"
"    seccomp: permissive\n"
"    rupture: fail-open\n";

static struct pol_config *builtin_cfg;

/* Whether name is one of the built-in profiles. */
bool
pol_profile_is_builtin(const char *name)
{
	size_t	i;

	for (i = 0; pol_builtin_names[i] != NULL; i++)
		if (strcmp(pol_builtin_names[i], name) == 0)
			return true;
	return false;
}

/*
 * The built-in profiles, parsed and each resolved once, kept for the
 * process's life; NULL (err set when given) if they do not: a bug.
 */
const struct pol_config *
pol_profile_builtin(char *err, size_t errlen)
{
	struct pol_config	*cfg;
	struct pol_spec		 spec;
	char			 buf[POL_ERR_MAX];
	size_t			 i;

	if (builtin_cfg != NULL)
		return builtin_cfg;
	if (pol_config_parse_text(POL_BUILTIN_FILE, builtin_yaml,
	    sizeof(builtin_yaml) - 1, true, &cfg, buf, sizeof(buf)) != 0)
		goto fail;
	builtin_cfg = cfg;
	for (i = 0; i < cfg->nprofiles; i++) {
		if (pol_profile_resolve_env(cfg, cfg->profiles[i].name,
		    cfg->profiles[i].name, NULL, false, &spec, buf,
		    sizeof(buf)) != 0) {
			builtin_cfg = NULL;
			pol_config_free(cfg);
			goto fail;
		}
		pol_spec_free(&spec);
	}
	return builtin_cfg;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", buf);
	return NULL;
}
