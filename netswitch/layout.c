/* layout.c: where a port's rings, doorbells and buffers lie in its region. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "netswitch.h"

static uint64_t
layout_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void
nsw_layout_compute(struct nsw_layout *l, uint32_t nbufs, uint32_t buf_size)
{
	uint64_t	off = 0;
	size_t		ring = ion_ring_memsize(NSW_RING_SLOTS,
			    sizeof(struct nsw_desc));

	memset(l, 0, sizeof(*l));
	l->ring_slots = NSW_RING_SLOTS;
	l->buf_size = buf_size;
	l->rx_nbufs = nbufs;
	l->tx_nbufs = nbufs;
	l->bell_stack = off;
	off = layout_align(off + sizeof(struct ion_bell_shm), ION_INDEX_ALIGN);
	l->bell_switch = off;
	off = layout_align(off + sizeof(struct ion_bell_shm), ION_INDEX_ALIGN);
	l->rx = off;
	off = layout_align(off + ring, ION_INDEX_ALIGN);
	l->fill = off;
	off = layout_align(off + ring, ION_INDEX_ALIGN);
	l->tx = off;
	off = layout_align(off + ring, ION_INDEX_ALIGN);
	l->done = off;
	off = layout_align(off + ring, 4096);
	l->rx_bufs = off;
	off += (uint64_t)nbufs * buf_size;
	l->tx_bufs = off;
	off += (uint64_t)nbufs * buf_size;
	l->region_size = layout_align(off, 4096);
}

/* Is [off, off+len) inside size and aligned to align? */
static int
layout_fits(uint64_t off, uint64_t len, uint64_t size, uint64_t align)
{
	return off % align == 0 && off <= size && len <= size - off;
}

int
nsw_layout_check(const struct nsw_layout *l, size_t size)
{
	uint64_t ring;

	if (l->region_size != size || l->buf_size < NSW_BUF_SIZE ||
	    l->buf_size > NSW_BUF_SIZE_MAX || l->buf_size % 64 != 0 ||
	    l->ring_slots == 0 || l->ring_slots > ION_RING_MAX_COUNT ||
	    l->rx_nbufs == 0 || l->tx_nbufs == 0 ||
	    l->rx_nbufs > (1u << 20) || l->tx_nbufs > (1u << 20))
		return -EPROTO;
	ring = ion_ring_memsize(l->ring_slots, sizeof(struct nsw_desc));
	if (ring == 0)
		return -EPROTO;
	if (!layout_fits(l->bell_stack, sizeof(struct ion_bell_shm), size,
	    ION_INDEX_ALIGN) ||
	    !layout_fits(l->bell_switch, sizeof(struct ion_bell_shm), size,
	    ION_INDEX_ALIGN) ||
	    !layout_fits(l->rx, ring, size, ION_INDEX_ALIGN) ||
	    !layout_fits(l->fill, ring, size, ION_INDEX_ALIGN) ||
	    !layout_fits(l->tx, ring, size, ION_INDEX_ALIGN) ||
	    !layout_fits(l->done, ring, size, ION_INDEX_ALIGN) ||
	    !layout_fits(l->rx_bufs, (uint64_t)l->rx_nbufs * l->buf_size,
	    size, 64) ||
	    !layout_fits(l->tx_bufs, (uint64_t)l->tx_nbufs * l->buf_size,
	    size, 64))
		return -EPROTO;
	return 0;
}
