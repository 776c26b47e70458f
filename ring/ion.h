/*
 * ion.h: ION rings, the one transport between Membrane's processes.
 *
 * Everything that crosses a process boundary lives in a shared region (a
 * memfd passed with SCM_RIGHTS) and is addressed by offsets inside it.  On
 * top of a region sit three objects, each a fixed layout in shared memory
 * plus a private handle that each side keeps in its own memory:
 *
 *   descriptor ring   single producer, single consumer, fixed-size slots
 *   stream ring       the same discipline for a byte stream, with in-place
 *                     reserve/commit and peek/consume
 *   doorbell          spin, then sleep on an eventfd; a producer signals
 *                     only a consumer that published "sleeping"
 *
 * Trust: the peer may be hostile.  Geometry (slot count, slot size) is read
 * from shared memory once, at attach, validated and kept privately; the
 * peer's index is read once per refresh and checked against what it may
 * legally be.  A ring found corrupted answers -EPROTO from then on and never
 * touches memory outside its own slots.
 *
 * Errors: every function returns 0 (or a count) on success and a negative
 * errno on failure.  Nothing here prints, exits or allocates on the heap.
 *
 * Who may call what concurrently (per ring; different rings are independent):
 *
 *                     producer side          consumer side
 *   producer side     needs outside lock     free
 *   consumer side     free                   needs outside lock
 *
 * "Producer side" is ion_ring_enqueue_*, ion_stream_write/reserve/commit and
 * ion_bell_ring; "consumer side" is ion_ring_dequeue_*, ion_ring_count,
 * ion_stream_read/peek/consume/count and ion_bell_wait/arm/disarm.  Each
 * side runs in one thread at a time (a handle is not shared by threads
 * without a lock); the two sides may be in different threads or processes.
 */
#ifndef MEMBRANE_ION_H
#define MEMBRANE_ION_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ION_CACHE_LINE	64
/*
 * Shared indices sit 128 bytes apart: the adjacent-line prefetcher of x86
 * cores fetches lines in pairs, which would make two 64-byte-apart indices
 * bounce together.
 */
#define ION_INDEX_ALIGN	128

#define ION_RING_MAGIC		0x494f4e52u	/* "IONR" */
#define ION_STREAM_MAGIC	0x494f4e53u	/* "IONS" */
#define ION_BELL_MAGIC		0x494f4e42u	/* "IONB" */
#define ION_VERSION		1u

#define ION_RING_MAX_COUNT	(1u << 24)	/* slots in a descriptor ring */
#define ION_RING_MAX_SLOT	256u		/* bytes in one slot */
#define ION_STREAM_MIN_SIZE	64u
#define ION_STREAM_MAX_SIZE	(1u << 30)	/* bytes in a stream ring */

/* ------------------------------------------------------------------ */
/* Shared regions                                                      */

/* A mapping of a memfd; base is private to this process, offsets are not. */
struct ion_region {
	void	*base;
	size_t	 size;
	int	 fd;
};

/*
 * Create a sealed memfd region of size bytes (rounded up to a page), zeroed
 * and mapped.  The size is sealed (no grow, no shrink) so that a peer cannot
 * truncate it under us and turn our loads into SIGBUS.
 * Returns 0 or -errno.
 */
int	ion_region_create(struct ion_region *reg, const char *name, size_t size);

/*
 * Map a region received from a peer.  Refuses (-EPERM) a memfd whose size is
 * not sealed against shrinking; on success the region owns fd.
 * Returns 0 or -errno.
 */
int	ion_region_map(struct ion_region *reg, int fd);

/* Unmap the region and close its descriptor; safe on a zeroed region. */
void	ion_region_unmap(struct ion_region *reg);

/* Translate [off, off + len) to a pointer, or NULL if it leaves the region. */
void	*ion_region_at(const struct ion_region *reg, uint64_t off, uint64_t len);

/*
 * Send len bytes and nfds descriptors (at most ION_MAX_FDS) in one message
 * over a unix socket.  Returns 0 or -errno (-EMSGSIZE for a short send).
 */
#define ION_MAX_FDS	16
int	ion_send_fds(int sock, const void *buf, size_t len,
	    const int *fds, unsigned nfds);

/*
 * Receive one message of up to len bytes and up to *nfds descriptors
 * (received close-on-exec).  On return *nfds holds the count received.
 * Returns the byte count (0 at end of file) or -errno; a message that
 * carried more descriptors than asked for is refused with -EMSGSIZE and
 * every descriptor it carried is closed.
 */
ssize_t	ion_recv_fds(int sock, void *buf, size_t len, int *fds,
	    unsigned *nfds);

/* ------------------------------------------------------------------ */
/* Descriptor rings                                                    */

/*
 * The layout in shared memory.  The first block is written once by
 * ion_ring_format and only read (once, at attach) afterwards; each index
 * has a block to itself and is written by one side only.
 */
struct ion_ring_shm {
	alignas(ION_INDEX_ALIGN) uint32_t magic;
	uint32_t		version;
	uint32_t		count;		/* slots (stream: bytes), 2^n */
	uint32_t		slot_size;	/* bytes per slot (stream: 1) */
	alignas(ION_INDEX_ALIGN) _Atomic uint32_t prod;	/* producer only */
	alignas(ION_INDEX_ALIGN) _Atomic uint32_t cons;	/* consumer only */
	alignas(ION_INDEX_ALIGN) unsigned char slots[];
};

enum ion_role {
	ION_PRODUCER = 1,
	ION_CONSUMER = 2,
};

/* One side's private handle on a ring. */
struct ion_ring {
	struct ion_ring_shm	*shm;
	unsigned char		*slots;
	uint32_t		 count;		/* private copy, validated */
	uint32_t		 mask;
	uint32_t		 slot_size;
	uint32_t		 head;		/* our own index, never re-read */
	uint32_t		 peer;		/* last validated peer index */
	uint32_t		 reserved;	/* stream: bytes last reserved */
	uint8_t			 role;
	bool			 broken;	/* peer corrupted the ring */
};

/* Bytes of shared memory a ring of count slots of slot_size needs, or 0. */
size_t	ion_ring_memsize(uint32_t count, uint32_t slot_size);

/*
 * Lay out an empty descriptor ring at mem (aligned to ION_INDEX_ALIGN, len
 * bytes available).  Done once, by the side that creates the region, before
 * the region is shared.  Returns 0 or -EINVAL.
 */
int	ion_ring_format(void *mem, size_t len, uint32_t count,
	    uint32_t slot_size);

/*
 * Attach one side of a ring laid out at mem with len bytes available.  The
 * geometry is read once and checked against len; the side starts from the
 * indices it finds (so a restarted peer resumes where the ring stands).
 * Returns 0, -EINVAL (bad arguments) or -EPROTO (a malformed header).
 */
int	ion_ring_attach(struct ion_ring *r, void *mem, size_t len,
	    enum ion_role role);

/* ------------------------------------------------------------------ */
/* Byte-stream rings                                                   */

/* A stream ring is a ring of one-byte slots with its own magic. */
struct ion_stream {
	struct ion_ring	r;
};

size_t	ion_stream_memsize(uint32_t size);
int	ion_stream_format(void *mem, size_t len, uint32_t size);
int	ion_stream_attach(struct ion_stream *s, void *mem, size_t len,
	    enum ion_role role);

/* Copy up to len bytes in; returns the count written (0 if full) or -errno. */
ssize_t	ion_stream_write(struct ion_stream *s, const void *buf, size_t len);

/* Copy up to len bytes out; returns the count read (0 if empty) or -errno. */
ssize_t	ion_stream_read(struct ion_stream *s, void *buf, size_t len);

/*
 * Zero-copy fill: describe the free space as up to two segments (iov[1] is
 * empty unless the space wraps) and return its total, or -errno.  Write into
 * the segments, then publish with ion_stream_commit(n), n <= the total.
 */
ssize_t	ion_stream_reserve(struct ion_stream *s, struct iovec iov[2]);
int	ion_stream_commit(struct ion_stream *s, size_t n);

/*
 * Zero-copy drain: describe the readable bytes as up to two segments and
 * return their total, or -errno; release them with ion_stream_consume(n).
 * The bytes sit in memory the peer can still write: read each field once
 * and validate it before use.  Consume as you go (chunk by chunk): holding
 * a whole view until the end stalls the writer and halves throughput for
 * small chunks (bench/ring).
 */
ssize_t	ion_stream_peek(struct ion_stream *s, struct iovec iov[2]);
int	ion_stream_consume(struct ion_stream *s, size_t n);

/* Bytes readable now (consumer), or -errno. */
ssize_t	ion_stream_count(struct ion_stream *s);
/* Bytes writable now (producer), or -errno. */
ssize_t	ion_stream_space(struct ion_stream *s);

/* ------------------------------------------------------------------ */
/* Doorbells                                                           */

struct ion_bell_shm {
	alignas(ION_INDEX_ALIGN) uint32_t magic;
	/* Written by the consumer, read by producers: 1 while it may block. */
	alignas(ION_INDEX_ALIGN) _Atomic uint32_t sleeping;
	/* Statistics kept by the consumer, for the curious. */
	_Atomic uint64_t	sleeps;
	/* Statistics kept by the producer. */
	alignas(ION_INDEX_ALIGN) _Atomic uint64_t rings;
};

/* One side's handle on a doorbell: the shared flag and the eventfd. */
struct ion_bell {
	struct ion_bell_shm	*shm;
	int			 efd;		/* not owned */
	uint64_t		 spin_ns;	/* consumer's budget before sleeping */
};

#define ION_BELL_SPIN_NS_DEFAULT	20000u

void	ion_bell_format(struct ion_bell_shm *shm);

/*
 * Attach to the doorbell at mem (sizeof(struct ion_bell_shm) bytes) that
 * wakes through efd (an eventfd, left open by ion_bell).
 * Returns 0, -EINVAL or -EPROTO.
 */
int	ion_bell_attach(struct ion_bell *b, void *mem, size_t len, int efd,
	    uint64_t spin_ns);

/*
 * Consumer: wait until ready(arg) returns non-zero.  Polls ready() while
 * spinning for spin_ns, then publishes "sleeping", polls once more and
 * blocks on the eventfd.  timeout_ms < 0 waits forever.
 * Returns ready()'s positive answer, 0 on timeout, or a negative errno
 * (ready()'s own negative answer, or -EINTR when a signal came in).
 */
int	ion_bell_wait(struct ion_bell *b, int (*ready)(void *), void *arg,
	    int timeout_ms);

/*
 * Consumer, for callers that block elsewhere (epoll over many bells):
 * ion_bell_arm publishes "sleeping"; the caller must then check its rings
 * once more, and either disarm at once (work arrived) or block until the
 * eventfd is readable, ion_bell_drain it, and disarm.  A kick that raced
 * with a disarm leaves the eventfd readable: the next sleep then returns at
 * once, a spurious wake-up that costs a re-check and loses nothing.
 */
void	ion_bell_arm(struct ion_bell *b);
void	ion_bell_disarm(struct ion_bell *b);
/* Reset the eventfd's counter (it must be non-blocking); 0 or -errno. */
int	ion_bell_drain(struct ion_bell *b);

/* Producer, out of line: write the eventfd. Returns 1 or -errno. */
int	ion_bell_kick(struct ion_bell *b);

/*
 * Producer: after publishing work, wake the consumer if it sleeps.  Costs a
 * fence and a load while the consumer is awake, a write(2) when it sleeps.
 * Returns 1 if it rang, 0 if it needed not, or -errno.
 */
static inline int
ion_bell_ring(struct ion_bell *b)
{
	/*
	 * B1: every access to "sleeping" is a read-modify-write, so all of
	 * them form one modification order.  This one is a release: if the
	 * consumer's arm (B2, an acquire exchange) comes later in that order,
	 * it synchronizes with us and its re-check sees the index we
	 * published before this call; if the arm came earlier, we read 1 and
	 * kick.  Either way no wake-up is lost.  While the consumer is awake
	 * the line stays in our cache: a locked add, no bouncing, no syscall.
	 */
	if (atomic_fetch_add_explicit(&b->shm->sleeping, 0,
	    memory_order_release) == 0)
		return 0;
	return ion_bell_kick(b);
}

/* ------------------------------------------------------------------ */
/* Hot paths, inline                                                   */

/*
 * Forced inline, as DPDK's __rte_always_inline: left to itself GCC 12 at
 * -O2 outlines enqueue and dequeue (the copy loops make them too big once
 * a file calls them from more than one place), and the call costs the
 * ring its lead at bursts of 1 and 8 (bench/ring).
 */
#define ION_HOT	static inline __attribute__((__always_inline__))

/* Copy n slots between a flat array and the ring, wrapping at the end. */
ION_HOT void
ion__ring_copy_in(struct ion_ring *r, uint32_t idx, const void *src, uint32_t n)
{
	uint32_t	 pos = idx & r->mask;
	uint32_t	 first = r->count - pos < n ? r->count - pos : n;
	size_t		 sz = r->slot_size;
	const unsigned char *s = (const unsigned char *)src;

	if (sz == 8) {
		uint64_t *d = (uint64_t *)(void *)r->slots;
		const uint64_t *w = (const uint64_t *)src;
		for (uint32_t i = 0; i < first; i++)
			memcpy(&d[pos + i], &w[i], 8);
		for (uint32_t i = first; i < n; i++)
			memcpy(&d[i - first], &w[i], 8);
		return;
	}
	memcpy(r->slots + (size_t)pos * sz, s, (size_t)first * sz);
	if (n > first)
		memcpy(r->slots, s + (size_t)first * sz, (size_t)(n - first) * sz);
}

ION_HOT void
ion__ring_copy_out(struct ion_ring *r, uint32_t idx, void *dst, uint32_t n)
{
	uint32_t	 pos = idx & r->mask;
	uint32_t	 first = r->count - pos < n ? r->count - pos : n;
	size_t		 sz = r->slot_size;
	unsigned char	*d = (unsigned char *)dst;

	if (sz == 8) {
		const uint64_t *s = (const uint64_t *)(void *)r->slots;
		uint64_t *w = (uint64_t *)dst;
		for (uint32_t i = 0; i < first; i++)
			memcpy(&w[i], &s[pos + i], 8);
		for (uint32_t i = first; i < n; i++)
			memcpy(&w[i], &s[i - first], 8);
		return;
	}
	memcpy(d, r->slots + (size_t)pos * sz, (size_t)first * sz);
	if (n > first)
		memcpy(d + (size_t)first * sz, r->slots, (size_t)(n - first) * sz);
}

/*
 * Producer: free slots, refreshing the cached consumer index only when the
 * cache cannot satisfy want.  Returns the count or -EPROTO.
 */
ION_HOT int64_t
ion__ring_free(struct ion_ring *r, uint32_t want)
{
	uint32_t free_slots = r->count - (r->head - r->peer);
	uint32_t cons;

	if (free_slots >= want)
		return free_slots;
	/*
	 * A1: acquire pairs with the consumer's release store of cons (C2):
	 * once we see its new index, its reads of the slots it gave back are
	 * complete and we may overwrite them.
	 */
	cons = atomic_load_explicit(&r->shm->cons, memory_order_acquire);
	/* The consumer may only move forward, and never past what we wrote. */
	if (cons - r->peer > r->head - r->peer) {
		r->broken = true;
		return -EPROTO;
	}
	r->peer = cons;
	return r->count - (r->head - cons);
}

/*
 * Consumer: filled slots, refreshing the cached producer index only when the
 * cache cannot satisfy want.  Returns the count or -EPROTO.
 */
ION_HOT int64_t
ion__ring_avail(struct ion_ring *r, uint32_t want)
{
	uint32_t avail = r->peer - r->head;
	uint32_t prod;

	if (avail >= want)
		return avail;
	/*
	 * C1: acquire pairs with the producer's release store of prod (P1):
	 * the slot contents written before that store are visible to us.
	 */
	prod = atomic_load_explicit(&r->shm->prod, memory_order_acquire);
	/* The producer may only move forward, and never lap us. */
	if (prod - r->head > r->count || prod - r->head < avail) {
		r->broken = true;
		return -EPROTO;
	}
	r->peer = prod;
	return prod - r->head;
}

ION_HOT int
ion__ring_enqueue(struct ion_ring *r, const void *objs, uint32_t n, bool all)
{
	int64_t free_slots;

	if (r->broken || r->role != ION_PRODUCER)
		return r->broken ? -EPROTO : -EINVAL;
	free_slots = ion__ring_free(r, n);
	if (free_slots < 0)
		return (int)free_slots;
	if ((uint32_t)free_slots < n) {
		if (all)
			return -ENOBUFS;
		n = (uint32_t)free_slots;
		if (n == 0)
			return 0;
	}
	ion__ring_copy_in(r, r->head, objs, n);
	r->head += n;
	/*
	 * P1: release orders the slot writes above before the new index;
	 * pairs with the consumer's acquire load of prod (C1).
	 */
	atomic_store_explicit(&r->shm->prod, r->head, memory_order_release);
	return (int)n;
}

ION_HOT int
ion__ring_dequeue(struct ion_ring *r, void *objs, uint32_t n, bool all)
{
	int64_t avail;

	if (r->broken || r->role != ION_CONSUMER)
		return r->broken ? -EPROTO : -EINVAL;
	avail = ion__ring_avail(r, n);
	if (avail < 0)
		return (int)avail;
	if ((uint32_t)avail < n) {
		if (all)
			return -EAGAIN;
		n = (uint32_t)avail;
		if (n == 0)
			return 0;
	}
	ion__ring_copy_out(r, r->head, objs, n);
	r->head += n;
	/*
	 * C2: release orders our reads of the slots above before the new
	 * index; pairs with the producer's acquire load of cons (A1), after
	 * which it may overwrite them.
	 */
	atomic_store_explicit(&r->shm->cons, r->head, memory_order_release);
	return (int)n;
}

/* Enqueue all n slots or none: returns n, -ENOBUFS if they do not fit, or -errno. */
ION_HOT int
ion_ring_enqueue_bulk(struct ion_ring *r, const void *objs, unsigned n)
{
	return ion__ring_enqueue(r, objs, n, true);
}

/* Enqueue as many of n slots as fit: returns the count (maybe 0) or -errno. */
ION_HOT int
ion_ring_enqueue_burst(struct ion_ring *r, const void *objs, unsigned n)
{
	return ion__ring_enqueue(r, objs, n, false);
}

/* Dequeue exactly n slots or none: returns n, -EAGAIN if fewer wait, or -errno. */
ION_HOT int
ion_ring_dequeue_bulk(struct ion_ring *r, void *objs, unsigned n)
{
	return ion__ring_dequeue(r, objs, n, true);
}

/* Dequeue up to n slots: returns the count (maybe 0) or -errno. */
ION_HOT int
ion_ring_dequeue_burst(struct ion_ring *r, void *objs, unsigned n)
{
	return ion__ring_dequeue(r, objs, n, false);
}

/* Consumer: slots waiting now (refreshes the producer index), or -errno. */
static inline int64_t
ion_ring_count(struct ion_ring *r)
{
	if (r->broken || r->role != ION_CONSUMER)
		return r->broken ? -EPROTO : -EINVAL;
	return ion__ring_avail(r, UINT32_MAX);
}

/* Producer: slots free now (refreshes the consumer index), or -errno. */
static inline int64_t
ion_ring_space(struct ion_ring *r)
{
	if (r->broken || r->role != ION_PRODUCER)
		return r->broken ? -EPROTO : -EINVAL;
	return ion__ring_free(r, UINT32_MAX);
}

#ifdef __cplusplus
}
#endif

#endif /* MEMBRANE_ION_H */
