/*
 * fdtab.c: descriptor number -> object.
 *
 * The table is an array of pointers indexed by descriptor number, as large
 * as the hard limit on open files allows (reserved, not committed: untouched
 * pages cost nothing).  A kernel descriptor costs one load to recognize: its
 * slot is NULL.  Changes to the table, and the kernel calls that make or
 * unmake descriptor numbers for our objects, happen under the write lock;
 * taking a reference happens under the read lock, so an object cannot be
 * released between the load of its pointer and the increment of its count.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload_pvt.h"

#define FDTAB_MIN	1024u
#define FDTAB_MAX	(1u << 20)

_Atomic bool		 pl_active;
_Atomic bool		 pl_sock_seen;
static _Atomic(struct pl_obj *) *fdtab;
static unsigned		 fdtab_size;
static int		 fdtab_hide_base = 768;
static pthread_rwlock_t	 fdtab_lock = PTHREAD_RWLOCK_INITIALIZER;

int
fdtab_init(void)
{
	struct rlimit	rl;
	size_t		n = FDTAB_MIN;
	void		*p;

	if (fdtab != NULL)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t lim = rl.rlim_max;

		if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1024)
			fdtab_hide_base = (int)(rl.rlim_cur * 3 / 4);

		if (lim == RLIM_INFINITY || lim > FDTAB_MAX)
			lim = FDTAB_MAX;
		if (lim > n)
			n = (size_t)lim;
	}
	p = mmap(NULL, n * sizeof(*fdtab), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	fdtab = p;
	fdtab_size = (unsigned)n;
	return 0;
}

int
fdtab_hide(int fd)
{
	int high;

	/*
	 * The library's own descriptors (the stack's endpoint, region,
	 * doorbells, a sleeping thread's eventfd) live above the numbers a
	 * program uses, so that the numbers it closes are the ones it gets
	 * back, as without the library.
	 */
	if (fd < 0 || fd >= fdtab_hide_base)
		return fd;
	high = pl_real.fcntl(fd, F_DUPFD_CLOEXEC, fdtab_hide_base);
	if (high < 0)
		return fd;
	pl_real.close(fd);
	return high;
}

static inline bool
fdtab_in(int fd)
{
	return fd >= 0 && (unsigned)fd < fdtab_size;
}

struct pl_obj *
fdtab_get(int fd)
{
	struct pl_obj *o;

	if (!atomic_load_explicit(&pl_active, memory_order_relaxed) ||
	    !fdtab_in(fd) ||
	    atomic_load_explicit(&fdtab[fd], memory_order_relaxed) == NULL)
		return NULL;
	pthread_rwlock_rdlock(&fdtab_lock);
	o = atomic_load_explicit(&fdtab[fd], memory_order_relaxed);
	if (o != NULL)
		atomic_fetch_add_explicit(&o->ref, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&fdtab_lock);
	return o;
}

void
obj_put(struct pl_obj *o)
{
	/* The last reference: every other holder's accesses came before. */
	if (atomic_fetch_sub_explicit(&o->ref, 1, memory_order_acq_rel) == 1)
		o->release(o);
}

/* One descriptor of o is gone: the last one closes it, as the kernel's. */
static void
fdtab_drop(struct pl_obj *o)
{
	if (o == NULL)
		return;
	if (atomic_fetch_sub_explicit(&o->nfds, 1, memory_order_acq_rel) == 1 &&
	    o->last_close != NULL)
		o->last_close(o);
	obj_put(o);
}

/* Under the write lock: fd names o now (o may be NULL); returns the old. */
static struct pl_obj *
fdtab_set(int fd, struct pl_obj *o)
{
	struct pl_obj *old = atomic_load_explicit(&fdtab[fd],
	    memory_order_relaxed);

	if (o != NULL) {
		atomic_fetch_add_explicit(&o->ref, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&o->nfds, 1, memory_order_relaxed);
		atomic_store_explicit(&pl_active, true, memory_order_relaxed);
	}
	atomic_store_explicit(&fdtab[fd], o, memory_order_relaxed);
	return old;
}

int
fdtab_install(int fd, struct pl_obj *o)
{
	struct pl_obj *old;

	if (!fdtab_in(fd))
		return -EMFILE;
	pthread_rwlock_wrlock(&fdtab_lock);
	/* A number the kernel gave us is free: an entry is stale. */
	old = fdtab_set(fd, o);
	pthread_rwlock_unlock(&fdtab_lock);
	fdtab_drop(old);
	return 0;
}

int
fdtab_close(int fd)
{
	struct pl_obj	*o = NULL;
	int		 rc, err;

	if (!fdtab_in(fd))
		return pl_real.close(fd);
	pthread_rwlock_wrlock(&fdtab_lock);
	o = fdtab_set(fd, NULL);
	rc = pl_real.close(fd);
	err = errno;
	pthread_rwlock_unlock(&fdtab_lock);
	fdtab_drop(o);
	errno = err;
	return rc;
}

int
fdtab_dup(int oldfd, int newfd, int flags, int how)
{
	struct pl_obj	*o, *old = NULL;
	int		 rc, err;

	pthread_rwlock_wrlock(&fdtab_lock);
	o = fdtab_in(oldfd) ? atomic_load_explicit(&fdtab[oldfd],
	    memory_order_relaxed) : NULL;
	switch (how) {
	case PL_DUP:
		rc = pl_real.dup(oldfd);
		break;
	case PL_DUP2:
		rc = pl_real.dup2(oldfd, newfd);
		break;
	case PL_DUP3:
		rc = pl_real.dup3(oldfd, newfd, flags);
		break;
	default:
		rc = pl_real.fcntl(oldfd, flags ? F_DUPFD_CLOEXEC : F_DUPFD,
		    newfd);
		break;
	}
	err = errno;
	if (rc >= 0 && rc != oldfd) {
		if (fdtab_in(rc))
			old = fdtab_set(rc, o);
		else if (o != NULL) {
			/* Past the table: we could not follow it. */
			pl_real.close(rc);
			rc = -1;
			err = EMFILE;
		}
	}
	pthread_rwlock_unlock(&fdtab_lock);
	fdtab_drop(old);
	errno = err;
	return rc;
}

int
fdtab_close_range(unsigned lo, unsigned hi, int flags)
{
	struct pl_obj	**gone = NULL;
	unsigned	  i, n = 0, top;
	int		  rc, err;

	if (lo > hi || (flags & CLOSE_RANGE_CLOEXEC) ||
	    !atomic_load_explicit(&pl_active, memory_order_relaxed))
		return pl_real.close_range != NULL ?
		    pl_real.close_range(lo, hi, flags) : (errno = ENOSYS, -1);
	top = hi < fdtab_size - 1 ? hi : fdtab_size - 1;
	pthread_rwlock_wrlock(&fdtab_lock);
	for (i = lo; i <= top && lo < fdtab_size; i++) {
		if (atomic_load_explicit(&fdtab[i], memory_order_relaxed) ==
		    NULL)
			continue;
		if (gone == NULL && (gone = calloc(top - lo + 1,
		    sizeof(*gone))) == NULL) {
			pthread_rwlock_unlock(&fdtab_lock);
			errno = ENOMEM;
			return -1;
		}
		gone[n++] = fdtab_set((int)i, NULL);
	}
	rc = pl_real.close_range != NULL ? pl_real.close_range(lo, hi, flags) :
	    (errno = ENOSYS, -1);
	err = errno;
	pthread_rwlock_unlock(&fdtab_lock);
	for (i = 0; i < n; i++)
		fdtab_drop(gone[i]);
	free(gone);
	errno = err;
	return rc;
}
