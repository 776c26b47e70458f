/* ring_test.h: what the ION ring test suites share. */
#ifndef MEMBRANE_RING_TEST_H
#define MEMBRANE_RING_TEST_H

#include <sys/types.h>

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ion.h"

/*
 * RING_TEST_TSAN: built with -fsanitize=thread.  TSan cannot see accesses
 * made by another process, so wherever a test needs two concurrent parties
 * it starts the second one as a thread instead of a forked child (see
 * party_start_peer); the code each party runs is the same.
 */
#if defined(__SANITIZE_THREAD__)
#define RING_TEST_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RING_TEST_TSAN	1
#endif
#endif
#ifndef RING_TEST_TSAN
#define RING_TEST_TSAN	0
#endif

/*
 * Assertions for hot loops: Check's ck_assert records every passing
 * assertion's location with a write(2), which would dominate a loop that
 * runs millions of times.  These only act on failure.
 */
#define TEST_ASSERT(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("Assertion '%s' failed", #cond);		\
} while (0)

#define TEST_ASSERT_MSG(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* A pause in a spin loop (as ring_pvt.h's, which is the ring's own). */
static inline void
test_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Bounded wait for anything a peer should do soon; expiry is a failure. */
#define TEST_WAIT_MS	5000

Suite	*test_ring_suite(void);
Suite	*test_stream_suite(void);
Suite	*test_region_suite(void);
Suite	*test_bell_suite(void);
Suite	*test_hostile_suite(void);
Suite	*test_stress_suite(void);

/* ------------------------------------------------------------------ */
/* Deterministic content and randomness                                */

/* splitmix64's finaliser: a bijection, so distinct inputs never collide. */
static inline uint64_t
test_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64*: fast, good enough to pick batch sizes. */
struct test_rng {
	uint64_t	s;
};

static inline void
test_rng_seed(struct test_rng *g, uint64_t seed)
{
	g->s = test_mix(seed) | 1;
}

/* Next 64 random bits. */
static inline uint64_t
test_rand(struct test_rng *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dull;
}

/* A random value in [lo, hi]. */
static inline uint64_t
test_range(struct test_rng *g, uint64_t lo, uint64_t hi)
{
	return lo + (test_rand(g) >> 11) % (hi - lo + 1);
}

/* Fill a slot-sized buffer with bytes derived from seq. */
static inline void
test_slot_fill(unsigned char *p, size_t size, uint64_t seq)
{
	uint64_t w = 0;

	for (size_t i = 0; i < size; i++) {
		if (i % 8 == 0)
			w = test_mix(seq * 64 + i / 8);
		p[i] = (unsigned char)(w >> (8 * (i % 8)));
	}
}

/* Check a slot filled by test_slot_fill; returns true if intact. */
static inline bool
test_slot_ok(const unsigned char *p, size_t size, uint64_t seq)
{
	uint64_t w = 0;

	for (size_t i = 0; i < size; i++) {
		if (i % 8 == 0)
			w = test_mix(seq * 64 + i / 8);
		if (p[i] != (unsigned char)(w >> (8 * (i % 8))))
			return false;
	}
	return true;
}

/*
 * Byte-stream content: the 8-byte word at stream offset 8i is
 * test_stream_word(i), stored little-endian, so every byte says where in
 * the stream it belongs.  Cheap (a multiply and a shift) and a bijection.
 */
static inline uint64_t
test_stream_word(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

/* The byte at stream offset off. */
static inline unsigned char
test_stream_byte(uint64_t off)
{
	return (unsigned char)(test_stream_word(off >> 3) >> (8 * (off & 7)));
}

/* ------------------------------------------------------------------ */
/* Helpers (main.c)                                                    */

/* Monotonic time in nanoseconds. */
uint64_t	test_now_ns(void);
/* CPU time (user + system) the calling thread has used, in nanoseconds. */
uint64_t	test_thread_cpu_ns(void);
/* Voluntary context switches of the calling thread: how often it blocked. */
uint64_t	test_thread_nvcsw(void);
/* Pin the calling thread (and what it starts later) to one CPU it may use. */
void		test_pin_one_cpu(void);
/* Open descriptors of this process (entries of /proc/self/fd). */
int		test_count_fds(void);
/* A non-blocking, close-on-exec eventfd; fails the test if none. */
int		test_eventfd(void);
/* Spin-wait politely: pause, and give the CPU away now and then. */
void		test_relax(unsigned *spins);

/*
 * A second party to a test: a forked child, or a thread under TSan.  It
 * runs fn(p, arg); fn returns 0, or fails through PARTY_CHECK, which
 * records where and why.  party_join waits for it and fails the test if it
 * failed, died by a signal or exited non-zero.  val[] carries results back.
 */
struct party_report {
	int		 failed;
	uint64_t	 val[4];
	char		 msg[256];
};

struct party {
	int			(*fn)(struct party *, void *);
	void			*arg;
	struct party_report	 rep;
	bool			 threaded;
	pid_t			 pid;
	pthread_t		 thread;
	int			 pipe;
};

#define PARTY_FORK	false
#define PARTY_THREAD	true

void	party_start(struct party *p, bool threaded,
	    int (*fn)(struct party *, void *), void *arg);
/* Fork, or a thread under TSan: for parties that share memory with us. */
void	party_start_peer(struct party *p, int (*fn)(struct party *, void *),
	    void *arg);
void	party_join(struct party *p);
/* Fail the test from our side while p runs; p is collected, then reported. */
void	party_abort(struct party *p, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Record a failure in p; returns -1 for fn to return. */
int	party_fail(struct party *p, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* TEST_ASSERT for our side of a test while party p runs. */
#define PEER_ASSERT(p, cond) do {					\
	if (!(cond))							\
		party_abort((p), __FILE__, __LINE__, "%s", #cond);	\
} while (0)

#define PEER_ASSERT_MSG(p, cond, ...) do {				\
	if (!(cond))							\
		party_abort((p), __FILE__, __LINE__, __VA_ARGS__);	\
} while (0)

#define PARTY_CHECK(p, cond) do {					\
	if (!(cond))							\
		return party_fail((p), __FILE__, __LINE__, "%s",	\
		    #cond);						\
} while (0)

#define PARTY_CHECK_MSG(p, cond, ...) do {				\
	if (!(cond))							\
		return party_fail((p), __FILE__, __LINE__,		\
		    __VA_ARGS__);					\
} while (0)

/*
 * A channel: one ring (descriptor or stream) and two doorbells in one
 * region.  "data" is rung by the producer and waited on by the consumer;
 * "space" the other way round, for a producer that finds the ring full.
 */
struct chan {
	struct ion_region	 reg;
	void			*ring;
	size_t			 ring_len;
	void			*data_bell;
	void			*space_bell;
	int			 data_efd;
	int			 space_efd;
};

/* One side's handles on a channel. */
struct chan_end {
	struct ion_ring		 ring;
	struct ion_stream	 stream;
	struct ion_bell		 data;
	struct ion_bell		 space;
};

/* ion_bell_wait readiness: 1 when the ring (or stream) has work / room. */
int	test_ring_ready(void *ring);
int	test_ring_room(void *ring);
int	test_stream_ready(void *stream);
int	test_stream_room(void *stream);

/* Lay out a channel; slot_size 0 makes a stream ring of count bytes. */
void	chan_create(struct chan *c, uint32_t count, uint32_t slot_size);
void	chan_destroy(struct chan *c);
/* Attach one side; returns 0 or -errno (for PARTY_CHECK in a peer). */
int	chan_attach(struct chan *c, struct chan_end *e, enum ion_role role,
	    bool stream, uint64_t spin_ns);

#endif /* MEMBRANE_RING_TEST_H */
