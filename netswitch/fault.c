/*
 * fault.c: fault injection for tests: drop, duplicate, reorder, corrupt
 * and delay frames, per direction, with counters of every fault made.
 *
 * Frames of a faulty direction are copied into a FIFO as they are taken
 * (their buffers go back at once); the data thread drains the FIFO as the
 * frames fall due and their destinations have room, so faults are the only
 * losses.  A frame picked for reordering is held back and queued after the
 * next one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switch_pvt.h"

#define FAULT_QLEN	8192

/* xorshift64*: fast, and reproducible from --fault-seed. */
static uint64_t
fault_rand(struct fault_q *q)
{
	q->rng ^= q->rng >> 12;
	q->rng ^= q->rng << 25;
	q->rng ^= q->rng >> 27;
	return q->rng * 2685821657736338717ull;
}

static bool
fault_hit(struct fault_q *q, double p)
{
	return p > 0 && (double)(fault_rand(q) >> 11) * 0x1p-53 < p;
}

/*
 * Parse "drop=P,dup=P,reorder=P,corrupt=P,delay=MS" (any subset, P from 0
 * to 1).  Returns 0, or -EINVAL with the reason in err.
 */
int
fault_parse(struct fault *f, const char *spec, char *err, size_t errlen)
{
	char	*buf, *tok, *save = NULL;
	int	 rc = 0;

	memset(f, 0, sizeof(*f));
	if ((buf = strdup(spec)) == NULL)
		return -ENOMEM;
	for (tok = strtok_r(buf, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		char	*eq = strchr(tok, '='), *end;
		double	 v;

		if (eq == NULL) {
			snprintf(err, errlen, "fault \"%s\": expected KEY=VALUE",
			    tok);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end != '\0' || v < 0 ||
		    (strcmp(tok, "delay") != 0 && v > 1) ||
		    (strcmp(tok, "delay") == 0 && v > 10000)) {
			snprintf(err, errlen, "fault %s: \"%s\" is not a %s",
			    tok, eq + 1, strcmp(tok, "delay") == 0 ?
			    "delay in milliseconds from 0 to 10000" :
			    "probability from 0 to 1");
			rc = -EINVAL;
		} else if (strcmp(tok, "drop") == 0)
			f->drop = v;
		else if (strcmp(tok, "dup") == 0)
			f->dup = v;
		else if (strcmp(tok, "reorder") == 0)
			f->reorder = v;
		else if (strcmp(tok, "corrupt") == 0)
			f->corrupt = v;
		else if (strcmp(tok, "delay") == 0)
			f->delay_ns = (uint64_t)(v * 1e6);
		else {
			snprintf(err, errlen, "fault \"%s\": unknown (drop, dup, "
			    "reorder, corrupt or delay)", tok);
			rc = -EINVAL;
		}
	}
	free(buf);
	return rc;
}

/* Make q inject f (if f injects anything); 0 or -ENOMEM. */
int
fault_init(struct fault_q *q, const struct fault *f, uint64_t seed)
{
	memset(q, 0, sizeof(*q));
	q->cfg = *f;
	q->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
	q->on = f->drop > 0 || f->dup > 0 || f->reorder > 0 ||
	    f->corrupt > 0 || f->delay_ns > 0;
	if (!q->on)
		return 0;
	q->e = calloc(FAULT_QLEN, sizeof(*q->e));
	return q->e == NULL ? -ENOMEM : 0;
}

bool
fault_full(const struct fault_q *q)
{
	/* Room for a frame, its duplicate and a held one. */
	return q->tail - q->head + 3 > FAULT_QLEN;
}

bool
fault_pending(const struct fault_q *q)
{
	return q->on && (q->tail != q->head || q->have_held);
}

static void
fault_push(struct fault_q *q, const struct fault_entry *e)
{
	q->e[q->tail++ % FAULT_QLEN] = *e;
}

/* Take a frame from src_id (0: the uplink) into the faulty path. */
void
fault_admit(struct fault_q *q, struct sw_counters *c, uint32_t src_id,
    const uint8_t *smac, const uint8_t *f, uint32_t len, uint64_t now)
{
	struct fault_entry e;

	if (fault_hit(q, q->cfg.drop)) {
		CNT_ADD(c->fault_drop, 1);
		return;
	}
	e.due = now + q->cfg.delay_ns;
	e.src_id = src_id;
	e.len = (uint16_t)len;
	memcpy(e.data, f, len);
	if (smac != NULL)
		memcpy(e.data + 6, smac, 6);
	if (len > 14 && fault_hit(q, q->cfg.corrupt)) {
		/* One byte of the second half flipped: past the headers. */
		uint32_t at = len / 2 + (uint32_t)(fault_rand(q) % (len - len / 2));

		e.data[at] ^= 0xff;
		CNT_ADD(c->fault_corrupt, 1);
	}
	if (!q->have_held && fault_hit(q, q->cfg.reorder)) {
		q->held = e;
		q->have_held = true;
		return;
	}
	fault_push(q, &e);
	if (fault_hit(q, q->cfg.dup)) {
		fault_push(q, &e);
		CNT_ADD(c->fault_dup, 1);
	}
	/*
	 * Counted here, when a frame has overtaken it: one released by
	 * fault_peek's timer (the sender paused) arrives in order after all.
	 */
	if (q->have_held) {
		q->held.due = e.due;
		fault_push(q, &q->held);
		q->have_held = false;
		CNT_ADD(c->fault_reorder, 1);
	}
}

/* The next frame due at now, or NULL. */
const struct fault_entry *
fault_peek(struct fault_q *q, uint64_t now)
{
	const struct fault_entry *e;

	if (q->head == q->tail) {
		/* A held frame with nothing after it goes after 1 ms. */
		if (q->have_held && now >= q->held.due + 1000000) {
			fault_push(q, &q->held);
			q->have_held = false;
		} else
			return NULL;
	}
	e = &q->e[q->head % FAULT_QLEN];
	return e->due <= now ? e : NULL;
}

void
fault_pop(struct fault_q *q)
{
	q->head++;
}
