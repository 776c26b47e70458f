/* bench_pvt.h: what the files of bench/ring share; not for other parts. */
#ifndef MEMBRANE_BENCH_PVT_H
#define MEMBRANE_BENCH_PVT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/uio.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define BENCH_SLOTS		1024u		/* ION and rte_ring rings */
#define BENCH_STREAM_BYTES	(256u * 1024)	/* bytes in flight, figure 3 */
#define BENCH_MAX_BURST		32u
#define BENCH_LINE		128		/* apart: pair prefetch */
#define BENCH_CPU_MAIN		0		/* producer, pinger */
#define BENCH_CPU_PEER		1		/* consumer, echo */
#define BENCH_LAT_BINS		65536u		/* 1-ns bins; last: ">=" */
#define BENCH_LAT_WARMUP	1000u		/* round trips not recorded */
#define BENCH_STOP		UINT64_MAX	/* ends a ping-pong */
#define BENCH_CHECK_SPINS	(1u << 20)	/* idle polls per peer check */

struct ion_region;

/* One measurement's parameters, the same for every contender. */
struct bench_cfg {
	uint64_t	ns;		/* how long to run */
	uint32_t	slots;		/* descriptor ring slots */
	uint32_t	stream_bytes;	/* stream ring or pool bytes */
};

/* What one measurement found. */
struct bench_result {
	double		rate;		/* messages or bytes per second */
	double		p50_ns;		/* round trip, median */
	double		p99_ns;		/* round trip, 99th percentile */
	uint64_t	count;		/* messages, chunks or round trips */
	uint64_t	bad;		/* out of sequence or corrupted */
	uint64_t	lost_ns;	/* both sides' waits for their CPU */
};

/*
 * The control block the two sides of a measurement share, in the same
 * shared memory as the ring.  The main side writes stop and sent; the peer
 * writes done, got, bad, wait and err.  Each writer has a block to itself.
 */
struct bench_ctl {
	alignas(BENCH_LINE) _Atomic uint32_t ready;	/* both: barrier */
	alignas(BENCH_LINE) _Atomic uint32_t stop;	/* main: all sent */
	uint64_t	sent;				/* main: once stop */
	alignas(BENCH_LINE) _Atomic uint32_t done;	/* peer: finished */
	uint64_t	got;				/* peer: once done */
	uint64_t	bad;
	uint64_t	wait;				/* peer: for its CPU */
	int		err;				/* peer: -errno or 0 */
	char		why[96];			/* peer: what failed */
};

/* The other side of a measurement: a thread, or a forked process. */
struct harness_peer {
	void		(*fn)(void *);
	void		*arg;
	struct bench_ctl *ctl;
	pthread_t	 thread;
	pid_t		 pid;
	bool		 process;
};

/* Monotonic nanoseconds (vDSO, no system call with a TSC clock source). */
static inline uint64_t
harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The pause every busy-polling loop makes between two empty polls. */
static inline void
harness_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * Consumer side, on an empty poll: true once the main side has stopped and
 * got messages are all it sent.
 */
static inline bool
harness_drained(struct bench_ctl *ctl, uint64_t got)
{
	/* Acquire pairs with the release store of stop in harness_finish. */
	if (atomic_load_explicit(&ctl->stop, memory_order_acquire) == 0)
		return false;
	return got >= ctl->sent;
}

/* Count a sample into 1-ns bins, the last one catching the slow tail. */
static inline void
harness_hist_add(uint32_t *bins, uint64_t ns)
{
	bins[ns < BENCH_LAT_BINS - 1 ? ns : BENCH_LAT_BINS - 1]++;
}

/* Put a sequence number at the head of a chunk. */
static inline void
harness_stamp(unsigned char *chunk, uint64_t seq)
{
	memcpy(chunk, &seq, sizeof(seq));
}

/* The sequence number at the head of a chunk. */
static inline uint64_t
harness_seq(const unsigned char *chunk)
{
	uint64_t seq;

	memcpy(&seq, chunk, sizeof(seq));
	return seq;
}

/* harness.c */
extern void * volatile harness_sink;
void	harness_fatal(int, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3), __noreturn__));
void	*harness_alloc(size_t);
int	harness_cpus_check(void);
int	harness_pin(int);
void	harness_watchdog(uint64_t);
void	*harness_shm(struct ion_region *, size_t);
int	harness_peer_start(struct harness_peer *, bool, struct bench_ctl *,
	    void (*)(void *), void *);
void	harness_peer_join(struct harness_peer *);
void	harness_peer_fail(struct bench_ctl *, int, const char *);
void	harness_peer_done(struct bench_ctl *, uint64_t, uint64_t, int);
void	harness_peer_check(struct bench_ctl *);
void	harness_barrier(struct bench_ctl *);
uint64_t harness_finish(struct bench_ctl *, uint64_t);
void	harness_tput(struct bench_ctl *, uint64_t, uint64_t, uint64_t,
	    uint64_t, struct bench_result *);
void	harness_lat(struct bench_ctl *, const uint32_t *, uint64_t,
	    struct bench_result *);
size_t	harness_iov_in(const struct iovec *, size_t, const void *, size_t);
size_t	harness_iov_out(void *, const struct iovec *, size_t, size_t);

/* ring_ion.c: two processes, rings in a sealed memfd region. */
void	ring_ion_tput(const struct bench_cfg *, unsigned,
	    struct bench_result *);
void	ring_ion_lat(const struct bench_cfg *, struct bench_result *);
void	ring_ion_stream(const struct bench_cfg *, size_t, bool,
	    struct bench_result *);

/* ring_rte.c: DPDK rte_ring, single producer and consumer, two threads. */
void	ring_rte_tput(const struct bench_cfg *, unsigned,
	    struct bench_result *);
void	ring_rte_lat(const struct bench_cfg *, struct bench_result *);
void	ring_rte_stream(const struct bench_cfg *, size_t,
	    struct bench_result *);

/* ring_wfcq.c: liburcu's wait-free concurrent queue, two threads. */
void	ring_wfcq_tput(const struct bench_cfg *, unsigned,
	    struct bench_result *);
void	ring_wfcq_lat(const struct bench_cfg *, struct bench_result *);
void	ring_wfcq_stream(const struct bench_cfg *, size_t,
	    struct bench_result *);

#endif /* MEMBRANE_BENCH_PVT_H */
