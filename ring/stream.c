/* stream.c: byte-stream rings, copying and zero-copy. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ion.h"
#include "ring_pvt.h"

size_t
ion_stream_memsize(uint32_t size)
{
	return ring_memsize(ION_STREAM_MAGIC, size, 1);
}

int
ion_stream_format(void *mem, size_t len, uint32_t size)
{
	return ring_format(mem, len, ION_STREAM_MAGIC, size, 1);
}

int
ion_stream_attach(struct ion_stream *s, void *mem, size_t len,
    enum ion_role role)
{
	return ring_attach(&s->r, mem, len, ION_STREAM_MAGIC, role);
}

/* Check the handle may act as role; 0 or -errno. */
static int
stream_check(const struct ion_stream *s, enum ion_role role)
{
	if (s->r.broken)
		return -EPROTO;
	if (s->r.role != role)
		return -EINVAL;
	return 0;
}

/* Describe n bytes at index idx as up to two segments. */
static void
stream_segments(struct ion_ring *r, uint32_t idx, uint32_t n,
    struct iovec iov[2])
{
	uint32_t pos = idx & r->mask;
	uint32_t first = r->count - pos < n ? r->count - pos : n;

	iov[0].iov_base = r->slots + pos;
	iov[0].iov_len = first;
	iov[1].iov_base = r->slots;
	iov[1].iov_len = n - first;
}

/* Publish n more bytes; P1 as in ion__ring_enqueue. */
static void
stream_publish(struct ion_ring *r, uint32_t n)
{
	r->head += n;
	/* P1: release orders the bytes written before the index; pairs with C1. */
	atomic_store_explicit(&r->shm->prod, r->head, memory_order_release);
}

/* Release n bytes; C2 as in ion__ring_dequeue. */
static void
stream_release(struct ion_ring *r, uint32_t n)
{
	r->head += n;
	/* C2: release orders our reads before the index; pairs with A1. */
	atomic_store_explicit(&r->shm->cons, r->head, memory_order_release);
}

ssize_t
ion_stream_write(struct ion_stream *s, const void *buf, size_t len)
{
	struct ion_ring	*r = &s->r;
	int64_t		 space;
	uint32_t	 n;
	int		 err;

	if ((err = stream_check(s, ION_PRODUCER)) != 0)
		return err;
	if (len == 0)
		return 0;
	space = ion__ring_free(r, len > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)len);
	if (space < 0)
		return space;
	n = (uint64_t)space < len ? (uint32_t)space : (uint32_t)len;
	if (n == 0)
		return 0;
	ion__ring_copy_in(r, r->head, buf, n);
	/*
	 * The head moves past any reservation: its bytes now hold this
	 * write's data, and committing them would publish past the space.
	 */
	r->reserved = 0;
	stream_publish(r, n);
	return n;
}

ssize_t
ion_stream_read(struct ion_stream *s, void *buf, size_t len)
{
	struct ion_ring	*r = &s->r;
	int64_t		 avail;
	uint32_t	 n;
	int		 err;

	if ((err = stream_check(s, ION_CONSUMER)) != 0)
		return err;
	if (len == 0)
		return 0;
	avail = ion__ring_avail(r, len > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)len);
	if (avail < 0)
		return avail;
	n = (uint64_t)avail < len ? (uint32_t)avail : (uint32_t)len;
	if (n == 0)
		return 0;
	ion__ring_copy_out(r, r->head, buf, n);
	stream_release(r, n);
	return n;
}

ssize_t
ion_stream_reserve(struct ion_stream *s, struct iovec iov[2])
{
	struct ion_ring	*r = &s->r;
	int64_t		 space;
	int		 err;

	if ((err = stream_check(s, ION_PRODUCER)) != 0)
		return err;
	space = ion__ring_free(r, UINT32_MAX);
	if (space < 0)
		return space;
	r->reserved = (uint32_t)space;
	stream_segments(r, r->head, (uint32_t)space, iov);
	return space;
}

int
ion_stream_commit(struct ion_stream *s, size_t n)
{
	struct ion_ring	*r = &s->r;
	int		 err;

	if ((err = stream_check(s, ION_PRODUCER)) != 0)
		return err;
	if (n > r->reserved)
		return -EINVAL;
	r->reserved -= (uint32_t)n;
	if (n > 0)
		stream_publish(r, (uint32_t)n);
	return 0;
}

ssize_t
ion_stream_peek(struct ion_stream *s, struct iovec iov[2])
{
	struct ion_ring	*r = &s->r;
	int64_t		 avail;
	int		 err;

	if ((err = stream_check(s, ION_CONSUMER)) != 0)
		return err;
	avail = ion__ring_avail(r, UINT32_MAX);
	if (avail < 0)
		return avail;
	stream_segments(r, r->head, (uint32_t)avail, iov);
	return avail;
}

int
ion_stream_consume(struct ion_stream *s, size_t n)
{
	struct ion_ring	*r = &s->r;
	int		 err;

	if ((err = stream_check(s, ION_CONSUMER)) != 0)
		return err;
	/* Only what was validated as readable may be given back. */
	if (n > (size_t)(r->peer - r->head))
		return -EINVAL;
	if (n > 0)
		stream_release(r, (uint32_t)n);
	return 0;
}

ssize_t
ion_stream_count(struct ion_stream *s)
{
	int err;

	if ((err = stream_check(s, ION_CONSUMER)) != 0)
		return err;
	return ion__ring_avail(&s->r, UINT32_MAX);
}

ssize_t
ion_stream_space(struct ion_stream *s)
{
	int err;

	if ((err = stream_check(s, ION_PRODUCER)) != 0)
		return err;
	return ion__ring_free(&s->r, UINT32_MAX);
}
