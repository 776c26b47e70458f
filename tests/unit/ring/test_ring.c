/* test_ring.c: descriptor rings in one thread: limits, wrap, geometry. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring_test.h"

static const uint32_t slot_sizes[] = { 4, 8, 16, 64, 256 };
#define NSLOT_SIZES	(int)(sizeof(slot_sizes) / sizeof(slot_sizes[0]))

/* A formatted ring of count slots in a fresh region, both sides attached. */
static void
ring_pair(struct ion_region *reg, uint32_t count, uint32_t slot,
    struct ion_ring *p, struct ion_ring *c)
{
	size_t need = ion_ring_memsize(count, slot);

	ck_assert_uint_ne(need, 0);
	ck_assert_int_eq(ion_region_create(reg, "ring", need), 0);
	ck_assert_int_eq(ion_ring_format(reg->base, reg->size, count, slot), 0);
	ck_assert_int_eq(ion_ring_attach(p, reg->base, reg->size,
	    ION_PRODUCER), 0);
	ck_assert_int_eq(ion_ring_attach(c, reg->base, reg->size,
	    ION_CONSUMER), 0);
}

/* Fill n slots with the items seq, seq + 1, ... */
static void
fill(unsigned char *buf, uint32_t slot, uint64_t seq, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		test_slot_fill(buf + (size_t)i * slot, slot, seq + i);
}

/* Check n slots hold the items seq, seq + 1, ... */
static void
check(const unsigned char *buf, uint32_t slot, uint64_t seq, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		TEST_ASSERT_MSG(test_slot_ok(buf + (size_t)i * slot, slot,
		    seq + i),
		    "slot %u (item %llu) of %u-byte slots is damaged", i,
		    (unsigned long long)(seq + i), slot);
}

START_TEST(test_ring_empty)
{
	struct ion_region	reg;
	struct ion_ring		p, c;
	unsigned char		buf[64];

	ring_pair(&reg, 8, 8, &p, &c);
	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 1), 0);
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 8), 0);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 1), -EAGAIN);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 8), -EAGAIN);
	ck_assert_int_eq(ion_ring_count(&c), 0);
	ck_assert_int_eq(ion_ring_space(&p), 8);
	/* Nothing was written to the caller's buffer. */
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xa5);
	/* Still empty after one item has come and gone. */
	fill(buf, 8, 7, 1);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 1), 1);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 1), 1);
	check(buf, 8, 7, 1);
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 1), 0);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 1), -EAGAIN);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_ring_full)
{
	struct ion_region	reg;
	struct ion_ring		p, c;
	unsigned char		buf[16 * 16];

	ring_pair(&reg, 8, 16, &p, &c);
	fill(buf, 16, 0, 8);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 8), 8);
	ck_assert_int_eq(ion_ring_space(&p), 0);
	ck_assert_int_eq(ion_ring_count(&c), 8);

	/* Full: bulk refuses, burst takes nothing; neither touches a slot. */
	fill(buf, 16, 1000, 8);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 1), -ENOBUFS);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 8), -ENOBUFS);
	ck_assert_int_eq(ion_ring_enqueue_burst(&p, buf, 1), 0);
	ck_assert_int_eq(ion_ring_enqueue_burst(&p, buf, 8), 0);
	ck_assert_int_eq(ion_ring_count(&c), 8);

	/* Three slots free: burst of five stores three, bulk of four none. */
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 3), 3);
	check(buf, 16, 0, 3);
	ck_assert_int_eq(ion_ring_space(&p), 3);
	fill(buf, 16, 2000, 4);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 4), -ENOBUFS);
	ck_assert_int_eq(ion_ring_space(&p), 3);
	fill(buf, 16, 8, 5);
	ck_assert_int_eq(ion_ring_enqueue_burst(&p, buf, 5), 3);
	ck_assert_int_eq(ion_ring_space(&p), 0);
	ck_assert_int_eq(ion_ring_count(&c), 8);

	/* Everything comes out in order, nothing from a refused call. */
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 16), 8);
	check(buf, 16, 3, 8);
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 16), 0);
	ck_assert_int_eq(ion_ring_space(&p), 8);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_ring_bulk_burst)
{
	struct ion_region	reg;
	struct ion_ring		p, c;
	unsigned char		buf[32 * 8];

	ring_pair(&reg, 16, 8, &p, &c);
	/* More than the ring holds at all. */
	fill(buf, 8, 0, 17);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 17), -ENOBUFS);
	ck_assert_int_eq(ion_ring_count(&c), 0);
	ck_assert_int_eq(ion_ring_enqueue_burst(&p, buf, 17), 16);
	ck_assert_int_eq(ion_ring_count(&c), 16);

	/* Dequeue: bulk is all-or-nothing, burst takes what is there. */
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 17), -EAGAIN);
	ck_assert_int_eq(ion_ring_count(&c), 16);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 10), 10);
	check(buf, 8, 0, 10);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 7), -EAGAIN);
	ck_assert_int_eq(ion_ring_count(&c), 6);
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 7), 6);
	check(buf, 8, 10, 6);

	/* Ten free after a wrap: bulk 11 refused, bulk 10 taken whole. */
	fill(buf, 8, 16, 6);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 6), 6);
	fill(buf, 8, 22, 11);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 11), -ENOBUFS);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 10), 10);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 16), 16);
	check(buf, 8, 16, 16);
	ion_region_unmap(&reg);
}
END_TEST

/* Many laps with odd batch sizes on both sides, bulk and burst mixed. */
START_TEST(test_ring_wrap)
{
	struct ion_region	 reg;
	struct ion_ring		 p, c;
	uint32_t		 slot = slot_sizes[_i], count = 16;
	unsigned char		*in, *out;
	uint64_t		 sent = 0, got = 0;

	in = malloc((size_t)count * 2 * slot);
	out = malloc((size_t)count * 2 * slot);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ring_pair(&reg, count, slot, &p, &c);
	for (unsigned round = 0; round < 4000; round++) {
		uint32_t ne = 1 + (round * 7) % 23, nd = 1 + (round * 5) % 19;
		uint32_t fits = count - (uint32_t)(sent - got), queued;
		int	 rc;

		fill(in, slot, sent, ne);
		if (round % 3 == 0) {
			rc = ion_ring_enqueue_bulk(&p, in, ne);
			ck_assert_int_eq(rc, ne <= fits ? (int)ne : -ENOBUFS);
		} else {
			rc = ion_ring_enqueue_burst(&p, in, ne);
			ck_assert_int_eq(rc, ne <= fits ? ne : fits);
		}
		if (rc > 0)
			sent += (uint32_t)rc;
		queued = (uint32_t)(sent - got);
		if (round % 4 == 1) {
			rc = ion_ring_dequeue_bulk(&c, out, nd);
			ck_assert_int_eq(rc, nd <= queued ? (int)nd : -EAGAIN);
		} else {
			rc = ion_ring_dequeue_burst(&c, out, nd);
			ck_assert_int_eq(rc, nd <= queued ? nd : queued);
		}
		if (rc > 0) {
			check(out, slot, got, (uint32_t)rc);
			got += (uint32_t)rc;
		}
		ck_assert_int_eq(ion_ring_count(&c), sent - got);
		ck_assert_int_eq(ion_ring_space(&p), count - (sent - got));
	}
	/* Enough laps to have wrapped at every slot position many times. */
	ck_assert_uint_gt(got, 100 * count);
	free(in);
	free(out);
	ion_region_unmap(&reg);
}
END_TEST

/* Every batch size from 1 to count, bulk in and bulk out, off the origin. */
START_TEST(test_ring_batches)
{
	struct ion_region	 reg;
	struct ion_ring		 p, c;
	uint32_t		 slot = slot_sizes[_i], count = 64;
	unsigned char		*buf;
	uint64_t		 seq = 0;

	buf = malloc((size_t)(count + 1) * slot);
	ck_assert_ptr_nonnull(buf);
	ring_pair(&reg, count, slot, &p, &c);
	for (uint32_t lap = 0; lap < 3; lap++) {
		for (uint32_t n = 1; n <= count; n++) {
			fill(buf, slot, seq, n);
			ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, n), n);
			ck_assert_int_eq(ion_ring_count(&c), n);
			ck_assert_int_eq(ion_ring_space(&p), count - n);
			memset(buf, 0, (size_t)n * slot);
			ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, n), n);
			check(buf, slot, seq, n);
			seq += n;
		}
		/* Shift the start so the next lap wraps at other places. */
		fill(buf, slot, seq, lap + 1);
		ck_assert_int_eq(ion_ring_enqueue_burst(&p, buf, lap + 1),
		    lap + 1);
		ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, lap + 1),
		    lap + 1);
		check(buf, slot, seq, lap + 1);
		seq += lap + 1;
	}
	fill(buf, slot, seq, count + 1);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, count + 1), -ENOBUFS);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, count), count);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, count + 1), -EAGAIN);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, count), count);
	check(buf, slot, seq, count);
	free(buf);
	ion_region_unmap(&reg);
}
END_TEST

/* The free-running 32-bit indices cross 2^32 without a hiccup. */
START_TEST(test_ring_index_wrap)
{
	struct ion_region	 reg;
	struct ion_ring		 p, c;
	struct ion_ring_shm	*shm;
	unsigned char		 buf[32 * 16];
	uint64_t		 sent = 0, got = 0;

	ck_assert_int_eq(ion_region_create(&reg, "ring",
	    ion_ring_memsize(32, 16)), 0);
	ck_assert_int_eq(ion_ring_format(reg.base, reg.size, 32, 16), 0);
	shm = reg.base;
	atomic_store(&shm->prod, UINT32_MAX - 100);
	atomic_store(&shm->cons, UINT32_MAX - 100);
	ck_assert_int_eq(ion_ring_attach(&p, reg.base, reg.size,
	    ION_PRODUCER), 0);
	ck_assert_int_eq(ion_ring_attach(&c, reg.base, reg.size,
	    ION_CONSUMER), 0);
	ck_assert_int_eq(ion_ring_space(&p), 32);
	for (unsigned round = 0; round < 100; round++) {
		uint32_t ne = 1 + round % 29, nd = 1 + round % 31, rc;

		fill(buf, 16, sent, ne);
		rc = (uint32_t)ion_ring_enqueue_burst(&p, buf, ne);
		sent += rc;
		ck_assert_int_eq(ion_ring_count(&c), sent - got);
		rc = (uint32_t)ion_ring_dequeue_burst(&c, buf, nd);
		check(buf, 16, got, rc);
		got += rc;
		ck_assert_int_eq(ion_ring_space(&p), 32 - (sent - got));
	}
	/* The shared indices did cross zero. */
	ck_assert_uint_gt(got, 200);
	ck_assert_uint_eq(atomic_load(&shm->cons),
	    (uint32_t)(UINT32_MAX - 100 + got));
	ck_assert_uint_lt(atomic_load(&shm->cons), UINT32_MAX - 100);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_ring_format_geometry)
{
	struct ion_region	 reg;
	unsigned char		*mem;
	size_t			 need;
	static const struct {
		uint32_t count, slot;
	} bad[] = {
		{ 0, 8 }, { 3, 8 }, { 12, 8 }, { 1000, 16 },
		{ ION_RING_MAX_COUNT * 2, 4 }, { 0x80000001u, 4 },
		{ 8, 0 }, { 8, 1 }, { 8, 2 }, { 8, 6 }, { 8, 10 },
		{ 8, ION_RING_MAX_SLOT + 4 }, { 8, 512 }, { 8, UINT32_MAX },
	};

	ck_assert_int_eq(ion_region_create(&reg, "ring", 65536), 0);
	mem = reg.base;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ion_ring_memsize(bad[i].count, bad[i].slot) == 0,
		    "memsize accepts %u x %u", bad[i].count, bad[i].slot);
		ck_assert_msg(ion_ring_format(mem, reg.size, bad[i].count,
		    bad[i].slot) == -EINVAL, "format accepts %u x %u",
		    bad[i].count, bad[i].slot);
	}
	/* The edges that are allowed. */
	ck_assert_uint_eq(ion_ring_memsize(1, 4),
	    sizeof(struct ion_ring_shm) + 4);
	ck_assert_uint_eq(ion_ring_memsize(ION_RING_MAX_COUNT,
	    ION_RING_MAX_SLOT), sizeof(struct ion_ring_shm) +
	    (size_t)ION_RING_MAX_COUNT * ION_RING_MAX_SLOT);
	ck_assert_int_eq(ion_ring_format(mem, reg.size, 1, 4), 0);
	ck_assert_int_eq(ion_ring_format(mem, reg.size, 16, 256), 0);

	/* Memory: missing, misaligned, one byte too short. */
	need = ion_ring_memsize(64, 16);
	ck_assert_int_eq(ion_ring_format(NULL, need, 64, 16), -EINVAL);
	ck_assert_int_eq(ion_ring_format(mem + 64, need, 64, 16), -EINVAL);
	ck_assert_int_eq(ion_ring_format(mem + 8, need, 64, 16), -EINVAL);
	ck_assert_int_eq(ion_ring_format(mem, need - 1, 64, 16), -EINVAL);
	ck_assert_int_eq(ion_ring_format(mem + 128, need, 64, 16), 0);
	ck_assert_int_eq(ion_ring_format(mem, need, 64, 16), 0);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_ring_attach_geometry)
{
	struct ion_region	 reg;
	struct ion_ring		 r;
	unsigned char		*mem, buf[16];
	size_t			 need = ion_ring_memsize(64, 16);

	ck_assert_int_eq(ion_region_create(&reg, "ring", 65536), 0);
	mem = reg.base;
	/* Unformatted (zeroed) memory is not a ring. */
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, ION_CONSUMER), -EPROTO);
	ck_assert_int_eq(ion_ring_format(mem, need, 64, 16), 0);

	/* Bad arguments. */
	ck_assert_int_eq(ion_ring_attach(&r, NULL, need, ION_CONSUMER),
	    -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem, sizeof(struct ion_ring_shm) -
	    1, ION_CONSUMER), -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem, 0, ION_PRODUCER), -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem + 64, need, ION_CONSUMER),
	    -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, 0), -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, 3), -EINVAL);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need,
	    (enum ion_role)(ION_PRODUCER | 0x100)), -EINVAL);
	/* A handle whose attach failed does nothing. */
	ck_assert_int_eq(ion_ring_enqueue_burst(&r, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_dequeue_burst(&r, buf, 1), -EINVAL);

	/* The header promises more than the memory we vouch for. */
	ck_assert_int_eq(ion_ring_attach(&r, mem, need - 1, ION_CONSUMER),
	    -EPROTO);
	ck_assert_int_eq(ion_ring_attach(&r, mem, sizeof(struct ion_ring_shm),
	    ION_PRODUCER), -EPROTO);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, ION_CONSUMER), 0);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, ION_PRODUCER), 0);

	/* A stream ring is not a descriptor ring, nor the other way round. */
	ck_assert_int_eq(ion_stream_format(mem, need, 1024), 0);
	ck_assert_int_eq(ion_ring_attach(&r, mem, need, ION_CONSUMER), -EPROTO);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_ring_roles)
{
	struct ion_region	reg;
	struct ion_ring		p, c, zero;
	unsigned char		buf[8 * 8];

	ring_pair(&reg, 8, 8, &p, &c);
	fill(buf, 8, 0, 4);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 4), 4);

	/* Each side's calls are refused on the other side's handle. */
	ck_assert_int_eq(ion_ring_dequeue_burst(&p, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&p, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_count(&p), -EINVAL);
	ck_assert_int_eq(ion_ring_enqueue_burst(&c, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&c, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_space(&c), -EINVAL);
	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(ion_ring_enqueue_burst(&zero, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_dequeue_burst(&zero, buf, 1), -EINVAL);
	ck_assert_int_eq(ion_ring_count(&zero), -EINVAL);
	ck_assert_int_eq(ion_ring_space(&zero), -EINVAL);

	/* Refused calls moved nothing: the four items are still there. */
	ck_assert_int_eq(ion_ring_count(&c), 4);
	ck_assert_int_eq(ion_ring_space(&p), 4);
	ck_assert_int_eq(ion_ring_dequeue_burst(&c, buf, 8), 4);
	check(buf, 8, 0, 4);
	ion_region_unmap(&reg);
}
END_TEST

/* count and space see the peer's progress, and a re-attached side resumes. */
START_TEST(test_ring_count_space)
{
	struct ion_region	reg;
	struct ion_ring		p, c, p2, c2;
	unsigned char		buf[32 * 4];

	ring_pair(&reg, 32, 4, &p, &c);
	for (uint32_t n = 0; n < 32; n++) {
		ck_assert_int_eq(ion_ring_count(&c), n);
		ck_assert_int_eq(ion_ring_space(&p), 32 - n);
		fill(buf, 4, n, 1);
		ck_assert_int_eq(ion_ring_enqueue_bulk(&p, buf, 1), 1);
	}
	ck_assert_int_eq(ion_ring_count(&c), 32);
	ck_assert_int_eq(ion_ring_space(&p), 0);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c, buf, 5), 5);
	check(buf, 4, 0, 5);
	ck_assert_int_eq(ion_ring_space(&p), 5);
	ck_assert_int_eq(ion_ring_count(&c), 27);

	/* A restarted consumer and producer pick up where the ring stands. */
	ck_assert_int_eq(ion_ring_attach(&c2, reg.base, reg.size,
	    ION_CONSUMER), 0);
	ck_assert_int_eq(ion_ring_attach(&p2, reg.base, reg.size,
	    ION_PRODUCER), 0);
	ck_assert_int_eq(ion_ring_count(&c2), 27);
	ck_assert_int_eq(ion_ring_space(&p2), 5);
	fill(buf, 4, 32, 5);
	ck_assert_int_eq(ion_ring_enqueue_bulk(&p2, buf, 5), 5);
	ck_assert_int_eq(ion_ring_dequeue_bulk(&c2, buf, 32), 32);
	check(buf, 4, 5, 32);
	ck_assert_int_eq(ion_ring_count(&c2), 0);
	ck_assert_int_eq(ion_ring_space(&p2), 32);
	ion_region_unmap(&reg);
}
END_TEST

/* The ring suite. */
Suite *
test_ring_suite(void)
{
	Suite	*s = suite_create("ring");
	TCase	*tc = tcase_create("descriptor");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ring_empty);
	tcase_add_test(tc, test_ring_full);
	tcase_add_test(tc, test_ring_bulk_burst);
	tcase_add_loop_test(tc, test_ring_wrap, 0, NSLOT_SIZES);
	tcase_add_loop_test(tc, test_ring_batches, 0, NSLOT_SIZES);
	tcase_add_test(tc, test_ring_index_wrap);
	tcase_add_test(tc, test_ring_format_geometry);
	tcase_add_test(tc, test_ring_attach_geometry);
	tcase_add_test(tc, test_ring_roles);
	tcase_add_test(tc, test_ring_count_space);
	suite_add_tcase(s, tc);
	return s;
}
