/*
 * sig.c: signal handlers that count, and the one-shot interval timer the
 * EINTR cases use.
 */
#include "config.h"

#include <string.h>
#include <sys/time.h>

#include "conform.h"

static volatile sig_atomic_t sig_seen[NSIG];

/* Counts a signal. */
static void sig_handler(int sig)
{
	if (sig > 0 && sig < NSIG)
		sig_seen[sig]++;
}

/* Catches SIG with a counting handler, with or without SA_RESTART, and
 * zeroes its count. */
void sig_catch(int sig, bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sig_seen[sig] = 0;
	sigaction(sig, &sa, NULL);
}

/* Restores SIG's default action. */
void sig_default(int sig)
{
	signal(sig, SIG_DFL);
}

/* How many times SIG was handled since sig_catch. */
int sig_count(int sig)
{
	return sig_seen[sig];
}

/* SIGALRM to the process after MS milliseconds; 0 cancels. */
void sig_timer(int ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = ms % 1000 * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Blocks or unblocks SIG in the calling thread. */
void sig_block(int sig, bool block)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}
