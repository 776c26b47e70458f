/*
 * case_epoll.c: epoll beyond a single wait: epoll_ctl's errors, level
 * and edge triggering, EPOLLONESHOT and re-arming, EPOLLRDHUP,
 * EPOLLEXCLUSIVE, nested epoll sets, removal (explicit, and by close).
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conform.h"

/* epoll_ctl, said. */
static long epoll_ctl_say(const char *what, int ep, int op, int fd,
    uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };

	return SAY_RC(what, epoll_ctl(ep, op, fd, &e));
}

/* Orders events by their data. */
static int epoll_cmp(const void *a, const void *b)
{
	const struct epoll_event *x = a, *y = b;

	return x->data.u64 < y->data.u64 ? -1 : x->data.u64 > y->data.u64;
}

/* epoll_wait, said with each event: "-> 1 [0x1:EPOLLIN]" (sorted by
 * data: the order of events within one wait is not part of the API). */
static int epoll_say(const char *what, int ep, int max, int ms)
{
	struct epoll_event ev[8];
	char b[256] = "";
	size_t o = 0;
	int r = epoll_wait(ep, ev, max, ms), err = errno;

	if (r > 1)
		qsort(ev, (size_t)r, sizeof ev[0], epoll_cmp);
	for (int i = 0; i < r && i < 8; i++)
		o += (size_t)snprintf(b + o, sizeof b - o, "%s0x%llx:%s",
		    i ? " " : " [", (unsigned long long)ev[i].data.u64,
		    say_epoll(ev[i].events));
	say("%s -> %s%s%s", what, say_rcs(r, err), b, r > 0 ? "]" : "");
	return r;
}

/* epoll_create and epoll_create1: sizes, flags, close-on-exec. */
static void epoll_create_cases(void)
{
	int ep, f;

	SAY_FD("epoll_create(0)", epoll_create(0));
	ep = SAY_FD("epoll_create(1)", epoll_create(1));
	close(ep);
	ep = SAY_FD("epoll_create1(EPOLL_CLOEXEC)", epoll_create1(EPOLL_CLOEXEC));
	f = fcntl(ep, F_GETFD);
	say("F_GETFD -> %s", f < 0 ? say_rcs(f, errno) :
	    (f & FD_CLOEXEC) ? "FD_CLOEXEC" : "0");
	close(ep);
	SAY_FD("epoll_create1(1)", epoll_create1(1));
}

/* epoll_ctl's errors, and epoll_wait's for maxevents 0. */
static void epoll_ctl_errors(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int ep = epoll_create1(0), c, s, file, gone;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	snprintf(path, sizeof path, "%s/conform.XXXXXX", dir ? dir : "/tmp");
	file = mkstemp(path);
	unlink(path);
	gone = net_closed_fd();
	epoll_ctl_say("ADD socket", ep, EPOLL_CTL_ADD, c, EPOLLIN, 1);
	epoll_ctl_say("ADD socket again", ep, EPOLL_CTL_ADD, c, EPOLLIN, 1);
	epoll_ctl_say("MOD a socket not in the set", ep, EPOLL_CTL_MOD, s, EPOLLIN, 2);
	epoll_ctl_say("DEL a socket not in the set", ep, EPOLL_CTL_DEL, s, 0, 0);
	epoll_ctl_say("ADD the epoll fd to itself", ep, EPOLL_CTL_ADD, ep, EPOLLIN, 3);
	epoll_ctl_say("ADD a regular file", ep, EPOLL_CTL_ADD, file, EPOLLIN, 4);
	epoll_ctl_say("ADD a closed descriptor", ep, EPOLL_CTL_ADD, gone, EPOLLIN, 5);
	epoll_ctl_say("a socket as the epoll fd, ADD", s, EPOLL_CTL_ADD, c, EPOLLIN, 6);
	epoll_ctl_say("op 99", ep, 99, s, EPOLLIN, 7);
	epoll_ctl_say("MOD socket", ep, EPOLL_CTL_MOD, c, EPOLLOUT, 8);
	epoll_say("epoll_wait(maxevents 0)", ep, 0, 0);
	epoll_ctl_say("DEL socket", ep, EPOLL_CTL_DEL, c, 0, 0);
	epoll_ctl_say("DEL socket again", ep, EPOLL_CTL_DEL, c, 0, 0);
	close(file);
	close(ep);
	close(c);
	close(s);
}

/* Level-triggered: reported for as long as data is waiting. */
static void epoll_lt(void)
{
	int ep = epoll_create1(0), c, s;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	epoll_ctl_say("ADD EPOLLIN", ep, EPOLL_CTL_ADD, c, EPOLLIN,
	    UINT64_C(0x1122334455667788));
	epoll_say("wait(0), nothing", ep, 8, 0);
	send(s, "ab", 2, 0);
	epoll_say("wait(2 s), 2 bytes sent", ep, 8, 2000);
	epoll_say("wait(0) again", ep, 8, 0);
	recv(c, b, 1, 0);
	epoll_say("wait(0), 1 byte read", ep, 8, 0);
	recv(c, b, 1, 0);
	epoll_say("wait(0), all read", ep, 8, 0);
	close(ep);
	close(c);
	close(s);
}

/* Edge-triggered: reported once per arrival (EPOLLOUT with it). */
static void epoll_et(void)
{
	int ep = epoll_create1(0), c, s;
	char b[8];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	epoll_ctl_say("ADD EPOLLIN|EPOLLET", ep, EPOLL_CTL_ADD, c,
	    EPOLLIN | EPOLLET, 1);
	send(s, "a", 1, 0);
	epoll_say("wait(2 s), a byte sent", ep, 8, 2000);
	epoll_say("wait(0), unread", ep, 8, 0);
	send(s, "b", 1, 0);
	epoll_say("wait(2 s), another byte sent", ep, 8, 2000);
	recv(c, b, sizeof b, 0);
	epoll_say("wait(0), read", ep, 8, 0);
	epoll_ctl_say("MOD EPOLLIN|EPOLLOUT|EPOLLET", ep, EPOLL_CTL_MOD, c,
	    EPOLLIN | EPOLLOUT | EPOLLET, 2);
	epoll_say("wait(0)", ep, 8, 0);
	epoll_say("wait(0) again", ep, 8, 0);
	send(s, "c", 1, 0);
	epoll_say("wait(2 s), a byte sent", ep, 8, 2000);
	epoll_say("wait(0)", ep, 8, 0);
	close(ep);
	close(c);
	close(s);
}

/* EPOLLONESHOT: reported once, until EPOLL_CTL_MOD re-arms it. */
static void epoll_oneshot(void)
{
	int ep = epoll_create1(0), c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	epoll_ctl_say("ADD EPOLLIN|EPOLLONESHOT", ep, EPOLL_CTL_ADD, c,
	    EPOLLIN | EPOLLONESHOT, 1);
	send(s, "a", 1, 0);
	epoll_say("wait(2 s), a byte sent", ep, 8, 2000);
	epoll_say("wait(0), unread", ep, 8, 0);
	send(s, "b", 1, 0);
	epoll_say("wait(100 ms), another byte sent", ep, 8, 100);
	epoll_ctl_say("MOD EPOLLIN|EPOLLONESHOT (re-arm)", ep, EPOLL_CTL_MOD, c,
	    EPOLLIN | EPOLLONESHOT, 2);
	epoll_say("wait(0)", ep, 8, 0);
	epoll_say("wait(0) again", ep, 8, 0);
	epoll_ctl_say("ADD again while disarmed", ep, EPOLL_CTL_ADD, c, EPOLLIN, 3);
	epoll_ctl_say("MOD EPOLLIN (re-arm, level)", ep, EPOLL_CTL_MOD, c,
	    EPOLLIN, 4);
	epoll_say("wait(0)", ep, 8, 0);
	epoll_say("wait(0) again", ep, 8, 0);
	close(ep);
	close(c);
	close(s);
}

/* EPOLLRDHUP once the peer shuts its side, EPOLLHUP once both are. */
static void epoll_rdhup(void)
{
	int ep = epoll_create1(0), c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	epoll_ctl_say("ADD EPOLLIN|EPOLLOUT|EPOLLRDHUP", ep, EPOLL_CTL_ADD, c,
	    EPOLLIN | EPOLLOUT | EPOLLRDHUP, 1);
	epoll_say("wait(0)", ep, 8, 0);
	SAY_RC("peer shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
	net_wait(c, POLLRDHUP, 2000);
	epoll_say("wait(0)", ep, 8, 0);
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	net_wait(s, POLLRDHUP, 2000);
	epoll_say("wait(0)", ep, 8, 0);
	close(ep);
	close(c);
	close(s);
}

/* A reset: EPOLLERR and EPOLLHUP, asked for or not. */
static void epoll_reset(void)
{
	struct linger lg = { 1, 0 };
	int ep = epoll_create1(0), c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	epoll_ctl_say("ADD EPOLLIN|EPOLLRDHUP|EPOLLET", ep, EPOLL_CTL_ADD, c,
	    EPOLLIN | EPOLLRDHUP | EPOLLET, 1);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	SAY_RC("peer closes with a reset", close(s));
	epoll_say("wait(2 s)", ep, 8, 2000);
	epoll_ctl_say("MOD events 0", ep, EPOLL_CTL_MOD,
	    c, 0, 2);
	epoll_say("wait(0)", ep, 8, 0);
	close(ep);
	close(c);
}

/* EPOLLEXCLUSIVE on ADD, and the combinations it refuses. */
static void epoll_exclusive(void)
{
	int ep = epoll_create1(0), c, s, d;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	d = dup(s);
	epoll_ctl_say("ADD EPOLLIN|EPOLLEXCLUSIVE", ep, EPOLL_CTL_ADD, c,
	    EPOLLIN | EPOLLEXCLUSIVE, 1);
	send(s, "a", 1, 0);
	epoll_say("wait(2 s), a byte sent", ep, 8, 2000);
	epoll_ctl_say("MOD EPOLLIN", ep, EPOLL_CTL_MOD, c, EPOLLIN, 2);
	epoll_ctl_say("MOD EPOLLIN|EPOLLEXCLUSIVE", ep, EPOLL_CTL_MOD, c,
	    EPOLLIN | EPOLLEXCLUSIVE, 3);
	epoll_ctl_say("ADD EPOLLIN|EPOLLEXCLUSIVE|EPOLLONESHOT", ep,
	    EPOLL_CTL_ADD, s, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 4);
	epoll_ctl_say("ADD EPOLLIN|EPOLLEXCLUSIVE|EPOLLRDHUP", ep,
	    EPOLL_CTL_ADD, s, EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 5);
	epoll_ctl_say("ADD EPOLLOUT|EPOLLEXCLUSIVE|EPOLLET", ep,
	    EPOLL_CTL_ADD, d, EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 6);
	close(ep);
	close(c);
	close(s);
	close(d);
}

/* An epoll set inside another. */
static void epoll_nested(void)
{
	int outer = epoll_create1(0), inner = epoll_create1(0), c, s, p[2];
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0 || pipe(p) < 0)
		return;
	epoll_ctl_say("inner: ADD socket", inner, EPOLL_CTL_ADD, c, EPOLLIN, 0xc);
	epoll_ctl_say("outer: ADD inner", outer, EPOLL_CTL_ADD, inner, EPOLLIN, 0x1);
	epoll_ctl_say("outer: ADD pipe", outer, EPOLL_CTL_ADD, p[0], EPOLLIN, 0x9);
	epoll_say("outer wait(0), nothing", outer, 8, 0);
	send(s, "a", 1, 0);
	epoll_say("outer wait(2 s), a byte for the socket", outer, 8, 2000);
	epoll_say("inner wait(0)", inner, 8, 0);
	if (write(p[1], "p", 1) != 1)
		say("setup: write to the pipe failed");
	epoll_say("outer wait(0), and one in the pipe", outer, 8, 0);
	recv(c, b, 1, 0);
	epoll_say("outer wait(0), the socket read", outer, 8, 0);
	epoll_ctl_say("outer: ADD outer to inner (a loop)", inner, EPOLL_CTL_ADD,
	    outer, EPOLLIN, 0x2);
	close(outer);
	close(inner);
	close(c);
	close(s);
	close(p[0]);
	close(p[1]);
}

/* DEL removes; close removes too, but only when no copy of the
 * descriptor is left: the registration belongs to the open file. */
static void epoll_removal(void)
{
	int ep = epoll_create1(0), c, s, c2, s2, d;

	if (net_pair(AF_INET, &c, &s) < 0 || net_pair(AF_INET, &c2, &s2) < 0)
		return;
	epoll_ctl_say("ADD", ep, EPOLL_CTL_ADD, c, EPOLLIN, 1);
	epoll_ctl_say("DEL", ep, EPOLL_CTL_DEL, c, 0, 0);
	send(s, "a", 1, 0);
	epoll_say("wait(100 ms), a byte sent", ep, 8, 100);
	epoll_ctl_say("ADD", ep, EPOLL_CTL_ADD, c, EPOLLIN, 2);
	epoll_say("wait(0)", ep, 8, 0);
	SAY_RC("close it", close(c));
	epoll_say("wait(0), closed", ep, 8, 0);

	epoll_ctl_say("ADD another socket", ep, EPOLL_CTL_ADD, c2, EPOLLIN, 3);
	d = dup(c2);
	SAY_RC("dup it, close the original", close(c2));
	send(s2, "b", 1, 0);
	epoll_say("wait(2 s), a byte sent", ep, 8, 2000);
	epoll_ctl_say("DEL the copy's number", ep, EPOLL_CTL_DEL, d, 0, 0);
	SAY_RC("close the copy", close(d));
	epoll_say("wait(0), every copy closed", ep, 8, 0);
	close(ep);
	close(s);
	close(s2);
}

/* maxevents bounds what one wait returns. */
static void epoll_maxevents(void)
{
	int ep = epoll_create1(0), c[3], s[3];

	for (int i = 0; i < 3; i++) {
		if (net_pair(AF_INET, &c[i], &s[i]) < 0)
			return;
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i], &(struct epoll_event){
		    .events = EPOLLIN, .data.u64 = (uint64_t)i });
		send(s[i], "x", 1, 0);
		net_wait(c[i], POLLIN, 2000);
	}
	say("3 sockets readable");
	SAY_RC("epoll_wait(maxevents 2)", epoll_wait(ep,
	    (struct epoll_event[2]){ 0 }, 2, 0));
	SAY_RC("epoll_wait(maxevents 8)", epoll_wait(ep,
	    (struct epoll_event[8]){ 0 }, 8, 0));
	for (int i = 0; i < 3; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(ep);
}

/* A listener is readable while a connection is pending. */
static void epoll_listen(void)
{
	int ep = epoll_create1(0), l = net_listener(AF_INET), c, s;

	if (l < 0)
		return;
	epoll_ctl_say("ADD listener EPOLLIN", ep, EPOLL_CTL_ADD, l, EPOLLIN, 1);
	epoll_say("wait(0)", ep, 8, 0);
	c = net_connect(AF_INET, net_port(l));
	epoll_say("wait(2 s), a client connects", ep, 8, 2000);
	s = accept(l, NULL, NULL);
	epoll_say("wait(0), accepted", ep, 8, 0);
	close(s);
	close(c);
	close(l);
	close(ep);
}

const struct conform_case case_epoll[] = {
	{ "epoll.create", epoll_create_cases },
	{ "epoll.ctl_errors", epoll_ctl_errors },
	{ "epoll.lt", epoll_lt },
	{ "epoll.et", epoll_et },
	{ "epoll.oneshot", epoll_oneshot },
	{ "epoll.rdhup", epoll_rdhup },
	{ "epoll.reset", epoll_reset },
	{ "epoll.exclusive", epoll_exclusive },
	{ "epoll.nested", epoll_nested },
	{ "epoll.removal", epoll_removal },
	{ "epoll.maxevents", epoll_maxevents },
	{ "epoll.listen", epoll_listen },
	CONFORM_END
};
