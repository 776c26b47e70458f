/*
 * agent_breathe.c: elasticity and breathing.  A service sits at one of
 * four levels: its profile's limits (normal), stretched toward the hard
 * ones, contracted, or contracted hard.  At each breathing interval the
 * trust signals are read; the strongest action whose threshold is crossed
 * sets the level, and the service returns to normal only after two
 * intervals in which every signal stayed under half its threshold (the
 * hysteresis that keeps it from flapping).  Every change is logged with
 * the signal, its value and the threshold.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

#define BREATH_CALM_INTERVALS	2
#define MiB			((int64_t)1024 * 1024)

void
size_text(int64_t v, char *buf, size_t len)
{
	if (v == POL_MAX)
		snprintf(buf, len, "max");
	else if (v == POL_UNSET)
		snprintf(buf, len, "-");
	else if (v >= 1024 * MiB && v % (1024 * MiB) == 0)
		snprintf(buf, len, "%" PRId64 "G", v / (1024 * MiB));
	else if (v >= MiB && v % MiB == 0)
		snprintf(buf, len, "%" PRId64 "M", v / MiB);
	else if (v >= MiB)
		snprintf(buf, len, "%.1fM", (double)v / MiB);
	else if (v >= 1024)
		snprintf(buf, len, "%" PRId64 "K", v / 1024);
	else
		snprintf(buf, len, "%" PRId64, v);
}

/* A count or weight as text: the number, max, or - when unset. */
void
count_text(int64_t v, char *buf, size_t len)
{
	if (v == POL_MAX)
		snprintf(buf, len, "max");
	else if (v == POL_UNSET)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, v);
}

/* cpu.max as written: "QUOTA PERIOD", "max PERIOD", or - when unset. */
void
cpu_text(const struct pol_limits *l, char *buf, size_t len)
{
	if (l->cpu_quota_us == POL_MAX)
		snprintf(buf, len, "max %" PRId64, l->cpu_period_us);
	else if (l->cpu_quota_us == POL_UNSET)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64 " %" PRId64, l->cpu_quota_us,
		    l->cpu_period_us);
}

void
limits_text(const struct pol_limits *l, char *buf, size_t len)
{
	char	hi[32], mx[32], q[32], w[24], p[24];

	size_text(l->memory_high, hi, sizeof(hi));
	size_text(l->memory_max, mx, sizeof(mx));
	cpu_text(l, q, sizeof(q));
	count_text(l->cpu_weight, w, sizeof(w));
	count_text(l->pids_max, p, sizeof(p));
	snprintf(buf, len, "memory.high %s, memory.max %s, cpu.max %s, "
	    "cpu.weight %s, pids.max %s", hi, mx, q, w, p);
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The limits of a level, from the profile's own. */
static void
level_limits(const struct svc *s, enum pol_action act, struct pol_limits *l)
{
	const struct pol_limits	*b = &s->base;
	const struct pol_elastic *el = &s->spec.el;
	int64_t			 period = b->cpu_period_us > 0 ?
				    b->cpu_period_us : 100000;
	int64_t			 high = b->memory_high > 0 ? b->memory_high :
				    b->memory_max > 0 ? b->memory_max : POL_UNSET;
	long			 ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int			 div;

	*l = *b;
	if (act == POL_ACT_STRETCH) {
		/* Toward the hard limit: elasticity's, else memory.max. */
		if (el->mem_hard > 0)
			l->memory_high = el->mem_hard;
		else if (b->memory_max > 0)
			l->memory_high = b->memory_max;
		if (b->memory_max > 0 && l->memory_high > b->memory_max)
			l->memory_high = b->memory_max;
		if (b->cpu_quota_us > 0) {
			l->cpu_quota_us = b->cpu_quota_us * 2;
			if (l->cpu_quota_us > period * (ncpu > 0 ? ncpu : 1))
				l->cpu_quota_us = period * (ncpu > 0 ? ncpu : 1);
		}
		if (el->cpu_burst > 0)
			l->cpu_weight = max64(1, el->cpu_burst * 100 / 1024);
		else if (b->cpu_weight > 0)
			l->cpu_weight = b->cpu_weight * 2;
		if (el->io_burst_weight > 0)
			l->io_weight = el->io_burst_weight;
		return;
	}
	div = act == POL_ACT_CONTRACT ? 2 : 4;
	if (high > 0)
		l->memory_high = max64(4 * MiB, high / div);
	l->cpu_period_us = period;
	l->cpu_quota_us = max64(1000, (b->cpu_quota_us > 0 ? b->cpu_quota_us :
	    period) / div);
	if (b->cpu_weight > 0)
		l->cpu_weight = max64(1, b->cpu_weight / div);
}

/* A reason into a smaller buffer: cut, never overrun. */
static void
reason_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
breathe_apply(struct svc *s, enum pol_action act, char *what, size_t whatlen)
{
	struct pol_limits	l;
	char			err[POL_ERR_MAX];

	level_limits(s, act, &l);
	if (svc_limits(s, &l, err, sizeof(err)) < 0) {
		reason_copy(what, whatlen, err);
		return -1;
	}
	s->level = act == POL_ACT_STRETCH ? BREATH_STRETCHED :
	    act == POL_ACT_CONTRACT ? BREATH_CONTRACTED : BREATH_HARD;
	s->calm = 0;
	limits_text(&s->cur, what, whatlen);
	return 0;
}

void
breathe_relax(struct svc *s, char *what, size_t whatlen)
{
	char err[POL_ERR_MAX];

	if (svc_limits(s, &s->base, err, sizeof(err)) < 0) {
		reason_copy(what, whatlen, err);
		return;
	}
	s->level = BREATH_NORMAL;
	s->calm = 0;
	limits_text(&s->cur, what, whatlen);
}

static enum breath_level
action_level(enum pol_action a)
{
	return a == POL_ACT_STRETCH ? BREATH_STRETCHED :
	    a == POL_ACT_CONTRACT ? BREATH_CONTRACTED : BREATH_HARD;
}

/* How strong an action is: contracting outranks stretching. */
static int
action_rank(enum pol_action a)
{
	return a == POL_ACT_STRETCH ? 1 : a == POL_ACT_CONTRACT ? 2 : 3;
}

void
breathe_tick(struct svc *s, int64_t now)
{
	struct stack_health	 h;
	const struct pol_signal	*why = NULL;
	char			 err[POL_ERR_MAX], what[256];
	double			 val = 0, wval = 0;
	bool			 have_h = false, calm = true;
	uint64_t		 errs, segs, sec;
	size_t			 i;

	(void)now;
	if (s->membrane[0] != '\0' && stats_read(s->membrane, &h, err,
	    sizeof(err)) == 0) {
		have_h = true;
		stats_free(&h);
	}
	sec = s->sec_events - s->sec_events_seen;
	s->sec_events_seen = s->sec_events;
	errs = have_h ? h.conn_failed + h.resets + h.rtx : 0;
	segs = have_h ? h.seg_out + h.seg_in : 0;
	for (i = 0; i < s->spec.br.nsig; i++) {
		const struct pol_signal *sg = &s->spec.br.sig[i];
		bool hit;

		switch (sg->metric) {
		case POL_METRIC_ERROR_RATE:
			if (!have_h || !s->h_valid || segs <= s->h_seg) {
				val = 0;
				break;
			}
			val = (double)(errs - s->h_err) /
			    (double)(segs - s->h_seg);
			if (val > 1)
				val = 1;
			break;
		case POL_METRIC_LATENCY_P99:
			val = have_h ? h.rtt_p99_ms : 0;
			break;
		case POL_METRIC_SECURITY_EVENTS:
			val = (double)sec;
			break;
		}
		/* "threshold: 1  # any security event" counts from 1. */
		hit = sg->metric == POL_METRIC_SECURITY_EVENTS ?
		    val >= sg->threshold : val > sg->threshold;
		if (hit && (why == NULL || action_rank(sg->action) >
		    action_rank(why->action))) {
			why = sg;
			wval = val;
		}
		if (val > sg->threshold / 2 ||
		    (sg->metric == POL_METRIC_SECURITY_EVENTS && val > 0))
			calm = false;
	}
	if (have_h) {
		s->h_err = errs;
		s->h_seg = segs;
		s->h_valid = true;
	}
	if (why != NULL) {
		s->calm = 0;
		if (action_level(why->action) == s->level)
			return;
		if (breathe_apply(s, why->action, what, sizeof(what)) < 0) {
			log_warnx("breathing: %s: %s %.3f %s %g: %s failed: %s",
			    s->name, pol_metric_name(why->metric), wval,
			    why->metric == POL_METRIC_SECURITY_EVENTS ? ">=" :
			    ">", why->threshold, pol_action_name(why->action),
			    what);
			return;
		}
		log_info("breathing: %s: %s %.3f %s threshold %g: %s (%s)",
		    s->name, pol_metric_name(why->metric), wval,
		    why->metric == POL_METRIC_SECURITY_EVENTS ? ">=" : ">",
		    why->threshold, pol_action_name(why->action), what);
		return;
	}
	/* A stretch by hand ends with its duration, not here. */
	if (s->level == BREATH_NORMAL || s->stretch_until > 0)
		return;
	if (!calm) {
		s->calm = 0;
		return;
	}
	if (++s->calm < BREATH_CALM_INTERVALS)
		return;
	breathe_relax(s, what, sizeof(what));
	log_info("breathing: %s: every signal under half its threshold for "
	    "%d intervals: back to the profile's limits (%s)", s->name,
	    BREATH_CALM_INTERVALS, what);
}
