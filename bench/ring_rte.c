/*
 * ring_rte.c: the DPDK contender, rte_ring single-producer single-consumer
 * (RING_F_SP_ENQ | RING_F_SC_DEQ) between two threads.  No EAL: each ring
 * is laid out with rte_ring_init in a memfd region like ION's (the same
 * kind of pages), and driven by the inline rte_ring_sp_enqueue_burst and
 * rte_ring_sc_dequeue_burst: what rte_ring_enqueue/dequeue_burst dispatch
 * to for a ring made with these flags, without the dispatch.  Without
 * RING_F_EXACT_SZ a ring of 1024 slots holds 1023 objects.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>

#include "ion.h"
#include "bench_pvt.h"

#define RTE_CTL_BYTES	4096
#define RTE_RING_ALIGN	4096
#define RTE_RING_FLAGS	(RING_F_SP_ENQ | RING_F_SC_DEQ)

/* One measurement, shared by the two threads. */
struct rte_bench {
	struct ion_region	 reg;
	struct bench_ctl	*ctl;
	struct rte_ring		*ring[2];	/* ping, pong; or data, free */
	unsigned char		*pool;		/* stream: the buffers */
	unsigned		 burst;
	size_t			 chunk;
};

/* The bytes a ring of count slots takes, rounded to whole pages. */
static size_t
rte_bench_ringsize(unsigned count)
{
	ssize_t	len = rte_ring_get_memsize(count);

	if (len < 0)
		harness_fatal((int)len, "rte_ring_get_memsize(%u)", count);
	return ((size_t)len + RTE_RING_ALIGN - 1) &
	    ~(size_t)(RTE_RING_ALIGN - 1);
}

/*
 * Map a region for the control block, nring rings of count slots and
 * pool bytes of buffers; lay out the rings.
 */
static void
rte_bench_setup(struct rte_bench *b, unsigned nring, unsigned count,
    size_t pool)
{
	size_t		 step = rte_bench_ringsize(count);
	unsigned char	*base;
	unsigned	 i;
	int		 err;

	memset(b, 0, sizeof(*b));
	base = harness_shm(&b->reg, RTE_CTL_BYTES + nring * step + pool);
	b->ctl = (struct bench_ctl *)(void *)base;
	for (i = 0; i < nring; i++) {
		b->ring[i] = (struct rte_ring *)(void *)(base + RTE_CTL_BYTES +
		    i * step);
		if ((err = rte_ring_init(b->ring[i], i == 0 ? "bench0" :
		    "bench1", count, RTE_RING_FLAGS)) != 0)
			harness_fatal(err, "rte_ring_init(%u)", count);
	}
	b->pool = pool > 0 ? base + RTE_CTL_BYTES + nring * step : NULL;
}

/* Start the peer thread with fn; fatal on failure. */
static void
rte_bench_start(struct rte_bench *b, struct harness_peer *peer,
    void (*fn)(void *))
{
	int	err;

	if ((err = harness_peer_start(peer, false, b->ctl, fn, b)) != 0)
		harness_fatal(err, "pthread_create");
}

/* Consumer thread of the throughput figure: checks every sequence number. */
static void
rte_tput_peer(void *arg)
{
	struct rte_bench	*b = arg;
	void			*buf[BENCH_MAX_BURST];
	uint64_t		 got = 0, bad = 0;
	unsigned		 n, i;

	harness_barrier(b->ctl);
	for (;;) {
		n = rte_ring_sc_dequeue_burst(b->ring[0], buf, b->burst, NULL);
		if (n > 0) {
			for (i = 0; i < n; i++)
				bad += (uint64_t)(uintptr_t)buf[i] != got + i;
			got += n;
		} else if (harness_drained(b->ctl, got))
			break;
		else
			harness_pause();
	}
	harness_peer_done(b->ctl, got, bad, 0);
}

/* Figure 1: messages per second through one ring, in bursts of burst. */
void
ring_rte_tput(const struct bench_cfg *cfg, unsigned burst,
    struct bench_result *res)
{
	struct rte_bench	 b;
	struct harness_peer	 peer;
	void			*buf[BENCH_MAX_BURST];
	uint64_t		 sent = 0, t0, t1;
	unsigned		 i, n, k = 0;

	rte_bench_setup(&b, 1, BENCH_SLOTS, 0);
	b.burst = burst;
	rte_bench_start(&b, &peer, rte_tput_peer);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		for (i = 0; i < burst; i++)
			buf[i] = (void *)(uintptr_t)(sent + i);
		n = rte_ring_sp_enqueue_burst(b.ring[0], buf, burst, NULL);
		if (n == 0)
			harness_pause();
		sent += n;
		if ((++k & 255) == 0 && harness_now() - t0 >= cfg->ns)
			break;
	}
	t1 = harness_finish(b.ctl, sent);
	harness_peer_join(&peer);
	harness_tput(b.ctl, sent, t0, t1, 1, res);
	ion_region_unmap(&b.reg);
}

/* Echo thread of the latency figure: sends back what comes, until STOP. */
static void
rte_lat_peer(void *arg)
{
	struct rte_bench	*b = arg;
	void			*v;

	harness_barrier(b->ctl);
	for (;;) {
		while (rte_ring_sc_dequeue_burst(b->ring[0], &v, 1, NULL) == 0)
			harness_pause();
		if ((uintptr_t)v == (uintptr_t)BENCH_STOP)
			break;
		while (rte_ring_sp_enqueue_burst(b->ring[1], &v, 1, NULL) == 0)
			harness_pause();
	}
	harness_peer_done(b->ctl, 0, 0, 0);
}

/* Figure 2: round trips over two rings, one message at a time. */
void
ring_rte_lat(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct rte_bench	 b;
	struct harness_peer	 peer;
	uint32_t		*bins;
	uint64_t		 seq, t, t1, deadline, n_rt = 0, bad = 0;
	void			*v;

	bins = harness_alloc(BENCH_LAT_BINS * sizeof(*bins));
	rte_bench_setup(&b, 2, BENCH_SLOTS, 0);
	rte_bench_start(&b, &peer, rte_lat_peer);
	harness_barrier(b.ctl);
	t = harness_now();
	deadline = t + cfg->ns;
	for (seq = 0;; seq++) {
		v = (void *)(uintptr_t)seq;
		while (rte_ring_sp_enqueue_burst(b.ring[0], &v, 1, NULL) == 0)
			harness_pause();
		while (rte_ring_sc_dequeue_burst(b.ring[1], &v, 1, NULL) == 0)
			harness_pause();
		bad += (uint64_t)(uintptr_t)v != seq;
		t1 = harness_now();
		if (seq >= BENCH_LAT_WARMUP) {
			harness_hist_add(bins, t1 - t);
			n_rt++;
		}
		t = t1;
		if (t >= deadline)
			break;
	}
	v = (void *)(uintptr_t)BENCH_STOP;
	while (rte_ring_sp_enqueue_burst(b.ring[0], &v, 1, NULL) == 0)
		harness_pause();
	harness_peer_join(&peer);
	harness_lat(b.ctl, bins, n_rt, res);
	res->bad = bad;
	ion_region_unmap(&b.reg);
	free(bins);
}

/*
 * Reader thread of the stream figure: takes up to a burst of buffers,
 * copies each out, checks its sequence number, returns them all at once.
 */
static void
rte_stream_peer(void *arg)
{
	struct rte_bench	*b = arg;
	void			*buf[BENCH_MAX_BURST];
	unsigned char		*dst;
	uint64_t		 got = 0, bad = 0;
	unsigned		 n, i;

	dst = harness_alloc(b->chunk);
	harness_sink = dst;
	harness_barrier(b->ctl);
	for (;;) {
		n = rte_ring_sc_dequeue_burst(b->ring[0], buf, BENCH_MAX_BURST,
		    NULL);
		if (n > 0) {
			for (i = 0; i < n; i++) {
				memcpy(dst, buf[i], b->chunk);
				bad += harness_seq(dst) != got++;
			}
			/* The free ring holds every buffer: these fit. */
			if (rte_ring_sp_enqueue_burst(b->ring[1], buf, n,
			    NULL) != n)
				bad++;
		} else if (harness_drained(b->ctl, got))
			break;
		else
			harness_pause();
	}
	free(dst);
	harness_peer_done(b->ctl, got, bad, 0);
}

/*
 * Figure 3, the DPDK way: a fixed pool of stream_bytes / chunk buffers; the
 * writer takes one (from a private cache refilled a burst at a time from
 * the free ring), copies a chunk in and enqueues its pointer; the reader
 * copies it out and returns the buffer through the free ring.
 */
void
ring_rte_stream(const struct bench_cfg *cfg, size_t chunk,
    struct bench_result *res)
{
	struct rte_bench	 b;
	struct harness_peer	 peer;
	void			*cache[BENCH_MAX_BURST], *p;
	unsigned char		*src;
	uint64_t		 sent = 0, t0, t1, k = 0, check;
	unsigned		 nbuf, count, ncache = 0, i;

	nbuf = cfg->stream_bytes / (uint32_t)chunk;
	for (count = 2; count < nbuf + 1; count <<= 1)
		;
	rte_bench_setup(&b, 2, count, (size_t)nbuf * chunk);
	b.chunk = chunk;
	check = chunk >= 16384 ? 1 : 16384 / chunk;
	for (i = 0; i < nbuf; i++) {
		p = b.pool + (size_t)i * chunk;
		if (rte_ring_sp_enqueue_burst(b.ring[1], &p, 1, NULL) != 1)
			harness_fatal(0, "rte_ring: free ring too small");
	}
	src = harness_alloc(chunk);
	memset(src, 0xa5, chunk);
	rte_bench_start(&b, &peer, rte_stream_peer);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		if (ncache == 0)
			ncache = rte_ring_sc_dequeue_burst(b.ring[1], cache,
			    BENCH_MAX_BURST, NULL);
		if (ncache > 0) {
			p = cache[--ncache];
			harness_stamp(src, sent);
			memcpy(p, src, chunk);
			/* The data ring holds every buffer: it fits. */
			while (rte_ring_sp_enqueue_burst(b.ring[0], &p, 1,
			    NULL) == 0)
				harness_pause();
			sent++;
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
	free(src);
}
