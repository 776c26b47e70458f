/*
 * signal.c: which signals may interrupt a blocking call for good.
 *
 * A blocking call the kernel makes restarts after a handler installed with
 * SA_RESTART and fails with EINTR after any other.  The library blocks in
 * ppoll, which never restarts, so it must know which kind of handler ran.
 * Handlers installed without SA_RESTART are wrapped: the wrapper counts the
 * interruption in a thread-local counter, then calls the program's handler
 * with the same arguments.  A wait that saw EINTR and no new count restarts
 * itself; handlers with SA_RESTART (and glibc's signal(), which sets it)
 * are left as they are.  sigaction() reports the program's own handler.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "preload_pvt.h"

#ifndef _NSIG
#define _NSIG	65
#endif

struct sig_user {
	_Atomic(void *)	 fn;		/* the program's handler */
	_Atomic int	 flags;		/* its sa_flags */
};

static struct sig_user	 sig_user[_NSIG];
static __thread uint64_t sig_intr;
static pthread_mutex_t	 sig_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t
sig_intr_count(void)
{
	return sig_intr;
}

static void
sig_tramp(int signo, siginfo_t *si, void *uc)
{
	void	*fn;
	int	 flags;

	if (signo <= 0 || signo >= _NSIG)
		return;
	fn = atomic_load_explicit(&sig_user[signo].fn, memory_order_relaxed);
	flags = atomic_load_explicit(&sig_user[signo].flags,
	    memory_order_relaxed);
	if (!(flags & SA_RESTART))
		sig_intr++;
	if (fn == NULL)
		return;
	if (flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))fn)(signo, si, uc);
	else
		((void (*)(int))fn)(signo);
}

/* Does act install a function that must be wrapped? */
static bool
sig_wraps(const struct sigaction *act)
{
	void *fn = (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction :
	    (void *)act->sa_handler;

	return fn != (void *)SIG_DFL && fn != (void *)SIG_IGN &&
	    !(act->sa_flags & SA_RESTART);
}

PL_EXPORT int
sigaction(int signo, const struct sigaction *act, struct sigaction *oldact)
{
	struct sigaction	 mine, old;
	void			*prev_fn;
	int			 prev_flags, rc;

	if (pl_real.sigaction == NULL)
		real_init();
	if (signo <= 0 || signo >= _NSIG)
		return pl_real.sigaction(signo, act, oldact);
	pthread_mutex_lock(&sig_lock);
	prev_fn = atomic_load_explicit(&sig_user[signo].fn,
	    memory_order_relaxed);
	prev_flags = atomic_load_explicit(&sig_user[signo].flags,
	    memory_order_relaxed);
	if (act != NULL && sig_wraps(act)) {
		/* The wrapper reads these: in place before it is. */
		atomic_store_explicit(&sig_user[signo].fn,
		    (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction :
		    (void *)act->sa_handler, memory_order_relaxed);
		atomic_store_explicit(&sig_user[signo].flags, act->sa_flags,
		    memory_order_relaxed);
		mine = *act;
		mine.sa_sigaction = sig_tramp;
		mine.sa_flags |= SA_SIGINFO;
		rc = pl_real.sigaction(signo, &mine, &old);
		if (rc != 0) {
			atomic_store_explicit(&sig_user[signo].fn, prev_fn,
			    memory_order_relaxed);
			atomic_store_explicit(&sig_user[signo].flags,
			    prev_flags, memory_order_relaxed);
		}
	} else {
		rc = pl_real.sigaction(signo, act, &old);
	}
	/* What the program installed, not our wrapper. */
	if (rc == 0 && (old.sa_flags & SA_SIGINFO) &&
	    old.sa_sigaction == sig_tramp) {
		old.sa_flags = (old.sa_flags & ~SA_SIGINFO) |
		    (prev_flags & SA_SIGINFO);
		if (prev_flags & SA_SIGINFO)
			old.sa_sigaction = (void (*)(int, siginfo_t *,
			    void *))prev_fn;
		else
			old.sa_handler = (void (*)(int))prev_fn;
	}
	pthread_mutex_unlock(&sig_lock);
	if (rc == 0 && oldact != NULL)
		*oldact = old;
	return rc;
}
