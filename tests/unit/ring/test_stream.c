/* test_stream.c: byte-stream rings in one thread: copy and zero-copy paths. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring_test.h"

static const uint32_t stream_sizes[] = { 64, 128, 4096 };
#define NSTREAM_SIZES	(int)(sizeof(stream_sizes) / sizeof(stream_sizes[0]))

/* A formatted stream ring of size bytes, both sides attached. */
static void
stream_pair(struct ion_region *reg, uint32_t size, struct ion_stream *p,
    struct ion_stream *c)
{
	size_t need = ion_stream_memsize(size);

	ck_assert_uint_ne(need, 0);
	ck_assert_int_eq(ion_region_create(reg, "stream", need), 0);
	ck_assert_int_eq(ion_stream_format(reg->base, reg->size, size), 0);
	ck_assert_int_eq(ion_stream_attach(p, reg->base, reg->size,
	    ION_PRODUCER), 0);
	ck_assert_int_eq(ion_stream_attach(c, reg->base, reg->size,
	    ION_CONSUMER), 0);
}

/* Fill buf with the stream's bytes [off, off + n). */
static void
sfill(unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = test_stream_byte(off + i);
}

/* Check buf holds the stream's bytes [off, off + n). */
static void
scheck(const unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		TEST_ASSERT_MSG(buf[i] == test_stream_byte(off + i),
		    "byte at stream offset %llu is %#x, not %#x",
		    (unsigned long long)(off + i), buf[i],
		    test_stream_byte(off + i));
}

/* The ring's byte array, for checking where segments point. */
static unsigned char *
sslots(struct ion_region *reg)
{
	return ((struct ion_ring_shm *)reg->base)->slots;
}

START_TEST(test_stream_empty)
{
	struct ion_region	reg;
	struct ion_stream	p, c;
	struct iovec		iov[2];
	unsigned char		buf[16];

	stream_pair(&reg, 64, &p, &c);
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(ion_stream_read(&c, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ck_assert_int_eq(ion_stream_space(&p), 64);
	memset(iov, 0xff, sizeof(iov));
	ck_assert_int_eq(ion_stream_peek(&c, iov), 0);
	ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 0);
	ck_assert_int_eq(ion_stream_consume(&c, 0), 0);
	ck_assert_int_eq(ion_stream_consume(&c, 1), -EINVAL);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0x5a);
	/* Zero-length calls do nothing and are not errors. */
	ck_assert_int_eq(ion_stream_write(&p, buf, 0), 0);
	ck_assert_int_eq(ion_stream_read(&c, buf, 0), 0);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ion_region_unmap(&reg);
}
END_TEST

/* Odd-sized writes and reads lap the ring many times; bytes stay in order. */
START_TEST(test_stream_wrap)
{
	struct ion_region	 reg;
	struct ion_stream	 p, c;
	uint32_t		 size = stream_sizes[_i];
	unsigned char		*buf;
	uint64_t		 wr = 0, rd = 0;

	buf = malloc(2 * size);
	ck_assert_ptr_nonnull(buf);
	stream_pair(&reg, size, &p, &c);
	for (unsigned round = 0; round < 3000; round++) {
		size_t	nw = 1 + (round * 37 + round / 7) % (size + size / 2);
		size_t	nr = 1 + (round * 29 + 3) % (size + size / 3);
		size_t	queued = (size_t)(wr - rd), room = size - queued;
		ssize_t	rc;

		sfill(buf, wr, nw);
		rc = ion_stream_write(&p, buf, nw);
		ck_assert_int_eq(rc, nw < room ? nw : room);
		wr += (size_t)rc;
		queued = (size_t)(wr - rd);
		ck_assert_int_eq(ion_stream_count(&c), queued);
		memset(buf, 0, nr);
		rc = ion_stream_read(&c, buf, nr);
		ck_assert_int_eq(rc, nr < queued ? nr : queued);
		scheck(buf, rd, (size_t)rc);
		rd += (size_t)rc;
		ck_assert_int_eq(ion_stream_space(&p), size - (wr - rd));
	}
	ck_assert_uint_gt(rd, 100 * (uint64_t)size);
	free(buf);
	ion_region_unmap(&reg);
}
END_TEST

/* Writes that find the ring nearly full store what fits, then nothing. */
START_TEST(test_stream_partial)
{
	struct ion_region	reg;
	struct ion_stream	p, c;
	unsigned char		buf[256];

	stream_pair(&reg, 64, &p, &c);
	sfill(buf, 0, 60);
	ck_assert_int_eq(ion_stream_write(&p, buf, 60), 60);
	ck_assert_int_eq(ion_stream_space(&p), 4);
	sfill(buf, 60, 10);
	ck_assert_int_eq(ion_stream_write(&p, buf, 10), 4);
	ck_assert_int_eq(ion_stream_space(&p), 0);
	sfill(buf, 1000, 10);
	ck_assert_int_eq(ion_stream_write(&p, buf, 1), 0);
	ck_assert_int_eq(ion_stream_write(&p, buf, 10), 0);
	ck_assert_int_eq(ion_stream_count(&c), 64);

	/* Room for 30 after a read: a long write wraps and stops there. */
	ck_assert_int_eq(ion_stream_read(&c, buf, 30), 30);
	scheck(buf, 0, 30);
	sfill(buf, 64, 200);
	ck_assert_int_eq(ion_stream_write(&p, buf, 200), 30);
	ck_assert_int_eq(ion_stream_count(&c), 64);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(ion_stream_read(&c, buf, sizeof(buf)), 64);
	scheck(buf, 30, 64);

	/* A write larger than the ring fills it exactly. */
	sfill(buf, 94, 200);
	ck_assert_int_eq(ion_stream_write(&p, buf, 200), 64);
	ck_assert_int_eq(ion_stream_read(&c, buf, sizeof(buf)), 64);
	scheck(buf, 94, 64);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_stream_reserve_commit)
{
	struct ion_region	 reg;
	struct ion_stream	 p, c;
	struct iovec		 iov[2];
	unsigned char		 buf[64], *slots;

	stream_pair(&reg, 64, &p, &c);
	slots = sslots(&reg);

	/* Empty ring at offset 0: one segment, the whole ring. */
	ck_assert_int_eq(ion_stream_reserve(&p, iov), 64);
	ck_assert_ptr_eq(iov[0].iov_base, slots);
	ck_assert_uint_eq(iov[0].iov_len, 64);
	ck_assert_uint_eq(iov[1].iov_len, 0);
	/* Commit 0 publishes nothing; more than reserved is refused. */
	ck_assert_int_eq(ion_stream_commit(&p, 0), 0);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ck_assert_int_eq(ion_stream_commit(&p, 65), -EINVAL);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	sfill(iov[0].iov_base, 0, 40);
	ck_assert_int_eq(ion_stream_commit(&p, 40), 0);
	ck_assert_int_eq(ion_stream_count(&c), 40);
	/* What is left of the reservation: 24 more, then not one byte. */
	ck_assert_int_eq(ion_stream_commit(&p, 25), -EINVAL);
	ck_assert_int_eq(ion_stream_count(&c), 40);
	ck_assert_int_eq(ion_stream_read(&c, buf, 40), 40);
	scheck(buf, 0, 40);

	/* Free space now wraps: 24 bytes at the end, 40 at the start. */
	ck_assert_int_eq(ion_stream_reserve(&p, iov), 64);
	ck_assert_ptr_eq(iov[0].iov_base, slots + 40);
	ck_assert_uint_eq(iov[0].iov_len, 24);
	ck_assert_ptr_eq(iov[1].iov_base, slots);
	ck_assert_uint_eq(iov[1].iov_len, 40);
	sfill(iov[0].iov_base, 40, 24);
	sfill(iov[1].iov_base, 64, 40);
	ck_assert_int_eq(ion_stream_commit(&p, 50), 0);
	ck_assert_int_eq(ion_stream_commit(&p, 14), 0);
	ck_assert_int_eq(ion_stream_commit(&p, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_count(&c), 64);

	/* Full: an empty reservation; a commit of anything is refused. */
	ck_assert_int_eq(ion_stream_reserve(&p, iov), 0);
	ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 0);
	ck_assert_int_eq(ion_stream_commit(&p, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_commit(&p, 0), 0);
	ck_assert_int_eq(ion_stream_read(&c, buf, 64), 64);
	scheck(buf, 40, 64);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ion_region_unmap(&reg);
}
END_TEST

/* A copying write between reserve and commit voids the reservation. */
START_TEST(test_stream_reserve_then_write)
{
	struct ion_region	reg;
	struct ion_stream	p, c;
	struct iovec		iov[2];
	unsigned char		buf[64];

	stream_pair(&reg, 64, &p, &c);
	ck_assert_int_eq(ion_stream_reserve(&p, iov), 64);
	sfill(buf, 0, 64);
	ck_assert_int_eq(ion_stream_write(&p, buf, 64), 64);
	/*
	 * The reserved bytes now hold the write's data and the ring is
	 * full: publishing them again would overrun the consumer.
	 */
	ck_assert_int_eq(ion_stream_commit(&p, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_commit(&p, 64), -EINVAL);
	ck_assert_int_eq(ion_stream_count(&c), 64);
	ck_assert_int_eq(ion_stream_read(&c, buf, 64), 64);
	scheck(buf, 0, 64);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_stream_peek_consume)
{
	struct ion_region	 reg;
	struct ion_stream	 p, c;
	struct iovec		 iov[2];
	unsigned char		 buf[64], *slots;

	stream_pair(&reg, 64, &p, &c);
	slots = sslots(&reg);
	sfill(buf, 0, 50);
	ck_assert_int_eq(ion_stream_write(&p, buf, 50), 50);
	ck_assert_int_eq(ion_stream_peek(&c, iov), 50);
	ck_assert_ptr_eq(iov[0].iov_base, slots);
	ck_assert_uint_eq(iov[0].iov_len, 50);
	ck_assert_uint_eq(iov[1].iov_len, 0);
	scheck(iov[0].iov_base, 0, 50);
	/* Consume 0 gives nothing back; more than peeked is refused. */
	ck_assert_int_eq(ion_stream_consume(&c, 0), 0);
	ck_assert_int_eq(ion_stream_space(&p), 14);
	ck_assert_int_eq(ion_stream_consume(&c, 51), -EINVAL);
	ck_assert_int_eq(ion_stream_space(&p), 14);
	ck_assert_int_eq(ion_stream_consume(&c, 45), 0);
	ck_assert_int_eq(ion_stream_space(&p), 59);
	ck_assert_int_eq(ion_stream_consume(&c, 6), -EINVAL);

	/* The readable bytes wrap: 19 at the end, 25 at the start. */
	sfill(buf, 50, 39);
	ck_assert_int_eq(ion_stream_write(&p, buf, 39), 39);
	ck_assert_int_eq(ion_stream_peek(&c, iov), 44);
	ck_assert_ptr_eq(iov[0].iov_base, slots + 45);
	ck_assert_uint_eq(iov[0].iov_len, 19);
	ck_assert_ptr_eq(iov[1].iov_base, slots);
	ck_assert_uint_eq(iov[1].iov_len, 25);
	scheck(iov[0].iov_base, 45, 19);
	scheck(iov[1].iov_base, 64, 25);
	ck_assert_int_eq(ion_stream_consume(&c, 20), 0);
	/* Peek again: what is left starts one byte into the second segment. */
	ck_assert_int_eq(ion_stream_peek(&c, iov), 24);
	ck_assert_ptr_eq(iov[0].iov_base, slots + 1);
	ck_assert_uint_eq(iov[0].iov_len, 24);
	ck_assert_uint_eq(iov[1].iov_len, 0);
	scheck(iov[0].iov_base, 65, 24);
	ck_assert_int_eq(ion_stream_consume(&c, 25), -EINVAL);
	ck_assert_int_eq(ion_stream_consume(&c, 24), 0);
	ck_assert_int_eq(ion_stream_count(&c), 0);
	ck_assert_int_eq(ion_stream_space(&p), 64);
	/* read and consume share the position. */
	sfill(buf, 89, 10);
	ck_assert_int_eq(ion_stream_write(&p, buf, 10), 10);
	ck_assert_int_eq(ion_stream_read(&c, buf, 4), 4);
	scheck(buf, 89, 4);
	ck_assert_int_eq(ion_stream_peek(&c, iov), 6);
	scheck(iov[0].iov_base, 93, iov[0].iov_len);
	scheck(iov[1].iov_base, 93 + iov[0].iov_len, iov[1].iov_len);
	ion_region_unmap(&reg);
}
END_TEST

/* Mixed copy and zero-copy paths over many laps, content checked. */
START_TEST(test_stream_mixed)
{
	struct ion_region	 reg;
	struct ion_stream	 p, c;
	struct iovec		 iov[2];
	uint32_t		 size = stream_sizes[_i];
	unsigned char		*buf;
	uint64_t		 wr = 0, rd = 0;
	struct test_rng		 g;

	test_rng_seed(&g, size);
	buf = malloc(2 * size);
	ck_assert_ptr_nonnull(buf);
	stream_pair(&reg, size, &p, &c);
	for (unsigned round = 0; round < 3000; round++) {
		size_t	want = test_range(&g, 1, size + size / 2), n;
		ssize_t	rc;

		if (round % 2 == 0) {
			sfill(buf, wr, want);
			rc = ion_stream_write(&p, buf, want);
			ck_assert_int_ge(rc, 0);
			wr += (size_t)rc;
		} else {
			rc = ion_stream_reserve(&p, iov);
			ck_assert_int_eq(rc, size - (wr - rd));
			n = (size_t)rc < want ? (size_t)rc : want;
			for (size_t i = 0; i < n; i++)
				((unsigned char *)(i < iov[0].iov_len ?
				    iov[0].iov_base : iov[1].iov_base))
				    [i < iov[0].iov_len ? i : i -
				    iov[0].iov_len] = test_stream_byte(wr + i);
			ck_assert_int_eq(ion_stream_commit(&p, n), 0);
			wr += n;
		}
		want = test_range(&g, 1, size + size / 2);
		if (round % 3 == 0) {
			rc = ion_stream_read(&c, buf, want);
			ck_assert_int_ge(rc, 0);
			scheck(buf, rd, (size_t)rc);
			rd += (size_t)rc;
		} else {
			rc = ion_stream_peek(&c, iov);
			ck_assert_int_eq(rc, wr - rd);
			ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len,
			    (size_t)rc);
			n = (size_t)rc < want ? (size_t)rc : want;
			scheck(iov[0].iov_base, rd, n < iov[0].iov_len ? n :
			    iov[0].iov_len);
			if (n > iov[0].iov_len)
				scheck(iov[1].iov_base, rd + iov[0].iov_len,
				    n - iov[0].iov_len);
			ck_assert_int_eq(ion_stream_consume(&c, n), 0);
			rd += n;
		}
		ck_assert_int_eq(ion_stream_count(&c), wr - rd);
		ck_assert_int_eq(ion_stream_space(&p), size - (wr - rd));
	}
	ck_assert_uint_gt(rd, 100 * (uint64_t)size);
	free(buf);
	ion_region_unmap(&reg);
}
END_TEST

/* The 32-bit stream indices cross 2^32 without a hiccup. */
START_TEST(test_stream_index_wrap)
{
	struct ion_region	 reg;
	struct ion_stream	 p, c;
	struct ion_ring_shm	*shm;
	struct iovec		 iov[2];
	unsigned char		 buf[128];
	uint64_t		 wr = 0, rd = 0;

	ck_assert_int_eq(ion_region_create(&reg, "stream",
	    ion_stream_memsize(128)), 0);
	ck_assert_int_eq(ion_stream_format(reg.base, reg.size, 128), 0);
	shm = reg.base;
	atomic_store(&shm->prod, UINT32_MAX - 1000);
	atomic_store(&shm->cons, UINT32_MAX - 1000);
	ck_assert_int_eq(ion_stream_attach(&p, reg.base, reg.size,
	    ION_PRODUCER), 0);
	ck_assert_int_eq(ion_stream_attach(&c, reg.base, reg.size,
	    ION_CONSUMER), 0);
	for (unsigned round = 0; round < 60; round++) {
		size_t	nw = 1 + round * 13 % 97, nr = 1 + round * 11 % 89;
		ssize_t	rc;

		sfill(buf, wr, nw);
		rc = ion_stream_write(&p, buf, nw);
		ck_assert_int_ge(rc, 0);
		wr += (size_t)rc;
		ck_assert_int_eq(ion_stream_count(&c), wr - rd);
		rc = ion_stream_peek(&c, iov);
		ck_assert_int_eq(rc, wr - rd);
		scheck(iov[0].iov_base, rd, iov[0].iov_len);
		scheck(iov[1].iov_base, rd + iov[0].iov_len, iov[1].iov_len);
		if (nr > (size_t)rc)
			nr = (size_t)rc;
		ck_assert_int_eq(ion_stream_consume(&c, nr), 0);
		rd += nr;
		ck_assert_int_eq(ion_stream_space(&p), 128 - (wr - rd));
	}
	ck_assert_uint_gt(rd, 1100);
	ck_assert_uint_eq(atomic_load(&shm->cons),
	    (uint32_t)(UINT32_MAX - 1000 + rd));
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_stream_roles)
{
	struct ion_region	reg;
	struct ion_stream	p, c, zero;
	struct iovec		iov[2];
	unsigned char		buf[16];

	stream_pair(&reg, 64, &p, &c);
	sfill(buf, 0, 16);
	ck_assert_int_eq(ion_stream_write(&p, buf, 16), 16);

	ck_assert_int_eq(ion_stream_read(&p, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_peek(&p, iov), -EINVAL);
	ck_assert_int_eq(ion_stream_consume(&p, 0), -EINVAL);
	ck_assert_int_eq(ion_stream_count(&p), -EINVAL);
	ck_assert_int_eq(ion_stream_write(&c, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_reserve(&c, iov), -EINVAL);
	ck_assert_int_eq(ion_stream_commit(&c, 0), -EINVAL);
	ck_assert_int_eq(ion_stream_space(&c), -EINVAL);
	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(ion_stream_write(&zero, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_stream_read(&zero, buf, 1), -EINVAL);
	/* The ring's descriptor-ring calls refuse a stream's handles too. */
	ck_assert_int_eq(ion_ring_dequeue_burst(&p.r, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_enqueue_burst(&c.r, buf, 1), -EINVAL);

	ck_assert_int_eq(ion_stream_count(&c), 16);
	ck_assert_int_eq(ion_stream_space(&p), 48);
	ck_assert_int_eq(ion_stream_read(&c, buf, 16), 16);
	scheck(buf, 0, 16);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_stream_geometry)
{
	struct ion_region	 reg;
	struct ion_stream	 s;
	unsigned char		*mem;
	size_t			 need = ion_stream_memsize(1024);
	static const uint32_t	 bad[] = {
		0, 1, 2, 32, ION_STREAM_MIN_SIZE - 1, ION_STREAM_MIN_SIZE + 1,
		1000, 3 << 20, ION_STREAM_MAX_SIZE + 1,
		ION_STREAM_MAX_SIZE * 2u, UINT32_MAX,
	};

	ck_assert_int_eq(ion_region_create(&reg, "stream", 65536), 0);
	mem = reg.base;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ion_stream_memsize(bad[i]) == 0,
		    "memsize accepts %u", bad[i]);
		ck_assert_msg(ion_stream_format(mem, reg.size, bad[i]) ==
		    -EINVAL, "format accepts %u", bad[i]);
	}
	ck_assert_uint_eq(ion_stream_memsize(ION_STREAM_MIN_SIZE),
	    sizeof(struct ion_ring_shm) + ION_STREAM_MIN_SIZE);
	ck_assert_uint_eq(ion_stream_memsize(ION_STREAM_MAX_SIZE),
	    sizeof(struct ion_ring_shm) + ION_STREAM_MAX_SIZE);
	ck_assert_int_eq(ion_stream_format(NULL, need, 1024), -EINVAL);
	ck_assert_int_eq(ion_stream_format(mem + 32, need, 1024), -EINVAL);
	ck_assert_int_eq(ion_stream_format(mem, need - 1, 1024), -EINVAL);

	ck_assert_int_eq(ion_stream_attach(&s, mem, need, ION_CONSUMER),
	    -EPROTO);
	ck_assert_int_eq(ion_stream_format(mem, need, 1024), 0);
	ck_assert_int_eq(ion_stream_attach(&s, NULL, need, ION_CONSUMER),
	    -EINVAL);
	ck_assert_int_eq(ion_stream_attach(&s, mem + 64, need, ION_CONSUMER),
	    -EINVAL);
	ck_assert_int_eq(ion_stream_attach(&s, mem, need, 0), -EINVAL);
	ck_assert_int_eq(ion_stream_attach(&s, mem, need - 1, ION_PRODUCER),
	    -EPROTO);
	ck_assert_int_eq(ion_stream_attach(&s, mem, need, ION_PRODUCER), 0);
	ck_assert_int_eq(ion_stream_attach(&s, mem, need, ION_CONSUMER), 0);
	/* A descriptor ring of 4-byte slots is not a stream. */
	ck_assert_int_eq(ion_ring_format(mem, need, 256, 4), 0);
	ck_assert_int_eq(ion_stream_attach(&s, mem, need, ION_CONSUMER),
	    -EPROTO);
	ion_region_unmap(&reg);
}
END_TEST

/* The stream suite. */
Suite *
test_stream_suite(void)
{
	Suite	*s = suite_create("stream");
	TCase	*tc = tcase_create("stream");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_empty);
	tcase_add_loop_test(tc, test_stream_wrap, 0, NSTREAM_SIZES);
	tcase_add_test(tc, test_stream_partial);
	tcase_add_test(tc, test_stream_reserve_commit);
	tcase_add_test(tc, test_stream_reserve_then_write);
	tcase_add_test(tc, test_stream_peek_consume);
	tcase_add_loop_test(tc, test_stream_mixed, 0, NSTREAM_SIZES);
	tcase_add_test(tc, test_stream_index_wrap);
	tcase_add_test(tc, test_stream_roles);
	tcase_add_test(tc, test_stream_geometry);
	suite_add_tcase(s, tc);
	return s;
}
