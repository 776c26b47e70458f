/* fwd.c: the data thread: every port's rings and the uplink, in batches. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _LGPL_SOURCE
#include <urcu-qsbr.h>

#include "log.h"
#include "switch_pvt.h"

struct fwd {
	struct sw		*sw;
	struct port_set		*set;
	struct port		*src;	/* NULL: the uplink */
	/*
	 * The source address every copy of the frame gets: the sending
	 * port's own, checked, or NULL (from the wire, or already a private
	 * copy).  A port's frame stays in memory its stack can still write,
	 * so the address read by the check could differ from the one a
	 * later copy reads; stamping the checked one over each copy closes
	 * that race for the one field the switch vouches for.
	 */
	const uint8_t		*smac;
};

static uint64_t
fwd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Hand the frames queued for p to its rx ring; wake it later. */
static void
fwd_flush_rx(struct port *p)
{
	const struct nsw_layout *l = &p->layout;
	int n;
	unsigned i;

	if (p->rx_npend == 0)
		return;
	n = ion_ring_enqueue_burst(&p->rx, p->rx_pend, p->rx_npend);
	if (n < 0) {
		atomic_store(&p->doomed, true);
		n = 0;
	}
	for (i = 0; i < (unsigned)n; i++)
		p->rx_lent[(p->rx_pend[i].off - l->rx_bufs) / l->buf_size] = 1;
	/* What did not fit goes back to the pool, counted. */
	for (i = (unsigned)n; i < p->rx_npend; i++) {
		p->rx_free[p->rx_nfree++] = p->rx_pend[i].off;
		CNT_ADD(p->c.drop_full, 1);
	}
	if (n > 0)
		p->kick = true;
	p->rx_npend = 0;
}

/* Give tx buffers back to p. */
static void
fwd_flush_done(struct port *p)
{
	int n;

	if (p->done_npend == 0)
		return;
	/* done has a slot for every tx buffer: it cannot be full. */
	n = ion_ring_enqueue_burst(&p->done, p->done_pend, p->done_npend);
	if (n != (int)p->done_npend)
		atomic_store(&p->doomed, true);
	p->done_npend = 0;
	p->kick = true;
}

static int fwd_fill(struct port *);

/*
 * Copy a frame into one of dst's rx buffers.  Returns false when dst has no
 * buffer free: a port that can wait (another port) keeps the frame and
 * tries again, one that cannot (a flood, the wire) drops it, counted.
 */
static bool
fwd_to_port(struct port *dst, const uint8_t *f, uint32_t len,
    const uint8_t *smac, bool can_wait)
{
	struct nsw_desc *d;

	if (len > dst->frame_max) {
		CNT_ADD(dst->c.drop_oversize, 1);
		return true;
	}
	if (dst->rx_npend == SW_BURST)
		fwd_flush_rx(dst);
	if (dst->rx_nfree == 0)
		(void)fwd_fill(dst);
	if (dst->rx_nfree == 0) {
		if (can_wait)
			return false;
		CNT_ADD(dst->c.drop_full, 1);
		return true;
	}
	d = &dst->rx_pend[dst->rx_npend++];
	d->off = dst->rx_free[--dst->rx_nfree];
	d->len = (uint16_t)len;
	d->flags = 0;
	memcpy((uint8_t *)dst->region.base + d->off, f, len);
	if (smac != NULL)
		memcpy((uint8_t *)dst->region.base + d->off + 6, smac, 6);
	CNT_ADD(dst->c.rx_frames, 1);
	CNT_ADD(dst->c.rx_bytes, len);
	return true;
}

/*
 * A broadcast ARP goes only to the ports that hold its target address (and
 * to the wire, if it came from a port), as the XDP filter does on the wire.
 * Returns true if f was such a frame and has been dealt with.
 */
static bool
fwd_arp_target(struct fwd *fw, const uint8_t *f, uint32_t len)
{
	const struct port_set	*set = fw->set;
	const uint8_t		*tpa;
	uint32_t		 i, k;
	bool			 hit = false;

	/* Ethernet type 0x0806; ARP for IPv4 over Ethernet: 28 bytes. */
	if (len < 14 + 28 || f[12] != 0x08 || f[13] != 0x06 ||
	    f[14 + 2] != 0x08 || f[14 + 3] != 0x00 || f[14 + 5] != 4)
		return false;
	tpa = f + 14 + 24;
	for (i = 0; i < set->n; i++) {
		if (set->p[i] == fw->src)
			continue;
		for (k = 0; k < set->ip4[i].n; k++)
			if (memcmp(set->ip4[i].a[k], tpa, 4) == 0) {
				(void)fwd_to_port(set->p[i], f, len, fw->smac,
				    false);
				hit = true;
				break;
			}
	}
	if (fw->src != NULL && fw->sw->up != NULL) {
		if (fw->sw->up->ops->tx(fw->sw->up, f, len, fw->smac) == 0) {
			CNT_ADD(fw->sw->up->c.rx_frames, 1);
			CNT_ADD(fw->sw->up->c.rx_bytes, len);
		}
	} else if (!hit && fw->src == NULL && fw->sw->up != NULL)
		CNT_ADD(fw->sw->up->c.drop_nodest, 1);
	return true;
}

/*
 * Switch one frame from fw->src (a port, or the uplink if NULL).  Returns
 * false if it must be offered again later (its port is full).
 */
static bool
fwd_switch(struct fwd *fw, const uint8_t *f, uint32_t len)
{
	struct sw	*sw = fw->sw;
	struct port	*dst;
	uint32_t	 i;

	if (f[0] & 1 && fwd_arp_target(fw, f, len))
		return true;
	if (f[0] & 1) {
		/* Broadcast and multicast: every other port, and the wire. */
		for (i = 0; i < fw->set->n; i++)
			if (fw->set->p[i] != fw->src)
				(void)fwd_to_port(fw->set->p[i], f, len,
				    fw->smac, false);
		if (fw->src != NULL && sw->up != NULL &&
		    sw->up->ops->tx(sw->up, f, len, fw->smac) == 0) {
			CNT_ADD(sw->up->c.rx_frames, 1);
			CNT_ADD(sw->up->c.rx_bytes, len);
		}
		return true;
	}
	dst = port_set_lookup(fw->set, f);
	if (dst != NULL && dst != fw->src) {
		/* Port to port waits for room: no loss inside the host. */
		return fwd_to_port(dst, f, len, fw->smac, fw->src != NULL);
	}
	if (dst == NULL && fw->src != NULL && sw->up != NULL) {
		if (sw->up->ops->tx(sw->up, f, len, fw->smac) == 0) {
			CNT_ADD(sw->up->c.rx_frames, 1);
			CNT_ADD(sw->up->c.rx_bytes, len);
		} else
			CNT_ADD(sw->up->c.drop_full, 1);
		return true;
	}
	if (fw->src != NULL)
		CNT_ADD(fw->src->c.drop_nodest, 1);
	else if (sw->up != NULL)
		CNT_ADD(sw->up->c.drop_nodest, 1);
	return true;
}

/* The uplink's deliver callback: frames from the wire never wait. */
static void
fwd_from_uplink(void *arg, const uint8_t *f, uint32_t len)
{
	struct fwd	*fw = arg;
	struct sw	*sw = fw->sw;

	if (!sw->fault_in.on) {
		(void)fwd_switch(fw, f, len);
		return;
	}
	if (fault_full(&sw->fault_in))
		CNT_ADD(sw->up->c.drop_full, 1);
	else
		fault_admit(&sw->fault_in, &sw->up->c, 0, NULL, f, len,
		    fwd_now());
}

/* The port with id in set, or NULL. */
static struct port *
fwd_port_by_id(const struct port_set *set, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < set->n; i++)
		if (set->p[i]->id == id)
			return set->p[i];
	return NULL;
}

/* Switch the frames of q that are due; returns how many. */
static int
fwd_fault_drain(struct fwd *fw, struct fault_q *q)
{
	const struct fault_entry *e;
	uint64_t	now;
	int		n = 0;

	if (!fault_pending(q))
		return 0;
	now = fwd_now();
	while ((e = fault_peek(q, now)) != NULL) {
		fw->src = e->src_id == 0 ? NULL : fwd_port_by_id(fw->set,
		    e->src_id);
		fw->smac = NULL;	/* e->data is ours, stamped at admission */
		if (e->src_id == 0 || fw->src != NULL) {
			/* Its destination is full: the rest waits, in order. */
			if (!fwd_switch(fw, e->data, e->len))
				break;
		}
		fault_pop(q);
		n++;
	}
	return n;
}

/* Count a bad descriptor from p; too many and p is detached. */
static void
fwd_bad(struct port *p)
{
	CNT_ADD(p->c.drop_baddesc, 1);
	if (++p->bad >= SW_BAD_LIMIT)
		atomic_store(&p->doomed, true);
}

/* Take back the rx buffers p has finished with; returns the count. */
static int
fwd_fill(struct port *p)
{
	const struct nsw_layout *l = &p->layout;
	struct nsw_desc	d[64];
	int		n, i;

	n = ion_ring_dequeue_burst(&p->fill, d, 64);
	if (n < 0) {
		atomic_store(&p->doomed, true);
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint64_t rel = (uint64_t)d[i].off - l->rx_bufs;
		uint64_t k = rel / l->buf_size;

		/* Ours, aligned, and really lent out: else a forgery. */
		if (d[i].off < l->rx_bufs || rel % l->buf_size != 0 ||
		    k >= l->rx_nbufs || !p->rx_lent[k]) {
			fwd_bad(p);
			continue;
		}
		p->rx_lent[k] = 0;
		p->rx_free[p->rx_nfree++] = d[i].off;
	}
	return n;
}

/* Queue a tx buffer to go back to p. */
static void
fwd_done(struct port *p, uint32_t off)
{
	if (p->done_npend == SW_BURST)
		fwd_flush_done(p);
	p->done_pend[p->done_npend].off = off;
	p->done_pend[p->done_npend].len = 0;
	p->done_pend[p->done_npend].flags = 0;
	p->done_npend++;
}

/*
 * Check and switch one descriptor from p.  Returns false if the frame must
 * wait for room at its destination (the buffer stays with us).
 */
static bool
fwd_tx_one(struct fwd *fw, struct port *p, const struct nsw_desc *d,
    bool fresh)
{
	const struct nsw_layout *l = &p->layout;
	uint64_t	 rel = (uint64_t)d->off - l->tx_bufs;
	const uint8_t	*f = (const uint8_t *)p->region.base + d->off;
	uint32_t	 len = d->len;

	if (d->off < l->tx_bufs || rel % l->buf_size != 0 ||
	    rel / l->buf_size >= l->tx_nbufs) {
		fwd_bad(p);		/* not a buffer of ours: never returned */
		return true;
	}
	if (len > l->buf_size) {
		fwd_bad(p);
		fwd_done(p, d->off);
		return true;
	}
	if (fresh) {
		CNT_ADD(p->c.tx_frames, 1);
		CNT_ADD(p->c.tx_bytes, len);
	}
	if (len < 14)
		CNT_ADD(p->c.drop_runt, 1);
	else if (len > p->frame_max)
		CNT_ADD(p->c.drop_oversize, 1);
	else if (memcmp(f + 6, p->mac, 6) != 0)
		CNT_ADD(p->c.drop_spoof, 1);
	else if (fw->sw->fault_out.on) {
		if (fault_full(&fw->sw->fault_out))
			return false;
		fault_admit(&fw->sw->fault_out, &p->c, p->id, p->mac, f, len,
		    fwd_now());
	} else if (!fwd_switch(fw, f, len))
		return false;
	fwd_done(p, d->off);
	return true;
}

/* Switch what p has sent (held frames first); returns frames switched. */
static int
fwd_tx(struct fwd *fw, struct port *p)
{
	struct nsw_desc	d[SW_BURST];
	unsigned	nheld = p->tx_nhold, i, k;
	int		n, done = 0;

	memcpy(d, p->tx_hold, nheld * sizeof(d[0]));
	p->tx_nhold = 0;
	n = ion_ring_dequeue_burst(&p->tx, d + nheld, SW_BURST - nheld);
	if (n < 0) {
		atomic_store(&p->doomed, true);
		n = 0;
	}
	fw->src = p;
	fw->smac = p->mac;
	for (i = 0; i < nheld + (unsigned)n; i++) {
		if (!fwd_tx_one(fw, p, &d[i], i >= nheld)) {
			/* Its destination is full: keep the rest, in order. */
			for (k = i; k < nheld + (unsigned)n; k++)
				p->tx_hold[p->tx_nhold++] = d[k];
			break;
		}
		done++;
	}
	return done;
}

/* Is there anything for us on any port? (re-check after arming) */
static bool
fwd_pending(struct port_set *set)
{
	uint32_t i;

	for (i = 0; i < set->n; i++) {
		struct port *p = set->p[i];

		if (atomic_load(&p->doomed))
			continue;
		if (ion_ring_count(&p->tx) != 0 || ion_ring_count(&p->fill) != 0)
			return true;
	}
	return false;
}

/*
 * Sleep until a port or the uplink has work, or timeout_ms passes.  Called
 * after the loop's quiescent state, so the set the loop read may be gone
 * (its ports unmapped): only a fresh snapshot is ours to arm.
 */
static void
fwd_sleep(struct sw *sw, struct pollfd *pfd, nfds_t npfd, int timeout_ms)
{
	struct port_set	*set = rcu_dereference(sw->ports);
	uint64_t	 v;
	uint32_t	 i;

	for (i = 0; i < set->n; i++)
		ion_bell_arm(&set->p[i]->bell_switch);
	if (!fwd_pending(set) && !atomic_load(&sw->stop)) {
		/*
		 * Offline, the control thread may retire set and free ports
		 * that left it: after this, only a fresh snapshot is safe.
		 */
		rcu_thread_offline();
		(void)poll(pfd, npfd, timeout_ms);
		rcu_thread_online();
		if (read(sw->efd_switch, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_warn("read eventfd");
		set = rcu_dereference(sw->ports);
	}
	/* Ports that joined while we slept were never armed: harmless. */
	for (i = 0; i < set->n; i++)
		ion_bell_disarm(&set->p[i]->bell_switch);
}

void *
fwd_main(void *arg)
{
	struct sw		*sw = arg;
	struct fwd	 fw;
	/*
	 * poll(), not a standing epoll set: the uplink's socket then has a
	 * waiter only while the switch sleeps, and the kernel's receive path
	 * skips the wake-up it would otherwise make for every batch.
	 */
	struct pollfd	 pfd[2];
	nfds_t		 npfd = 1;
	uint64_t	 idle_since = 0;
	unsigned	 idle = 0;
	int		 upfd, timeout_ms = -1;

	rcu_register_thread();
	pfd[0].fd = sw->efd_switch;
	pfd[0].events = POLLIN;
	if (sw->up != NULL) {
		if (sw->up->ops->thread_init != NULL)
			sw->up->ops->thread_init(sw->up);
		if ((upfd = sw->up->ops->fd(sw->up)) >= 0) {
			pfd[npfd].fd = upfd;
			pfd[npfd++].events = POLLIN;
		} else
			timeout_ms = 1;	/* a polled uplink: ~1000 cheap wake-ups/s idle */
	}
	memset(&fw, 0, sizeof(fw));
	fw.sw = sw;
	while (!atomic_load_explicit(&sw->stop, memory_order_relaxed)) {
		struct port_set	*set = rcu_dereference(sw->ports);
		int		 work = 0;
		uint32_t	 i;

		fw.set = set;
		for (i = 0; i < set->n; i++) {
			struct port *p = set->p[i];

			if (atomic_load_explicit(&p->doomed,
			    memory_order_relaxed))
				continue;
			work += fwd_fill(p);
			work += fwd_tx(&fw, p);
		}
		if (sw->up != NULL) {
			int n;

			fw.src = NULL;
			fw.smac = NULL;
			n = sw->up->ops->rx(sw->up, SW_BURST, fwd_from_uplink,
			    &fw);
			if (n > 0)
				work += n;
		}
		work += fwd_fault_drain(&fw, &sw->fault_out);
		work += fwd_fault_drain(&fw, &sw->fault_in);
		if (sw->up != NULL)
			sw->up->ops->flush(sw->up);
		for (i = 0; i < set->n; i++) {
			struct port *p = set->p[i];

			fwd_flush_rx(p);
			fwd_flush_done(p);
			if (p->kick) {
				p->kick = false;
				if (ion_bell_ring(&p->bell_stack) < 0)
					atomic_store(&p->doomed, true);
			}
		}
		rcu_quiescent_state();
		if (work > 0) {
			idle = 0;
			continue;
		}
		/* Nothing: spin for the budget, then sleep. */
		if (idle++ == 0)
			idle_since = fwd_now();
		if (idle % 16 != 0 || fwd_now() - idle_since < sw->spin_ns) {
			/*
			 * Let a stack that shares this CPU run: on a small
			 * machine a spinning switch would otherwise hold the
			 * CPU from the very process it waits for.  Costs a
			 * syscall per 16 idle turns, none while busy.
			 */
			if (idle % 16 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
			continue;
		}
		/* Frames held by the fault injector fall due on their own. */
		fwd_sleep(sw, pfd, npfd, fault_pending(&sw->fault_in) ||
		    fault_pending(&sw->fault_out) ? 1 : timeout_ms);
		idle = 0;
	}
	rcu_unregister_thread();
	return NULL;
}
