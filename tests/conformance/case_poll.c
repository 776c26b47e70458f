/*
 * case_poll.c: what poll and select report for sockets in each state:
 * new, listening, half-closed, reset, closed descriptors; select's
 * timeval and its EBADF.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "conform.h"

#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLRDHUP)

/* poll() one descriptor for EVENTS, said with its revents. */
static void poll_one(const char *what, int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, ms);

	say("%s -> %s revents=%s", what, say_rcs(r, errno), say_poll(p.revents));
}

/* POLLNVAL for a closed descriptor; -1 ignored; one socket twice. */
static void poll_nval(void)
{
	struct pollfd p[2];
	int fd, c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	fd = net_closed_fd();
	poll_one("poll(closed descriptor)", fd, POLLIN, 0);
	poll_one("poll(-1)", -1, POLLIN, 0);
	send(s, "x", 1, 0);
	net_wait(c, POLLIN, 2000);
	p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = c, .events = POLLIN };
	SAY_RC("poll(closed descriptor, readable socket)", poll(p, 2, 0));
	say("revents %s, %s", say_poll(p[0].revents), say_poll(p[1].revents));
	p[0] = (struct pollfd){ .fd = c, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = c, .events = POLLOUT };
	SAY_RC("poll(the socket twice: POLLIN, POLLOUT)", poll(p, 2, 0));
	say("revents %s, %s", say_poll(p[0].revents), say_poll(p[1].revents));
	p[0] = (struct pollfd){ .fd = c, .events = 0 };
	SAY_RC("poll(events 0)", poll(p, 1, 0));
	say("revents %s", say_poll(p[0].revents));
	close(c);
	close(s);
}

/* Sockets that never connected. */
static void poll_fresh(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int b = socket(AF_INET, SOCK_STREAM, 0), l = net_listener(AF_INET);
	struct sockaddr_storage ss;
	socklen_t len;

	net_loop(AF_INET, 0, &ss, &len);
	bind(b, (struct sockaddr *)&ss, len);
	poll_one("new SOCK_STREAM", t, POLL_ALL, 0);
	poll_one("bound SOCK_STREAM", b, POLL_ALL, 0);
	poll_one("listener", l, POLL_ALL, 0);
	poll_one("new SOCK_DGRAM", u, POLL_ALL, 0);
	close(t);
	close(u);
	close(b);
	close(l);
}

/* A listener: POLLIN while a connection is pending. */
static void poll_listen(void)
{
	int l = net_listener(AF_INET), c, s;

	if (l < 0)
		return;
	poll_one("listener, nothing pending", l, POLL_ALL, 0);
	c = net_connect(AF_INET, net_port(l));
	poll_one("listener, a connection pending (2 s)", l, POLL_ALL, 2000);
	s = accept(l, NULL, NULL);
	poll_one("listener, accepted", l, POLL_ALL, 0);
	close(s);
	close(c);
	close(l);
}

/* A connection through its states: idle, data, half-closed, closed. */
static void poll_connected(void)
{
	int c, s;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	poll_one("connected, idle", c, POLL_ALL, 0);
	send(s, "x", 1, 0);
	poll_one("a byte arrives (2 s)", c, POLLIN, 2000);
	poll_one("with a byte waiting", c, POLL_ALL, 0);
	recv(c, b, 1, 0);
	SAY_RC("peer shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
	poll_one("POLLRDHUP arrives (2 s)", c, POLLRDHUP, 2000);
	poll_one("peer shut its side", c, POLL_ALL, 0);
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	net_wait(s, POLLRDHUP, 2000);
	poll_one("both sides shut", c, POLL_ALL, 0);
	poll_one("both sides shut, the peer", s, POLL_ALL, 0);
	close(c);
	close(s);
}

/* After a reset, and after our own shutdown(SHUT_RDWR). */
static void poll_reset(void)
{
	struct linger lg = { 1, 0 };
	int c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(s);
	say("the reset arrives: %s", say_yes(net_wait_rst(c, 2000)));
	poll_one("reset", c, POLL_ALL, 0);
	say("SO_ERROR -> %s", say_errno(net_sockerr(c)));
	poll_one("reset, error read", c, POLL_ALL, 0);
	close(c);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("shutdown(SHUT_RDWR)", shutdown(c, SHUT_RDWR));
	poll_one("after shutdown(SHUT_RDWR)", c, POLL_ALL, 0);
	close(c);
	close(s);
}

/* UDP: always writable; readable with a datagram, an empty one too. */
static void poll_udp(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a = net_udp(AF_INET), b = net_udp(AF_INET);
	char buf[4];

	if (a < 0 || b < 0)
		return;
	poll_one("bound, nothing waiting", b, POLL_ALL, 0);
	net_loop(AF_INET, net_port(b), &ss, &len);
	sendto(a, "x", 1, 0, (struct sockaddr *)&ss, len);
	poll_one("a datagram arrives (2 s)", b, POLLIN, 2000);
	poll_one("a datagram waiting", b, POLL_ALL, 0);
	recv(b, buf, sizeof buf, 0);
	sendto(a, "", 0, 0, (struct sockaddr *)&ss, len);
	poll_one("an empty datagram arrives (2 s)", b, POLLIN, 2000);
	close(a);
	close(b);
}

/* Linux's select writes the time left back into its timeval. */
static void select_timeval(void)
{
	struct timeval tv;
	fd_set rd;
	int c, s, r;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	FD_ZERO(&rd);
	FD_SET(c, &rd);
	tv = (struct timeval){ 0, 100000 };
	r = select(c + 1, &rd, NULL, NULL, &tv);
	say("select(100 ms), nothing ready -> %s, timeval -> {%ld, %ld}",
	    say_rcs(r, errno), (long)tv.tv_sec, (long)tv.tv_usec);
	send(s, "x", 1, 0);
	FD_ZERO(&rd);
	FD_SET(c, &rd);
	tv = (struct timeval){ 5, 0 };
	r = select(c + 1, &rd, NULL, NULL, &tv);
	say("select(5 s), a byte waiting -> %s, readable %s, time left under 5 s: %s",
	    say_rcs(r, errno), say_yes(FD_ISSET(c, &rd)),
	    say_yes(tv.tv_sec < 5 && (tv.tv_sec > 0 || tv.tv_usec > 0)));
	close(c);
	close(s);
}

/* A closed descriptor in the set: EBADF. */
static void select_ebadf(void)
{
	struct timeval tv = { 0, 0 };
	fd_set rd;
	int c, s, fd;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	fd = net_closed_fd();
	FD_ZERO(&rd);
	FD_SET(c, &rd);
	FD_SET(fd, &rd);
	SAY_RC("select(a socket and a closed descriptor)",
	    select((c > fd ? c : fd) + 1, &rd, NULL, NULL, &tv));
	close(c);
	close(s);
}

/* EOF, a reset and a pending connection make a socket readable. */
static void select_states(void)
{
	struct timeval tv;
	struct linger lg = { 1, 0 };
	fd_set rd, wr, ex;
	int c, s, l, r;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	for (int step = 0; step < 3; step++) {
		if (step == 1) {
			shutdown(s, SHUT_WR);
			net_wait(c, POLLRDHUP, 2000);
		} else if (step == 2) {
			setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(s);
			net_wait_rst(c, 2000);
		}
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		FD_SET(c, &rd);
		FD_SET(c, &wr);
		FD_SET(c, &ex);
		tv = (struct timeval){ 0, 0 };
		r = select(c + 1, &rd, &wr, &ex, &tv);
		say("%s: select -> %s, readable %s, writable %s, exception %s",
		    step == 0 ? "idle" : step == 1 ? "peer shut its side" : "reset",
		    say_rcs(r, errno), say_yes(r > 0 && FD_ISSET(c, &rd)),
		    say_yes(r > 0 && FD_ISSET(c, &wr)),
		    say_yes(r > 0 && FD_ISSET(c, &ex)));
	}
	close(c);
	l = net_listener(AF_INET);
	c = net_connect(AF_INET, net_port(l));
	net_wait(l, POLLIN, 2000);
	FD_ZERO(&rd);
	FD_SET(l, &rd);
	tv = (struct timeval){ 0, 0 };
	r = select(l + 1, &rd, NULL, NULL, &tv);
	say("listener, a connection pending: select -> %s, readable %s",
	    say_rcs(r, errno), say_yes(r > 0 && FD_ISSET(l, &rd)));
	close(c);
	close(l);
}

const struct conform_case case_poll[] = {
	{ "poll.nval", poll_nval },
	{ "poll.fresh", poll_fresh },
	{ "poll.listen", poll_listen },
	{ "poll.connected", poll_connected },
	{ "poll.reset", poll_reset },
	{ "poll.udp", poll_udp },
	{ "select.timeval", select_timeval },
	{ "select.ebadf", select_ebadf },
	{ "select.states", select_states },
	CONFORM_END
};
