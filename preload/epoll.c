/*
 * epoll.c: epoll instances that watch kernel and membrane descriptors.
 *
 * The program's epoll descriptor is a real kernel epoll instance: kernel
 * descriptors are added to it as they are.  Membrane sockets, and epoll
 * instances nested in this one, are items kept here: each wait looks at
 * their readiness in shared memory (level- or edge-triggered, one-shot as
 * asked), takes the kernel's ready events without blocking, and when
 * neither has anything sleeps in wait_until on the membrane's doorbell and
 * the kernel instance at once.  As in the kernel, an item belongs to the
 * open file, not the number: it goes when the socket's last descriptor is
 * closed.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload_pvt.h"

struct ep_item {
	struct pl_obj	*obj;		/* not counted: see epoll_forget */
	int		 fd;
	uint32_t	 events;
	epoll_data_t	 data;
	bool		 disabled;	/* EPOLLONESHOT fired */
	uint32_t	 last;		/* readiness last seen (ET) */
	uint32_t	 rx_prod, tx_cons;	/* ring indices last seen (ET) */
};

struct pl_epoll {
	struct pl_obj	 o;
	pthread_mutex_t	 lock;
	struct ep_item	*items;
	unsigned	 n, cap;
	unsigned	 next;		/* where the next scan starts */
	_Atomic int	 kcount;	/* kernel descriptors added (at most) */
	struct pl_epoll	*gprev, *gnext;
};

static pthread_mutex_t	 ep_all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_epoll	*ep_all;

#define EP_ALWAYS	(EPOLLERR | EPOLLHUP)
#define EP_FLAGS	(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)

static void
ep_release(struct pl_obj *o)
{
	struct pl_epoll *ep = (struct pl_epoll *)o;

	pthread_mutex_lock(&ep_all_lock);
	if (ep->gprev != NULL)
		ep->gprev->gnext = ep->gnext;
	else
		ep_all = ep->gnext;
	if (ep->gnext != NULL)
		ep->gnext->gprev = ep->gprev;
	pthread_mutex_unlock(&ep_all_lock);
	pthread_mutex_destroy(&ep->lock);
	free(ep->items);
	free(ep);
}

static void
ep_last_close(struct pl_obj *o)
{
	epoll_forget(o);
}

int
epoll_new(int kfd)
{
	struct pl_epoll	*ep;
	int		 rc;

	if ((ep = calloc(1, sizeof(*ep))) == NULL)
		return -ENOMEM;
	ep->o.kind = PL_EPOLL;
	ep->o.release = ep_release;
	ep->o.last_close = ep_last_close;
	pthread_mutex_init(&ep->lock, NULL);
	pthread_mutex_lock(&ep_all_lock);
	ep->gnext = ep_all;
	if (ep_all != NULL)
		ep_all->gprev = ep;
	ep_all = ep;
	pthread_mutex_unlock(&ep_all_lock);
	if ((rc = fdtab_install(kfd, &ep->o)) < 0) {
		ep_release(&ep->o);
		return rc;
	}
	return 0;
}

void
epoll_kernel_count(struct pl_obj *o, int op)
{
	struct pl_epoll *ep = (struct pl_epoll *)o;

	/*
	 * A kernel descriptor closed while in the set leaves the count
	 * high: the waits then ask the kernel for nothing, and lose nothing.
	 */
	if (op == EPOLL_CTL_ADD)
		atomic_fetch_add(&ep->kcount, 1);
	else if (op == EPOLL_CTL_DEL && atomic_load(&ep->kcount) > 0)
		atomic_fetch_sub(&ep->kcount, 1);
}

void
epoll_forget(struct pl_obj *o)
{
	struct pl_epoll	*ep;
	unsigned	 i;

	pthread_mutex_lock(&ep_all_lock);
	for (ep = ep_all; ep != NULL; ep = ep->gnext) {
		if (&ep->o == o)
			continue;
		pthread_mutex_lock(&ep->lock);
		for (i = 0; i < ep->n; ) {
			if (ep->items[i].obj == o)
				ep->items[i] = ep->items[--ep->n];
			else
				i++;
		}
		pthread_mutex_unlock(&ep->lock);
	}
	pthread_mutex_unlock(&ep_all_lock);
}

static struct ep_item *
ep_find(struct pl_epoll *ep, struct pl_obj *o, int fd)
{
	unsigned i;

	for (i = 0; i < ep->n; i++)
		if (ep->items[i].obj == o && ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

/* Does ep watch target, directly or through instances nested in it? */
static bool
ep_reaches(struct pl_epoll *ep, struct pl_obj *target, unsigned depth)
{
	unsigned	i;
	bool		found = false;

	if (&ep->o == target)
		return true;
	if (depth > 5)
		return true;	/* the kernel's limit: refuse as a loop */
	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n && !found; i++)
		if (ep->items[i].obj->kind == PL_EPOLL)
			found = ep_reaches((struct pl_epoll *)ep->items[i].obj,
			    target, depth + 1);
	pthread_mutex_unlock(&ep->lock);
	return found;
}

int
epoll_ctl_obj(struct pl_obj *epo, int fd, int op, struct epoll_event *ev)
{
	struct pl_epoll	*ep = (struct pl_epoll *)epo;
	struct pl_obj	*o;
	struct ep_item	*it;
	int		 rc = 0;

	if ((o = fdtab_get(fd)) == NULL)
		return 1;	/* a kernel descriptor: the kernel's business */
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD &&
	    op != EPOLL_CTL_DEL) {
		rc = -EINVAL;
		goto out;
	}
	if (op != EPOLL_CTL_DEL && ev == NULL) {
		rc = -EFAULT;
		goto out;
	}
	if (o == epo) {
		rc = -EINVAL;
		goto out;
	}
	/* The kernel's EPOLLEXCLUSIVE_OK_BITS, and no nested instance. */
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || o->kind == PL_EPOLL ||
	    (ev->events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
	    EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)))) {
		rc = -EINVAL;
		goto out;
	}
	if (op == EPOLL_CTL_ADD && o->kind == PL_EPOLL &&
	    ep_reaches((struct pl_epoll *)o, epo, 0)) {
		rc = -ELOOP;
		goto out;
	}
	pthread_mutex_lock(&ep->lock);
	it = ep_find(ep, o, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it != NULL) {
			rc = -EEXIST;
			break;
		}
		if (ep->n == ep->cap) {
			unsigned	 cap = ep->cap ? ep->cap * 2 : 16;
			struct ep_item	*p = realloc(ep->items,
			    cap * sizeof(*p));

			if (p == NULL) {
				rc = -ENOMEM;
				break;
			}
			ep->items = p;
			ep->cap = cap;
		}
		it = &ep->items[ep->n++];
		memset(it, 0, sizeof(*it));
		it->obj = o;
		it->fd = fd;
		/* FALLTHROUGH */
	case EPOLL_CTL_MOD:
		if (it == NULL) {
			rc = -ENOENT;
			break;
		}
		if (op == EPOLL_CTL_MOD && (it->events & EPOLLEXCLUSIVE)) {
			rc = -EINVAL;
			break;
		}
		it->events = ev->events;
		it->data = ev->data;
		it->disabled = false;
		/* Re-armed: what is ready now is reported once, ET or not. */
		it->last = 0;
		it->rx_prod = it->tx_cons = 0;
		if (o->kind == PL_SOCK) {
			struct pl_sock *ps = (struct pl_sock *)o;

			it->rx_prod = atomic_load_explicit(
			    &ps->s.rx.r.shm->prod, memory_order_relaxed) - 1;
			it->tx_cons = atomic_load_explicit(
			    &ps->s.tx.r.shm->cons, memory_order_relaxed) - 1;
		}
		break;
	case EPOLL_CTL_DEL:
		if (it == NULL) {
			rc = -ENOENT;
			break;
		}
		*it = ep->items[--ep->n];
		break;
	}
	pthread_mutex_unlock(&ep->lock);
	/* A thread asleep on this instance looks again. */
	if (rc == 0 && op != EPOLL_CTL_DEL)
		wait_wake_all();
out:
	obj_put(o);
	return rc;
}

/*
 * An item's readiness now (EPOLL* bits, masked by what it asks).  A nested
 * instance's kernel part costs a system call: the scan that reports asks
 * for it; a readiness check inside a wait, which watches those descriptors
 * already, does not.
 */
static uint32_t
ep_item_ready(struct ep_item *it, bool kernel)
{
	uint32_t m;

	if (it->obj->kind == PL_SOCK)
		m = poll_sock((struct pl_sock *)it->obj);
	else
		m = epoll_poll(it->obj, kernel ? it->fd : -1);
	return m & ((it->events & ~EP_FLAGS) | EP_ALWAYS);
}

/*
 * Should the item be reported now?  Level-triggered: while ready.  Edge:
 * when a bit rises, or (as the kernel, which reports each wake-up) when
 * new bytes arrived or room was made while the bit stayed up.
 */
static bool
ep_item_fires(struct ep_item *it, uint32_t m, bool commit)
{
	uint32_t	prod = 0, cons = 0;
	bool		fire;

	if (it->disabled || m == 0) {
		if (commit)
			it->last = m;
		return false;
	}
	if (!(it->events & EPOLLET))
		return true;
	if (it->obj->kind == PL_SOCK) {
		struct pl_sock *ps = (struct pl_sock *)it->obj;

		prod = atomic_load_explicit(&ps->s.rx.r.shm->prod,
		    memory_order_relaxed);
		cons = atomic_load_explicit(&ps->s.tx.r.shm->cons,
		    memory_order_relaxed);
	}
	fire = (m & ~it->last) != 0 ||
	    ((m & EPOLLIN) && prod != it->rx_prod) ||
	    ((m & EPOLLOUT) && cons != it->tx_cons);
	if (commit) {
		it->last = m;
		it->rx_prod = prod;
		it->tx_cons = cons;
	}
	return fire;
}

/* Fill evs with up to max ready items; returns the count. */
static int
ep_scan(struct pl_epoll *ep, struct epoll_event *evs, int max)
{
	unsigned	i, k, n;
	int		got = 0;

	pthread_mutex_lock(&ep->lock);
	n = ep->n;
	for (k = 0; k < n && got < max; k++) {
		struct ep_item	*it;
		uint32_t	 m;

		i = (ep->next + k) % n;
		it = &ep->items[i];
		m = ep_item_ready(it, true);
		if (!ep_item_fires(it, m, true))
			continue;
		evs[got].events = m;
		evs[got].data = it->data;
		got++;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
	}
	/* Round robin: a busy item does not starve the ones after it. */
	if (n > 0)
		ep->next = (ep->next + k) % n;
	pthread_mutex_unlock(&ep->lock);
	return got;
}

/* Would a scan report anything?  (kernel: as for ep_item_ready.) */
static bool
ep_any(struct pl_epoll *ep, bool kernel)
{
	unsigned	i;
	bool		any = false;

	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n && !any; i++)
		any = ep_item_fires(&ep->items[i],
		    ep_item_ready(&ep->items[i], kernel), false);
	pthread_mutex_unlock(&ep->lock);
	return any;
}

uint32_t
epoll_poll(struct pl_obj *o, int epfd)
{
	struct pl_epoll	*ep = (struct pl_epoll *)o;
	struct pollfd	 pfd;

	/* Nested instances are no kernel set's: their parts are asked here. */
	if (ep_any(ep, true))
		return POLLIN | POLLRDNORM;
	/* The kernel's part; a caller that polls epfd itself ORs it in. */
	if (epfd < 0)
		return 0;
	pfd.fd = epfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return pl_real.poll(&pfd, 1, 0) > 0 ? (uint32_t)pfd.revents : 0;
}

/* The kernel descriptors a wait on ep must watch: its own, nested ones. */
static unsigned
ep_kernel_fds(struct pl_epoll *ep, int epfd, struct pollfd *pfd, unsigned max)
{
	unsigned i, n = 0;

	if (atomic_load(&ep->kcount) > 0) {
		pfd[n].fd = epfd;
		pfd[n++].events = POLLIN;
	}
	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n && n < max; i++) {
		if (ep->items[i].obj->kind != PL_EPOLL)
			continue;
		pfd[n].fd = ep->items[i].fd;
		pfd[n++].events = POLLIN;
	}
	pthread_mutex_unlock(&ep->lock);
	return n;
}

static int
ep_ready(void *arg)
{
	/* The wait watches the kernel descriptors itself (ep_kernel_fds). */
	return ep_any(arg, false) ? 1 : 0;
}

static struct pl_conn *
ep_conn(struct pl_epoll *ep)
{
	struct pl_conn	*cn = NULL;
	unsigned	 i;

	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n && cn == NULL; i++) {
		struct pl_sock *ps = sock_of(ep->items[i].obj);

		if (ps != NULL && !conn_dead(ps->cn))
			cn = ps->cn;
	}
	pthread_mutex_unlock(&ep->lock);
	return cn;
}

int
epoll_wait_obj(struct pl_obj *epo, int epfd, struct epoll_event *evs,
    int max, uint64_t deadline, const sigset_t *mask)
{
	struct pl_epoll	*ep = (struct pl_epoll *)epo;
	struct pollfd	 kp[16];
	unsigned	 nk;
	int		 got, k, rc;

	if (max <= 0 || max > (int)(0x7fffffff / sizeof(*evs)))
		return -EINVAL;
	if (evs == NULL)
		return -EFAULT;
	/* No membrane socket anywhere yet: the kernel's epoll alone. */
	if (!atomic_load_explicit(&pl_sock_seen, memory_order_relaxed))
		return EPOLL_KERNEL;
	for (;;) {
		got = ep_scan(ep, evs, max);
		if (got < max && atomic_load(&ep->kcount) > 0) {
			k = pl_real.epoll_wait(epfd, evs + got, max - got, 0);
			if (k < 0) {
				if (got == 0)
					return -errno;
				k = 0;
			}
			got += k;
		}
		if (got > 0)
			return got;
		if (deadline != PL_FOREVER && wait_now_ns() >= deadline)
			return 0;
		nk = ep_kernel_fds(ep, epfd, kp, 16);
		rc = wait_until(ep_conn(ep), ep_ready, ep, deadline, kp, nk,
		    mask, true);
		if (rc < 0)
			return rc;
	}
}
