/*
 * case_sock.c: the calls that make and name sockets: socket, bind,
 * listen, accept, accept4, connect, getsockname and getpeername.
 */
#include "config.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

/* Calls socket() and closes what it returns. */
static void sock_try(const char *what, int family, int type, int proto)
{
	int fd = SAY_FD(what, socket(family, type, proto));

	if (fd >= 0)
		close(fd);
}

/* Says O_NONBLOCK and FD_CLOEXEC of FD. */
static void sock_say_flags(const char *what, int fd)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

	say("%s: F_GETFL -> %s, F_GETFD -> %s", what,
	    fl < 0 ? say_rcs(fl, errno) : say_fl(fl),
	    fdfl < 0 ? say_rcs(fdfl, errno) :
	    (fdfl & FD_CLOEXEC) ? "FD_CLOEXEC" : "0");
}

/* Says FD's local (PEER false) or peer address. */
static void sock_say_name(const char *what, int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int r;

	memset(&ss, 0, sizeof ss);
	errno = 0;
	r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
	    getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0)
		say("%s -> %s", what, say_rcs(r, errno));
	else
		say("%s -> 0 %s len=%u", what,
		    say_addr((struct sockaddr *)&ss, len), (unsigned)len);
}

/* Starts a connect on a non-blocking socket: "started" for 0 and for
 * EINPROGRESS alike (which one a loopback connect gives is a race). */
static void sock_start(const char *what, int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	net_loop(family, port, &ss, &len);
	errno = 0;
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r == 0 || errno == EINPROGRESS)
		say("%s -> started", what);
	else
		say("%s -> %s", what, say_rcs(r, errno));
}

/* connect() to loopback PORT, said. */
static long sock_connect(const char *what, int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	net_loop(family, port, &ss, &len);
	return SAY_RC(what, connect(fd, (struct sockaddr *)&ss, len));
}

/* bind() to loopback PORT, said. */
static long sock_bind(const char *what, int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	net_loop(family, port, &ss, &len);
	return SAY_RC(what, bind(fd, (struct sockaddr *)&ss, len));
}

/* poll() one descriptor, said with its revents. */
static void sock_poll(const char *what, int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, ms);

	say("%s -> %s revents=%s", what, say_rcs(r, errno), say_poll(p.revents));
}

/* socket() with bad families, types, flags and protocols. */
static void sock_socket_errors(void)
{
	sock_try("socket(12345, SOCK_STREAM, 0)", 12345, SOCK_STREAM, 0);
	sock_try("socket(AF_INET, 99, 0)", AF_INET, 99, 0);
	sock_try("socket(AF_INET6, 99, 0)", AF_INET6, 99, 0);
	sock_try("socket(AF_INET, SOCK_STREAM|0x100, 0)", AF_INET,
	    SOCK_STREAM | 0x100, 0);
	sock_try("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", AF_INET,
	    SOCK_STREAM, IPPROTO_UDP);
	sock_try("socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)", AF_INET,
	    SOCK_DGRAM, IPPROTO_TCP);
	sock_try("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)", AF_INET,
	    SOCK_STREAM, IPPROTO_TCP);
	sock_try("socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", AF_INET,
	    SOCK_DGRAM, IPPROTO_UDP);
	sock_try("socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP)", AF_INET6,
	    SOCK_STREAM, IPPROTO_TCP);
	sock_try("socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)", AF_INET6,
	    SOCK_DGRAM, IPPROTO_UDP);
}

/* SOCK_NONBLOCK and SOCK_CLOEXEC as fcntl sees them. */
static void sock_socket_flags(void)
{
	static const struct {
		const char *name;
		int family, type;
	} t[] = {
		{ "AF_INET SOCK_STREAM", AF_INET, SOCK_STREAM },
		{ "AF_INET SOCK_DGRAM", AF_INET, SOCK_DGRAM },
		{ "AF_INET6 SOCK_STREAM", AF_INET6, SOCK_STREAM },
		{ "AF_INET6 SOCK_DGRAM", AF_INET6, SOCK_DGRAM },
	};
	char what[96];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (int f = 0; f < 2; f++) {
			int flags = f ? SOCK_NONBLOCK | SOCK_CLOEXEC : 0;
			int fd = socket(t[i].family, t[i].type | flags, 0);

			snprintf(what, sizeof what, "%s%s", t[i].name,
			    f ? "|SOCK_NONBLOCK|SOCK_CLOEXEC" : "");
			if (fd < 0) {
				say("socket(%s) -> %s", what, say_rcs(fd, errno));
				continue;
			}
			sock_say_flags(what, fd);
			close(fd);
		}
	}
}

/* bind to port 0 picks a port; getsockname shows it. */
static void sock_bind_port0(void)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	int fd;

	for (int v6 = 0; v6 < 2; v6++) {
		int family = v6 ? AF_INET6 : AF_INET;

		for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
			fd = socket(family, type, 0);
			say("%s %s:", v6 ? "AF_INET6" : "AF_INET",
			    type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
			sock_bind("bind(loopback:0)", fd, family, 0);
			sock_say_name("getsockname", fd, false);
			close(fd);
		}
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	SAY_RC("bind(0.0.0.0:0)", bind(fd, (struct sockaddr *)&any, sizeof any));
	sock_say_name("getsockname", fd, false);
	close(fd);
}

/* A second bind of a bound socket: EINVAL. */
static void sock_bind_twice(void)
{
	for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
		int fd = socket(AF_INET, type, 0);

		say("%s:", type == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM");
		sock_bind("bind(127.0.0.1:0)", fd, AF_INET, 0);
		sock_bind("bind(127.0.0.1:0) again", fd, AF_INET, 0);
		sock_bind("bind(127.0.0.1:its port) again", fd, AF_INET,
		    net_port(fd));
		close(fd);
	}
}

/* Binding a listener's port, with and without SO_REUSEADDR. */
static void sock_bind_inuse(void)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	int l = net_listener(AF_INET), port, fd, one = 1;

	if (l < 0)
		return;
	port = net_port(l);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sock_bind("bind(127.0.0.1:listener's port)", fd, AF_INET, port);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sock_bind("SO_REUSEADDR, bind(127.0.0.1:listener's port)", fd, AF_INET,
	    port);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	any.sin_port = htons((uint16_t)port);
	SAY_RC("bind(0.0.0.0:listener's port)",
	    bind(fd, (struct sockaddr *)&any, sizeof any));
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	any6.sin6_port = htons((uint16_t)port);
	SAY_RC("AF_INET6 bind([::]:listener's port)",
	    bind(fd, (struct sockaddr *)&any6, sizeof any6));
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sock_bind("SOCK_DGRAM bind(127.0.0.1:listener's port)", fd, AF_INET,
	    port);
	close(fd);
	close(l);
}

/* A server restarts while its old connection is in TIME_WAIT: the new
 * listener needs SO_REUSEADDR. */
static void sock_bind_timewait(void)
{
	int l, c, s, port, fd, one = 1;
	char b;

	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sock_bind("SO_REUSEADDR, bind(127.0.0.1:0)", l, AF_INET, 0);
	SAY_RC("listen", listen(l, 4));
	net_timeo(l, CONFORM_TIMEO_MS);
	port = net_port(l);
	c = net_connect(AF_INET, port);
	s = accept(l, NULL, NULL);
	if (c < 0 || s < 0) {
		say("setup: connect and accept failed");
		return;
	}
	SAY_RC("server closes first", close(s));
	SAY_RC("client recv", recv(c, &b, 1, 0));
	SAY_RC("client closes", close(c));
	SAY_RC("listener closes", close(l));
	bg_sleep(20);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sock_bind("bind(127.0.0.1:that port)", fd, AF_INET, port);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sock_bind("SO_REUSEADDR, bind(127.0.0.1:that port)", fd, AF_INET, port);
	SAY_RC("listen", listen(fd, 4));
	c = net_connect(AF_INET, port);
	say("a client connects: %s", say_yes(c >= 0));
	close(c);
	close(fd);
}

/* Binding an address the host does not have. */
static void sock_bind_nonlocal(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	int fd;

	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	SAY_RC("SOCK_STREAM bind(192.0.2.1:0)",
	    bind(fd, (struct sockaddr *)&a, sizeof a));
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	SAY_RC("SOCK_DGRAM bind(192.0.2.1:0)",
	    bind(fd, (struct sockaddr *)&a, sizeof a));
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	SAY_RC("SOCK_STREAM bind([2001:db8::1]:0)",
	    bind(fd, (struct sockaddr *)&a6, sizeof a6));
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	SAY_RC("SOCK_DGRAM bind([2001:db8::1]:0)",
	    bind(fd, (struct sockaddr *)&a6, sizeof a6));
	close(fd);
}

/* bind with a short length or the other family. */
static void sock_bind_errors(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	net_loop(AF_INET, 0, &ss, &len);
	SAY_RC("bind(127.0.0.1:0, len-1)",
	    bind(fd, (struct sockaddr *)&ss, len - 1));
	net_loop(AF_INET6, 0, &ss, &len);
	SAY_RC("AF_INET socket, bind([::1]:0)",
	    bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	net_loop(AF_INET, 0, &ss, &len);
	SAY_RC("AF_INET6 socket, bind(127.0.0.1:0)",
	    bind(fd, (struct sockaddr *)&ss, len));
	close(fd);
}

/* listen: unbound (a port is picked), twice, on UDP, when connected. */
static void sock_listen(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), u, c, s;

	SAY_RC("listen(unbound, 5)", listen(fd, 5));
	sock_say_name("getsockname", fd, false);
	SAY_RC("listen again", listen(fd, 5));
	SAY_RC("listen(-1)", listen(fd, -1));
	c = net_connect(AF_INET, net_port(fd));
	say("a client connects: %s", say_yes(c >= 0));
	close(c);
	close(fd);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	SAY_RC("SOCK_DGRAM listen", listen(u, 5));
	close(u);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("connected socket listen", listen(c, 5));
	SAY_RC("accepted socket listen", listen(s, 5));
	close(c);
	close(s);
}

/* shutdown(SHUT_RD) on a listener stops it: accept fails at once. */
static void sock_listen_shutdown(void)
{
	int l = net_listener(AF_INET);

	if (l < 0)
		return;
	SAY_RC("shutdown(listener, SHUT_WR)", shutdown(l, SHUT_WR));
	SAY_RC("shutdown(listener, SHUT_RD)", shutdown(l, SHUT_RD));
	SAY_FD("accept", accept(l, NULL, NULL));
	close(l);
}

/* accept: the peer address and its length; on the wrong sockets. */
static void sock_accept(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int l = net_listener(AF_INET), c1, c2, c3, s, u, fd;

	if (l < 0)
		return;
	c1 = net_connect(AF_INET, net_port(l));
	s = SAY_FD("accept(addr, len=sizeof(storage))",
	    accept(l, (struct sockaddr *)&ss, &len));
	say("addr -> %s len=%u, port is the client's: %s",
	    say_addr((struct sockaddr *)&ss, len), (unsigned)len,
	    say_yes(net_port(c1) == net_peer_port(s)));
	close(s);
	c2 = net_connect(AF_INET, net_port(l));
	s = SAY_FD("accept(NULL, NULL)", accept(l, NULL, NULL));
	close(s);
	c3 = net_connect(AF_INET, net_port(l));
	len = 4;
	memset(&ss, 0, sizeof ss);
	s = SAY_FD("accept(addr, len=4)", accept(l, (struct sockaddr *)&ss, &len));
	say("len -> %u family=%d", (unsigned)len, ss.ss_family);
	close(s);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	SAY_FD("accept(not listening)", accept(fd, NULL, NULL));
	close(fd);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	SAY_FD("accept(SOCK_DGRAM)", accept(u, NULL, NULL));
	close(u);
	close(c1);
	close(c2);
	close(c3);
	close(l);
}

/* accept4's flags on the new socket; O_NONBLOCK is not inherited. */
static void sock_accept4(void)
{
	int l = net_listener(AF_INET), c[4], s;

	if (l < 0)
		return;
	for (int i = 0; i < 4; i++)
		c[i] = net_connect(AF_INET, net_port(l));
	s = SAY_FD("accept4(0)", accept4(l, NULL, NULL, 0));
	sock_say_flags("accepted", s);
	close(s);
	s = SAY_FD("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)",
	    accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	sock_say_flags("accepted", s);
	close(s);
	SAY_FD("accept4(O_APPEND)", accept4(l, NULL, NULL, O_APPEND));
	net_nonblock(l, true);
	net_wait(l, POLLIN, 2000);
	s = SAY_FD("non-blocking listener, accept4(0)", accept4(l, NULL, NULL, 0));
	sock_say_flags("accepted", s);
	close(s);
	net_wait(l, POLLIN, 2000);
	s = SAY_FD("non-blocking listener, accept", accept(l, NULL, NULL));
	sock_say_flags("accepted", s);
	close(s);
	SAY_FD("non-blocking listener, accept with none pending",
	    accept(l, NULL, NULL));
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(l);
}

/* What an accepted socket takes from its listener. */
static void sock_accept_inherit(void)
{
	struct timeval tv = { .tv_sec = 2, .tv_usec = 500000 };
	struct linger lg = { .l_onoff = 1, .l_linger = 3 };
	socklen_t len;
	int l = net_listener(AF_INET), c, s, one = 1, v;

	if (l < 0)
		return;
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	net_nonblock(l, true);
	c = net_connect(AF_INET, net_port(l));
	if (!net_wait(l, POLLIN, 2000))
		say("setup: the listener never became readable");
	s = SAY_FD("accept", accept(l, NULL, NULL));
	sock_say_flags("accepted", s);
	len = sizeof tv;
	memset(&tv, 0, sizeof tv);
	getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	say("SO_RCVTIMEO -> {%ld, %ld}", (long)tv.tv_sec, (long)tv.tv_usec);
	len = sizeof v;
	v = -1;
	getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
	say("SO_KEEPALIVE -> %d", v);
	v = -1;
	getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len);
	say("TCP_NODELAY -> %d", v);
	len = sizeof lg;
	memset(&lg, 0, sizeof lg);
	getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
	say("SO_LINGER -> {%d, %d}", lg.l_onoff, lg.l_linger);
	close(s);
	close(c);
	close(l);
}

/* Connections are accepted in the order they were made. */
static void sock_accept_order(void)
{
	int l = net_listener(AF_INET), c[3], ok = 1;

	if (l < 0)
		return;
	for (int i = 0; i < 3; i++)
		c[i] = net_connect(AF_INET, net_port(l));
	for (int i = 0; i < 3; i++) {
		int s = accept(l, NULL, NULL);

		if (s < 0 || net_peer_port(s) != net_port(c[i]))
			ok = 0;
		close(s);
	}
	say("3 connections accepted in the order made: %s", say_yes(ok));
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(l);
}

/* A blocking connect, its names, and connect again: EISCONN. */
static void sock_connect_blocking(void)
{
	int l = net_listener(AF_INET), c, port, other;

	if (l < 0)
		return;
	port = net_port(l);
	other = net_listener(AF_INET);
	c = socket(AF_INET, SOCK_STREAM, 0);
	net_timeo(c, CONFORM_TIMEO_MS);
	sock_connect("connect", c, AF_INET, port);
	sock_say_name("getsockname", c, false);
	sock_say_name("getpeername", c, true);
	say("peer port is the listener's: %s", say_yes(net_peer_port(c) == port));
	sock_connect("connect again", c, AF_INET, port);
	sock_connect("connect to another listener", c, AF_INET, net_port(other));
	sock_connect("listener connect", l, AF_INET, net_port(other));
	close(c);
	close(other);
	close(l);
}

/* A refused blocking connect; the socket can connect after. */
static void sock_connect_refused(void)
{
	int holder, port = net_free_port(AF_INET, SOCK_STREAM, &holder), l, c, s;
	char b[8];

	if (port < 0)
		return;
	c = socket(AF_INET, SOCK_STREAM, 0);
	net_timeo(c, CONFORM_TIMEO_MS);
	sock_connect("connect(closed port)", c, AF_INET, port);
	say("SO_ERROR -> %s", say_errno(net_sockerr(c)));
	sock_connect("connect(closed port) again", c, AF_INET, port);
	l = net_listener(AF_INET);
	sock_connect("connect(a listener) after that", c, AF_INET, net_port(l));
	SAY_RC("send", send(c, "ping", 4, MSG_NOSIGNAL));
	close(holder);
	s = accept(l, NULL, NULL);
	memset(b, 0, sizeof b);
	SAY_DATA("accepted, recv", recv(s, b, sizeof b, 0), b);
	close(s);
	close(c);
	close(l);
}

/* A non-blocking connect: POLLOUT, SO_ERROR, connect again. */
static void sock_connect_nonblock(void)
{
	int l = net_listener(AF_INET), c, port;

	if (l < 0)
		return;
	port = net_port(l);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sock_start("connect", c, AF_INET, port);
	sock_poll("poll(POLLOUT, 2 s)", c, POLLOUT, 2000);
	say("SO_ERROR -> %s", say_errno(net_sockerr(c)));
	say("peer port is the listener's: %s", say_yes(net_peer_port(c) == port));
	sock_connect("connect again", c, AF_INET, port);
	sock_connect("connect again", c, AF_INET, port);
	close(c);
	close(l);
}

/* A refused non-blocking connect: the error, once, then connect again. */
static void sock_connect_nonblock_refused(void)
{
	int holder, port = net_free_port(AF_INET, SOCK_STREAM, &holder), c;

	if (port < 0)
		return;
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sock_start("connect(closed port)", c, AF_INET, port);
	sock_poll("poll(POLLOUT, 2 s)", c, POLLOUT, 2000);
	say("SO_ERROR -> %s", say_errno(net_sockerr(c)));
	say("SO_ERROR again -> %s", say_errno(net_sockerr(c)));
	sock_say_name("getpeername", c, true);
	sock_connect("connect again", c, AF_INET, port);
	close(c);
	close(holder);
}

/* A connect that stays in progress: the listener's queue is full, so its
 * SYN is dropped.  A second connect says EALREADY. */
static void sock_connect_ealready(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), c1, c2, port;

	sock_bind("bind(127.0.0.1:0)", l, AF_INET, 0);
	SAY_RC("listen(0)", listen(l, 0));
	port = net_port(l);
	c1 = net_connect(AF_INET, port);
	say("first client connected, listener readable: %s",
	    say_yes(c1 >= 0 && net_wait(l, POLLIN, 2000)));
	c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sock_start("second client, connect", c2, AF_INET, port);
	sock_connect("connect again", c2, AF_INET, port);
	sock_poll("poll(POLLOUT, 100 ms)", c2, POLLOUT, 100);
	sock_connect("connect again", c2, AF_INET, port);
	close(c2);
	close(c1);
	close(l);
}

/* getsockname and getpeername in every state, and short lengths. */
static void sock_names(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, c, s, l, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	sock_say_name("AF_INET unbound, getsockname", fd, false);
	sock_say_name("AF_INET unbound, getpeername", fd, true);
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	sock_say_name("AF_INET6 unbound, getsockname", fd, false);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sock_say_name("SOCK_DGRAM unbound, getsockname", fd, false);
	sock_say_name("SOCK_DGRAM unbound, getpeername", fd, true);
	close(fd);

	l = net_listener(AF_INET);
	if (l < 0)
		return;
	port = net_port(l);
	sock_say_name("listener, getsockname", l, false);
	sock_say_name("listener, getpeername", l, true);
	c = net_connect(AF_INET, port);
	s = accept(l, NULL, NULL);
	sock_say_name("client, getsockname", c, false);
	sock_say_name("client, getpeername", c, true);
	sock_say_name("accepted, getsockname", s, false);
	sock_say_name("accepted, getpeername", s, true);
	say("accepted's port is the listener's: %s, its peer's the client's: %s",
	    say_yes(net_port(s) == port), say_yes(net_peer_port(s) == net_port(c)));
	len = 4;
	memset(&ss, 0, sizeof ss);
	SAY_RC("getsockname(len=4)", getsockname(c, (struct sockaddr *)&ss, &len));
	say("len -> %u family=%d", (unsigned)len, ss.ss_family);
	len = 0;
	SAY_RC("getpeername(len=0)", getpeername(c, (struct sockaddr *)&ss, &len));
	say("len -> %u", (unsigned)len);
	close(c);
	close(s);
	close(l);
}

const struct conform_case case_sock[] = {
	{ "sock.socket_errors", sock_socket_errors },
	{ "sock.socket_flags", sock_socket_flags },
	{ "sock.bind_port0", sock_bind_port0 },
	{ "sock.bind_twice", sock_bind_twice },
	{ "sock.bind_inuse", sock_bind_inuse },
	{ "sock.bind_timewait", sock_bind_timewait },
	{ "sock.bind_nonlocal", sock_bind_nonlocal },
	{ "sock.bind_errors", sock_bind_errors },
	{ "sock.listen", sock_listen },
	{ "sock.listen_shutdown", sock_listen_shutdown },
	{ "sock.accept", sock_accept },
	{ "sock.accept4", sock_accept4 },
	{ "sock.accept_inherit", sock_accept_inherit },
	{ "sock.accept_order", sock_accept_order },
	{ "sock.connect_blocking", sock_connect_blocking },
	{ "sock.connect_refused", sock_connect_refused },
	{ "sock.connect_nonblock", sock_connect_nonblock },
	{ "sock.connect_nonblock_refused", sock_connect_nonblock_refused },
	{ "sock.connect_ealready", sock_connect_ealready },
	{ "sock.names", sock_names },
	CONFORM_END
};
