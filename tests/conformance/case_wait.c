/*
 * case_wait.c: the same scenarios for each way to wait for readiness
 * (poll, ppoll, select, pselect, epoll_wait, epoll_pwait): timeouts of
 * 0, 100 ms and forever, a set that mixes a socket with a pipe (a kernel
 * descriptor), EINTR with and without SA_RESTART, and the signal masks
 * of the p-variants.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

enum { W_RD = 1, W_WR = 2, W_MAX = 4 };

struct wait_prim {
	const char *name;
	bool has_mask;
	/* Waits until one of the N descriptors FD[i] is ready for WANT[i]
	 * (W_RD, W_WR) or MS pass (-1: forever); fills GOT[i].  MASK is the
	 * signal mask during the wait (p-variants only; NULL: unchanged).
	 * Returns the call's result, errno set. */
	int (*wait)(int n, const int *fd, const int *want, int *got, int ms,
	    const sigset_t *mask);
};

/* ms as a timespec for the p-variants (NULL for -1). */
static struct timespec *wait_ts(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = ms % 1000 * 1000000L;
	return ts;
}

/* poll and ppoll. */
static int wait_poll_any(bool p, int n, const int *fd, const int *want,
    int *got, int ms, const sigset_t *mask)
{
	struct pollfd pf[W_MAX];
	struct timespec ts;
	int r;

	for (int i = 0; i < n; i++) {
		pf[i].fd = fd[i];
		pf[i].events = (short)(((want[i] & W_RD) ? POLLIN : 0) |
		    ((want[i] & W_WR) ? POLLOUT : 0));
		pf[i].revents = 0;
	}
	r = p ? ppoll(pf, (nfds_t)n, wait_ts(ms, &ts), mask) :
	    poll(pf, (nfds_t)n, ms);
	for (int i = 0; i < n; i++)
		got[i] = ((pf[i].revents & POLLIN) ? W_RD : 0) |
		    ((pf[i].revents & POLLOUT) ? W_WR : 0);
	return r;
}

static int wait_poll_fn(int n, const int *fd, const int *want, int *got,
    int ms, const sigset_t *mask)
{
	return wait_poll_any(false, n, fd, want, got, ms, mask);
}

static int wait_ppoll_fn(int n, const int *fd, const int *want, int *got,
    int ms, const sigset_t *mask)
{
	return wait_poll_any(true, n, fd, want, got, ms, mask);
}

/* select and pselect. */
static int wait_select_any(bool p, int n, const int *fd, const int *want,
    int *got, int ms, const sigset_t *mask)
{
	fd_set rd, wr;
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };
	struct timespec ts;
	int r, max = -1;

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	for (int i = 0; i < n; i++) {
		if (want[i] & W_RD)
			FD_SET(fd[i], &rd);
		if (want[i] & W_WR)
			FD_SET(fd[i], &wr);
		if (fd[i] > max)
			max = fd[i];
	}
	r = p ? pselect(max + 1, &rd, &wr, NULL, wait_ts(ms, &ts), mask) :
	    select(max + 1, &rd, &wr, NULL, ms < 0 ? NULL : &tv);
	for (int i = 0; i < n; i++)
		got[i] = r <= 0 ? 0 : (FD_ISSET(fd[i], &rd) ? W_RD : 0) |
		    (FD_ISSET(fd[i], &wr) ? W_WR : 0);
	return r;
}

static int wait_select_fn(int n, const int *fd, const int *want, int *got,
    int ms, const sigset_t *mask)
{
	return wait_select_any(false, n, fd, want, got, ms, mask);
}

static int wait_pselect_fn(int n, const int *fd, const int *want, int *got,
    int ms, const sigset_t *mask)
{
	return wait_select_any(true, n, fd, want, got, ms, mask);
}

/* epoll_wait and epoll_pwait, on an epoll set made for the call. */
static int wait_epoll_any(bool p, int n, const int *fd, const int *want,
    int *got, int ms, const sigset_t *mask)
{
	struct epoll_event ev[W_MAX];
	int ep = epoll_create1(EPOLL_CLOEXEC), r, err;

	if (ep < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct epoll_event e = { .data.u32 = (uint32_t)i };

		e.events = ((want[i] & W_RD) ? EPOLLIN : 0) |
		    ((want[i] & W_WR) ? EPOLLOUT : 0);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e);
		got[i] = 0;
	}
	r = p ? epoll_pwait(ep, ev, n, ms, mask) : epoll_wait(ep, ev, n, ms);
	err = errno;
	for (int k = 0; k < r; k++)
		if (ev[k].data.u32 < (uint32_t)n)
			got[ev[k].data.u32] = ((ev[k].events & EPOLLIN) ? W_RD : 0) |
			    ((ev[k].events & EPOLLOUT) ? W_WR : 0);
	close(ep);
	errno = err;
	return r;
}

static int wait_epoll_fn(int n, const int *fd, const int *want, int *got,
    int ms, const sigset_t *mask)
{
	return wait_epoll_any(false, n, fd, want, got, ms, mask);
}

static int wait_epoll_pwait_fn(int n, const int *fd, const int *want,
    int *got, int ms, const sigset_t *mask)
{
	return wait_epoll_any(true, n, fd, want, got, ms, mask);
}

static const struct wait_prim wait_poll = { "poll", false, wait_poll_fn };
static const struct wait_prim wait_ppoll = { "ppoll", true, wait_ppoll_fn };
static const struct wait_prim wait_select = { "select", false, wait_select_fn };
static const struct wait_prim wait_pselect = { "pselect", true, wait_pselect_fn };
static const struct wait_prim wait_epoll = { "epoll_wait", false, wait_epoll_fn };
static const struct wait_prim wait_epoll_pwait = { "epoll_pwait", true,
	wait_epoll_pwait_fn };

/* Waits and says the result with each descriptor's readiness:
 * "WHAT -> R [sock:RD pipe:-]". */
static int wait_say(const char *what, const struct wait_prim *w, int n,
    const int *fd, const char *const *label, const int *want, int ms,
    const sigset_t *mask)
{
	int got[W_MAX], r, err;
	char b[128] = "";
	size_t o = 0;

	r = w->wait(n, fd, want, got, ms, mask);
	err = errno;
	for (int i = 0; i < n && r > 0; i++)
		o += (size_t)snprintf(b + o, sizeof b - o, "%s%s:%s%s",
		    i ? " " : " [", label[i],
		    got[i] == 0 ? "-" : (got[i] & W_RD) ? "RD" : "",
		    (got[i] & W_WR) ? ((got[i] & W_RD) ? "|WR" : "WR") : "");
	say("%s -> %s%s%s", what, say_rcs(r, err), b, r > 0 ? "]" : "");
	errno = err;
	return r;
}

/* Pushes one byte into a socket (the helper thread's job). */
static void wait_send_x(void *arg)
{
	send(*(int *)arg, "x", 1, MSG_NOSIGNAL);
}

/* Timeouts of 0 and 100 ms with nothing ready. */
static void wait_timeout(const struct wait_prim *w)
{
	static const char *const lab[] = { "sock" };
	int c, s, want = W_RD;
	double t0, ms;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	wait_say("timeout 0, nothing ready", w, 1, &c, lab, &want, 0, NULL);
	t0 = bg_now();
	wait_say("timeout 100 ms, nothing ready", w, 1, &c, lab, &want, 100, NULL);
	ms = bg_now() - t0;
	say("returned after 90 ms to 2 s: %s", say_yes(ms >= 90 && ms < 2000));
	say_v("%s returned after %.1f ms", w->name, ms);
	close(c);
	close(s);
}

/* No timeout: the wait ends when another thread sends. */
static void wait_forever(const struct wait_prim *w)
{
	static const char *const lab[] = { "sock" };
	struct bg bg = { 0 };
	int c, s, want = W_RD;
	double t0, ms;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	/* A wait that never ends is cut short by SIGALRM after 3 s. */
	sig_catch(SIGALRM, false);
	sig_timer(3000);
	t0 = bg_now();
	bg_start(&bg, 50, wait_send_x, &s);
	wait_say("timeout -1, a byte sent by another thread after 50 ms", w, 1,
	    &c, lab, &want, -1, NULL);
	ms = bg_now() - t0;
	sig_timer(0);
	bg_join(&bg);
	say("returned after 40 ms to 2 s: %s", say_yes(ms >= 40 && ms < 2000));
	say_v("%s returned after %.1f ms", w->name, ms);
	sig_default(SIGALRM);
	close(c);
	close(s);
}

/* A membrane socket and a pipe in one set: each is reported for what it
 * is, alone and together. */
static void wait_mixed(const struct wait_prim *w)
{
	static const char *const lab[] = { "sock", "pipe" };
	int c, s, p[2], fd[2], want[2] = { W_RD, W_RD }, wr[2] = { W_WR, W_WR };
	int both[2] = { W_RD | W_WR, W_RD };
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0 || pipe(p) < 0)
		return;
	fd[0] = c;
	fd[1] = p[0];
	wait_say("readable? nothing sent", w, 2, fd, lab, want, 0, NULL);
	if (write(p[1], "p", 1) != 1)
		say("setup: write to the pipe failed");
	wait_say("readable? a byte in the pipe", w, 2, fd, lab, want, 0, NULL);
	send(s, "s", 1, 0);
	net_wait(c, POLLIN, 2000);
	wait_say("readable? a byte in each", w, 2, fd, lab, want, 0, NULL);
	if (read(p[0], b, 1) != 1)
		say("setup: read from the pipe failed");
	wait_say("readable? the pipe read", w, 2, fd, lab, want, 0, NULL);
	wait_say("socket readable or writable, pipe readable?", w, 2, fd, lab,
	    both, 0, NULL);
	recv(c, b, 1, 0);
	wait_say("readable? both read, timeout 50 ms", w, 2, fd, lab, want, 50,
	    NULL);
	fd[1] = p[1];
	wait_say("writable? (pipe: its write end)", w, 2, fd, lab, wr, 0, NULL);
	close(p[0]);
	close(p[1]);
	close(c);
	close(s);
}

/* SIGALRM during a wait: EINTR, with SA_RESTART too (these calls are
 * never restarted). */
static void wait_eintr(const struct wait_prim *w)
{
	static const char *const lab[] = { "sock" };
	int c, s, want = W_RD;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	for (int restart = 0; restart < 2; restart++) {
		sig_catch(SIGALRM, restart);
		sig_timer(100);
		wait_say(restart ? "SA_RESTART handler, SIGALRM after 100 ms" :
		    "handler without SA_RESTART, SIGALRM after 100 ms", w, 1, &c,
		    lab, &want, 3000, NULL);
		sig_timer(0);
		say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));
	}
	sig_default(SIGALRM);
	close(c);
	close(s);
}

/* The p-variants' mask: SIGALRM blocked in the thread but not in the
 * mask interrupts the wait; blocked in the mask it waits for the
 * timeout and is handled once the call restores the thread's mask. */
static void wait_sigmask(const struct wait_prim *w)
{
	static const char *const lab[] = { "sock" };
	sigset_t unblocked, blocked;
	int c, s, want = W_RD;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	sig_catch(SIGALRM, false);
	sig_block(SIGALRM, true);
	pthread_sigmask(SIG_BLOCK, NULL, &unblocked);
	sigdelset(&unblocked, SIGALRM);
	blocked = unblocked;
	sigaddset(&blocked, SIGALRM);

	sig_timer(100);
	wait_say("SIGALRM blocked, mask unblocks it, SIGALRM after 100 ms", w, 1,
	    &c, lab, &want, 3000, &unblocked);
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));

	sig_timer(100);
	wait_say("SIGALRM blocked, NULL mask, timeout 300 ms", w, 1, &c, lab,
	    &want, 300, NULL);
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 2));
	sig_block(SIGALRM, false);
	say("unblocked, handler ran: %s", say_yes(sig_count(SIGALRM) == 2));

	sig_timer(100);
	wait_say("SIGALRM not blocked, mask blocks it, timeout 300 ms", w, 1, &c,
	    lab, &want, 300, &blocked);
	say("handler ran by the time the call returned: %s",
	    say_yes(sig_count(SIGALRM) == 3));
	sig_timer(0);
	sig_default(SIGALRM);
	close(c);
	close(s);
}

#define WAIT_CASE(prim, scen) \
	static void wait_##prim##_##scen(void) { wait_##scen(&wait_##prim); }
#define WAIT_CASES(prim) \
	WAIT_CASE(prim, timeout) WAIT_CASE(prim, forever) \
	WAIT_CASE(prim, mixed) WAIT_CASE(prim, eintr)
WAIT_CASES(poll)
WAIT_CASES(ppoll)
WAIT_CASES(select)
WAIT_CASES(pselect)
WAIT_CASES(epoll)
WAIT_CASES(epoll_pwait)
WAIT_CASE(ppoll, sigmask)
WAIT_CASE(pselect, sigmask)
WAIT_CASE(epoll_pwait, sigmask)

#define WAIT_ROWS(prim, name) \
	{ name ".timeout", wait_##prim##_timeout }, \
	{ name ".forever", wait_##prim##_forever }, \
	{ name ".mixed", wait_##prim##_mixed }, \
	{ name ".eintr", wait_##prim##_eintr }

const struct conform_case case_wait[] = {
	WAIT_ROWS(poll, "poll"),
	WAIT_ROWS(ppoll, "ppoll"),
	{ "ppoll.sigmask", wait_ppoll_sigmask },
	WAIT_ROWS(select, "select"),
	WAIT_ROWS(pselect, "pselect"),
	{ "pselect.sigmask", wait_pselect_sigmask },
	WAIT_ROWS(epoll, "epoll_wait"),
	WAIT_ROWS(epoll_pwait, "epoll_pwait"),
	{ "epoll_pwait.sigmask", wait_epoll_pwait_sigmask },
	CONFORM_END
};
