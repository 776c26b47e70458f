/* ring_pvt.h: what the ring's own files share; not for other parts. */
#ifndef MEMBRANE_RING_PVT_H
#define MEMBRANE_RING_PVT_H

#include "ion.h"

size_t	ring_memsize(uint32_t magic, uint32_t count, uint32_t slot_size);
int	ring_format(void *mem, size_t len, uint32_t magic, uint32_t count,
	    uint32_t slot_size);
int	ring_attach(struct ion_ring *r, void *mem, size_t len, uint32_t magic,
	    enum ion_role role);

/* A pause in a spin loop: lets a hyperthread sibling run, saves power. */
static inline void
ring_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* MEMBRANE_RING_PVT_H */
