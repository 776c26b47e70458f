/*
 * case_errno.c: the errno of every failure: descriptors that are closed
 * or are not sockets (these belong to the kernel and must keep its
 * answers), bad arguments, and the states a connection can be in.
 */
#include "config.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conform.h"

/* Every socket call on FD, each said with what it returned. */
static void err_calls(const char *label, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len, ol = sizeof(int);
	struct iovec iov;
	struct msghdr mh;
	struct mmsghdr mm;
	char b[8] = "x", what[96];
	int v = 1;

#define ERR_CALL(name, expr) do { \
		snprintf(what, sizeof what, "%s(%s)", name, label); \
		SAY_RC(what, expr); \
	} while (0)
	net_loop(AF_INET, 9, &ss, &len);
	iov = (struct iovec){ b, 1 };
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	memset(&mm, 0, sizeof mm);
	mm.msg_hdr = mh;
	ERR_CALL("send", send(fd, b, 1, MSG_NOSIGNAL));
	ERR_CALL("sendto", sendto(fd, b, 1, MSG_NOSIGNAL,
	    (struct sockaddr *)&ss, len));
	ERR_CALL("sendmsg", sendmsg(fd, &mh, MSG_NOSIGNAL));
	ERR_CALL("sendmmsg", sendmmsg(fd, &mm, 1, MSG_NOSIGNAL));
	ERR_CALL("recv", recv(fd, b, 1, MSG_DONTWAIT));
	ERR_CALL("recvfrom", recvfrom(fd, b, 1, MSG_DONTWAIT, NULL, NULL));
	ERR_CALL("recvmsg", recvmsg(fd, &mh, MSG_DONTWAIT));
	ERR_CALL("recvmmsg", recvmmsg(fd, &mm, 1, MSG_DONTWAIT, NULL));
	ERR_CALL("connect", connect(fd, (struct sockaddr *)&ss, len));
	net_loop(AF_INET, 0, &ss, &len);
	ERR_CALL("bind", bind(fd, (struct sockaddr *)&ss, len));
	ERR_CALL("listen", listen(fd, 1));
	ERR_CALL("accept", accept(fd, NULL, NULL));
	ERR_CALL("accept4", accept4(fd, NULL, NULL, SOCK_NONBLOCK));
	ERR_CALL("shutdown", shutdown(fd, SHUT_RDWR));
	len = sizeof ss;
	ERR_CALL("getsockname", getsockname(fd, (struct sockaddr *)&ss, &len));
	len = sizeof ss;
	ERR_CALL("getpeername", getpeername(fd, (struct sockaddr *)&ss, &len));
	ERR_CALL("getsockopt", getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &ol));
	ERR_CALL("setsockopt", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v,
	    sizeof v));
#undef ERR_CALL
}

/* Every socket call on a closed descriptor, and on -1: EBADF. */
static void err_ebadf(void)
{
	int fd = net_closed_fd(), n;
	char b[4];

	err_calls("closed socket", fd);
	SAY_RC("read(closed socket)", read(fd, b, 1));
	SAY_RC("write(closed socket)", write(fd, "x", 1));
	SAY_RC("ioctl(closed socket, FIONREAD)", ioctl(fd, FIONREAD, &n));
	SAY_RC("fcntl(closed socket, F_GETFL)", fcntl(fd, F_GETFL));
	SAY_FD("dup(closed socket)", dup(fd));
	SAY_RC("close(closed socket)", close(fd));
	err_calls("-1", -1);
	SAY_RC("close(-1)", close(-1));
}

/* Every socket call on a pipe and on /dev/null: ENOTSOCK. */
static void err_enotsock(void)
{
	int p[2], null = open("/dev/null", O_RDWR);

	if (pipe(p) < 0)
		return;
	err_calls("pipe", p[1]);
	err_calls("/dev/null", null);
	close(p[0]);
	close(p[1]);
	close(null);
}

/* Bad lengths, bad shutdown modes, calls on the wrong kind of socket. */
static void err_einval(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct linger lg = { 1, 0 };
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int c, s;

	net_loop(AF_INET, 9, &ss, &len);
	SAY_RC("connect(127.0.0.1:9, len 8)",
	    connect(t, (struct sockaddr *)&ss, 8));
	SAY_RC("connect(127.0.0.1:9, len 1)",
	    connect(t, (struct sockaddr *)&ss, 1));
	SAY_RC("SOCK_DGRAM sendto(127.0.0.1:9, len 8)",
	    sendto(u, "x", 1, 0, (struct sockaddr *)&ss, 8));
	SAY_RC("shutdown(99)", shutdown(t, 99));
	SAY_RC("shutdown(-1)", shutdown(t, -1));
	SAY_RC("setsockopt(SO_LINGER, optlen 2)",
	    setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, 2));
	SAY_FD("accept(not listening)", accept(t, NULL, NULL));
	if (net_pair(AF_INET, &c, &s) == 0) {
		SAY_RC("listen(connected)", listen(c, 1));
		SAY_FD("accept(connected)", accept(c, NULL, NULL));
		close(c);
		close(s);
	}
	close(t);
	close(u);
}

/* Addresses of the other family, and of no family at all. */
static void err_eafnosupport(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);

	net_loop(AF_INET6, 9, &ss, &len);
	SAY_RC("AF_INET SOCK_STREAM, connect([::1]:9)",
	    connect(t, (struct sockaddr *)&ss, len));
	SAY_RC("AF_INET SOCK_DGRAM, sendto([::1]:9)",
	    sendto(u, "x", 1, 0, (struct sockaddr *)&ss, len));
	SAY_RC("AF_INET SOCK_DGRAM, connect([::1]:9)",
	    connect(u, (struct sockaddr *)&ss, len));
	net_loop(AF_INET, 9, &ss, &len);
	SAY_RC("AF_INET6 SOCK_STREAM, connect(127.0.0.1:9)",
	    connect(t6, (struct sockaddr *)&ss, len));
	ss.ss_family = 12345;
	SAY_RC("AF_INET SOCK_STREAM, connect(family 12345)",
	    connect(t, (struct sockaddr *)&ss, len));
	close(t);
	close(u);
	close(t6);
}

/* Binding a port a UDP socket or a connection holds. */
static void err_eaddrinuse(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int u = net_udp(AF_INET), u2 = socket(AF_INET, SOCK_DGRAM, 0), c, s, t;

	if (u < 0)
		return;
	net_loop(AF_INET, net_port(u), &ss, &len);
	SAY_RC("SOCK_DGRAM bind(a bound UDP port)",
	    bind(u2, (struct sockaddr *)&ss, len));
	close(u2);
	if (net_pair(AF_INET, &c, &s) == 0) {
		t = socket(AF_INET, SOCK_STREAM, 0);
		net_loop(AF_INET, net_port(c), &ss, &len);
		SAY_RC("bind(a connected client's port)",
		    bind(t, (struct sockaddr *)&ss, len));
		close(t);
		close(c);
		close(s);
	}
	close(u);
}

/* A connected UDP socket learns of a closed port from ICMP; an
 * unconnected one does not. */
static void err_econnrefused(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int holder, port = net_free_port(AF_INET, SOCK_DGRAM, &holder), u, u2;
	char b[8];

	if (port < 0)
		return;
	u = net_udp(AF_INET);
	net_loop(AF_INET, port, &ss, &len);
	SAY_RC("SOCK_DGRAM connect(closed port)",
	    connect(u, (struct sockaddr *)&ss, len));
	SAY_RC("send", send(u, "hello", 5, 0));
	SAY_RC("recv (SO_RCVTIMEO 5 s)", recv(u, b, sizeof b, 0));
	SAY_RC("recv again (MSG_DONTWAIT)", recv(u, b, sizeof b, MSG_DONTWAIT));
	u2 = net_udp(AF_INET);
	SAY_RC("unconnected, sendto(closed port)",
	    sendto(u2, "hello", 5, 0, (struct sockaddr *)&ss, len));
	bg_sleep(100);
	SAY_RC("recv (MSG_DONTWAIT) 100 ms later",
	    recv(u2, b, sizeof b, MSG_DONTWAIT));
	say("SO_ERROR -> %s", say_errno(net_sockerr(u2)));
	close(u);
	close(u2);
}

/* Calls that need a connection, on a socket without one. */
static void err_enotconn(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int t = socket(AF_INET, SOCK_STREAM, 0), l = net_listener(AF_INET);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	char b[4];

	SAY_RC("recv(unconnected)", recv(t, b, 1, 0));
	SAY_RC("read(unconnected)", read(t, b, 1));
	SAY_RC("recv(listener)", recv(l, b, 1, MSG_DONTWAIT));
	SAY_RC("shutdown(unconnected, SHUT_RDWR)", shutdown(t, SHUT_RDWR));
	SAY_RC("shutdown(unconnected, SHUT_WR)", shutdown(t, SHUT_WR));
	SAY_RC("SOCK_DGRAM shutdown(unconnected, SHUT_RD)", shutdown(u, SHUT_RD));
	SAY_RC("send(unconnected, MSG_NOSIGNAL)", send(t, "x", 1, MSG_NOSIGNAL));
	net_loop(AF_INET, 9, &ss, &len);
	SAY_RC("sendto(unconnected, 127.0.0.1:9, MSG_NOSIGNAL)",
	    sendto(t, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&ss, len));
	sig_catch(SIGPIPE, false);
	SAY_RC("write(unconnected)", write(t, "x", 1));
	say("SIGPIPE raised: %s", say_yes(sig_count(SIGPIPE) > 0));
	sig_default(SIGPIPE);
	close(t);
	close(u);
	close(l);
}

/* Sending after the peer is gone: EPIPE, and SIGPIPE unless
 * MSG_NOSIGNAL. */
static void err_epipe(void)
{
	int c, s;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("peer closes", close(s));
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("send(MSG_NOSIGNAL) to the closed peer",
	    send(c, "x", 1, MSG_NOSIGNAL));
	say("the peer's reset arrives: %s", say_yes(net_wait_rst(c, 2000)));
	SAY_RC("send(MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	SAY_RC("send(MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	sig_catch(SIGPIPE, false);
	SAY_RC("send(0)", send(c, "x", 1, 0));
	say("SIGPIPE raised: %s", say_yes(sig_count(SIGPIPE) == 1));
	SAY_RC("write", write(c, "x", 1));
	say("SIGPIPE raised again: %s", say_yes(sig_count(SIGPIPE) == 2));
	SAY_RC("send(MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	say("SIGPIPE raised by it: %s", say_yes(sig_count(SIGPIPE) > 2));
	sig_default(SIGPIPE);
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	close(c);
}

/* Sending on an unconnected UDP socket without an address. */
static void err_edestaddrreq(void)
{
	int u = net_udp(AF_INET), u6 = net_udp(AF_INET6);
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (u < 0 || u6 < 0)
		return;
	SAY_RC("SOCK_DGRAM send(unconnected)", send(u, "x", 1, 0));
	SAY_RC("SOCK_DGRAM write(unconnected)", write(u, "x", 1));
	SAY_RC("SOCK_DGRAM sendto(unconnected, NULL)",
	    sendto(u, "x", 1, 0, NULL, 0));
	SAY_RC("SOCK_DGRAM sendmsg(unconnected, no name)", sendmsg(u, &mh, 0));
	SAY_RC("AF_INET6 SOCK_DGRAM send(unconnected)", send(u6, "x", 1, 0));
	close(u);
	close(u6);
}

/* connect and sendto with an address, on a connected TCP socket. */
static void err_eisconn(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int c, s, l = net_listener(AF_INET);
	char b[8];

	if (l < 0 || net_pair(AF_INET, &c, &s) < 0)
		return;
	net_loop(AF_INET, net_port(l), &ss, &len);
	SAY_RC("connect(connected, another listener)",
	    connect(c, (struct sockaddr *)&ss, len));
	SAY_RC("sendto(connected, another address)",
	    sendto(c, "hello", 5, 0, (struct sockaddr *)&ss, len));
	memset(b, 0, sizeof b);
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	close(c);
	close(s);
	close(l);
}

/* The largest UDP datagram over IPv4, and one byte more. */
static void err_emsgsize(void)
{
	static char big[65536];
	struct sockaddr_storage ss;
	socklen_t len;
	int u = net_udp(AF_INET), r = net_udp(AF_INET);

	if (u < 0 || r < 0)
		return;
	net_loop(AF_INET, net_port(r), &ss, &len);
	SAY_RC("SOCK_DGRAM sendto(65507 bytes)",
	    sendto(u, big, 65507, 0, (struct sockaddr *)&ss, len));
	SAY_RC("SOCK_DGRAM sendto(65508 bytes)",
	    sendto(u, big, 65508, 0, (struct sockaddr *)&ss, len));
	SAY_RC("recv", recv(r, big, sizeof big, 0));
	SAY_RC("recv again (MSG_DONTWAIT)", recv(r, big, sizeof big, MSG_DONTWAIT));
	close(u);
	close(r);
}

const struct conform_case case_errno[] = {
	{ "err.ebadf", err_ebadf },
	{ "err.enotsock", err_enotsock },
	{ "err.einval", err_einval },
	{ "err.eafnosupport", err_eafnosupport },
	{ "err.eaddrinuse", err_eaddrinuse },
	{ "err.econnrefused", err_econnrefused },
	{ "err.enotconn", err_enotconn },
	{ "err.epipe", err_epipe },
	{ "err.edestaddrreq", err_edestaddrreq },
	{ "err.eisconn", err_eisconn },
	{ "err.emsgsize", err_emsgsize },
	CONFORM_END
};
