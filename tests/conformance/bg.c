/*
 * bg.c: background threads that act after a delay (data that arrives
 * later, a shutdown from another thread), and the clock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "conform.h"

/* The thread: wait, then act. */
static void *bg_main(void *arg)
{
	struct bg *b = arg;

	bg_sleep(b->delay_ms);
	b->fn(b->arg);
	return NULL;
}

/* Runs FN(ARG) in a new thread after DELAY_MS.  The thread blocks every
 * signal, so that signals meant for the case reach its main thread. */
void bg_start(struct bg *b, int delay_ms, void (*fn)(void *), void *arg)
{
	sigset_t all, old;

	b->delay_ms = delay_ms;
	b->fn = fn;
	b->arg = arg;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&b->tid, NULL, bg_main, b) != 0) {
		fprintf(stderr, "conform: pthread_create failed\n");
		exit(1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	b->running = true;
}

/* Waits for the thread to end. */
void bg_join(struct bg *b)
{
	if (b->running)
		pthread_join(b->tid, NULL);
	b->running = false;
}

/* Milliseconds on the monotonic clock. */
double bg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sleeps MS milliseconds, through signals. */
void bg_sleep(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
