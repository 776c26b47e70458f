/*
 * ring.c: ION rings side by side with DPDK's rte_ring and liburcu's
 * wfcqueue: message throughput, round-trip latency and byte throughput.
 * A benchmark: it prints figures and asserts nothing (but a lost or
 * reordered message makes it exit 1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ion.h"
#include "bench_pvt.h"

#define RING_REPS_MAX	100
#define RING_FILED_MAX	(RING_REPS_MAX * 40)	/* measurements in a run */
#define RING_ATTEMPTS	3	/* runs of a measurement disturbed every time */
#define RING_LOST_MAX	0.01	/* share of CPU time lost: disturbed */

/* The contenders of each figure, in the order they run and print. */
enum ring_who {
	WHO_ION,
	WHO_ION_ZC,		/* figure 3 only */
	WHO_RTE,
	WHO_WFCQ,
	WHO_MAX
};

static const char *const ring_who_name[WHO_MAX] = {
	"ION", "ION zc", "rte_ring", "wfcqueue"
};

enum ring_fig {
	FIG_TPUT,
	FIG_LAT,
	FIG_STREAM,
	FIG_MAX
};

static const unsigned	 ring_bursts[] = { 1, 8, 32 };
static const size_t	 ring_chunks[] = {
	64, 256, 1024, 4096, 16384, 65536
};
#define NBURSTS	(sizeof(ring_bursts) / sizeof(ring_bursts[0]))
#define NCHUNKS	(sizeof(ring_chunks) / sizeof(ring_chunks[0]))
#define NPARAMS	(NCHUNKS > NBURSTS ? NCHUNKS : NBURSTS)

/* Every repetition of every measurement. */
struct ring_series {
	double		v[RING_REPS_MAX];
	double		p99[RING_REPS_MAX];	/* latency only */
};

static struct ring_series	 ring_res[FIG_MAX][NPARAMS][WHO_MAX];
static uint64_t			 ring_bad[WHO_MAX];
static int			 ring_verbose;
static unsigned			 ring_total;	/* measurements filed */
static double			 ring_lostv[RING_FILED_MAX]; /* their losses */
static unsigned			 ring_retried;	/* runs repeated, disturbed */
static unsigned			 ring_budget;	/* most runs to repeat */
static unsigned			 ring_disturbed; /* filed though disturbed */
static unsigned			 ring_figures;	/* bit per figure, 0: all */

/* Usage, to stream f. */
static void
ring_usage(FILE *f)
{
	fprintf(f,
	    "usage: ring [--quick] [--seconds N] [--reps N] [--figure N] "
	    "[--verbose] [--help]\n"
	    "  --quick      short runs (0.05 s, 2 repetitions), a smoke run\n"
	    "  --seconds N  seconds per measurement (default 0.4)\n"
	    "  --reps N     repetitions of every measurement (default 5)\n"
	    "  --figure N   only figure N (1 throughput, 2 latency, 3 stream);"
	    " repeatable\n"
	    "  --verbose    every measurement to standard error as it ends\n"
	    "Pins to CPUs %d and %d; takes about 36 x seconds x reps, up to\n"
	    "half as much again on a busy machine.\n",
	    BENCH_CPU_MAIN, BENCH_CPU_PEER);
}

/* Whether contender who takes part in figure fig, and fig is wanted. */
static int
ring_runs(enum ring_fig fig, enum ring_who who)
{
	if ((ring_figures & (1u << fig)) == 0)
		return 0;
	return who != WHO_ION_ZC || fig == FIG_STREAM;
}

/* Number of parameters (bursts, chunk sizes) of figure fig. */
static unsigned
ring_nparams(enum ring_fig fig)
{
	return fig == FIG_TPUT ? NBURSTS : fig == FIG_LAT ? 1 : NCHUNKS;
}

/* Run one measurement once. */
static void
ring_measure_once(const struct bench_cfg *cfg, enum ring_fig fig,
    unsigned par, enum ring_who who, struct bench_result *res)
{
	harness_watchdog(cfg->ns);
	switch (fig) {
	case FIG_TPUT:
		if (who == WHO_ION)
			ring_ion_tput(cfg, ring_bursts[par], res);
		else if (who == WHO_RTE)
			ring_rte_tput(cfg, ring_bursts[par], res);
		else
			ring_wfcq_tput(cfg, ring_bursts[par], res);
		break;
	case FIG_LAT:
		if (who == WHO_ION)
			ring_ion_lat(cfg, res);
		else if (who == WHO_RTE)
			ring_rte_lat(cfg, res);
		else
			ring_wfcq_lat(cfg, res);
		break;
	default:
		if (who == WHO_ION || who == WHO_ION_ZC)
			ring_ion_stream(cfg, ring_chunks[par],
			    who == WHO_ION_ZC, res);
		else if (who == WHO_RTE)
			ring_rte_stream(cfg, ring_chunks[par], res);
		else
			ring_wfcq_stream(cfg, ring_chunks[par], res);
		break;
	}
	harness_watchdog(0);
	ring_bad[who] += res->bad;
}

/*
 * The share of its two CPUs' time a run lost to other tasks, counted
 * against its nominal length (a disturbed run overruns it: at most 1).
 */
static double
ring_lost(const struct bench_cfg *cfg, const struct bench_result *res)
{
	double	lost = (double)res->lost_ns / (2.0 * (double)cfg->ns);

	return lost < 1 ? lost : 1;
}

/*
 * Run one measurement and file it as repetition rep.  A run during which
 * the two sides spent more than RING_LOST_MAX of their time waiting for
 * their CPUs (other tasks had them) is run again, up to RING_ATTEMPTS
 * times in all, and the least disturbed run is kept; on a machine busy all
 * along, the repeats stop when they have added half the planned time
 * (ring_budget runs).
 */
static void
ring_measure(const struct bench_cfg *cfg, enum ring_fig fig, unsigned par,
    enum ring_who who, unsigned rep)
{
	struct bench_result	res, best;
	unsigned		runs;

	memset(&best, 0, sizeof(best));
	for (runs = 1;; runs++) {
		ring_measure_once(cfg, fig, par, who, &res);
		if (runs == 1 || res.lost_ns < best.lost_ns)
			best = res;
		if (ring_lost(cfg, &best) <= RING_LOST_MAX ||
		    runs == RING_ATTEMPTS || ring_retried >= ring_budget)
			break;
		ring_retried++;
	}
	if (ring_total < RING_FILED_MAX)
		ring_lostv[ring_total] = ring_lost(cfg, &best);
	ring_total++;
	ring_disturbed += ring_lost(cfg, &best) > RING_LOST_MAX;
	if (ring_verbose && fig == FIG_TPUT)
		fprintf(stderr, "ring: rep %u: %-8s burst %2u: %.1f Mmsg/s",
		    rep + 1, ring_who_name[who], ring_bursts[par],
		    best.rate / 1e6);
	else if (ring_verbose && fig == FIG_LAT)
		fprintf(stderr, "ring: rep %u: %-8s round trip: median %.0f "
		    "ns, p99 %.0f ns", rep + 1, ring_who_name[who], best.p50_ns,
		    best.p99_ns);
	else if (ring_verbose)
		fprintf(stderr, "ring: rep %u: %-8s chunk %5zu: %.2f GB/s",
		    rep + 1, ring_who_name[who], ring_chunks[par],
		    best.rate / 1e9);
	if (ring_verbose)
		fprintf(stderr, " (%u run%s, %.1f%% CPU time lost)\n", runs,
		    runs > 1 ? "s" : "", 100 * ring_lost(cfg, &best));
	if (fig == FIG_LAT) {
		ring_res[fig][par][who].v[rep] = best.p50_ns;
		ring_res[fig][par][who].p99[rep] = best.p99_ns;
	} else
		ring_res[fig][par][who].v[rep] = best.rate;
}

/*
 * One repetition of every measurement wanted, the contenders of each
 * interleaved, starting with a different one every repetition.
 */
static void
ring_repetition(const struct bench_cfg *cfg, unsigned rep)
{
	unsigned	f, p, i, w;

	for (f = 0; f < FIG_MAX; f++) {
		for (p = 0; p < ring_nparams(f); p++) {
			for (i = 0; i < WHO_MAX; i++) {
				w = (i + rep) % WHO_MAX;
				if (ring_runs(f, w))
					ring_measure(cfg, f, p, w, rep);
			}
		}
	}
}

/* qsort comparison of doubles. */
static int
ring_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (n <= RING_FILED_MAX), 0 if none. */
static double
ring_median(const double *v, unsigned n)
{
	static double	s[RING_FILED_MAX];

	if (n == 0)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), ring_cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Largest of n values, 0 if none. */
static double
ring_max(const double *v, unsigned n)
{
	double		m = 0;
	unsigned	i;

	for (i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* Median absolute deviation of n values from their median med. */
static double
ring_mad(const double *v, unsigned n, double med)
{
	double		d[RING_REPS_MAX];
	unsigned	i;

	for (i = 0; i < n; i++)
		d[i] = fabs(v[i] - med);
	return ring_median(d, n);
}

/*
 * Median over repetitions of the ratio a/b, each pair from one repetition,
 * rounded to the two decimals printed (the targets are judged on those).
 */
static double
ring_ratio(const double *a, const double *b, unsigned n)
{
	double		r[RING_REPS_MAX], med;
	unsigned	i;

	for (i = 0; i < n; i++)
		r[i] = b[i] > 0 ? a[i] / b[i] : NAN;
	med = ring_median(r, n);
	return med >= 0 && med < 1e6 ? (double)(long)(med * 100 + 0.5) / 100 :
	    med;
}

/* Print "median ±deviation%" of a series, scaled, in a 15-column cell. */
static void
ring_cell(const double *v, unsigned n, double scale, const char *fmt)
{
	char	 num[32], cell[48];
	double	 med, spread;

	med = ring_median(v, n);
	spread = ring_mad(v, n, med);
	snprintf(num, sizeof(num), fmt, med * scale);
	snprintf(cell, sizeof(cell), "%s ±%.0f%%", num,
	    med > 0 ? 100 * spread / med : 0.0);
	printf("%15s", cell);
}

/* Figure 1: throughput table. */
static void
ring_print_tput(unsigned reps, unsigned *missed)
{
	struct ring_series	*s;
	double			 ratio;
	unsigned		 p;

	printf("\n1. Descriptor ring throughput: 8-byte messages, %u slots, "
	    "Mmsg/s (higher is better)\n", BENCH_SLOTS);
	printf("%8s%15s%15s%15s%10s  %s\n", "burst", "ION", "rte_ring",
	    "wfcqueue", "ION/rte", "target ION/rte >= 1.00");
	for (p = 0; p < NBURSTS; p++) {
		s = ring_res[FIG_TPUT][p];
		printf("%8u", ring_bursts[p]);
		ring_cell(s[WHO_ION].v, reps, 1e-6, "%.1f");
		ring_cell(s[WHO_RTE].v, reps, 1e-6, "%.1f");
		ring_cell(s[WHO_WFCQ].v, reps, 1e-6, "%.1f");
		ratio = ring_ratio(s[WHO_ION].v, s[WHO_RTE].v, reps);
		printf("%10.2f  %s\n", ratio, ratio >= 1.0 ? "met" : "MISSED");
		*missed += ratio < 1.0;
	}
}

/* Figure 2: latency table. */
static void
ring_print_lat(unsigned reps, unsigned *missed)
{
	struct ring_series	*s = ring_res[FIG_LAT][0];
	static const enum ring_who who[] = { WHO_ION, WHO_RTE, WHO_WFCQ };
	double			 r50, r99;
	unsigned		 i;

	printf("\n2. Round-trip latency: ping-pong over two rings, burst 1, "
	    "busy-polling, ns (lower is better)\n");
	printf("%10s%15s%15s\n", "", "median", "p99");
	for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		printf("%10s", ring_who_name[who[i]]);
		ring_cell(s[who[i]].v, reps, 1, "%.0f");
		ring_cell(s[who[i]].p99, reps, 1, "%.0f");
		printf("\n");
	}
	r50 = ring_ratio(s[WHO_ION].v, s[WHO_RTE].v, reps);
	r99 = ring_ratio(s[WHO_ION].p99, s[WHO_RTE].p99, reps);
	printf("%10s%15.2f%15.2f  target ION/rte median <= 1.10: %s\n",
	    "ION/rte", r50, r99, r50 <= 1.10 ? "met" : "MISSED");
	*missed += r50 > 1.10;
}

/* Figure 3: stream table. */
static void
ring_print_stream(unsigned reps)
{
	struct ring_series	*s;
	unsigned		 p;

	printf("\n3. Byte stream throughput: %u KiB in flight, GB/s "
	    "(higher is better)\n", BENCH_STREAM_BYTES / 1024);
	printf("   ION: ion_stream_write / ion_stream_read; ION zc: "
	    "reserve+commit / peek+consume;\n"
	    "   rte_ring, wfcqueue: a pool of buffers, pointers (nodes) "
	    "sent, buffers returned\n");
	printf("%8s%15s%15s%15s%15s%10s%10s\n", "chunk", "ION", "ION zc",
	    "rte_ring", "wfcqueue", "ION/rte", "zc/rte");
	for (p = 0; p < NCHUNKS; p++) {
		s = ring_res[FIG_STREAM][p];
		if (ring_chunks[p] >= 1024)
			printf("%6zuKi", ring_chunks[p] / 1024);
		else
			printf("%8zu", ring_chunks[p]);
		ring_cell(s[WHO_ION].v, reps, 1e-9, "%.2f");
		ring_cell(s[WHO_ION_ZC].v, reps, 1e-9, "%.2f");
		ring_cell(s[WHO_RTE].v, reps, 1e-9, "%.2f");
		ring_cell(s[WHO_WFCQ].v, reps, 1e-9, "%.2f");
		printf("%10.2f%10.2f\n",
		    ring_ratio(s[WHO_ION].v, s[WHO_RTE].v, reps),
		    ring_ratio(s[WHO_ION_ZC].v, s[WHO_RTE].v, reps));
	}
}

/* What runs against what, where, and how the noise is handled. */
static void
ring_header(unsigned reps, double seconds, double per_rep)
{
	printf("ring: ION rings (ring/ion.h) vs DPDK rte_ring vs liburcu "
	    "wfcqueue\n");
	printf("  ION: two processes (fork) sharing a sealed memfd region; "
	    "rte_ring (SP/SC,\n"
	    "  no EAL) and wfcqueue: two threads, on the same kind of memfd "
	    "memory.\n");
	printf("  Producer/pinger on CPU %d, consumer/echo on CPU %d, "
	    "busy-polling with pause.\n", BENCH_CPU_MAIN, BENCH_CPU_PEER);
	printf("  Noise: %u repetitions of %.2f s per measurement, the "
	    "contenders interleaved\n"
	    "  (ION, rte_ring, wfcqueue, ION, ...; the order rotates every "
	    "repetition).\n"
	    "  Each figure is the median of the repetitions, ± its median "
	    "absolute deviation;\n"
	    "  ION/rte is the median of the per-repetition ratios.  A run "
	    "that lost over\n"
	    "  %.0f%% of its CPU time to other tasks (run-queue wait, "
	    "schedstat) is run again,\n"
	    "  up to %d runs, the least disturbed kept.  About %.0f s in all, "
	    "more if repeated.\n", reps, seconds, 100 * RING_LOST_MAX,
	    RING_ATTEMPTS, per_rep * reps * (seconds + 0.005));
}

/* Parse a positive number no larger than max, or exit with a reason. */
static double
ring_number(const char *opt, const char *arg, double max)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v > 0) || v > max) {
		fprintf(stderr, "ring: %s: \"%s\" is not a number in (0, %g]\n",
		    opt, arg, max);
		exit(1);
	}
	return v;
}

/* Run the figures asked for and print them; 1 on a bad flag or message. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick",	no_argument,		NULL, 'q' },
		{ "seconds",	required_argument,	NULL, 's' },
		{ "reps",	required_argument,	NULL, 'r' },
		{ "figure",	required_argument,	NULL, 'f' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct bench_cfg	 cfg, warm;
	struct bench_result	 res;
	double			 seconds = 0, reps_d = 0, per_rep;
	unsigned		 reps, rep, f, w, n, missed = 0;
	uint64_t		 bad = 0;
	int			 ch, quick = 0, err;

	while ((ch = getopt_long(argc, argv, "qs:r:f:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 's':
			seconds = ring_number("--seconds", optarg, 3600);
			break;
		case 'r':
			reps_d = ring_number("--reps", optarg, RING_REPS_MAX);
			if (reps_d != (unsigned)reps_d) {
				fprintf(stderr, "ring: --reps: \"%s\" is not "
				    "a whole number\n", optarg);
				return 1;
			}
			break;
		case 'f':
			if (strlen(optarg) != 1 || optarg[0] < '1' ||
			    optarg[0] > '0' + FIG_MAX) {
				fprintf(stderr, "ring: --figure: \"%s\" is not "
				    "1, 2 or 3\n", optarg);
				return 1;
			}
			ring_figures |= 1u << (optarg[0] - '1');
			break;
		case 'v':
			ring_verbose = 1;
			break;
		case 'h':
			ring_usage(stdout);
			return 0;
		default:
			ring_usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		ring_usage(stderr);
		return 1;
	}
	if (ring_figures == 0)
		ring_figures = (1u << FIG_MAX) - 1;
	if (seconds == 0)
		seconds = quick ? 0.05 : 0.4;
	reps = reps_d != 0 ? (unsigned)reps_d : quick ? 2 : 5;

	if ((err = harness_cpus_check()) != 0) {
		fprintf(stderr, "ring: CPUs %d and %d must both be available "
		    "to this process%s%s; run it without a CPU restriction "
		    "(taskset, cgroup cpuset)\n", BENCH_CPU_MAIN,
		    BENCH_CPU_PEER, err == -EXDEV ? "" : ": ",
		    err == -EXDEV ? "" : strerror(-err));
		return 1;
	}
	if ((err = harness_pin(BENCH_CPU_MAIN)) != 0) {
		fprintf(stderr, "ring: pinning to CPU %d: %s\n",
		    BENCH_CPU_MAIN, strerror(-err));
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.ns = (uint64_t)(seconds * 1e9);
	cfg.slots = BENCH_SLOTS;
	cfg.stream_bytes = BENCH_STREAM_BYTES;

	per_rep = 0;
	for (f = 0; f < FIG_MAX; f++)
		for (w = 0; w < WHO_MAX; w++)
			per_rep += ring_runs(f, w) ? ring_nparams(f) : 0;
	ring_budget = (unsigned)(per_rep * reps / 2);
	ring_header(reps, seconds, per_rep);
	fflush(stdout);

	/* A warm-up pass, not recorded: page cache, frequency, lazy binding. */
	warm = cfg;
	warm.ns = cfg.ns / 4;
	for (w = 0; w < WHO_MAX; w++) {
		if (w != WHO_ION_ZC)
			ring_measure_once(&warm, FIG_TPUT, 1, w, &res);
	}

	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "ring: repetition %u/%u\n", rep + 1, reps);
		ring_repetition(&cfg, rep);
	}

	if (ring_figures & (1u << FIG_TPUT))
		ring_print_tput(reps, &missed);
	if (ring_figures & (1u << FIG_LAT))
		ring_print_lat(reps, &missed);
	if (ring_figures & (1u << FIG_STREAM))
		ring_print_stream(reps);
	printf("\n");
	for (w = 0; w < WHO_MAX; w++) {
		if (ring_bad[w] != 0)
			printf("ERROR: %s: %llu messages out of sequence; its "
			    "figures are void\n", ring_who_name[w],
			    (unsigned long long)ring_bad[w]);
		bad += ring_bad[w];
	}
	n = ring_total < RING_FILED_MAX ? ring_total : RING_FILED_MAX;
	printf("CPU time lost to other tasks: median %.1f%%, worst %.1f%% of "
	    "a measurement;\n%u of %u measurements kept above %.0f%% (%u "
	    "runs repeated).\n", 100 * ring_median(ring_lostv, n),
	    100 * ring_max(ring_lostv, n), ring_disturbed, ring_total,
	    100 * RING_LOST_MAX, ring_retried);
	if (missed != 0)
		printf("%u target(s) missed.\n", missed);
	return bad != 0;
}
