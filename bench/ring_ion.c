/*
 * ring_ion.c: the ION contender, two processes.  The parent creates a sealed
 * memfd region holding the control block and the rings, formats them and
 * forks; the child inherits the mapping, pins itself to the peer CPU and
 * attaches its side, as a process handed the memfd would after
 * ion_region_map.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ion.h"
#include "bench_pvt.h"

#define ION_CTL_BYTES	4096	/* the control block's share of a region */
#define ION_RING_ALIGN	4096	/* rings start on their own pages */

/* One measurement, as both processes see it (the child reads its copy). */
struct ion_bench {
	struct ion_region	 reg;
	struct bench_ctl	*ctl;
	void			*mem[2];	/* ping and pong, or one ring */
	size_t			 len[2];
	unsigned		 burst;
	size_t			 chunk;
	uint64_t		 check;		/* deadline check interval */
	bool			 zc;
};

/* Map a region for the control block and nring areas of len bytes each. */
static void
ion_bench_setup(struct ion_bench *b, unsigned nring, size_t len)
{
	size_t		 step = (len + ION_RING_ALIGN - 1) &
			    ~(size_t)(ION_RING_ALIGN - 1);
	unsigned char	*base;
	unsigned	 i;

	memset(b, 0, sizeof(*b));
	base = harness_shm(&b->reg, ION_CTL_BYTES + nring * step);
	b->ctl = (struct bench_ctl *)(void *)base;
	for (i = 0; i < nring; i++) {
		b->mem[i] = base + ION_CTL_BYTES + i * step;
		b->len[i] = len;
	}
}

/* Format ring i of a bench and attach one side; fatal on failure. */
static void
ion_bench_ring(struct ion_bench *b, unsigned i, struct ion_ring *r,
    enum ion_role role)
{
	int	err;

	if ((err = ion_ring_format(b->mem[i], b->len[i], BENCH_SLOTS, 8)) != 0)
		harness_fatal(err, "ion_ring_format");
	if ((err = ion_ring_attach(r, b->mem[i], b->len[i], role)) != 0)
		harness_fatal(err, "ion_ring_attach");
}

/* Start the child with fn; fatal on failure. */
static void
ion_bench_fork(struct ion_bench *b, struct harness_peer *peer,
    void (*fn)(void *))
{
	int	err;

	if ((err = harness_peer_start(peer, true, b->ctl, fn, b)) != 0)
		harness_fatal(err, "fork");
}

/* Consumer process of the throughput figure: checks every sequence number. */
static void
ion_tput_peer(void *arg)
{
	struct ion_bench	*b = arg;
	struct ion_ring		 r;
	uint64_t		 buf[BENCH_MAX_BURST], got = 0, bad = 0;
	int			 n, i, err;

	if ((err = ion_ring_attach(&r, b->mem[0], b->len[0],
	    ION_CONSUMER)) != 0) {
		harness_peer_fail(b->ctl, err, "ion_ring_attach (consumer)");
		return;
	}
	harness_barrier(b->ctl);
	for (;;) {
		n = ion_ring_dequeue_burst(&r, buf, b->burst);
		if (n > 0) {
			for (i = 0; i < n; i++)
				bad += buf[i] != got + (uint64_t)i;
			got += (uint64_t)n;
		} else if (n < 0) {
			harness_peer_done(b->ctl, got, bad, n);
			return;
		} else if (harness_drained(b->ctl, got))
			break;
		else
			harness_pause();
	}
	harness_peer_done(b->ctl, got, bad, 0);
}

/* Figure 1: messages per second through one ring, in bursts of burst. */
void
ring_ion_tput(const struct bench_cfg *cfg, unsigned burst,
    struct bench_result *res)
{
	struct ion_bench	 b;
	struct harness_peer	 peer;
	struct ion_ring		 r;
	uint64_t		 buf[BENCH_MAX_BURST], sent = 0, t0, t1;
	unsigned		 i, k = 0;
	int			 n;

	ion_bench_setup(&b, 1, ion_ring_memsize(BENCH_SLOTS, 8));
	b.burst = burst;
	ion_bench_ring(&b, 0, &r, ION_PRODUCER);
	ion_bench_fork(&b, &peer, ion_tput_peer);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		for (i = 0; i < burst; i++)
			buf[i] = sent + i;
		n = ion_ring_enqueue_burst(&r, buf, burst);
		if (n < 0)
			harness_fatal(n, "ion_ring_enqueue_burst");
		if (n == 0)
			harness_pause();
		sent += (uint64_t)n;
		if ((++k & 255) == 0 && harness_now() - t0 >= cfg->ns)
			break;
	}
	t1 = harness_finish(b.ctl, sent);
	harness_peer_join(&peer);
	harness_tput(b.ctl, sent, t0, t1, 1, res);
	ion_region_unmap(&b.reg);
}

/* Echo process of the latency figure: sends back what comes, until STOP. */
static void
ion_lat_peer(void *arg)
{
	struct ion_bench	*b = arg;
	struct ion_ring		 ping, pong;
	uint64_t		 v;
	int			 n, err;

	if ((err = ion_ring_attach(&ping, b->mem[0], b->len[0],
	    ION_CONSUMER)) != 0 || (err = ion_ring_attach(&pong, b->mem[1],
	    b->len[1], ION_PRODUCER)) != 0) {
		harness_peer_fail(b->ctl, err, "ion_ring_attach (echo)");
		return;
	}
	harness_barrier(b->ctl);
	for (;;) {
		while ((n = ion_ring_dequeue_burst(&ping, &v, 1)) == 0)
			harness_pause();
		if (n < 0 || v == BENCH_STOP)
			break;
		while ((n = ion_ring_enqueue_burst(&pong, &v, 1)) == 0)
			harness_pause();
		if (n < 0)
			break;
	}
	harness_peer_done(b->ctl, 0, 0, n < 0 ? n : 0);
}

/* Figure 2: round trips over two rings, one message at a time. */
void
ring_ion_lat(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct ion_bench	 b;
	struct harness_peer	 peer;
	struct ion_ring		 ping, pong;
	uint32_t		*bins;
	uint64_t		 seq, v, t, t1, deadline, n_rt = 0, bad = 0;
	uint32_t		 spins = 0;
	int			 n;

	bins = harness_alloc(BENCH_LAT_BINS * sizeof(*bins));
	ion_bench_setup(&b, 2, ion_ring_memsize(BENCH_SLOTS, 8));
	ion_bench_ring(&b, 0, &ping, ION_PRODUCER);
	ion_bench_ring(&b, 1, &pong, ION_CONSUMER);
	ion_bench_fork(&b, &peer, ion_lat_peer);
	/* Take the copy-on-write faults fork left us before the clock runs. */
	memset(bins, 0, BENCH_LAT_BINS * sizeof(*bins));
	harness_barrier(b.ctl);
	t = harness_now();
	deadline = t + cfg->ns;
	for (seq = 0;; seq++) {
		while ((n = ion_ring_enqueue_burst(&ping, &seq, 1)) == 0)
			harness_pause();
		if (n < 0)
			harness_fatal(n, "ion_ring_enqueue_burst");
		while ((n = ion_ring_dequeue_burst(&pong, &v, 1)) == 0) {
			if ((++spins & (BENCH_CHECK_SPINS - 1)) == 0)
				harness_peer_check(b.ctl);
			harness_pause();
		}
		if (n < 0)
			harness_fatal(n, "ion_ring_dequeue_burst");
		bad += v != seq;
		t1 = harness_now();
		if (seq >= BENCH_LAT_WARMUP) {
			harness_hist_add(bins, t1 - t);
			n_rt++;
		}
		t = t1;
		if (t >= deadline)
			break;
	}
	v = BENCH_STOP;
	while ((n = ion_ring_enqueue_burst(&ping, &v, 1)) == 0)
		harness_pause();
	harness_peer_join(&peer);
	harness_lat(b.ctl, bins, n_rt, res);
	res->bad = bad;
	ion_region_unmap(&b.reg);
	free(bins);
}

/* Reader process of the stream figure: whole chunks, sequence checked. */
static void
ion_stream_peer(void *arg)
{
	struct ion_bench	*b = arg;
	struct ion_stream	 s;
	struct iovec		 iov[2];
	unsigned char		*dst;
	size_t			 have = 0, off;
	uint64_t		 got = 0, bad = 0;
	ssize_t			 n;
	int			 err;

	if ((err = ion_stream_attach(&s, b->mem[0], b->len[0],
	    ION_CONSUMER)) != 0) {
		harness_peer_fail(b->ctl, err, "ion_stream_attach (reader)");
		return;
	}
	dst = harness_alloc(b->chunk);
	harness_sink = dst;
	harness_barrier(b->ctl);
	for (;;) {
		if (b->zc) {
			/*
			 * Copy out every whole chunk in view, releasing each
			 * at once: released in one go at the end, a view of
			 * the whole ring would stall the writer meanwhile.
			 */
			if ((n = ion_stream_peek(&s, iov)) < 0)
				break;
			for (off = 0; (size_t)n - off >= b->chunk;
			    off += b->chunk) {
				harness_iov_out(dst, iov, off, b->chunk);
				bad += harness_seq(dst) != got++;
				err = ion_stream_consume(&s, b->chunk);
				if (err != 0)
					break;
			}
			if (err != 0) {
				n = err;
				break;
			}
			if (off > 0)
				continue;
		} else {
			n = ion_stream_read(&s, dst + have, b->chunk - have);
			if (n < 0)
				break;
			if (n > 0) {
				if ((have += (size_t)n) == b->chunk) {
					bad += harness_seq(dst) != got++;
					have = 0;
				}
				continue;
			}
		}
		if (harness_drained(b->ctl, got)) {
			n = 0;
			break;
		}
		harness_pause();
	}
	free(dst);
	harness_peer_done(b->ctl, got, bad, n < 0 ? (int)n : 0);
}

/*
 * Figure 3: bytes per second through a stream ring, in chunks of chunk
 * bytes: ion_stream_write/read, or with zc reserve/commit and peek/consume.
 */
void
ring_ion_stream(const struct bench_cfg *cfg, size_t chunk, bool zc,
    struct bench_result *res)
{
	struct ion_bench	 b;
	struct harness_peer	 peer;
	struct ion_stream	 s;
	struct iovec		 iov[2];
	unsigned char		*src;
	size_t			 off = 0;
	uint64_t		 sent = 0, t0, t1, k = 0;
	ssize_t			 n;
	int			 err;

	ion_bench_setup(&b, 1, ion_stream_memsize(cfg->stream_bytes));
	b.chunk = chunk;
	b.zc = zc;
	b.check = chunk >= 16384 ? 1 : 16384 / chunk;
	if ((err = ion_stream_format(b.mem[0], b.len[0],
	    cfg->stream_bytes)) != 0)
		harness_fatal(err, "ion_stream_format");
	if ((err = ion_stream_attach(&s, b.mem[0], b.len[0],
	    ION_PRODUCER)) != 0)
		harness_fatal(err, "ion_stream_attach");
	src = harness_alloc(chunk);
	ion_bench_fork(&b, &peer, ion_stream_peer);
	/* Take the copy-on-write faults fork left us before the clock runs. */
	memset(src, 0xa5, chunk);
	harness_barrier(b.ctl);
	t0 = harness_now();
	for (;;) {
		if (zc) {
			/* A reserve, then a commit per whole chunk it holds. */
			if ((n = ion_stream_reserve(&s, iov)) < 0)
				harness_fatal((int)n, "ion_stream_reserve");
			for (off = 0; (size_t)n - off >= chunk; off += chunk) {
				harness_stamp(src, sent++);
				harness_iov_in(iov, off, src, chunk);
				if ((err = ion_stream_commit(&s, chunk)) != 0)
					harness_fatal(err, "ion_stream_commit");
			}
			if (off == 0)
				harness_pause();
			off = 0;
		} else {
			if (off == 0)
				harness_stamp(src, sent);
			n = ion_stream_write(&s, src + off, chunk - off);
			if (n < 0)
				harness_fatal((int)n, "ion_stream_write");
			if (n == 0)
				harness_pause();
			if ((off += (size_t)n) == chunk) {
				sent++;
				off = 0;
			}
		}
		/* Stop only between chunks, so the reader can count them. */
		if (off == 0 && ++k >= b.check) {
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
