/*
 * wait.c: blocking, for any number of threads at once.
 *
 * The stack wakes an app through one doorbell (an eventfd, armed in shared
 * memory).  Many threads may sleep at the same time, on different sockets
 * and different kernel descriptors, so the doorbell is armed while at least
 * one of them sleeps and each sleeper also has an eventfd of its own: the
 * thread that finds the doorbell rung drains it and pokes every other
 * sleeper's eventfd, so that no one loses the wake-up it was waiting for
 * (a drained eventfd would otherwise look idle to the threads that polled
 * it).  A sleeper re-checks its condition after registering and before it
 * blocks, which closes the race with a ring that came just before.
 *
 * Before sleeping a waiter spins for pl_spin_ns (MEMBRANE_SPIN_US): a
 * wake-up from another CPU costs tens of microseconds here, more than the
 * stack takes to answer.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preload_pvt.h"

#define WAIT_STACK_FDS	16	/* pollfds on the stack before malloc */
#define WAIT_YIELD_NS	10000	/* a long spin yields now and then */

uint64_t pl_spin_ns = MBS_APP_SPIN_NS;

struct waiter {
	int		 efd;
	bool		 listed;
	struct waiter	*prev, *next;
};

static __thread struct waiter	 tls_waiter = { .efd = -1 };
/* A thread's eventfd is closed when the thread ends. */
static pthread_key_t		 wait_key;
static pthread_once_t		 wait_key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t		 wait_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter		*wait_head;
/* Sleepers per connection arm its doorbell; counted under wait_lock. */
static struct pl_conn		*wait_armed_cn;
static unsigned			 wait_armed_n;

static void
wait_thread_gone(void *arg)
{
	struct waiter *w = arg;

	if (w != NULL && w->efd >= 0) {
		pl_real.close(w->efd);
		w->efd = -1;
	}
}

static void
wait_key_make(void)
{
	(void)pthread_key_create(&wait_key, wait_thread_gone);
}

uint64_t
wait_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
wait_deadline_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return PL_FOREVER;
	return wait_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

/* Register this thread as a sleeper; arm cn's doorbell if first. */
static void
wait_enter(struct waiter *w, struct pl_conn *cn)
{
	pthread_mutex_lock(&wait_lock);
	w->prev = NULL;
	w->next = wait_head;
	if (wait_head != NULL)
		wait_head->prev = w;
	wait_head = w;
	w->listed = true;
	if (cn != NULL) {
		/* One connection is live at a time; a dead one rings no more. */
		if (wait_armed_cn != cn) {
			wait_armed_cn = cn;
			wait_armed_n = 0;
		}
		if (wait_armed_n++ == 0)
			ion_bell_arm(&cn->c.bell_app);
	}
	pthread_mutex_unlock(&wait_lock);
}

static void
wait_leave(struct waiter *w, struct pl_conn *cn)
{
	pthread_mutex_lock(&wait_lock);
	if (w->listed) {
		if (w->prev != NULL)
			w->prev->next = w->next;
		else
			wait_head = w->next;
		if (w->next != NULL)
			w->next->prev = w->prev;
		w->listed = false;
	}
	if (cn != NULL && cn == wait_armed_cn && wait_armed_n > 0 &&
	    --wait_armed_n == 0)
		ion_bell_disarm(&cn->c.bell_app);
	pthread_mutex_unlock(&wait_lock);
}

static void
wait_poke(int efd)
{
	uint64_t one = 1;

	(void)!pl_real.write(efd, &one, sizeof(one));
}

void
wait_wake_all(void)
{
	struct waiter *w;

	pthread_mutex_lock(&wait_lock);
	for (w = wait_head; w != NULL; w = w->next)
		if (w != &tls_waiter)
			wait_poke(w->efd);
	pthread_mutex_unlock(&wait_lock);
}

struct timespec *
wait_ts(uint64_t deadline, struct timespec *ts)
{
	uint64_t now, left;

	if (deadline == PL_FOREVER)
		return NULL;
	now = wait_now_ns();
	left = deadline > now ? deadline - now : 0;
	ts->tv_sec = (time_t)(left / 1000000000u);
	ts->tv_nsec = (long)(left % 1000000000u);
	return ts;
}

/* Spin for the budget, checking ready (and the kernel's fds now and then). */
static int
wait_spin(int (*ready)(void *), void *arg, uint64_t deadline,
    struct pollfd *extra, unsigned nextra, bool *kernel_event)
{
	uint64_t	start = wait_now_ns(), now = start;
	uint64_t	end = start + pl_spin_ns;
	unsigned	i = 0;
	int		r;

	if (end > deadline)
		end = deadline;
	for (;;) {
		if ((r = ready(arg)) != 0)
			return r;
		if (++i % 64 == 0 && nextra > 0 &&
		    pl_real.poll(extra, nextra, 0) > 0) {
			*kernel_event = true;
			return 0;
		}
		if (i % 16 == 0) {
			now = wait_now_ns();
			if (now >= end)
				return 0;
			if (now - start > WAIT_YIELD_NS)
				sched_yield();
		}
		__builtin_ia32_pause();
	}
}

int
wait_until(struct pl_conn *cn, int (*ready)(void *), void *arg,
    uint64_t deadline, struct pollfd *extra, unsigned nextra,
    const sigset_t *sigmask, bool intr_any)
{
	struct waiter	*w = &tls_waiter;
	struct pollfd	 local[WAIT_STACK_FDS], *pfd = local;
	struct timespec	 ts;
	bool		 kev = false;
	unsigned	 n, i, base;
	uint64_t	 intr0, drain;
	int		 r, rc, err;

	if (cn != NULL && conn_dead(cn))
		cn = NULL;
	if ((r = ready(arg)) != 0)
		return r;
	if (cn != NULL && pl_spin_ns > 0 && sigmask == NULL &&
	    deadline > wait_now_ns()) {
		if ((r = wait_spin(ready, arg, deadline, extra, nextra,
		    &kev)) != 0)
			return r;
		if (kev) {
			/* The caller reads the events from extra. */
			pl_real.poll(extra, nextra, 0);
			return 0;
		}
	}
	if (w->efd < 0) {
		if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
			return -errno;
		w->efd = fdtab_hide(w->efd);
		pthread_once(&wait_key_once, wait_key_make);
		(void)pthread_setspecific(wait_key, w);
	}
	n = 1 + (cn != NULL ? 2 : 0) + nextra;
	if (n > WAIT_STACK_FDS && (pfd = calloc(n, sizeof(*pfd))) == NULL)
		return -ENOMEM;
	for (;;) {
		base = 0;
		pfd[base].fd = w->efd;
		pfd[base++].events = POLLIN;
		if (cn != NULL) {
			pfd[base].fd = cn->c.efd_app;
			pfd[base++].events = POLLIN;
			pfd[base].fd = cn->c.sock;
			pfd[base++].events = POLLRDHUP;
		}
		for (i = 0; i < nextra; i++) {
			pfd[base + i] = extra[i];
			pfd[base + i].revents = 0;
		}
		for (i = 0; i < base; i++)
			pfd[i].revents = 0;
		wait_enter(w, cn);
		if ((r = ready(arg)) != 0) {
			wait_leave(w, cn);
			break;
		}
		if (deadline != PL_FOREVER && wait_now_ns() >= deadline) {
			wait_leave(w, cn);
			r = 0;
			break;
		}
		intr0 = sig_intr_count();
		rc = pl_real.ppoll(pfd, n, wait_ts(deadline, &ts), sigmask);
		err = errno;
		wait_leave(w, cn);
		if (rc < 0) {
			if (err != EINTR) {
				r = -err;
				break;
			}
			if (intr_any || sig_intr_count() != intr0) {
				r = -EINTR;
				break;
			}
			continue;	/* an SA_RESTART handler: go on */
		}
		if (pfd[0].revents & POLLIN)
			(void)!pl_real.read(w->efd, &drain, sizeof(drain));
		if (cn != NULL && (pfd[1].revents & POLLIN)) {
			(void)ion_bell_drain(&cn->c.bell_app);
			/* Others may have slept on the one we drained. */
			wait_wake_all();
		}
		kev = false;
		for (i = 0; i < nextra; i++) {
			extra[i].revents = pfd[base + i].revents;
			if (extra[i].revents != 0)
				kev = true;
		}
		if (cn != NULL && (pfd[2].revents & (POLLRDHUP | POLLHUP |
		    POLLERR | POLLNVAL))) {
			/* Sockets of a dead stack are all ready (in error). */
			atomic_store_explicit(&cn->dead, true,
			    memory_order_relaxed);
			cn = NULL;
			n -= 2;
		}
		if ((r = ready(arg)) != 0)
			break;
		if (kev || (deadline != PL_FOREVER &&
		    wait_now_ns() >= deadline)) {
			r = 0;
			break;
		}
	}
	if (pfd != local)
		free(pfd);
	return r;
}
