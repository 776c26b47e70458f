/*
 * ring_wfcq.c: the liburcu contender, cds_wfcq between two threads.
 *
 * wfcqueue is intrusive: a message is a node, so something has to bring
 * nodes back to the producer.  Fair to the rings, which move 8-byte values
 * through a fixed array, is a fixed pool: as many nodes as the rings have
 * slots (so as many messages in flight), each on its own cache line,
 * allocated once in a memfd region like the others' and never malloc'd in
 * the loop.  The consumer gives each node back through a second queue; the
 * producer splices that queue into a private free list when it runs dry.
 *
 * Both queues have one dequeuer each (the consumer on the data queue, the
 * producer on the return queue), which is what the lock-free __ variants
 * ask of their callers.  The inline (_LGPL_SOURCE) versions are used, as
 * rte_ring's and ION's hot paths are inline too; this program is never
 * distributed.  __cds_wfcq_dequeue_blocking only blocks (spins, then naps
 * 10 ms) while an enqueuer is between its exchange and its link store, a
 * window of a few instructions on a pinned thread.
 */
#include "config.h"

#define _LGPL_SOURCE
#include <urcu/wfcqueue.h>

#include <stdlib.h>
#include <string.h>

#include "ion.h"
#include "bench_pvt.h"

#define WFCQ_CTL_BYTES	4096

/* A queue with head and tail apart: the dequeuer's and the enqueuers'. */
struct wfcq_queue {
	alignas(BENCH_LINE) struct __cds_wfcq_head	head;
	alignas(BENCH_LINE) struct cds_wfcq_tail	tail;
};

/* A message: the link, its sequence number, and (stream) its bytes. */
struct wfcq_msg {
	struct cds_wfcq_node	node;
	uint64_t		seq;
	alignas(64) unsigned char data[];
};

/* One measurement, shared by the two threads. */
struct wfcq_bench {
	struct ion_region	 reg;
	struct bench_ctl	*ctl;
	struct wfcq_queue	*q[2];		/* ping, pong; data, return */
	unsigned char		*pool;
	size_t			 msgsize;
	unsigned		 nmsg;
	unsigned		 burst;
	size_t			 chunk;
};

/* Message i of the pool. */
static struct wfcq_msg *
wfcq_bench_msg(struct wfcq_bench *b, unsigned i)
{
	return (struct wfcq_msg *)(void *)(b->pool + (size_t)i * b->msgsize);
}

/* Map a region for the control block, two queues and nmsg messages. */
static void
wfcq_bench_setup(struct wfcq_bench *b, unsigned nmsg, size_t chunk)
{
	unsigned char	*base;
	unsigned	 i;

	memset(b, 0, sizeof(*b));
	b->nmsg = nmsg;
	b->chunk = chunk;
	b->msgsize = sizeof(struct wfcq_msg) + chunk;
	b->msgsize = (b->msgsize + 63) & ~(size_t)63;
	base = harness_shm(&b->reg, WFCQ_CTL_BYTES +
	    2 * sizeof(struct wfcq_queue) + (size_t)nmsg * b->msgsize);
	b->ctl = (struct bench_ctl *)(void *)base;
	for (i = 0; i < 2; i++) {
		b->q[i] = (struct wfcq_queue *)(void *)(base + WFCQ_CTL_BYTES +
		    i * sizeof(struct wfcq_queue));
		__cds_wfcq_init(&b->q[i]->head, &b->q[i]->tail);
	}
	b->pool = base + WFCQ_CTL_BYTES + 2 * sizeof(struct wfcq_queue);
	for (i = 0; i < nmsg; i++)
		cds_wfcq_node_init(&wfcq_bench_msg(b, i)->node);
}

/* Start the peer thread with fn; fatal on failure. */
static void
wfcq_bench_start(struct wfcq_bench *b, struct harness_peer *peer,
    void (*fn)(void *))
{
	int	err;

	if ((err = harness_peer_start(peer, false, b->ctl, fn, b)) != 0)
		harness_fatal(err, "pthread_create");
}

/* Dequeue one message from q, or NULL if it is empty. */
static inline struct wfcq_msg *
wfcq_take(struct wfcq_queue *q)
{
	struct cds_wfcq_node	*node;

	node = __cds_wfcq_dequeue_blocking(&q->head, &q->tail);
	return node == NULL ? NULL : caa_container_of(node, struct wfcq_msg,
	    node);
}

/* Append a message to q. */
static inline void
wfcq_put(struct wfcq_queue *q, struct wfcq_msg *m)
{
	cds_wfcq_node_init(&m->node);
	cds_wfcq_enqueue(&q->head, &q->tail, &m->node);
}

/* Producer: a free message, splicing the return queue in when dry; or NULL. */
static inline struct wfcq_msg *
wfcq_free_get(struct wfcq_queue *freeq, struct wfcq_queue *ret)
{
	struct wfcq_msg	*m;

	if ((m = wfcq_take(freeq)) != NULL)
		return m;
	(void)__cds_wfcq_splice_blocking(&freeq->head, &freeq->tail,
	    &ret->head, &ret->tail);
	return wfcq_take(freeq);
}

/* Consumer thread of the throughput figure: checks every sequence number. */
static void
wfcq_tput_peer(void *arg)
{
	struct wfcq_bench	*b = arg;
	struct wfcq_msg		*m;
	uint64_t		 got = 0, bad = 0;
	unsigned		 i;

	harness_barrier(b->ctl);
	for (;;) {
		for (i = 0; i < b->burst; i++) {
			if ((m = wfcq_take(b->q[0])) == NULL)
				break;
			bad += m->seq != got++;
			wfcq_put(b->q[1], m);
		}
		if (i > 0)
			continue;
		if (harness_drained(b->ctl, got))
			break;
		harness_pause();
	}
	harness_peer_done(b->ctl, got, bad, 0);
}

/*
 * Figure 1: messages per second, the producer enqueuing burst nodes back
 * to back and the consumer taking up to burst per round (the queue has no
 * batch operation but splice, which would not bound the batch).
 */
void
ring_wfcq_tput(const struct bench_cfg *cfg, unsigned burst,
    struct bench_result *res)
{
	struct wfcq_bench	 b;
	struct harness_peer	 peer;
	struct wfcq_queue	*freeq;
	struct wfcq_msg		*m;
	uint64_t		 sent = 0, t0, t1;
	unsigned		 i, k = 0;

	wfcq_bench_setup(&b, BENCH_SLOTS, 0);
	b.burst = burst;
	freeq = harness_alloc(sizeof(*freeq));
	__cds_wfcq_init(&freeq->head, &freeq->tail);
	for (i = 0; i < b.nmsg; i++)
		wfcq_put(freeq, wfcq_bench_msg(&b, i));
	wfcq_bench_start(&b, &peer, wfcq_tput_peer);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		for (i = 0; i < burst; i++) {
			if ((m = wfcq_free_get(freeq, b.q[1])) == NULL)
				break;
			m->seq = sent++;
			wfcq_put(b.q[0], m);
		}
		if (i == 0)
			harness_pause();
		if ((++k & 255) == 0 && harness_now() - t0 >= cfg->ns)
			break;
	}
	t1 = harness_finish(b.ctl, sent);
	harness_peer_join(&peer);
	harness_tput(b.ctl, sent, t0, t1, 1, res);
	ion_region_unmap(&b.reg);
	free(freeq);
}

/* Echo thread of the latency figure: passes the node back, until STOP. */
static void
wfcq_lat_peer(void *arg)
{
	struct wfcq_bench	*b = arg;
	struct wfcq_msg		*m;

	harness_barrier(b->ctl);
	for (;;) {
		while ((m = wfcq_take(b->q[0])) == NULL)
			harness_pause();
		if (m->seq == BENCH_STOP)
			break;
		wfcq_put(b->q[1], m);
	}
	harness_peer_done(b->ctl, 0, 0, 0);
}

/* Figure 2: one node bouncing over two queues. */
void
ring_wfcq_lat(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct wfcq_bench	 b;
	struct harness_peer	 peer;
	struct wfcq_msg		*m;
	uint32_t		*bins;
	uint64_t		 seq, t, t1, deadline, n_rt = 0, bad = 0;

	bins = harness_alloc(BENCH_LAT_BINS * sizeof(*bins));
	wfcq_bench_setup(&b, 1, 0);
	m = wfcq_bench_msg(&b, 0);
	wfcq_bench_start(&b, &peer, wfcq_lat_peer);
	harness_barrier(b.ctl);
	t = harness_now();
	deadline = t + cfg->ns;
	for (seq = 0;; seq++) {
		m->seq = seq;
		wfcq_put(b.q[0], m);
		while ((m = wfcq_take(b.q[1])) == NULL)
			harness_pause();
		bad += m->seq != seq;
		t1 = harness_now();
		if (seq >= BENCH_LAT_WARMUP) {
			harness_hist_add(bins, t1 - t);
			n_rt++;
		}
		t = t1;
		if (t >= deadline)
			break;
	}
	m->seq = BENCH_STOP;
	wfcq_put(b.q[0], m);
	harness_peer_join(&peer);
	harness_lat(b.ctl, bins, n_rt, res);
	res->bad = bad;
	ion_region_unmap(&b.reg);
	free(bins);
}

/* Reader thread of the stream figure: copies out, checks, gives back. */
static void
wfcq_stream_peer(void *arg)
{
	struct wfcq_bench	*b = arg;
	struct wfcq_msg		*m;
	unsigned char		*dst;
	uint64_t		 got = 0, bad = 0;

	dst = harness_alloc(b->chunk);
	harness_sink = dst;
	harness_barrier(b->ctl);
	for (;;) {
		if ((m = wfcq_take(b->q[0])) != NULL) {
			memcpy(dst, m->data, b->chunk);
			bad += harness_seq(dst) != got++;
			wfcq_put(b->q[1], m);
		} else if (harness_drained(b->ctl, got))
			break;
		else
			harness_pause();
	}
	free(dst);
	harness_peer_done(b->ctl, got, bad, 0);
}

/* Figure 3: a pool of stream_bytes / chunk nodes carrying the chunks. */
void
ring_wfcq_stream(const struct bench_cfg *cfg, size_t chunk,
    struct bench_result *res)
{
	struct wfcq_bench	 b;
	struct harness_peer	 peer;
	struct wfcq_queue	*freeq;
	struct wfcq_msg		*m;
	unsigned char		*src;
	uint64_t		 sent = 0, t0, t1, k = 0, check;
	unsigned		 i;

	wfcq_bench_setup(&b, cfg->stream_bytes / (uint32_t)chunk, chunk);
	check = chunk >= 16384 ? 1 : 16384 / chunk;
	freeq = harness_alloc(sizeof(*freeq));
	__cds_wfcq_init(&freeq->head, &freeq->tail);
	for (i = 0; i < b.nmsg; i++)
		wfcq_put(freeq, wfcq_bench_msg(&b, i));
	src = harness_alloc(chunk);
	memset(src, 0xa5, chunk);
	wfcq_bench_start(&b, &peer, wfcq_stream_peer);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		if ((m = wfcq_free_get(freeq, b.q[1])) != NULL) {
			harness_stamp(src, sent++);
			memcpy(m->data, src, chunk);
			wfcq_put(b.q[0], m);
		} else
			harness_pause();
		if (++k >= check) {
			k = 0;
			if (harness_now() - t0 >= cfg->ns)
				break;
		}
	}
	t1 = harness_finish(b.ctl, sent);
	harness_peer_join(&peer);
	harness_tput(b.ctl, sent, t0, t1, chunk, res);
	ion_region_unmap(&b.reg);
	free(freeq);
}
