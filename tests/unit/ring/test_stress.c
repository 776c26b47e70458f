/*
 * test_stress.c: two parties over one region, flat out: 10^8 descriptors
 * through a descriptor ring and 10 GiB through a stream ring, every item
 * and byte checked where it lands and a checksum compared at the end.
 *
 * The second party is a forked child; under TSan, which cannot see into
 * another process, a thread (party_start_peer).  Both run the same code.
 * Either side that finds its ring full or empty waits on a doorbell.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ring_test.h"

#define STRESS_DESCS		100000000ull
#if RING_TEST_TSAN
/*
 * Under TSan every memcpy into and out of the stream ring is checked range
 * by range, which makes the stream 25-100 times slower (13-25 s a GiB
 * on the 2-core test machine): 10 GiB alone would take 2-4 minutes and
 * push ring_tsan towards its time budget.  The ring runs the same paths at
 * any size, so TSan sees every synchronisation pattern with 4 GiB; the
 * plain build moves the full 10.  The descriptor ring keeps its full count.
 */
#define STRESS_BYTES_TSAN	(4ull << 30)
#define STRESS_BYTES		STRESS_BYTES_TSAN
#else
#define STRESS_BYTES		(10ull << 30)
#endif

#define DESC_SLOTS		1024u
#define DESC_MAX_BATCH		64u
#define STREAM_SIZE		(256u * 1024)
#define STREAM_MAX_CHUNK	(64u * 1024)

/* One descriptor: its sequence number and a word derived from it. */
struct desc {
	uint64_t	seq;
	uint64_t	check;
};

/* What the two parties share: the channel, how much to move, the seed. */
struct stress {
	struct chan	c;
	uint64_t	total;		/* descriptors or bytes */
	uint64_t	seed;
};

/* The check word of descriptor seq. */
static inline uint64_t
desc_check(uint64_t seed, uint64_t seq)
{
	return test_mix(seq ^ seed);
}

/* Fold one descriptor into a running checksum (FNV-1a over words). */
static inline uint64_t
desc_sum(uint64_t cs, const struct desc *d)
{
	cs = (cs ^ d->seq) * 0x100000001b3ull;
	return (cs ^ d->check) * 0x100000001b3ull;
}

/* ion_bell_wait readiness: at least need slots or bytes waiting/free. */
struct need {
	void		*ring;
	int64_t		(*level)(void *);
	int64_t		 need;
};

/* Items waiting in a descriptor ring. */
static int64_t
level_count(void *r)
{
	return ion_ring_count(r);
}

/* Free slots in a descriptor ring. */
static int64_t
level_space(void *r)
{
	return ion_ring_space(r);
}

/* Bytes waiting in a stream. */
static int64_t
level_stream_count(void *s)
{
	return ion_stream_count(s);
}

/* Room in a stream. */
static int64_t
level_stream_space(void *s)
{
	return ion_stream_space(s);
}

/* Readiness: the level has reached what is needed. */
static int
need_ready(void *arg)
{
	struct need	*n = arg;
	int64_t		 v = n->level(n->ring);

	if (v < 0)
		return (int)v;
	return v >= n->need;
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */

/* Consumer party: take every descriptor, check each, sum them all. */
static int
desc_consumer(struct party *p, void *arg)
{
	struct stress	*st = arg;
	struct chan_end	 e;
	struct desc	 buf[DESC_MAX_BATCH];
	struct test_rng	 g;
	struct need	 w;
	uint64_t	 got = 0, cs = 0xcbf29ce484222325ull, waits = 0;
	unsigned	 n = 0;
	bool		 bulk = false;
	int		 rc;

	PARTY_CHECK(p, chan_attach(&st->c, &e, ION_CONSUMER, false,
	    ION_BELL_SPIN_NS_DEFAULT) == 0);
	test_rng_seed(&g, st->seed + 1);
	w.ring = &e.ring;
	w.level = level_count;
	while (got < st->total) {
		if (n == 0) {
			uint64_t r = test_rand(&g);

			n = 1 + (unsigned)(r % DESC_MAX_BATCH);
			if (n > st->total - got)
				n = (unsigned)(st->total - got);
			bulk = (r >> 32) % 4 == 0;
		}
		rc = bulk ? ion_ring_dequeue_bulk(&e.ring, buf, n) :
		    ion_ring_dequeue_burst(&e.ring, buf, n);
		if (rc == 0 || rc == -EAGAIN) {
			w.need = bulk ? n : 1;
			rc = ion_bell_wait(&e.data, need_ready, &w,
			    TEST_WAIT_MS);
			PARTY_CHECK_MSG(p, rc == 1, "consumer wait at %llu: %d",
			    (unsigned long long)got, rc);
			waits++;
			continue;
		}
		PARTY_CHECK_MSG(p, rc > 0 && (unsigned)rc <= n,
		    "dequeue of %u: %d", n, rc);
		for (int i = 0; i < rc; i++) {
			uint64_t seq = got + (uint64_t)i;

			if (buf[i].seq != seq || buf[i].check !=
			    desc_check(st->seed, seq))
				return party_fail(p, __FILE__, __LINE__,
				    "descriptor %llu reads seq %llu check "
				    "%#llx", (unsigned long long)seq,
				    (unsigned long long)buf[i].seq,
				    (unsigned long long)buf[i].check);
			cs = desc_sum(cs, &buf[i]);
		}
		got += (uint64_t)rc;
		n = 0;
		PARTY_CHECK(p, ion_bell_ring(&e.space) >= 0);
	}
	PARTY_CHECK(p, ion_ring_count(&e.ring) == 0);
	p->rep.val[0] = got;
	p->rep.val[1] = cs;
	p->rep.val[2] = waits;
	return 0;
}

START_TEST(test_stress_desc)
{
	struct stress	 st;
	struct chan_end	 e;
	struct party	 peer;
	struct desc	 buf[DESC_MAX_BATCH];
	struct test_rng	 g;
	struct need	 w;
	uint64_t	 sent = 0, cs = 0xcbf29ce484222325ull, waits = 0, t0;
	unsigned	 n = 0, off = 0;
	bool		 bulk = false;
	double		 secs;
	int		 rc;

	st.total = STRESS_DESCS;
	st.seed = 0x5eed;
	chan_create(&st.c, DESC_SLOTS, sizeof(struct desc));
	ck_assert_int_eq(chan_attach(&st.c, &e, ION_PRODUCER, false,
	    ION_BELL_SPIN_NS_DEFAULT), 0);
	test_rng_seed(&g, st.seed);
	w.ring = &e.ring;
	w.level = level_space;
	t0 = test_now_ns();
	party_start_peer(&peer, desc_consumer, &st);
	while (sent < st.total) {
		if (n == 0) {
			uint64_t r = test_rand(&g);

			n = 1 + (unsigned)(r % DESC_MAX_BATCH);
			if (n > st.total - sent)
				n = (unsigned)(st.total - sent);
			bulk = (r >> 32) % 2 == 0;
			for (unsigned i = 0; i < n; i++) {
				buf[i].seq = sent + i;
				buf[i].check = desc_check(st.seed, sent + i);
				cs = desc_sum(cs, &buf[i]);
			}
			off = 0;
		}
		rc = bulk ? ion_ring_enqueue_bulk(&e.ring, buf + off, n) :
		    ion_ring_enqueue_burst(&e.ring, buf + off, n);
		if (rc == 0 || rc == -ENOBUFS) {
			w.need = bulk ? n : 1;
			rc = ion_bell_wait(&e.space, need_ready, &w,
			    TEST_WAIT_MS);
			PEER_ASSERT_MSG(&peer, rc == 1,
			    "producer wait at %llu: %d",
			    (unsigned long long)sent, rc);
			waits++;
			continue;
		}
		PEER_ASSERT_MSG(&peer, rc > 0 && (unsigned)rc <= n,
		    "enqueue of %u: %d", n, rc);
		sent += (unsigned)rc;
		off += (unsigned)rc;
		n -= (unsigned)rc;
		PEER_ASSERT(&peer, ion_bell_ring(&e.data) >= 0);
	}
	party_join(&peer);
	secs = (double)(test_now_ns() - t0) / 1e9;
	fprintf(stderr, "stress descriptors: %llu in %.1f s (%.1f M/s), "
	    "waits %llu + %llu\n", (unsigned long long)sent, secs,
	    (double)sent / secs / 1e6, (unsigned long long)waits,
	    (unsigned long long)peer.rep.val[2]);
	ck_assert_uint_eq(sent, STRESS_DESCS);
	ck_assert_uint_eq(peer.rep.val[0], STRESS_DESCS);
	ck_assert_msg(peer.rep.val[1] == cs, "checksum: sent %#llx, "
	    "received %#llx", (unsigned long long)cs,
	    (unsigned long long)peer.rep.val[1]);
	chan_destroy(&st.c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Byte stream                                                         */

/*
 * An 8-byte word at any address.  Loads and stores through it are single
 * moves; memcpy would do the same in the plain build, but under TSan it
 * becomes a range check per word, ten times the cost of the whole test.
 */
typedef uint64_t stress_word __attribute__((aligned(1), may_alias));

/*
 * The running checksum of a stream is the sum, mod 2^64, of word i times
 * (2i + 1) over its aligned 8-byte words: a byte b at offset o adds
 * (b << 8(o % 8)) * (2(o / 8) + 1), so any split into chunks gives the same
 * sum and a byte in the wrong place changes it.
 */
static inline uint64_t
stream_weight(uint64_t off)
{
	return 2 * (off >> 3) + 1;
}

/* Write the stream's bytes [off, off + len) to p; add them to *cs. */
static void
stream_gen(unsigned char *p, uint64_t off, size_t len, uint64_t *cs)
{
	uint64_t sum = *cs, w;

	for (; len > 0 && (off & 7) != 0; len--, off++, p++) {
		*p = test_stream_byte(off);
		sum += ((uint64_t)*p << (8 * (off & 7))) * stream_weight(off);
	}
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		w = test_stream_word(off >> 3);
		*(stress_word *)(void *)p = w;
		sum += w * stream_weight(off);
	}
	for (; len > 0; len--, off++, p++) {
		*p = test_stream_byte(off);
		sum += ((uint64_t)*p << (8 * (off & 7))) * stream_weight(off);
	}
	*cs = sum;
}

/*
 * Check the bytes at p against the stream's [off, off + len) and add them
 * to *cs.  Returns the offset of the first wrong byte, or UINT64_MAX.
 */
static uint64_t
stream_verify(const unsigned char *p, uint64_t off, size_t len, uint64_t *cs)
{
	uint64_t sum = *cs, w;

	for (; len > 0 && (off & 7) != 0; len--, off++, p++) {
		if (*p != test_stream_byte(off))
			return off;
		sum += ((uint64_t)*p << (8 * (off & 7))) * stream_weight(off);
	}
	for (; len >= 8; len -= 8, off += 8, p += 8) {
		w = *(const stress_word *)(const void *)p;
		if (w != test_stream_word(off >> 3)) {
			for (unsigned k = 0;; k++)
				if (p[k] != test_stream_byte(off + k))
					return off + k;
		}
		sum += w * stream_weight(off);
	}
	for (; len > 0; len--, off++, p++) {
		if (*p != test_stream_byte(off))
			return off;
		sum += ((uint64_t)*p << (8 * (off & 7))) * stream_weight(off);
	}
	*cs = sum;
	return UINT64_MAX;
}

/* Consumer party: read or peek/consume in random chunks, checking all. */
static int
stream_consumer(struct party *p, void *arg)
{
	static unsigned char	 buf[STREAM_MAX_CHUNK];
	struct stress		*st = arg;
	struct chan_end		 e;
	struct test_rng		 g;
	struct iovec		 iov[2];
	struct need		 w;
	uint64_t		 off = 0, cs = 0, bad, waits = 0, peeks = 0;
	ssize_t			 rc;

	PARTY_CHECK(p, chan_attach(&st->c, &e, ION_CONSUMER, true,
	    ION_BELL_SPIN_NS_DEFAULT) == 0);
	test_rng_seed(&g, st->seed + 1);
	w.ring = &e.stream;
	w.level = level_stream_count;
	w.need = 1;
	while (off < st->total) {
		uint64_t r = test_rand(&g);
		size_t	 want = 1 + (size_t)(r % STREAM_MAX_CHUNK), n;

		if ((r >> 32) % 2 == 0) {
			rc = ion_stream_read(&e.stream, buf, want);
			PARTY_CHECK_MSG(p, rc >= 0, "read: %zd", rc);
			n = (size_t)rc;
			bad = stream_verify(buf, off, n, &cs);
		} else {
			rc = ion_stream_peek(&e.stream, iov);
			PARTY_CHECK_MSG(p, rc >= 0, "peek: %zd", rc);
			n = (size_t)rc < want ? (size_t)rc : want;
			if (n <= iov[0].iov_len)
				bad = stream_verify(iov[0].iov_base, off, n,
				    &cs);
			else if ((bad = stream_verify(iov[0].iov_base, off,
			    iov[0].iov_len, &cs)) == UINT64_MAX)
				bad = stream_verify(iov[1].iov_base,
				    off + iov[0].iov_len, n - iov[0].iov_len,
				    &cs);
			if (bad == UINT64_MAX && n > 0) {
				PARTY_CHECK(p, ion_stream_consume(&e.stream, n)
				    == 0);
				peeks++;
			}
		}
		PARTY_CHECK_MSG(p, bad == UINT64_MAX, "stream byte %llu is "
		    "wrong", (unsigned long long)bad);
		if (n == 0) {
			rc = ion_bell_wait(&e.data, need_ready, &w,
			    TEST_WAIT_MS);
			PARTY_CHECK_MSG(p, rc == 1,
			    "consumer wait at %llu: %zd",
			    (unsigned long long)off, rc);
			waits++;
			continue;
		}
		off += n;
		PARTY_CHECK(p, ion_bell_ring(&e.space) >= 0);
	}
	PARTY_CHECK(p, ion_stream_count(&e.stream) == 0);
	p->rep.val[0] = off;
	p->rep.val[1] = cs;
	p->rep.val[2] = waits;
	p->rep.val[3] = peeks;
	return 0;
}

START_TEST(test_stress_stream)
{
	static unsigned char	 buf[STREAM_MAX_CHUNK];
	struct stress		 st;
	struct chan_end		 e;
	struct party		 peer;
	struct test_rng		 g;
	struct iovec		 iov[2];
	struct need		 w;
	uint64_t		 off = 0, cs = 0, waits = 0, commits = 0, t0;
	ssize_t			 rc;
	double			 secs;

	st.total = STRESS_BYTES;
	st.seed = 0xb17e;
	chan_create(&st.c, STREAM_SIZE, 0);
	ck_assert_int_eq(chan_attach(&st.c, &e, ION_PRODUCER, true,
	    ION_BELL_SPIN_NS_DEFAULT), 0);
	test_rng_seed(&g, st.seed);
	w.ring = &e.stream;
	w.level = level_stream_space;
	w.need = 1;
	t0 = test_now_ns();
	party_start_peer(&peer, stream_consumer, &st);
	while (off < st.total) {
		uint64_t r = test_rand(&g);
		size_t	 want = 1 + (size_t)(r % STREAM_MAX_CHUNK), done = 0;

		if (want > st.total - off)
			want = (size_t)(st.total - off);
		if ((r >> 32) % 2 == 0) {
			/* Copying: the whole chunk, in pieces if full. */
			stream_gen(buf, off, want, &cs);
			while (done < want) {
				rc = ion_stream_write(&e.stream, buf + done,
				    want - done);
				PEER_ASSERT_MSG(&peer, rc >= 0, "write: %zd",
				    rc);
				if (rc == 0) {
					rc = ion_bell_wait(&e.space, need_ready,
					    &w, TEST_WAIT_MS);
					PEER_ASSERT_MSG(&peer, rc == 1,
					    "producer wait at %llu: %zd",
					    (unsigned long long)off, rc);
					waits++;
					continue;
				}
				done += (size_t)rc;
				PEER_ASSERT(&peer, ion_bell_ring(&e.data) >= 0);
			}
			off += want;
			continue;
		}
		/* Zero-copy: fill what the reservation offers, up to want. */
		rc = ion_stream_reserve(&e.stream, iov);
		PEER_ASSERT_MSG(&peer, rc >= 0, "reserve: %zd", rc);
		if (rc == 0) {
			rc = ion_bell_wait(&e.space, need_ready, &w,
			    TEST_WAIT_MS);
			PEER_ASSERT_MSG(&peer, rc == 1,
			    "producer wait at %llu: %zd",
			    (unsigned long long)off, rc);
			waits++;
			continue;
		}
		if ((size_t)rc < want)
			want = (size_t)rc;
		if (want <= iov[0].iov_len)
			stream_gen(iov[0].iov_base, off, want, &cs);
		else {
			stream_gen(iov[0].iov_base, off, iov[0].iov_len, &cs);
			stream_gen(iov[1].iov_base, off + iov[0].iov_len,
			    want - iov[0].iov_len, &cs);
		}
		PEER_ASSERT(&peer, ion_stream_commit(&e.stream, want) == 0);
		commits++;
		off += want;
		PEER_ASSERT(&peer, ion_bell_ring(&e.data) >= 0);
	}
	party_join(&peer);
	secs = (double)(test_now_ns() - t0) / 1e9;
	fprintf(stderr, "stress stream: %llu bytes in %.1f s (%.2f GB/s), "
	    "%llu commits, %llu consumes, waits %llu + %llu\n",
	    (unsigned long long)off, secs, (double)off / secs / 1e9,
	    (unsigned long long)commits, (unsigned long long)peer.rep.val[3],
	    (unsigned long long)waits, (unsigned long long)peer.rep.val[2]);
	ck_assert_uint_eq(off, STRESS_BYTES);
	ck_assert_uint_eq(peer.rep.val[0], STRESS_BYTES);
	ck_assert_msg(peer.rep.val[1] == cs, "checksum: sent %#llx, "
	    "received %#llx", (unsigned long long)cs,
	    (unsigned long long)peer.rep.val[1]);
	/* Both paths were taken, many times. */
	ck_assert_uint_gt(commits, 1000);
	ck_assert_uint_gt(peer.rep.val[3], 1000);
	chan_destroy(&st.c);
}
END_TEST

/* The stress suite. */
Suite *
test_stress_suite(void)
{
	Suite	*s = suite_create("stress");
	TCase	*tc = tcase_create("stress");

	tcase_set_timeout(tc, RING_TEST_TSAN ? 300 : 120);
	tcase_add_test(tc, test_stress_desc);
	tcase_add_test(tc, test_stress_stream);
	suite_add_tcase(s, tc);
	return s;
}
