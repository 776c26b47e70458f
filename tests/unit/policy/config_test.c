/* config_test.c: membrane.yaml and profiles: values, built-ins, errors. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include "policy.h"

#define MIB	(1LL << 20)
#define GIB	(1LL << 30)
#define BIT(c)	(1ULL << (c))

static char err[POL_ERR_MAX];

/* Parse text as membrane.yaml; the config, or fail the test. */
static struct pol_config *
parse_ok(const char *text)
{
	struct pol_config	*cfg = NULL;
	int			 rc;

	err[0] = '\0';
	rc = pol_config_parse("membrane.yaml", text, strlen(text), &cfg, err,
	    sizeof(err));
	ck_assert_msg(rc == 0, "parse failed: %d %s", rc, err);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* Parse and check text; it must fail with exactly want. */
static void
parse_fails(const char *text, const char *want)
{
	struct pol_config	*cfg = NULL;
	int			 rc;

	err[0] = '\0';
	rc = pol_config_parse("membrane.yaml", text, strlen(text), &cfg, err,
	    sizeof(err));
	if (rc == 0) {
		rc = pol_config_check(cfg, err, sizeof(err));
		pol_config_free(cfg);
	} else
		ck_assert_ptr_null(cfg);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, want);
}

/* Resolve profile for service with env; fail the test if it does not. */
static void
resolve_ok(const struct pol_config *cfg, const char *profile,
    const char *service, char *const env[], struct pol_spec *sp)
{
	int	rc;

	err[0] = '\0';
	rc = pol_profile_resolve(cfg, profile, service, env, sp, err,
	    sizeof(err));
	ck_assert_msg(rc == 0, "resolve %s failed: %d %s", profile, rc, err);
}

/* Whether the strv is exactly the NULL-ended words. */
static void
strv_is(const struct pol_strv *sv, const char *const *want)
{
	size_t	i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < sv->n, "only %zu items, %s missing", sv->n,
		    want[i]);
		ck_assert_str_eq(sv->v[i], want[i]);
	}
	ck_assert_uint_eq(sv->n, i);
}

START_TEST(test_parse_size)
{
	int64_t	v;

	ck_assert_int_eq(pol_parse_size("128M", &v), 0);
	ck_assert_int_eq(v, 128 * MIB);
	ck_assert_int_eq(pol_parse_size("1G", &v), 0);
	ck_assert_int_eq(v, GIB);
	ck_assert_int_eq(pol_parse_size("64k", &v), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(pol_parse_size("0", &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(pol_parse_size("4096", &v), 0);
	ck_assert_int_eq(v, 4096);
	ck_assert_int_eq(pol_parse_size("max", &v), 0);
	ck_assert_int_eq(v, POL_MAX);
	ck_assert_int_eq(pol_parse_size("12X", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("M", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("1.5G", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("2 G", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("99999999999P", &v), -EINVAL);
	ck_assert_int_eq(pol_parse_size("99999999999999999999", &v),
	    -EINVAL);
}
END_TEST

START_TEST(test_parse_duration)
{
	int64_t	ms;

	ck_assert_int_eq(pol_parse_duration("30s", &ms), 0);
	ck_assert_int_eq(ms, 30000);
	ck_assert_int_eq(pol_parse_duration("5m", &ms), 0);
	ck_assert_int_eq(ms, 300000);
	ck_assert_int_eq(pol_parse_duration("100ms", &ms), 0);
	ck_assert_int_eq(ms, 100);
	ck_assert_int_eq(pol_parse_duration("2h", &ms), 0);
	ck_assert_int_eq(ms, 7200000);
	ck_assert_int_eq(pol_parse_duration("0", &ms), 0);
	ck_assert_int_eq(ms, 0);
	/* A bare number is ambiguous (seconds? ms?): a unit is required. */
	ck_assert_int_eq(pol_parse_duration("30", &ms), -EINVAL);
	ck_assert_int_eq(pol_parse_duration("30x", &ms), -EINVAL);
	ck_assert_int_eq(pol_parse_duration("s", &ms), -EINVAL);
	ck_assert_int_eq(pol_parse_duration("", &ms), -EINVAL);
	ck_assert_int_eq(pol_parse_duration("-5s", &ms), -EINVAL);
}
END_TEST

START_TEST(test_parse_cpu_max)
{
	int64_t	q, p;

	ck_assert_int_eq(pol_parse_cpu_max("50000 100000", &q, &p), 0);
	ck_assert_int_eq(q, 50000);
	ck_assert_int_eq(p, 100000);
	ck_assert_int_eq(pol_parse_cpu_max("max", &q, &p), 0);
	ck_assert_int_eq(q, POL_MAX);
	ck_assert_int_eq(p, 100000);
	ck_assert_int_eq(pol_parse_cpu_max("max 200000", &q, &p), 0);
	ck_assert_int_eq(q, POL_MAX);
	ck_assert_int_eq(p, 200000);
	ck_assert_int_eq(pol_parse_cpu_max("20000", &q, &p), 0);
	ck_assert_int_eq(q, 20000);
	ck_assert_int_eq(p, 100000);
	ck_assert_int_eq(pol_parse_cpu_max("500 100000", &q, &p), -EINVAL);
	ck_assert_int_eq(pol_parse_cpu_max("50000 100", &q, &p), -EINVAL);
	ck_assert_int_eq(pol_parse_cpu_max("50000 2000000", &q, &p),
	    -EINVAL);
	ck_assert_int_eq(pol_parse_cpu_max("50%", &q, &p), -EINVAL);
	ck_assert_int_eq(pol_parse_cpu_max("", &q, &p), -EINVAL);
}
END_TEST

START_TEST(test_parse_cap)
{
	int	cap;

	ck_assert_int_eq(pol_parse_cap("cap_net_raw", &cap), 0);
	ck_assert_int_eq(cap, CAP_NET_RAW);
	ck_assert_int_eq(pol_parse_cap("CAP_SYS_ADMIN", &cap), 0);
	ck_assert_int_eq(cap, CAP_SYS_ADMIN);
	ck_assert_int_eq(pol_parse_cap("net_bind_service", &cap), 0);
	ck_assert_int_eq(cap, CAP_NET_BIND_SERVICE);
	ck_assert_int_eq(pol_parse_cap("cap_chown", &cap), 0);
	ck_assert_int_eq(cap, CAP_CHOWN);
	ck_assert_int_eq(pol_parse_cap("cap_fly", &cap), -EINVAL);
	ck_assert_int_eq(pol_parse_cap("cap_", &cap), -EINVAL);
	ck_assert_int_eq(pol_parse_cap("", &cap), -EINVAL);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(pol_ns_name(POL_NS_PID), "pid");
	ck_assert_str_eq(pol_ns_name(POL_NS_CGROUP), "cgroup");
	ck_assert_str_eq(pol_ns_name(POL_NS_TIME), "time");
	ck_assert_str_eq(pol_metric_name(POL_METRIC_LATENCY_P99),
	    "latency_p99");
	ck_assert_str_eq(pol_action_name(POL_ACT_CONTRACT_HARD),
	    "contract_hard");
	ck_assert_str_eq(pol_rupture_name(POL_RUPTURE_FAIL_LOUD),
	    "fail-loud");
	ck_assert_str_eq(pol_builtin_names[0], "vacuum");
	ck_assert_str_eq(pol_builtin_names[1], "photon");
	ck_assert_str_eq(pol_builtin_names[2], "electron");
	ck_assert_str_eq(pol_builtin_names[3], "positron");
	ck_assert_ptr_null(pol_builtin_names[4]);
	ck_assert(pol_profile_exists(NULL, "photon"));
	ck_assert(!pol_profile_exists(NULL, "neutron"));
}
END_TEST

START_TEST(test_builtin_vacuum)
{
	struct pol_spec	sp;
	int		i;

	resolve_ok(NULL, "vacuum", "probe", NULL, &sp);
	ck_assert_str_eq(sp.profile, "vacuum");
	for (i = 0; i < POL_NS_COUNT; i++)
		ck_assert_int_eq(sp.ns[i], POL_NSM_SHARED);
	ck_assert_int_eq(sp.lim.memory_max, POL_UNSET);
	ck_assert_int_eq(sp.lim.memory_high, POL_UNSET);
	ck_assert_int_eq(sp.lim.memory_swap_max, POL_UNSET);
	ck_assert_int_eq(sp.lim.cpu_weight, POL_UNSET);
	ck_assert_int_eq(sp.lim.cpu_quota_us, POL_UNSET);
	ck_assert_int_eq(sp.lim.pids_max, POL_UNSET);
	ck_assert_int_eq(sp.lim.io_weight, POL_UNSET);
	/* Capabilities unchanged: every one the kernel headers know. */
	ck_assert_uint_eq(sp.cap_bounding, BIT(CAP_LAST_CAP + 1) - 1);
	ck_assert_uint_eq(sp.cap_ambient, 0);
	ck_assert_int_eq(sp.seccomp, POL_SC_NONE);
	ck_assert(!sp.fs.overlay);
	ck_assert_uint_eq(sp.fs.writable.n, 0);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_OPEN);
	ck_assert_str_eq(sp.file, "<builtin>");
	pol_spec_free(&sp);
}
END_TEST

START_TEST(test_builtin_photon)
{
	static const char *const wr[] = { "/var/lib/membrane/state/dns",
	    "/tmp", NULL };
	static const char *const ro[] = { "/usr", "/lib", "/etc", NULL };
	static const char *const hid[] = { "/proc/kcore", "/proc/kallsyms",
	    "/sys/firmware", NULL };
	struct pol_spec	sp;
	int		i;

	resolve_ok(NULL, "photon", "dns", NULL, &sp);
	for (i = 0; i < POL_NS_COUNT; i++) {
		if (i == POL_NS_USER)
			ck_assert_int_eq(sp.ns[i], POL_NSM_MAPPED);
		else if (i == POL_NS_TIME)
			ck_assert_int_eq(sp.ns[i], POL_NSM_SHARED);
		else
			ck_assert_int_eq(sp.ns[i], POL_NSM_PRIVATE);
	}
	ck_assert_int_eq(sp.lim.memory_max, 128 * MIB);
	ck_assert_int_eq(sp.lim.memory_high, 64 * MIB);
	ck_assert_int_eq(sp.lim.memory_swap_max, 0);
	ck_assert_int_eq(sp.lim.cpu_weight, 25);
	ck_assert_int_eq(sp.lim.cpu_quota_us, 50000);
	ck_assert_int_eq(sp.lim.cpu_period_us, 100000);
	ck_assert_int_eq(sp.lim.pids_max, 64);
	ck_assert_int_eq(sp.lim.io_weight, POL_UNSET);
	ck_assert_uint_eq(sp.cap_bounding, BIT(CAP_NET_BIND_SERVICE));
	ck_assert_uint_eq(sp.cap_ambient, BIT(CAP_NET_BIND_SERVICE));
	ck_assert_int_eq(sp.seccomp, POL_SC_DEFAULT_RESTRICT);
	ck_assert(sp.fs.overlay);
	strv_is(&sp.fs.writable, wr);
	strv_is(&sp.fs.read_only, ro);
	strv_is(&sp.fs.hidden, hid);
	ck_assert_uint_eq(sp.fs.lower.n, 0);
	ck_assert_uint_eq(sp.fs.volumes.n, 0);
	ck_assert_int_eq(sp.el.mem_soft, 64 * MIB);
	ck_assert_int_eq(sp.el.mem_hard, 128 * MIB);
	ck_assert(sp.el.oom_kill);
	ck_assert_int_eq(sp.br.interval_ms, 0);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_CLOSED);
	pol_spec_free(&sp);
}
END_TEST

START_TEST(test_builtin_electron_defaults)
{
	static char *const env[] = { "UNRELATED=1", NULL };
	struct pol_spec	sp;

	resolve_ok(NULL, "electron", "db", env, &sp);
	ck_assert_int_eq(sp.ns[POL_NS_PID], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_NET], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_IPC], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_USER], POL_NSM_MAPPED);
	ck_assert_int_eq(sp.ns[POL_NS_CGROUP], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_TIME], POL_NSM_SHARED);
	ck_assert_int_eq(sp.lim.memory_max, GIB);
	ck_assert_int_eq(sp.lim.memory_high, 512 * MIB);
	ck_assert_int_eq(sp.lim.memory_swap_max, 0);
	ck_assert_int_eq(sp.lim.cpu_weight, 100);
	ck_assert_int_eq(sp.lim.cpu_quota_us, POL_MAX);
	ck_assert_int_eq(sp.lim.pids_max, 4096);
	/* ${SERVICE_CAPS} unset: no capabilities at all. */
	ck_assert_uint_eq(sp.cap_bounding, 0);
	ck_assert_uint_eq(sp.cap_ambient, 0);
	ck_assert_int_eq(sp.seccomp, POL_SC_DEFAULT_RESTRICT);
	ck_assert(sp.fs.overlay);
	ck_assert_uint_eq(sp.fs.writable.n, 0);
	ck_assert_uint_eq(sp.fs.volumes.n, 0);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_CLOSED);
	pol_spec_free(&sp);
}
END_TEST

START_TEST(test_builtin_electron_env)
{
	static char *const env[] = {
		"SERVICE_MEMORY_MAX=2G", "SERVICE_MEMORY_HIGH=",
		"SERVICE_CPU_MAX=150000 100000", "SERVICE_PIDS_MAX=max",
		"SERVICE_CAPS=cap_net_bind_service, cap_chown  setuid",
		"SERVICE_AMBIENT_CAPS=net_bind_service",
		"SERVICE_SECCOMP=permissive",
		"SERVICE_WRITABLE=/var/lib/pg:/run/postgresql, /tmp",
		"SERVICE_VOLUMES=/srv/pg:/var/lib/pg /srv/conf:/etc/pg:ro",
		NULL
	};
	static const char *const wr[] = { "/var/lib/pg", "/run/postgresql",
	    "/tmp", NULL };
	static const char *const vol[] = { "/srv/pg:/var/lib/pg",
	    "/srv/conf:/etc/pg:ro", NULL };
	struct pol_spec	sp;

	resolve_ok(NULL, "electron", "db", env, &sp);
	ck_assert_int_eq(sp.lim.memory_max, 2 * GIB);
	/* Set but empty: the default, as ${VAR:-default} says. */
	ck_assert_int_eq(sp.lim.memory_high, 512 * MIB);
	ck_assert_int_eq(sp.lim.cpu_quota_us, 150000);
	ck_assert_int_eq(sp.lim.cpu_period_us, 100000);
	ck_assert_int_eq(sp.lim.pids_max, POL_MAX);
	ck_assert_uint_eq(sp.cap_bounding, BIT(CAP_NET_BIND_SERVICE) |
	    BIT(CAP_CHOWN) | BIT(CAP_SETUID));
	ck_assert_uint_eq(sp.cap_ambient, BIT(CAP_NET_BIND_SERVICE));
	ck_assert_int_eq(sp.seccomp, POL_SC_PERMISSIVE);
	strv_is(&sp.fs.writable, wr);
	strv_is(&sp.fs.volumes, vol);
	pol_spec_free(&sp);
}
END_TEST

START_TEST(test_builtin_electron_getenv)
{
	static char *const env[] = { "SERVICE_CPU_WEIGHT=300", NULL };
	struct pol_spec	sp;

	/* The service's own environment first, then the process's. */
	ck_assert_int_eq(setenv("SERVICE_CPU_WEIGHT", "50", 1), 0);
	ck_assert_int_eq(setenv("SERVICE_PIDS_MAX", "77", 1), 0);
	resolve_ok(NULL, "electron", "db", env, &sp);
	ck_assert_int_eq(sp.lim.cpu_weight, 300);
	ck_assert_int_eq(sp.lim.pids_max, 77);
	pol_spec_free(&sp);
	resolve_ok(NULL, "electron", "db", NULL, &sp);
	ck_assert_int_eq(sp.lim.cpu_weight, 50);
	pol_spec_free(&sp);
	unsetenv("SERVICE_CPU_WEIGHT");
	unsetenv("SERVICE_PIDS_MAX");
}
END_TEST

START_TEST(test_builtin_electron_bad_env)
{
	static char *const env[] = { "SERVICE_MEMORY_MAX=12X", NULL };
	static char *const env2[] = { "SERVICE_CAPS=cap_sys_ptrace",
	    "SERVICE_AMBIENT_CAPS=cap_net_raw", NULL };
	struct pol_spec	sp;

	ck_assert_int_eq(pol_profile_resolve(NULL, "electron", "db", env,
	    &sp, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<builtin>:65: cgroup.memory.max: \"12X\" is "
	    "not a size");
	ck_assert_int_eq(pol_profile_resolve(NULL, "electron", "db", env2,
	    &sp, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<builtin>:73: capabilities.ambient: "
	    "cap_net_raw is not in the bounding set");
}
END_TEST

START_TEST(test_builtin_positron)
{
	struct pol_spec	sp;

	resolve_ok(NULL, "positron", "gdb", NULL, &sp);
	ck_assert_int_eq(sp.ns[POL_NS_PID], POL_NSM_WITH);
	ck_assert_str_eq(sp.ns_with[POL_NS_PID], "electron");
	ck_assert_int_eq(sp.ns[POL_NS_NET], POL_NSM_WITH);
	ck_assert_str_eq(sp.ns_with[POL_NS_NET], "electron");
	ck_assert_int_eq(sp.ns[POL_NS_IPC], POL_NSM_WITH);
	ck_assert_str_eq(sp.ns_with[POL_NS_IPC], "electron");
	ck_assert_int_eq(sp.ns[POL_NS_MNT], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_UTS], POL_NSM_PRIVATE);
	ck_assert_int_eq(sp.ns[POL_NS_USER], POL_NSM_MAPPED);
	ck_assert_int_eq(sp.ns[POL_NS_CGROUP], POL_NSM_PRIVATE);
	ck_assert_str_eq(sp.ns_with[POL_NS_MNT], "");
	ck_assert_int_eq(sp.lim.memory_max, 4 * GIB);
	ck_assert_int_eq(sp.lim.memory_high, 2 * GIB);
	ck_assert_int_eq(sp.lim.memory_swap_max, POL_UNSET);
	ck_assert_int_eq(sp.lim.cpu_weight, 200);
	ck_assert_int_eq(sp.lim.cpu_quota_us, POL_MAX);
	ck_assert_int_eq(sp.lim.pids_max, 16384);
	ck_assert_uint_eq(sp.cap_bounding, BIT(CAP_SYS_PTRACE) |
	    BIT(CAP_SYS_ADMIN) | BIT(CAP_DAC_READ_SEARCH) |
	    BIT(CAP_NET_ADMIN) | BIT(CAP_IPC_LOCK));
	ck_assert_uint_eq(sp.cap_ambient, BIT(CAP_SYS_PTRACE));
	ck_assert_int_eq(sp.seccomp, POL_SC_PERMISSIVE);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_OPEN);
	pol_spec_free(&sp);
}
END_TEST

START_TEST(test_resolve_unknown)
{
	struct pol_spec	sp;

	ck_assert_int_eq(pol_profile_resolve(NULL, "neutron", "x", NULL, &sp,
	    err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "no profile \"neutron\"");
}
END_TEST

START_TEST(test_extends)
{
	static const char text[] =
	    "profiles:\n"
	    "  - name: roomy\n"				/* 2 */
	    "    extends: photon\n"
	    "    cgroup:\n"
	    "      memory.max: 256M\n"			/* 5 */
	    "    filesystem:\n"
	    "      writable_paths: [/data/$SERVICE]\n"	/* 7 */
	    "      lower: /srv/base\n"
	    "      middle: [/srv/a, /srv/b]\n"
	    "  - name: roomier\n"			/* 10 */
	    "    extends: roomy\n"
	    "    cgroup:\n"
	    "      pids.max: max\n"
	    "    capabilities:\n"
	    "      bounding: cap_net_bind_service cap_net_raw\n"
	    "    rupture: fail-loud\n";
	static const char *const wr[] = { "/data/web", NULL };
	static const char *const ro[] = { "/usr", "/lib", "/etc", NULL };
	static const char *const low[] = { "/srv/a", "/srv/b", "/srv/base",
	    NULL };
	struct pol_config	*cfg = parse_ok(text);
	struct pol_spec		 sp;

	ck_assert_uint_eq(cfg->nprofiles, 2);
	ck_assert(pol_profile_exists(cfg, "roomier"));
	resolve_ok(cfg, "roomier", "web", NULL, &sp);
	ck_assert_str_eq(sp.profile, "roomier");
	ck_assert_str_eq(sp.file, "membrane.yaml");
	ck_assert_int_eq(sp.line, 10);
	/* Overridden key by key; the rest is photon's. */
	ck_assert_int_eq(sp.lim.memory_max, 256 * MIB);
	ck_assert_int_eq(sp.lim.memory_high, 64 * MIB);
	ck_assert_int_eq(sp.lim.pids_max, POL_MAX);
	ck_assert_int_eq(sp.lim.cpu_quota_us, 50000);
	ck_assert_int_eq(sp.ns[POL_NS_USER], POL_NSM_MAPPED);
	ck_assert_uint_eq(sp.cap_bounding, BIT(CAP_NET_BIND_SERVICE) |
	    BIT(CAP_NET_RAW));
	ck_assert_uint_eq(sp.cap_ambient, BIT(CAP_NET_BIND_SERVICE));
	/* Lists replace, they do not merge. */
	strv_is(&sp.fs.writable, wr);
	ck_assert_int_eq(sp.fs.writable.line[0], 7);
	strv_is(&sp.fs.read_only, ro);
	strv_is(&sp.fs.lower, low);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_LOUD);
	ck_assert_int_eq(sp.seccomp, POL_SC_DEFAULT_RESTRICT);
	pol_spec_free(&sp);
	/* The parent is untouched by its child. */
	resolve_ok(cfg, "roomy", "web", NULL, &sp);
	ck_assert_int_eq(sp.lim.pids_max, 64);
	ck_assert_int_eq(sp.rupture, POL_RUPTURE_FAIL_CLOSED);
	pol_spec_free(&sp);
	pol_config_free(cfg);
}
END_TEST

START_TEST(test_substitution)
{
	static const char text[] =
	    "profiles:\n"
	    "  - name: subst\n"
	    "    cgroup:\n"
	    "      memory.max: \"${MEM:-64M}\"\n"
	    "      memory.high: \"${HIGH}\"\n"
	    "      memory.swap.max: \"${A:-${B:-1M}}\"\n"
	    "      pids.max: \"${PIDS:-}\"\n"
	    "    filesystem:\n"
	    "      writable_paths: \"/a/$SERVICE, /b/${SERVICE}x ${DIRS}\"\n"
	    "      read_only_paths: [\"${RO:-/srv/$SERVICE}\"]\n"
	    "      hidden_paths: [\"${HIDE}\", /proc/$SERVICES]\n";
	static char *const env[] = { "HIGH=32M", "DIRS=/c:/d", NULL };
	static const char *const wr[] = { "/a/svc", "/b/svcx", "/c", "/d",
	    NULL };
	static const char *const hid[] = { "/proc/$SERVICES", NULL };
	static const char *const ro[] = { "/srv/svc", NULL };
	struct pol_config	*cfg = parse_ok(text);
	struct pol_spec		 sp;

	resolve_ok(cfg, "subst", "svc", env, &sp);
	ck_assert_int_eq(sp.lim.memory_max, 64 * MIB);
	ck_assert_int_eq(sp.lim.memory_high, 32 * MIB);
	/* A default is substituted in its turn. */
	ck_assert_int_eq(sp.lim.memory_swap_max, MIB);
	strv_is(&sp.fs.read_only, ro);
	/* Empty: the limit is left unset. */
	ck_assert_int_eq(sp.lim.pids_max, POL_UNSET);
	strv_is(&sp.fs.writable, wr);
	/* An empty list item is dropped; $SERVICES is not $SERVICE. */
	strv_is(&sp.fs.hidden, hid);
	pol_spec_free(&sp);
	resolve_ok(cfg, "subst", "svc", NULL, &sp);
	ck_assert_int_eq(sp.lim.memory_high, POL_UNSET);
	pol_spec_free(&sp);
	pol_config_free(cfg);
}
END_TEST

START_TEST(test_substitution_errors)
{
	parse_fails("profiles:\n"
	    "  - name: x\n"
	    "    cgroup:\n"
	    "      memory.max: \"${MEM:-64M\"\n",
	    "membrane.yaml:4: cgroup.memory.max: \"${MEM:-64M\": ${ without }");
	parse_fails("profiles:\n"
	    "  - name: x\n"
	    "    cgroup:\n"
	    "      memory.max: \"${1X}\"\n",
	    "membrane.yaml:4: cgroup.memory.max: \"${1X}\" is not ${VAR} or "
	    "${VAR:-default}");
	parse_fails("profiles:\n"
	    "  - name: x\n"
	    "    cgroup:\n"
	    "      memory.max: \"${MEM-64M}\"\n",
	    "membrane.yaml:4: cgroup.memory.max: \"${MEM-64M}\" is not ${VAR} "
	    "or ${VAR:-default}");
}
END_TEST

START_TEST(test_config_full)
{
	static const char text[] =
	    "agent:\n"
	    "  state_dir: /srv/membrane\n"
	    "  alert_hook: /usr/local/bin/page-someone\n"
	    "  allow_degraded: yes\n"
	    "membranes:\n"
	    "  - name: net0\n"				/* 6 */
	    "    uplink: af_xdp:eth1:2\n"
	    "    address: 10.1.0.2/24\n"
	    "    gateway: 10.1.0.1\n"
	    "    mac: 02:00:00:aa:bb:cc\n"
	    "    allowed_uids: [0, root, 1234]\n"
	    "    switch_args: --fault-drop 5\n"
	    "  - name: lo0\n"
	    "    uplink: none\n"
	    "services:\n"
	    "  - name: web\n"				/* 16 */
	    "    command: [/usr/sbin/nginx, -g, \"daemon off;\"]\n"
	    "    membrane: net0\n"
	    "    user: root\n"
	    "    environment:\n"
	    "      A: 1\n"
	    "      B: two words\n"
	    "  - name: job\n"
	    "    command: echo $HOME && sleep 1\n"
	    "    profile: vacuum\n";
	static const char *const argv1[] = { "/usr/sbin/nginx", "-g",
	    "daemon off;", NULL };
	static const char *const argv2[] = { "/bin/sh", "-c",
	    "echo $HOME && sleep 1", NULL };
	static const char *const envv[] = { "A=1", "B=two words", NULL };
	struct pol_config		*cfg = parse_ok(text);
	const struct pol_membrane	*mb;
	const struct pol_service	*svc;
	struct pol_spec			 sp;

	ck_assert_str_eq(cfg->path, "membrane.yaml");
	ck_assert_str_eq(cfg->state_dir, "/srv/membrane");
	ck_assert_str_eq(cfg->run_dir, "/run/membrane");
	ck_assert_str_eq(cfg->alert_hook, "/usr/local/bin/page-someone");
	ck_assert(cfg->degraded_ok);
	ck_assert_uint_eq(cfg->nmembranes, 2);
	mb = pol_config_membrane(cfg, "net0");
	ck_assert_ptr_nonnull(mb);
	ck_assert_int_eq(mb->line, 6);
	ck_assert_str_eq(mb->uplink, "af_xdp:eth1:2");
	ck_assert_str_eq(mb->address, "10.1.0.2/24");
	ck_assert_str_eq(mb->gateway, "10.1.0.1");
	ck_assert_str_eq(mb->mac, "02:00:00:aa:bb:cc");
	ck_assert_uint_eq(mb->nuids, 3);
	ck_assert_uint_eq(mb->uids[0], 0);
	ck_assert_uint_eq(mb->uids[1], 0);
	ck_assert_uint_eq(mb->uids[2], 1234);
	ck_assert_str_eq(mb->switch_args, "--fault-drop 5");
	mb = pol_config_membrane(cfg, "lo0");
	ck_assert_str_eq(mb->address, "dhcp");
	ck_assert_ptr_null(mb->gateway);
	ck_assert_ptr_null(mb->mac);
	ck_assert_ptr_null(pol_config_membrane(cfg, "net9"));
	svc = pol_config_service(cfg, "web");
	ck_assert_ptr_nonnull(svc);
	ck_assert_int_eq(svc->line, 16);
	strv_is(&svc->command, argv1);
	ck_assert_ptr_null(svc->command.v[3]);	/* usable as an argv */
	ck_assert_str_eq(svc->profile, "photon");
	ck_assert_str_eq(svc->membrane, "net0");
	ck_assert_str_eq(svc->user, "root");
	strv_is(&svc->environment, envv);
	svc = pol_config_service(cfg, "job");
	strv_is(&svc->command, argv2);
	ck_assert_str_eq(svc->profile, "vacuum");
	ck_assert_str_eq(svc->membrane, "");
	ck_assert_ptr_null(svc->user);
	ck_assert_ptr_null(pol_config_service(cfg, "nope"));
	ck_assert_int_eq(pol_config_check(cfg, err, sizeof(err)), 0);
	/* agent.allow_degraded is every profile's default. */
	resolve_ok(cfg, "photon", "web", NULL, &sp);
	ck_assert(sp.degraded_ok);
	pol_spec_free(&sp);
	pol_config_free(cfg);
}
END_TEST

START_TEST(test_config_empty)
{
	struct pol_config	*cfg = parse_ok("# nothing yet\n");

	ck_assert_uint_eq(cfg->nprofiles + cfg->nmembranes + cfg->nservices,
	    0);
	ck_assert_str_eq(cfg->state_dir, "/var/lib/membrane");
	ck_assert_ptr_null(cfg->alert_hook);
	ck_assert(!cfg->degraded_ok);
	ck_assert_int_eq(pol_config_check(cfg, err, sizeof(err)), 0);
	pol_config_free(cfg);
}
END_TEST

START_TEST(test_breathing)
{
	static const char text[] =
	    "profiles:\n"
	    "  - name: b\n"
	    "    breathing:\n"
	    "      interval: 30s\n"
	    "      trust_signals:\n"
	    "        - metric: error_rate\n"		/* 6 */
	    "          threshold: 0.01\n"
	    "          action: contract\n"
	    "        - metric: latency_p99\n"		/* 9 */
	    "          threshold: 100ms\n"
	    "          action: stretch\n"
	    "        - {metric: latency_p99, threshold: 250, "
	    "action: stretch}\n"
	    "        - metric: security_events\n"
	    "          threshold: 1\n"
	    "          action: contract_hard\n";
	struct pol_config	*cfg = parse_ok(text);
	struct pol_spec		 sp;

	resolve_ok(cfg, "b", "b", NULL, &sp);
	ck_assert_int_eq(sp.br.interval_ms, 30000);
	ck_assert_uint_eq(sp.br.nsig, 4);
	ck_assert_int_eq(sp.br.sig[0].metric, POL_METRIC_ERROR_RATE);
	ck_assert_double_eq_tol(sp.br.sig[0].threshold, 0.01, 1e-9);
	ck_assert_int_eq(sp.br.sig[0].action, POL_ACT_CONTRACT);
	ck_assert_int_eq(sp.br.sig[0].line, 6);
	ck_assert_int_eq(sp.br.sig[1].metric, POL_METRIC_LATENCY_P99);
	ck_assert_double_eq_tol(sp.br.sig[1].threshold, 100, 1e-9);
	ck_assert_int_eq(sp.br.sig[1].action, POL_ACT_STRETCH);
	ck_assert_int_eq(sp.br.sig[1].line, 9);
	ck_assert_double_eq_tol(sp.br.sig[2].threshold, 250, 1e-9);
	ck_assert_int_eq(sp.br.sig[3].metric, POL_METRIC_SECURITY_EVENTS);
	ck_assert_double_eq_tol(sp.br.sig[3].threshold, 1, 1e-9);
	ck_assert_int_eq(sp.br.sig[3].action, POL_ACT_CONTRACT_HARD);
	pol_spec_free(&sp);
	pol_config_free(cfg);
}
END_TEST

START_TEST(test_seccomp_file)
{
	static const char text[] =
	    "profiles:\n"
	    "  - name: rel\n"
	    "    seccomp: ./web.policy\n"
	    "  - name: abs\n"
	    "    seccomp: /etc/membrane/web.policy\n";
	struct pol_config	*cfg = NULL;
	struct pol_spec		 sp;

	ck_assert_int_eq(pol_config_parse("/etc/membrane/membrane.yaml",
	    text, strlen(text), &cfg, err, sizeof(err)), 0);
	resolve_ok(cfg, "rel", "x", NULL, &sp);
	ck_assert_int_eq(sp.seccomp, POL_SC_FILE);
	/* Relative to the config's directory, not the agent's. */
	ck_assert_str_eq(sp.seccomp_file, "/etc/membrane/./web.policy");
	pol_spec_free(&sp);
	resolve_ok(cfg, "abs", "x", NULL, &sp);
	ck_assert_str_eq(sp.seccomp_file, "/etc/membrane/web.policy");
	pol_spec_free(&sp);
	pol_config_free(cfg);
}
END_TEST

/* The issue's own example, on its line 14. */
START_TEST(test_error_issue_example)
{
	parse_fails("# membrane.yaml\n"
	    "agent:\n"
	    "  state_dir: /var/lib/membrane\n"
	    "membranes:\n"
	    "  - name: net0\n"
	    "    uplink: none\n"
	    "services:\n"
	    "  - name: web\n"
	    "    command: [/bin/true]\n"
	    "profiles:\n"
	    "  - name: small\n"
	    "    extends: photon\n"
	    "    cgroup:\n"
	    "      memory.max: \"12X\"\n",
	    "membrane.yaml:14: cgroup.memory.max: \"12X\" is not a size");
}
END_TEST

START_TEST(test_errors)
{
	parse_fails("profiles:\n"
	    "  - name: a\n"
	    "    cgroup:\n"
	    "      memory.high: 1G\n"
	    "      memroy.max: 1G\n",
	    "membrane.yaml:5: cgroup.memroy.max: unknown key");
	parse_fails("profiles:\n"
	    "  - name: a\n"
	    "    elasticity:\n"
	    "      memory:\n"
	    "        sofft: 1G\n",
	    "membrane.yaml:5: elasticity.memory.sofft: unknown key");
	parse_fails("profiles:\n"
	    "  - name: a\n"
	    "    namespaces: private\n",
	    "membrane.yaml:3: namespaces: expected a mapping");
	parse_fails("profiles:\n"
	    "  - name: a\n"
	    "    seccomp: [a, b]\n",
	    "membrane.yaml:3: seccomp: expected a value");
	parse_fails("profiles:\n"
	    "  - name: a\n"
	    "    capabilities:\n"
	    "      bounding: {a: b}\n",
	    "membrane.yaml:4: capabilities.bounding: expected a list");
	parse_fails("- just\n- a list\n",
	    "membrane.yaml:1: top level: expected a mapping");
	parse_fails("profiles:\n  - name: [x\n",
	    "membrane.yaml:3: YAML: did not find expected ',' or ']'");
	parse_fails("agent:\n  state_dir: relative/dir\n",
	    "membrane.yaml:2: agent.state_dir: \"relative/dir\" is not an "
	    "absolute path");
	parse_fails("agent:\n  allow_degraded: perhaps\n",
	    "membrane.yaml:2: agent.allow_degraded: \"perhaps\" is not true "
	    "or false");
	parse_fails("membranes:\n  - name: m\n    uplink: \"af_xdp:\"\n",
	    "membrane.yaml:3: membranes[0].uplink: \"af_xdp:\" is not none, "
	    "af_xdp:IFACE[:QUEUE] or dpdk:EAL-ARGS");
	parse_fails("membranes:\n  - name: m\n    uplink: none\n"
	    "    gateway: 10.0.0.1/24\n",
	    "membrane.yaml:4: membranes[0].gateway: \"10.0.0.1/24\" is not an "
	    "IPv4 address");
	parse_fails("membranes:\n  - name: m\n",
	    "membrane.yaml:2: membranes[0]: uplink is required");
	parse_fails("membranes:\n  - name: m\n    uplink: none\n"
	    "    allowed_uids: [0, nosuchuser]\n",
	    "membrane.yaml:4: membranes[0].allowed_uids[1]: \"nosuchuser\" is "
	    "not a user");
	parse_fails("services:\n  - name: a\n    command: [/bin/true]\n"
	    "  - name: b\n    command: []\n",
	    "membrane.yaml:5: services[1].command: is empty");
	parse_fails("services:\n  - name: a\n    command: x\n"
	    "    environment:\n      1X: y\n",
	    "membrane.yaml:5: services[0].environment.1X: \"1X\" is not a "
	    "variable name");
	parse_fails("profiles:\n  - name: a\n    extends: a\n",
	    "membrane.yaml:3: extends: \"a\" is not a built-in or earlier "
	    "profile");
	parse_fails("profiles:\n  - name: electron\n",
	    "membrane.yaml:2: name: electron is a built-in profile (extend it "
	    "under another name)");
	parse_fails("profiles:\n  - name: a b\n",
	    "membrane.yaml:2: name: \"a b\" is not a name (letters, digits, - "
	    "and _)");
	parse_fails("profiles:\n  - name: a\n    namespaces:\n"
	    "      user: mapped\n      pid: mapped\n",
	    "membrane.yaml:5: namespaces.pid: mapped is only for the user "
	    "namespace");
	parse_fails("profiles:\n  - name: a\n    capabilities:\n"
	    "      bounding: [cap_chown]\n      ambient: cap_chown,cap_kill\n",
	    "membrane.yaml:5: capabilities.ambient: cap_kill is not in the "
	    "bounding set");
	parse_fails("profiles:\n  - name: a\n    cgroup:\n"
	    "      pids.max: lots\n",
	    "membrane.yaml:4: cgroup.pids.max: \"lots\" is not a count "
	    "(1..4194304) or max");
	parse_fails("profiles:\n  - name: a\n    elasticity:\n"
	    "      cpu:\n        burst_duration: 10\n",
	    "membrane.yaml:5: elasticity.cpu.burst_duration: \"10\" is not a "
	    "duration (like 100ms, 30s, 5m, 1h)");
	parse_fails("profiles:\n  - name: a\n    breathing:\n"
	    "      trust_signals:\n        - metric: error_rate\n"
	    "          action: contract\n",
	    "membrane.yaml:5: breathing.trust_signals[0]: threshold is "
	    "required");
	parse_fails("profiles:\n  - name: a\n    breathing:\n"
	    "      trust_signals:\n        - metric: latency_p99\n"
	    "          threshold: soon\n          action: stretch\n",
	    "membrane.yaml:6: breathing.trust_signals[0].threshold: \"soon\" "
	    "is not a latency (100ms, or ms)");
	parse_fails("profiles: []\nprofiles: []\n",
	    "membrane.yaml:2: profiles: duplicate key (first at line 1)");
	parse_fails("a: 1\n---\nb: 2\n",
	    "membrane.yaml:2: YAML: more than one document");
}
END_TEST

/* A service's environment is checked by pol_config_check, not parse. */
START_TEST(test_check_service_env)
{
	static const char text[] =
	    "services:\n"
	    "  - name: db\n"
	    "    command: [/usr/bin/postgres]\n"
	    "    profile: electron\n"
	    "    environment:\n"
	    "      SERVICE_PIDS_MAX: many\n";
	struct pol_config	*cfg = parse_ok(text);

	ck_assert_int_eq(pol_config_check(cfg, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "<builtin>:70: cgroup.pids.max: \"many\" is "
	    "not a count (1..4194304) or max (service \"db\")");
	pol_config_free(cfg);
}
END_TEST

/* A file: its path in messages, a missing one named with its reason. */
START_TEST(test_load_file)
{
	char			 dir[] = "mbconfig.XXXXXX", path[64];
	struct pol_config	*cfg = NULL;
	FILE			*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/membrane.yaml", dir);
	ck_assert_int_eq(pol_config_load(path, &cfg, err, sizeof(err)),
	    -ENOENT);
	ck_assert_ptr_null(cfg);
	snprintf(path, sizeof(path), "%s/absent.yaml", dir);
	pol_config_load(path, &cfg, err, sizeof(err));
	ck_assert_str_eq(strrchr(err, '/'), "/absent.yaml: No such file or "
	    "directory");
	snprintf(path, sizeof(path), "%s/membrane.yaml", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("profiles:\n  - name: p\n    seccomp: ./p.policy\n"
	    "    cgroup: {cpu.max: bad}\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(pol_config_load(path, &cfg, err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(strrchr(err, '/'), "/membrane.yaml:4: cgroup.cpu.max:"
	    " \"bad\" is not \"QUOTA PERIOD\", max or \"max PERIOD\" "
	    "(microseconds, 1000 or more)");
	ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The config suite. */
static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tv = tcase_create("values");
	TCase	*tb = tcase_create("builtin");
	TCase	*tp = tcase_create("profiles");
	TCase	*te = tcase_create("errors");

	tcase_add_test(tv, test_parse_size);
	tcase_add_test(tv, test_parse_duration);
	tcase_add_test(tv, test_parse_cpu_max);
	tcase_add_test(tv, test_parse_cap);
	tcase_add_test(tv, test_names);
	suite_add_tcase(s, tv);
	tcase_add_test(tb, test_builtin_vacuum);
	tcase_add_test(tb, test_builtin_photon);
	tcase_add_test(tb, test_builtin_electron_defaults);
	tcase_add_test(tb, test_builtin_electron_env);
	tcase_add_test(tb, test_builtin_electron_getenv);
	tcase_add_test(tb, test_builtin_electron_bad_env);
	tcase_add_test(tb, test_builtin_positron);
	tcase_add_test(tb, test_resolve_unknown);
	suite_add_tcase(s, tb);
	tcase_add_test(tp, test_extends);
	tcase_add_test(tp, test_substitution);
	tcase_add_test(tp, test_config_full);
	tcase_add_test(tp, test_config_empty);
	tcase_add_test(tp, test_breathing);
	tcase_add_test(tp, test_seccomp_file);
	suite_add_tcase(s, tp);
	tcase_add_test(te, test_error_issue_example);
	tcase_add_test(te, test_errors);
	tcase_add_test(te, test_substitution_errors);
	tcase_add_test(te, test_check_service_env);
	tcase_add_test(te, test_load_file);
	suite_add_tcase(s, te);
	return s;
}

/* Run the suite; exit non-zero if any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
