/* bell.c: doorbells, spin then sleep on an eventfd without lost wake-ups. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ion.h"
#include "ring_pvt.h"

#define BELL_YIELD_NS	10000u	/* a spin this long starts to yield */

void
ion_bell_format(struct ion_bell_shm *shm)
{
	memset(shm, 0, sizeof(*shm));
	shm->magic = ION_BELL_MAGIC;
}

int
ion_bell_attach(struct ion_bell *b, void *mem, size_t len, int efd,
    uint64_t spin_ns)
{
	struct ion_bell_shm *shm = mem;

	memset(b, 0, sizeof(*b));
	b->efd = -1;
	if (mem == NULL || len < sizeof(*shm) || efd < 0 ||
	    (uintptr_t)mem % ION_INDEX_ALIGN != 0)
		return -EINVAL;
	if (((volatile struct ion_bell_shm *)shm)->magic != ION_BELL_MAGIC)
		return -EPROTO;
	b->shm = shm;
	b->efd = efd;
	b->spin_ns = spin_ns;
	return 0;
}

void
ion_bell_arm(struct ion_bell *b)
{
	/*
	 * B2: acquire exchange; pairs with the producer's release RMW (B1).
	 * If B1 comes first in the flag's modification order we synchronize
	 * with it and the caller's re-check (C1) sees the producer's index;
	 * otherwise B1 reads our 1 and kicks.
	 */
	atomic_exchange_explicit(&b->shm->sleeping, 1, memory_order_acquire);
}

void
ion_bell_disarm(struct ion_bell *b)
{
	/*
	 * An exchange rather than a store keeps every write of the flag a
	 * read-modify-write, so B1 always reads the latest value (see B1).
	 */
	atomic_exchange_explicit(&b->shm->sleeping, 0, memory_order_relaxed);
}

int
ion_bell_drain(struct ion_bell *b)
{
	uint64_t v;

	if (read(b->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int
ion_bell_kick(struct ion_bell *b)
{
	uint64_t one = 1;

	atomic_fetch_add_explicit(&b->shm->rings, 1, memory_order_relaxed);
	for (;;) {
		if (write(b->efd, &one, sizeof(one)) == sizeof(one))
			return 1;
		/* A counter at its ceiling already wakes the consumer. */
		if (errno == EAGAIN)
			return 1;
		if (errno != EINTR)
			return -errno;
	}
}

static uint64_t
bell_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
ion_bell_wait(struct ion_bell *b, int (*ready)(void *), void *arg,
    int timeout_ms)
{
	struct pollfd	 pfd;
	uint64_t	 start, deadline = 0, spin;
	unsigned	 i;
	int		 rc, left;

	if ((rc = ready(arg)) != 0)
		return rc;
	if (timeout_ms == 0)
		return 0;
	start = bell_now_ns();
	spin = b->spin_ns;
	if (timeout_ms > 0) {
		deadline = start + (uint64_t)timeout_ms * 1000000u;
		if (spin > (uint64_t)timeout_ms * 1000000u)
			spin = (uint64_t)timeout_ms * 1000000u;
	}
	/*
	 * Spin: the cheap path while the producer is busy.  Past the first
	 * BELL_YIELD_NS, let whatever shares this CPU run now and then: it
	 * may be the very process we wait for, and a spin that starves it
	 * only waits longer.
	 */
	for (i = 1; spin > 0; i++) {
		uint64_t spun;

		ring_cpu_relax();
		if ((rc = ready(arg)) != 0)
			return rc;
		if (i % 16 != 0)
			continue;
		if ((spun = bell_now_ns() - start) >= spin)
			break;
		if (spun >= BELL_YIELD_NS)
			sched_yield();
	}
	for (;;) {
		ion_bell_arm(b);
		if ((rc = ready(arg)) != 0) {
			ion_bell_disarm(b);
			return rc;
		}
		left = -1;
		if (timeout_ms > 0) {
			uint64_t now = bell_now_ns();

			if (now >= deadline) {
				ion_bell_disarm(b);
				return 0;
			}
			left = (int)((deadline - now + 999999u) / 1000000u);
		}
		atomic_fetch_add_explicit(&b->shm->sleeps, 1,
		    memory_order_relaxed);
		pfd.fd = b->efd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left);
		if (rc < 0) {
			rc = -errno;
			ion_bell_disarm(b);
			return rc;
		}
		if (rc > 0 && (rc = ion_bell_drain(b)) < 0) {
			ion_bell_disarm(b);
			return rc;
		}
		ion_bell_disarm(b);
		if ((rc = ready(arg)) != 0)
			return rc;
	}
}
