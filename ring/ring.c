/* ring.c: descriptor ring layout, format and attach. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ion.h"
#include "ring_pvt.h"

static bool
ring_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Shared bytes for count slots of slot_size each, or 0 if invalid. */
size_t
ring_memsize(uint32_t magic, uint32_t count, uint32_t slot_size)
{
	if (!ring_pow2(count) || slot_size == 0)
		return 0;
	if (magic == ION_RING_MAGIC && (count > ION_RING_MAX_COUNT ||
	    slot_size > ION_RING_MAX_SLOT || slot_size % 4 != 0))
		return 0;
	if (magic == ION_STREAM_MAGIC && (slot_size != 1 ||
	    count < ION_STREAM_MIN_SIZE || count > ION_STREAM_MAX_SIZE))
		return 0;
	return sizeof(struct ion_ring_shm) + (size_t)count * slot_size;
}

/* Lay out an empty ring of either flavour. */
int
ring_format(void *mem, size_t len, uint32_t magic, uint32_t count,
    uint32_t slot_size)
{
	struct ion_ring_shm	*shm = mem;
	size_t			 need = ring_memsize(magic, count, slot_size);

	if (mem == NULL || need == 0 || len < need ||
	    (uintptr_t)mem % ION_INDEX_ALIGN != 0)
		return -EINVAL;
	memset(shm, 0, sizeof(*shm));
	shm->magic = magic;
	shm->version = ION_VERSION;
	shm->count = count;
	shm->slot_size = slot_size;
	atomic_store_explicit(&shm->prod, 0, memory_order_relaxed);
	atomic_store_explicit(&shm->cons, 0, memory_order_relaxed);
	return 0;
}

/*
 * Attach one side: read the geometry once, check it against the memory the
 * caller vouches for, and start from the indices as they stand.
 */
int
ring_attach(struct ion_ring *r, void *mem, size_t len, uint32_t magic,
    enum ion_role role)
{
	struct ion_ring_shm	*shm = mem;
	uint32_t		 m, ver, count, slot, prod, cons;
	size_t			 need;

	memset(r, 0, sizeof(*r));
	if (mem == NULL || len < sizeof(*shm) ||
	    (uintptr_t)mem % ION_INDEX_ALIGN != 0 ||
	    (role != ION_PRODUCER && role != ION_CONSUMER))
		return -EINVAL;
	/* Each field read exactly once: the peer may change it meanwhile. */
	m = ((volatile struct ion_ring_shm *)shm)->magic;
	ver = ((volatile struct ion_ring_shm *)shm)->version;
	count = ((volatile struct ion_ring_shm *)shm)->count;
	slot = ((volatile struct ion_ring_shm *)shm)->slot_size;
	if (m != magic || ver != ION_VERSION)
		return -EPROTO;
	need = ring_memsize(magic, count, slot);
	if (need == 0 || need > len)
		return -EPROTO;
	/*
	 * Acquire pairs with the peer's release stores (P1, C2): whatever it
	 * published before its index is visible once we adopt that index.
	 */
	prod = atomic_load_explicit(&shm->prod, memory_order_acquire);
	cons = atomic_load_explicit(&shm->cons, memory_order_acquire);
	if (prod - cons > count)
		return -EPROTO;
	r->shm = shm;
	r->slots = shm->slots;
	r->count = count;
	r->mask = count - 1;
	r->slot_size = slot;
	r->role = (uint8_t)role;
	if (role == ION_PRODUCER) {
		r->head = prod;
		r->peer = cons;
	} else {
		r->head = cons;
		r->peer = prod;
	}
	return 0;
}

size_t
ion_ring_memsize(uint32_t count, uint32_t slot_size)
{
	return ring_memsize(ION_RING_MAGIC, count, slot_size);
}

int
ion_ring_format(void *mem, size_t len, uint32_t count, uint32_t slot_size)
{
	return ring_format(mem, len, ION_RING_MAGIC, count, slot_size);
}

int
ion_ring_attach(struct ion_ring *r, void *mem, size_t len, enum ion_role role)
{
	return ring_attach(r, mem, len, ION_RING_MAGIC, role);
}
