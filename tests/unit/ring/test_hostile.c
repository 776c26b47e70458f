/*
 * test_hostile.c: a peer that lies.  Garbage headers, indices and slot
 * contents must cost the honest side -EPROTO and nothing else: it stays
 * inside its own slots, its process survives, and a broken ring stays
 * broken.  Every honest party runs in a forked child whose exit status is
 * checked, over memory that ends at a PROT_NONE guard page.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ring_test.h"

/* The concurrent hostile-peer tests: at least this many calls, this long. */
#define FUZZ_OPS	300000u
#define FUZZ_NS		300000000u
/* Model rounds: random peer indices checked against what is legal. */
#define MODEL_ROUNDS	20000u

/* A failed check in a child: say which case it was. */
#define HCHECK(cond)	PARTY_CHECK_MSG(p, cond, "%s: %s", what, #cond)

/*
 * Shared memory for one ring with nothing mapped on either side of it:
 *
 *   [control page][guard][...pages... ring][guard]
 *
 * The ring ends exactly at the trailing guard page, so any access past its
 * slots faults; the leading guard catches a slip below the pages it is in.
 */
struct guarded {
	unsigned char	*map;
	size_t		 maplen;
	_Atomic uint32_t *stop;		/* in the control page */
	_Atomic uint64_t *lies;		/* likewise */
	unsigned char	*ring;
	size_t		 len;
	uint32_t	 count;
	uint32_t	 slot;		/* 0: a stream ring */
};

/* (Re)format the ring as new; 0 or -errno. */
static int
guarded_format(struct guarded *g)
{
	if (g->slot == 0)
		return ion_stream_format(g->ring, g->len, g->count);
	return ion_ring_format(g->ring, g->len, g->count, g->slot);
}

/* Map the guarded layout and format a ring of count slots (0: stream). */
static void
guarded_create(struct guarded *g, uint32_t count, uint32_t slot)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), mid;

	g->len = slot == 0 ? ion_stream_memsize(count) :
	    ion_ring_memsize(count, slot);
	ck_assert_uint_ne(g->len, 0);
	ck_assert_uint_eq(g->len % ION_INDEX_ALIGN, 0);
	mid = (g->len + pg - 1) / pg * pg;
	g->maplen = 3 * pg + mid;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(g->map, MAP_FAILED);
	ck_assert_int_eq(mprotect(g->map + pg, pg, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(g->map + 2 * pg + mid, pg, PROT_NONE), 0);
	g->stop = (_Atomic uint32_t *)(void *)g->map;
	g->lies = (_Atomic uint64_t *)(void *)(g->map + 64);
	g->ring = g->map + 2 * pg + mid - g->len;
	g->count = count;
	g->slot = slot;
	ck_assert_int_eq(guarded_format(g), 0);
}

/* Unmap it all. */
static void
guarded_destroy(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

/* The ring's shared header. */
static struct ion_ring_shm *
gshm(struct guarded *g)
{
	return (struct ion_ring_shm *)(void *)g->ring;
}

/* Attach a side of the guarded ring, either flavour. */
static int
gattach(struct guarded *g, struct ion_ring *r, enum ion_role role)
{
	if (g->slot == 0)
		return ion_stream_attach((struct ion_stream *)(void *)r,
		    g->ring, g->len, role);
	return ion_ring_attach(r, g->ring, g->len, role);
}

/* Every consumer call on a broken handle answers -EPROTO. */
static int
consumer_broken(struct party *p, const char *what, struct guarded *g,
    struct ion_ring *r)
{
	unsigned char	 buf[256];
	struct iovec	 iov[2];
	struct ion_stream *s = (struct ion_stream *)(void *)r;

	if (g->slot == 0) {
		HCHECK(ion_stream_read(s, buf, 1) == -EPROTO);
		HCHECK(ion_stream_read(s, buf, sizeof(buf)) == -EPROTO);
		HCHECK(ion_stream_peek(s, iov) == -EPROTO);
		HCHECK(ion_stream_consume(s, 0) == -EPROTO);
		HCHECK(ion_stream_consume(s, 1) == -EPROTO);
		HCHECK(ion_stream_count(s) == -EPROTO);
		return 0;
	}
	HCHECK(ion_ring_dequeue_burst(r, buf, 1) == -EPROTO);
	HCHECK(ion_ring_dequeue_burst(r, buf, 0) == -EPROTO);
	HCHECK(ion_ring_dequeue_bulk(r, buf, 1) == -EPROTO);
	HCHECK(ion_ring_count(r) == -EPROTO);
	return 0;
}

/* Every producer call on a broken handle answers -EPROTO. */
static int
producer_broken(struct party *p, const char *what, struct guarded *g,
    struct ion_ring *r)
{
	unsigned char	 buf[256];
	struct iovec	 iov[2];
	struct ion_stream *s = (struct ion_stream *)(void *)r;

	memset(buf, 0, sizeof(buf));
	if (g->slot == 0) {
		HCHECK(ion_stream_write(s, buf, 1) == -EPROTO);
		HCHECK(ion_stream_reserve(s, iov) == -EPROTO);
		HCHECK(ion_stream_commit(s, 0) == -EPROTO);
		HCHECK(ion_stream_space(s) == -EPROTO);
		return 0;
	}
	HCHECK(ion_ring_enqueue_burst(r, buf, 1) == -EPROTO);
	HCHECK(ion_ring_enqueue_bulk(r, buf, 0) == -EPROTO);
	HCHECK(ion_ring_enqueue_bulk(r, buf, 1) == -EPROTO);
	HCHECK(ion_ring_space(r) == -EPROTO);
	return 0;
}

/* Consumer's refreshing count, either flavour. */
static int64_t
gcount(struct guarded *g, struct ion_ring *r)
{
	if (g->slot == 0)
		return ion_stream_count((struct ion_stream *)(void *)r);
	return ion_ring_count(r);
}

/* Producer's refreshing space, either flavour. */
static int64_t
gspace(struct guarded *g, struct ion_ring *r)
{
	if (g->slot == 0)
		return ion_stream_space((struct ion_stream *)(void *)r);
	return ion_ring_space(r);
}

/* Put n items (or bytes) in through the honest API. */
static int64_t
gput(struct guarded *g, struct ion_ring *r, uint32_t n)
{
	unsigned char buf[64 * 256];

	memset(buf, 0x11, sizeof(buf));
	if (g->slot == 0)
		return ion_stream_write((struct ion_stream *)(void *)r, buf, n);
	return ion_ring_enqueue_bulk(r, buf, n);
}

/* Take n items (or bytes) out through the honest API. */
static int64_t
gtake(struct guarded *g, struct ion_ring *r, uint32_t n)
{
	unsigned char buf[64 * 256];

	if (g->slot == 0)
		return ion_stream_read((struct ion_stream *)(void *)r, buf, n);
	return ion_ring_dequeue_bulk(r, buf, n);
}

/* The geometries the index tests run on: descriptor rings and a stream. */
static const struct {
	uint32_t	count, slot;
} geoms[] = {
	{ 64, 16 }, { 32, 4 }, { 8, 256 }, { 256, 0 },
};
#define NGEOMS	(int)(sizeof(geoms) / sizeof(geoms[0]))

/* ------------------------------------------------------------------ */
/* Headers                                                             */

struct header_case {
	const char	*what;
	int		 field;		/* H_MAGIC ... H_CONS */
	uint32_t	 value;
	bool		 stream;	/* applies to: stream or descriptor */
};

enum { H_MAGIC, H_VERSION, H_COUNT, H_SLOT, H_PROD, H_CONS };

static const struct header_case header_cases[] = {
	{ "ring: magic 0", H_MAGIC, 0, false },
	{ "ring: magic of a stream", H_MAGIC, ION_STREAM_MAGIC, false },
	{ "ring: magic garbage", H_MAGIC, 0xdeadbeef, false },
	{ "ring: version 0", H_VERSION, 0, false },
	{ "ring: version 2", H_VERSION, ION_VERSION + 1, false },
	{ "ring: version ~0", H_VERSION, UINT32_MAX, false },
	{ "ring: count 0", H_COUNT, 0, false },
	{ "ring: count 3", H_COUNT, 3, false },
	{ "ring: count 96", H_COUNT, 96, false },
	{ "ring: count 2x memory", H_COUNT, 128, false },
	{ "ring: count max, past memory", H_COUNT, ION_RING_MAX_COUNT, false },
	{ "ring: count 2^31", H_COUNT, 1u << 31, false },
	{ "ring: count ~0", H_COUNT, UINT32_MAX, false },
	{ "ring: slot 0", H_SLOT, 0, false },
	{ "ring: slot 2", H_SLOT, 2, false },
	{ "ring: slot 18", H_SLOT, 18, false },
	{ "ring: slot 2x memory", H_SLOT, 32, false },
	{ "ring: slot 260", H_SLOT, ION_RING_MAX_SLOT + 4, false },
	{ "ring: slot 2^31", H_SLOT, 1u << 31, false },
	{ "ring: slot ~0", H_SLOT, UINT32_MAX, false },
	{ "ring: prod past cons + count", H_PROD, 65, false },
	{ "ring: prod behind cons", H_PROD, UINT32_MAX, false },
	{ "ring: cons past prod", H_CONS, 1, false },
	{ "ring: cons far ahead", H_CONS, 0x80000000u, false },
	{ "stream: magic of a ring", H_MAGIC, ION_RING_MAGIC, true },
	{ "stream: version 0", H_VERSION, 0, true },
	{ "stream: size 0", H_COUNT, 0, true },
	{ "stream: size 32", H_COUNT, 32, true },
	{ "stream: size 1000", H_COUNT, 1000, true },
	{ "stream: size 2x memory", H_COUNT, 2048, true },
	{ "stream: size 2^31", H_COUNT, 1u << 31, true },
	{ "stream: slot 0", H_SLOT, 0, true },
	{ "stream: slot 2", H_SLOT, 2, true },
	{ "stream: slot 4", H_SLOT, 4, true },
	{ "stream: prod past cons + size", H_PROD, 1025, true },
	{ "stream: cons past prod", H_CONS, 7, true },
};

/* Child: attach to each malformed header, both sides; all -EPROTO. */
static int
header_child(struct party *p, void *arg)
{
	struct guarded	 rg, sg;
	struct ion_ring	 r;
	struct guarded	*guards[2] = { &rg, &sg };

	(void)arg;
	guarded_create(&rg, 64, 16);
	guarded_create(&sg, 1024, 0);
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]);
	    i++) {
		const struct header_case *hc = &header_cases[i];
		const char		*what = hc->what;
		struct guarded		*g = guards[hc->stream];
		struct ion_ring_shm	*shm = gshm(g);
		unsigned char		 buf[16];

		HCHECK(guarded_format(g) == 0);
		/* The honest header attaches; then the lie goes in. */
		HCHECK(gattach(g, &r, ION_CONSUMER) == 0);
		switch (hc->field) {
		case H_MAGIC:
			shm->magic = hc->value;
			break;
		case H_VERSION:
			shm->version = hc->value;
			break;
		case H_COUNT:
			shm->count = hc->value;
			break;
		case H_SLOT:
			shm->slot_size = hc->value;
			break;
		case H_PROD:
			atomic_store(&shm->prod, hc->value);
			break;
		case H_CONS:
			atomic_store(&shm->cons, hc->value);
			break;
		}
		HCHECK(gattach(g, &r, ION_CONSUMER) == -EPROTO);
		HCHECK(gattach(g, &r, ION_PRODUCER) == -EPROTO);
		/* A handle whose attach failed does nothing at all. */
		HCHECK(ion_ring_dequeue_burst(&r, buf, 1) == -EINVAL);
		HCHECK(ion_ring_enqueue_burst(&r, buf, 1) == -EINVAL);
	}
	guarded_destroy(&rg);
	guarded_destroy(&sg);
	return 0;
}

START_TEST(test_hostile_header)
{
	struct party child;

	party_start(&child, PARTY_FORK, header_child, NULL);
	party_join(&child);
}
END_TEST

/* Child: a header rewritten after attach changes nothing for us. */
static int
header_late_child(struct party *p, void *arg)
{
	struct guarded		 g;
	struct ion_ring		 c, pr;
	struct ion_ring_shm	*shm;
	unsigned char		 buf[64 * 16];
	const char		*what = "header rewritten after attach";

	(void)arg;
	guarded_create(&g, 64, 16);
	shm = gshm(&g);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	shm->magic = 0;
	shm->count = ION_RING_MAX_COUNT;
	shm->slot_size = ION_RING_MAX_SLOT;
	for (unsigned lap = 0; lap < 10; lap++) {
		for (uint32_t i = 0; i < 64; i++)
			test_slot_fill(buf + i * 16, 16, lap * 64 + i);
		HCHECK(ion_ring_enqueue_bulk(&pr, buf, 64) == 64);
		HCHECK(ion_ring_space(&pr) == 0);
		HCHECK(ion_ring_count(&c) == 64);
		memset(buf, 0, sizeof(buf));
		HCHECK(ion_ring_dequeue_burst(&c, buf, 64) == 64);
		for (uint32_t i = 0; i < 64; i++)
			HCHECK(test_slot_ok(buf + i * 16, 16, lap * 64 + i));
	}
	guarded_destroy(&g);
	return 0;
}

START_TEST(test_hostile_header_late)
{
	struct party child;

	party_start(&child, PARTY_FORK, header_late_child, NULL);
	party_join(&child);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Indices                                                             */

/* Child: the named lies about prod, seen by the consumer. */
static int
prod_child(struct party *p, void *arg)
{
	struct guarded		 g;
	struct ion_ring		 c, pr;
	struct ion_ring_shm	*shm;
	uint32_t		 count = geoms[*(int *)arg].count;
	const char		*what;

	guarded_create(&g, count, geoms[*(int *)arg].slot);
	shm = gshm(&g);

	what = "prod past cons + count";
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	atomic_store(&shm->prod, count + 1);
	HCHECK(gcount(&g, &c) == -EPROTO);
	atomic_store(&shm->prod, 0);	/* an honest value again: too late */
	if (consumer_broken(p, what, &g, &c) != 0)
		return -1;

	what = "prod exactly cons + count (legal: full)";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	atomic_store(&shm->prod, count);
	HCHECK(gcount(&g, &c) == count);
	HCHECK(gtake(&g, &c, count) == count);
	HCHECK(gcount(&g, &c) == 0);

	what = "prod backwards, still ahead of cons";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	HCHECK(gput(&g, &pr, 8) == 8);
	HCHECK(gcount(&g, &c) == 8);
	HCHECK(gtake(&g, &c, 2) == 2);
	atomic_store(&shm->prod, 5);
	HCHECK(gcount(&g, &c) == -EPROTO);
	atomic_store(&shm->prod, 8);
	if (consumer_broken(p, what, &g, &c) != 0)
		return -1;

	what = "prod backwards behind cons";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	HCHECK(gput(&g, &pr, 8) == 8);
	HCHECK(gtake(&g, &c, 8) == 8);
	atomic_store(&shm->prod, 3);
	/* The read path notices on its own: the cache has nothing. */
	HCHECK(gtake(&g, &c, 1) == -EPROTO);
	if (consumer_broken(p, what, &g, &c) != 0)
		return -1;

	what = "prod far ahead";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	atomic_store(&shm->prod, 0x80000000u);
	HCHECK(gtake(&g, &c, 1) == -EPROTO);
	if (consumer_broken(p, what, &g, &c) != 0)
		return -1;
	guarded_destroy(&g);
	return 0;
}

/* Child: the named lies about cons, seen by the producer. */
static int
cons_child(struct party *p, void *arg)
{
	struct guarded		 g;
	struct ion_ring		 c, pr;
	struct ion_ring_shm	*shm;
	uint32_t		 count = geoms[*(int *)arg].count;
	const char		*what;

	guarded_create(&g, count, geoms[*(int *)arg].slot);
	shm = gshm(&g);

	what = "cons past prod";
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	HCHECK(gput(&g, &pr, 4) == 4);
	atomic_store(&shm->cons, 5);
	HCHECK(gspace(&g, &pr) == -EPROTO);
	atomic_store(&shm->cons, 4);
	if (producer_broken(p, what, &g, &pr) != 0)
		return -1;

	what = "cons backwards";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	HCHECK(gput(&g, &pr, count) == count);
	HCHECK(gtake(&g, &c, 6) == 6);
	HCHECK(gspace(&g, &pr) == 6);
	atomic_store(&shm->cons, 2);
	/* The write path notices on its own: the ring looked full. */
	HCHECK(gput(&g, &pr, 7) == -EPROTO);
	atomic_store(&shm->cons, 6);
	if (producer_broken(p, what, &g, &pr) != 0)
		return -1;

	what = "cons equal to prod (legal: empty)";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	HCHECK(gput(&g, &pr, count) == count);
	atomic_store(&shm->cons, count);
	HCHECK(gspace(&g, &pr) == count);

	what = "cons random";
	HCHECK(guarded_format(&g) == 0);
	HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
	atomic_store(&shm->cons, 0xdeadbeef);
	HCHECK(gspace(&g, &pr) == -EPROTO);
	if (producer_broken(p, what, &g, &pr) != 0)
		return -1;
	guarded_destroy(&g);
	return 0;
}

START_TEST(test_hostile_prod)
{
	struct party child;

	party_start(&child, PARTY_FORK, prod_child, &_i);
	party_join(&child);
}
END_TEST

START_TEST(test_hostile_cons)
{
	struct party child;

	party_start(&child, PARTY_FORK, cons_child, &_i);
	party_join(&child);
}
END_TEST

/* A lie about an index: near the legal window, or anything at all. */
static uint32_t
lie(struct test_rng *rng, uint32_t near, uint32_t count)
{
	uint64_t r = test_rand(rng);

	if (r % 4 == 0)
		return (uint32_t)(r >> 32);
	return near + (uint32_t)((r >> 32) % (4 * count + 1)) - 2 * count;
}

/*
 * Child: MODEL_ROUNDS random peer indices, each after an honest history,
 * each answered exactly as the rules say: the consumer accepts prod iff
 * cons <= peer_seen <= prod <= cons + count (mod 2^32), the producer
 * accepts cons iff cons_seen <= cons <= prod.
 */
static int
model_child(struct party *p, void *arg)
{
	struct guarded		 g;
	struct ion_ring		 c, pr;
	struct ion_ring_shm	*shm;
	uint32_t		 count = geoms[*(int *)arg].count;
	struct test_rng		 rng;
	const char		*what = "model";
	unsigned		 nlegal = 0, nbroken = 0;

	test_rng_seed(&rng, (uint64_t)*(int *)arg);
	guarded_create(&g, count, geoms[*(int *)arg].slot);
	shm = gshm(&g);
	for (unsigned k = 0; k < MODEL_ROUNDS; k++) {
		uint32_t base = (uint32_t)test_rand(&rng);
		uint32_t m = (uint32_t)test_range(&rng, 0, count);
		uint32_t d = (uint32_t)test_range(&rng, 0, m);
		uint32_t v, head, seen;
		int64_t	 rc;
		bool	 legal;

		/* An honest history: m in, d out, both sides up to date. */
		HCHECK(guarded_format(&g) == 0);
		atomic_store(&shm->prod, base);
		atomic_store(&shm->cons, base);
		HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
		HCHECK(gattach(&g, &pr, ION_PRODUCER) == 0);
		HCHECK(m == 0 || gput(&g, &pr, m) == m);
		HCHECK(gcount(&g, &c) == m);
		HCHECK(d == 0 || gtake(&g, &c, d) == d);

		if (k % 2 == 0) {
			/* The consumer saw base + m, stands at base + d. */
			head = base + d;
			seen = base + m;
			v = lie(&rng, head, count);
			legal = v - head <= count && v - head >= seen - head;
			atomic_store(&shm->prod, v);
			rc = gcount(&g, &c);
			if (legal) {
				HCHECK(rc == (int64_t)(v - head));
				nlegal++;
				continue;
			}
			HCHECK(rc == -EPROTO);
			atomic_store(&shm->prod, seen);
			if (consumer_broken(p, what, &g, &c) != 0)
				return -1;
		} else {
			/* The producer stands at base + m, saw cons at base. */
			head = base + m;
			seen = base;
			v = lie(&rng, base + d, count);
			legal = v - seen <= head - seen;
			atomic_store(&shm->cons, v);
			rc = gspace(&g, &pr);
			if (legal) {
				HCHECK(rc == (int64_t)(count - (head - v)));
				nlegal++;
				continue;
			}
			HCHECK(rc == -EPROTO);
			atomic_store(&shm->cons, base + d);
			if (producer_broken(p, what, &g, &pr) != 0)
				return -1;
		}
		nbroken++;
	}
	/* Both kinds of answer were exercised, many times. */
	HCHECK(nlegal > MODEL_ROUNDS / 20);
	HCHECK(nbroken > MODEL_ROUNDS / 20);
	guarded_destroy(&g);
	return 0;
}

START_TEST(test_hostile_model)
{
	struct party child;

	party_start(&child, PARTY_FORK, model_child, &_i);
	party_join(&child);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A hostile process at work                                           */

struct fuzz {
	struct guarded	g;
	int		honest;		/* ION_CONSUMER or ION_PRODUCER */
};

/*
 * Hostile child: until told to stop, rewrite the honest side's peer index
 * (often plausibly, sometimes absurdly), the slots, and now and then the
 * header, from another process.
 */
static int
fuzz_liar(struct party *p, void *arg)
{
	struct fuzz		*f = arg;
	struct guarded		*g = &f->g;
	struct ion_ring_shm	*shm = gshm(g);
	_Atomic uint32_t	*idx = f->honest == ION_CONSUMER ? &shm->prod :
				    &shm->cons;
	_Atomic uint32_t	*other = f->honest == ION_CONSUMER ?
				    &shm->cons : &shm->prod;
	size_t			 slots = g->len - sizeof(*shm);
	struct test_rng		 rng;
	uint64_t		 n = 0;

	test_rng_seed(&rng, 99 + (uint64_t)f->honest);
	while (atomic_load(g->stop) == 0) {
		uint64_t r = test_rand(&rng);
		uint32_t o = atomic_load(other);

		switch (r % 8) {
		case 0:
			atomic_store(idx, (uint32_t)(r >> 32));
			break;
		case 1:
		case 2:
		case 3:
			/* Plausible: within a lap either way of the other. */
			atomic_store(idx, o + (uint32_t)((r >> 32) %
			    (2 * g->count + 1)) - g->count / 2);
			break;
		case 4:
		case 5:
			for (unsigned i = 0; i < 8; i++)
				shm->slots[test_rand(&rng) % slots] =
				    (unsigned char)r;
			break;
		case 6:
			if ((r >> 8) % 512 == 0)
				((volatile uint32_t *)(void *)shm)[(r >> 16) %
				    4] = (uint32_t)(r >> 32);
			break;
		case 7:
			if ((r >> 8) % 128 == 0)
				guarded_format(g);
			break;
		}
		if (++n % 256 == 0) {
			atomic_store(g->lies, n);
			sched_yield();
		}
	}
	p->rep.val[0] = n;
	return 0;
}

/* Honest consumer: every answer in range; broken means broken for good. */
static int
fuzz_consumer(struct party *p, struct guarded *g, struct test_rng *rng,
    uint64_t *attaches, uint64_t *moved)
{
	struct ion_ring		 r;
	struct ion_stream	*s = (struct ion_stream *)(void *)&r;
	const char		*what = "fuzzed consumer";
	unsigned char		 buf[64 * 256 + 64];
	unsigned char		*lo = gshm(g)->slots, *hi = g->ring + g->len;
	struct iovec		 iov[2];
	size_t			 cap = g->slot == 0 ? 64 * 256 : 64;
	bool			 broken = false;
	unsigned		 spins = 0;

	while (gattach(g, &r, ION_CONSUMER) != 0)
		test_relax(&spins);
	++*attaches;
	for (unsigned op = 0; op < 64; op++) {
		size_t	 n = (size_t)test_range(rng, 0, cap);
		size_t	 canary = n * (g->slot == 0 ? 1 : g->slot);
		int64_t	 rc = 0, got = 0;
		volatile unsigned char sink = 0;

		memset(buf + canary, 0xee, 64);
		switch (test_rand(rng) % 4) {
		case 0:
			rc = g->slot == 0 ? ion_stream_read(s, buf, n) :
			    ion_ring_dequeue_burst(&r, buf, (unsigned)n);
			HCHECK(rc == -EPROTO || (rc >= 0 && (size_t)rc <= n));
			got = rc;
			break;
		case 1:
			if (g->slot != 0) {
				rc = ion_ring_dequeue_bulk(&r, buf,
				    (unsigned)n);
				HCHECK(rc == -EPROTO || rc == -EAGAIN ||
				    rc == (int64_t)n);
				got = rc;
				break;
			}
			rc = ion_stream_peek(s, iov);
			if (rc == -EPROTO)
				break;
			HCHECK(rc >= 0 && rc <= g->count);
			HCHECK(iov[0].iov_len + iov[1].iov_len == (size_t)rc);
			HCHECK((unsigned char *)iov[0].iov_base >= lo &&
			    (unsigned char *)iov[0].iov_base + iov[0].iov_len <=
			    hi);
			HCHECK(iov[1].iov_base == lo && iov[1].iov_len <=
			    g->count);
			/* Touch every byte we were handed. */
			for (size_t i = 0; i < iov[0].iov_len; i++)
				sink ^= ((unsigned char *)iov[0].iov_base)[i];
			for (size_t i = 0; i < iov[1].iov_len; i++)
				sink ^= ((unsigned char *)iov[1].iov_base)[i];
			if (n > (size_t)rc)
				n = (size_t)rc;
			HCHECK(ion_stream_consume(s, n) == 0);
			got = (int64_t)n;
			break;
		case 2:
			rc = gcount(g, &r);
			HCHECK(rc == -EPROTO || (rc >= 0 && rc <= g->count));
			break;
		case 3:
			if (g->slot == 0) {
				rc = ion_stream_consume(s, n);
				HCHECK(rc == -EPROTO || rc == 0 ||
				    rc == -EINVAL);
				got = rc == 0 ? (int64_t)n : 0;
			} else {
				rc = ion_ring_dequeue_burst(&r, buf, 0);
				HCHECK(rc == -EPROTO || rc == 0);
			}
			break;
		}
		/* Nothing written past what the call was allowed. */
		for (size_t i = 0; i < 64; i++)
			HCHECK(buf[canary + i] == 0xee);
		if (rc == -EPROTO)
			broken = true;
		else
			PARTY_CHECK_MSG(p, !broken, "%s: a broken ring "
			    "answered %lld", what, (long long)rc);
		if (got > 0)
			*moved += (uint64_t)got;
		if (broken && consumer_broken(p, what, g, &r) != 0)
			return -1;
	}
	return 0;
}

/* Honest producer: the mirror image, writing every byte it reserves. */
static int
fuzz_producer(struct party *p, struct guarded *g, struct test_rng *rng,
    uint64_t *attaches, uint64_t *moved)
{
	struct ion_ring		 r;
	struct ion_stream	*s = (struct ion_stream *)(void *)&r;
	const char		*what = "fuzzed producer";
	unsigned char		 buf[64 * 256];
	unsigned char		*lo = gshm(g)->slots, *hi = g->ring + g->len;
	struct iovec		 iov[2];
	size_t			 cap = g->slot == 0 ? sizeof(buf) : 64;
	bool			 broken = false;
	unsigned		 spins = 0;

	memset(buf, 0x5a, sizeof(buf));
	while (gattach(g, &r, ION_PRODUCER) != 0)
		test_relax(&spins);
	++*attaches;
	for (unsigned op = 0; op < 64; op++) {
		size_t	n = (size_t)test_range(rng, 0, cap);
		int64_t	rc = 0, put = 0;

		switch (test_rand(rng) % 3) {
		case 0:
			rc = g->slot == 0 ? ion_stream_write(s, buf, n) :
			    ion_ring_enqueue_burst(&r, buf, (unsigned)n);
			HCHECK(rc == -EPROTO || (rc >= 0 && (size_t)rc <= n));
			put = rc;
			break;
		case 1:
			if (g->slot != 0) {
				rc = ion_ring_enqueue_bulk(&r, buf,
				    (unsigned)n);
				HCHECK(rc == -EPROTO || rc == -ENOBUFS ||
				    rc == (int64_t)n);
				put = rc;
				break;
			}
			rc = ion_stream_reserve(s, iov);
			if (rc == -EPROTO)
				break;
			HCHECK(rc >= 0 && rc <= g->count);
			HCHECK(iov[0].iov_len + iov[1].iov_len == (size_t)rc);
			HCHECK((unsigned char *)iov[0].iov_base >= lo &&
			    (unsigned char *)iov[0].iov_base + iov[0].iov_len <=
			    hi);
			HCHECK(iov[1].iov_base == lo && iov[1].iov_len <=
			    g->count);
			/* Fill every byte we were handed. */
			memset(iov[0].iov_base, 0x77, iov[0].iov_len);
			memset(iov[1].iov_base, 0x77, iov[1].iov_len);
			if (n > (size_t)rc)
				n = (size_t)rc;
			HCHECK(ion_stream_commit(s, n) == 0);
			put = (int64_t)n;
			break;
		case 2:
			rc = gspace(g, &r);
			HCHECK(rc == -EPROTO || (rc >= 0 && rc <= g->count));
			break;
		}
		if (rc == -EPROTO)
			broken = true;
		else
			PARTY_CHECK_MSG(p, !broken, "%s: a broken ring "
			    "answered %lld", what, (long long)rc);
		if (put > 0)
			*moved += (uint64_t)put;
		if (broken && producer_broken(p, what, g, &r) != 0)
			return -1;
	}
	return 0;
}

/* Honest child: attach, work until broken, attach again, FUZZ_OPS times. */
static int
fuzz_honest(struct party *p, void *arg)
{
	struct fuzz	*f = arg;
	struct test_rng	 rng;
	uint64_t	 attaches = 0, moved = 0, t0;
	unsigned	 spins = 0;
	int		 rc;

	test_rng_seed(&rng, 7 + (uint64_t)f->honest);
	/* Start once the liar is at it. */
	while (atomic_load(f->g.lies) == 0)
		test_relax(&spins);
	t0 = test_now_ns();
	for (unsigned k = 0; k < FUZZ_OPS / 64 ||
	    test_now_ns() - t0 < FUZZ_NS; k++) {
		if (f->honest == ION_CONSUMER)
			rc = fuzz_consumer(p, &f->g, &rng, &attaches, &moved);
		else
			rc = fuzz_producer(p, &f->g, &rng, &attaches, &moved);
		if (rc != 0)
			return rc;
	}
	p->rep.val[0] = attaches;
	p->rep.val[1] = moved;
	return 0;
}

/*
 * Two processes over a guarded ring: one lies continuously, the other
 * works honestly and must never fault, never see an answer out of range
 * and never get an answer from a ring it found broken.
 */
static void
fuzz(int geom, int honest)
{
	struct fuzz	f;
	struct party	liar, worker;

	guarded_create(&f.g, geoms[geom].count, geoms[geom].slot);
	f.honest = honest;
	party_start(&liar, PARTY_FORK, fuzz_liar, &f);
	party_start(&worker, PARTY_FORK, fuzz_honest, &f);
	party_join(&worker);
	atomic_store(f.g.stop, 1);
	party_join(&liar);
	fprintf(stderr, "hostile fuzz %s %u x %u: %llu attaches, %llu moved, "
	    "%llu lies\n", honest == ION_CONSUMER ? "consumer" : "producer",
	    geoms[geom].count, geoms[geom].slot,
	    (unsigned long long)worker.rep.val[0],
	    (unsigned long long)worker.rep.val[1],
	    (unsigned long long)liar.rep.val[0]);
	/* The lies did get through, and so did honest work. */
	ck_assert_uint_gt(worker.rep.val[0], 10);
	ck_assert_uint_gt(worker.rep.val[1], 0);
	ck_assert_uint_gt(liar.rep.val[0], 1000);
	guarded_destroy(&f.g);
}

START_TEST(test_hostile_fuzz_consumer)
{
	fuzz(_i, ION_CONSUMER);
}
END_TEST

START_TEST(test_hostile_fuzz_producer)
{
	fuzz(_i, ION_PRODUCER);
}
END_TEST

/* Child: garbage in every slot is only data; bounds hold. */
static int
slots_child(struct party *p, void *arg)
{
	struct guarded		 g;
	struct ion_ring		 c;
	struct ion_ring_shm	*shm;
	unsigned char		 buf[64 * 16];
	const char		*what = "garbage slots";
	struct test_rng		 rng;

	(void)arg;
	test_rng_seed(&rng, 5);
	guarded_create(&g, 64, 16);
	shm = gshm(&g);
	for (size_t i = 0; i < 64 * 16; i++)
		shm->slots[i] = (unsigned char)test_rand(&rng);
	/* A full ring of garbage, its window straddling the end. */
	atomic_store(&shm->cons, 40);
	atomic_store(&shm->prod, 40 + 64);
	HCHECK(gattach(&g, &c, ION_CONSUMER) == 0);
	HCHECK(ion_ring_dequeue_burst(&c, buf, 64) == 64);
	HCHECK(memcmp(buf, shm->slots + 40 * 16, 24 * 16) == 0);
	HCHECK(memcmp(buf + 24 * 16, shm->slots, 40 * 16) == 0);
	HCHECK(ion_ring_count(&c) == 0);
	guarded_destroy(&g);
	return 0;
}

START_TEST(test_hostile_slots)
{
	struct party child;

	party_start(&child, PARTY_FORK, slots_child, NULL);
	party_join(&child);
}
END_TEST

/* The hostile suite. */
Suite *
test_hostile_suite(void)
{
	Suite	*s = suite_create("hostile");
	TCase	*tc = tcase_create("hostile");

	tcase_set_timeout(tc, RING_TEST_TSAN ? 120 : 60);
	tcase_add_test(tc, test_hostile_header);
	tcase_add_test(tc, test_hostile_header_late);
	tcase_add_loop_test(tc, test_hostile_prod, 0, NGEOMS);
	tcase_add_loop_test(tc, test_hostile_cons, 0, NGEOMS);
	tcase_add_loop_test(tc, test_hostile_model, 0, NGEOMS);
	tcase_add_test(tc, test_hostile_slots);
	tcase_add_loop_test(tc, test_hostile_fuzz_consumer, 0, NGEOMS);
	tcase_add_loop_test(tc, test_hostile_fuzz_producer, 0, NGEOMS);
	suite_add_tcase(s, tc);
	return s;
}
