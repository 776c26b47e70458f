/*
 * case_tcp.c: TCP data calls (send/recv and their relatives, read/write,
 * readv/writev), shutdown, close and resets, IPv6 and IPv4-mapped
 * connections.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conform.h"

/* send and recv, both ways. */
static void tcp_send_recv(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("send", send(c, "hello", 5, 0));
	memset(b, 0, sizeof b);
	SAY_DATA("recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("send back", send(s, "world", 5, 0));
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	close(c);
	close(s);
}

/* sendto and recvfrom on TCP: no address either way. */
static void tcp_sendto_recvfrom(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("sendto(NULL, 0)", sendto(c, "hello", 5, 0, NULL, 0));
	memset(&ss, 0, sizeof ss);
	SAY_DATA("recvfrom(addr)", recvfrom(s, b, sizeof b, 0,
	    (struct sockaddr *)&ss, &len), b);
	say("addrlen -> %u", (unsigned)len);
	SAY_RC("sendto(NULL, 0) back", sendto(s, "world", 5, 0, NULL, 0));
	SAY_DATA("recvfrom(NULL)", recvfrom(c, b, sizeof b, 0, NULL, NULL), b);
	close(c);
	close(s);
}

/* sendmsg and recvmsg with several iovecs. */
static void tcp_sendmsg_recvmsg(void)
{
	char a[4] = "ab", d[4] = "cde", f[4] = "f", r1[3], r2[10];
	struct iovec out[3] = { { a, 2 }, { d, 3 }, { f, 1 } };
	struct iovec in[2] = { { r1, sizeof r1 }, { r2, sizeof r2 } };
	struct sockaddr_storage ss;
	struct msghdr mh;
	int c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = out;
	mh.msg_iovlen = 3;
	SAY_RC("sendmsg(3 iovecs: 2+3+1)", sendmsg(c, &mh, 0));
	net_settle(s, 6, 2000);
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = in;
	mh.msg_iovlen = 2;
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof ss;
	SAY_RC("recvmsg(2 iovecs: 3+10)", recvmsg(s, &mh, 0));
	say("iov[0] %s, iov[1] %s, msg_flags %d, msg_namelen %u",
	    say_bytes(r1, 3), say_bytes(r2, 3), mh.msg_flags,
	    (unsigned)mh.msg_namelen);
	close(c);
	close(s);
}

/* sendmmsg and recvmmsg on a stream. */
static void tcp_sendmmsg_recvmmsg(void)
{
	char m0[] = "one", m1[] = "two", m2[] = "three", r0[4], r1[20];
	struct iovec out[3] = { { m0, 3 }, { m1, 3 }, { m2, 5 } };
	struct iovec in[2] = { { r0, sizeof r0 }, { r1, sizeof r1 } };
	struct mmsghdr mm[3];
	int c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &out[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	SAY_RC("sendmmsg(3 messages: 3, 3, 5 bytes)", sendmmsg(c, mm, 3, 0));
	say("msg_len %u %u %u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	net_settle(s, 11, 2000);
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &in[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	SAY_RC("recvmmsg(2 messages: 4+20 bytes)", recvmmsg(s, mm, 2, 0, NULL));
	say("msg_len %u %u: %s %s", mm[0].msg_len, mm[1].msg_len,
	    say_bytes(r0, mm[0].msg_len), say_bytes(r1, mm[1].msg_len));
	SAY_RC("recvmmsg(MSG_DONTWAIT), nothing left",
	    recvmmsg(s, mm, 2, MSG_DONTWAIT, NULL));
	close(c);
	close(s);
}

/* read and write, and calls of zero bytes. */
static void tcp_read_write(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("write", write(c, "hello", 5));
	SAY_DATA("read", read(s, b, sizeof b), b);
	SAY_RC("write(0 bytes)", write(c, "", 0));
	SAY_RC("send(0 bytes)", send(c, "", 0, 0));
	SAY_RC("read(0 bytes)", read(s, b, 0));
	SAY_RC("recv(0 bytes, MSG_DONTWAIT)", recv(s, b, 0, MSG_DONTWAIT));
	close(c);
	close(s);
}

/* readv and writev with several iovecs. */
static void tcp_readv_writev(void)
{
	char a[] = "ab", d[] = "cde", f[] = "f", r1[2], r2[10];
	struct iovec out[3] = { { a, 2 }, { d, 3 }, { f, 1 } };
	struct iovec in[2] = { { r1, sizeof r1 }, { r2, sizeof r2 } };
	int c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("writev(3 iovecs: 2+3+1)", writev(c, out, 3));
	net_settle(s, 6, 2000);
	SAY_RC("readv(2 iovecs: 2+10)", readv(s, in, 2));
	say("iov[0] %s, iov[1] %s", say_bytes(r1, 2), say_bytes(r2, 4));
	SAY_RC("writev(0 iovecs)", writev(c, out, 0));
	close(c);
	close(s);
}

/* Half-close: the peer reads EOF and can still send back. */
static void tcp_shutdown_wr(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("send", send(c, "last", 4, 0));
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	SAY_RC("peer recv again", recv(s, b, sizeof b, 0));
	SAY_RC("peer send back", send(s, "back", 4, 0));
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	SAY_RC("send(MSG_NOSIGNAL) after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
	SAY_RC("shutdown(SHUT_WR) again", shutdown(c, SHUT_WR));
	SAY_RC("peer shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
	SAY_RC("recv (EOF)", recv(c, b, sizeof b, 0));
	close(c);
	close(s);
}

/* SHUT_RD: what was waiting is still read, then 0. */
static void tcp_shutdown_rd(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("peer send", send(s, "early", 5, 0));
	net_settle(c, 5, 2000);
	SAY_RC("shutdown(SHUT_RD)", shutdown(c, SHUT_RD));
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("send still works", send(c, "x", 1, 0));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	close(c);
	close(s);
}

/* SHUT_RDWR: EOF for the peer, 0 and EPIPE here. */
static void tcp_shutdown_rdwr(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("shutdown(SHUT_RDWR)", shutdown(c, SHUT_RDWR));
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("send(MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	close(c);
	close(s);
}

/* A normal close: the peer reads what was sent, then EOF. */
static void tcp_close(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("send", send(c, "bye", 3, 0));
	SAY_RC("close", close(c));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	close(s);
}

/* Closing with bytes unread resets the connection. */
static void tcp_close_unread(void)
{
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("peer send", send(s, "unread", 6, 0));
	net_settle(c, 6, 2000);
	SAY_RC("close with 6 bytes unread", close(c));
	say("the peer sees the reset: %s", say_yes(net_wait_rst(s, 2000)));
	SAY_RC("peer recv", recv(s, b, sizeof b, 0));
	SAY_RC("peer recv again", recv(s, b, sizeof b, 0));
	close(s);
}

/* Closing a listener resets the connections it had not accepted. */
static void tcp_close_listener(void)
{
	int l = net_listener(AF_INET), c;
	char b[4];

	if (l < 0)
		return;
	c = net_connect(AF_INET, net_port(l));
	net_wait(l, POLLIN, 2000);
	SAY_RC("close the listener, one connection not accepted", close(l));
	say("the client sees the reset: %s", say_yes(net_wait_rst(c, 2000)));
	SAY_RC("client recv", recv(c, b, sizeof b, 0));
	close(c);
}

/* SO_LINGER {1, 0}: close sends a reset. */
static void tcp_rst(void)
{
	struct linger lg = { 1, 0 };
	struct pollfd p;
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("set SO_LINGER {1, 0}",
	    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SAY_RC("peer close", close(s));
	say("the reset arrives: %s", say_yes(net_wait_rst(c, 2000)));
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT | POLLRDHUP };
	SAY_RC("poll", poll(&p, 1, 0));
	say("revents=%s", say_poll(p.revents));
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("recv again", recv(c, b, sizeof b, 0));
	SAY_RC("send(MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	say("SO_ERROR -> %s", say_errno(net_sockerr(c)));
	close(c);
}

/* SO_LINGER off, and SO_LINGER {1, 2} (the peer is there to
 * acknowledge): close returns and the peer gets the bytes, then EOF. */
static void tcp_linger(void)
{
	struct linger lg = { 0, 0 };
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("set SO_LINGER {0, 0}",
	    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SAY_RC("send", send(c, "data", 4, 0));
	SAY_RC("close", close(c));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	close(s);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	lg = (struct linger){ 1, 2 };
	SAY_RC("set SO_LINGER {1, 2}",
	    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SAY_RC("send", send(c, "data", 4, 0));
	SAY_RC("close (the peer has acknowledged)", close(c));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	close(s);
}

/* A TCP connection over ::1. */
static void tcp_v6(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int c, s;
	char b[16];

	if (net_pair(AF_INET6, &c, &s) < 0)
		return;
	getsockname(c, (struct sockaddr *)&ss, &len);
	say("client getsockname -> %s", say_addr((struct sockaddr *)&ss, len));
	len = sizeof ss;
	getpeername(s, (struct sockaddr *)&ss, &len);
	say("accepted getpeername -> %s, port is the client's: %s",
	    say_addr((struct sockaddr *)&ss, len),
	    say_yes(net_peer_port(s) == net_port(c)));
	SAY_RC("send", send(c, "hello6", 6, 0));
	SAY_DATA("recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	SAY_RC("peer recv (EOF)", recv(s, b, sizeof b, 0));
	close(c);
	close(s);
}

/* An AF_INET6 listener on [::] takes IPv4 connections (as
 * ::ffff:127.0.0.1) unless IPV6_V6ONLY. */
static void tcp_v4mapped(void)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	struct sockaddr_storage ss;
	socklen_t len;
	int l, c, s, on;
	char b[8];

	for (on = 0; on < 2; on++) {
		say("IPV6_V6ONLY %d:", on);
		l = socket(AF_INET6, SOCK_STREAM, 0);
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
		SAY_RC("bind([::]:0)", bind(l, (struct sockaddr *)&any, sizeof any));
		SAY_RC("listen", listen(l, 4));
		net_timeo(l, CONFORM_TIMEO_MS);
		c = socket(AF_INET, SOCK_STREAM, 0);
		net_timeo(c, CONFORM_TIMEO_MS);
		net_loop(AF_INET, net_port(l), &ss, &len);
		if (SAY_RC("AF_INET connect(127.0.0.1:its port)",
		    connect(c, (struct sockaddr *)&ss, len)) == 0) {
			len = sizeof ss;
			s = SAY_FD("accept", accept(l, (struct sockaddr *)&ss, &len));
			say("peer -> %s, port is the client's: %s",
			    say_addr((struct sockaddr *)&ss, len),
			    say_yes(net_peer_port(s) == net_port(c)));
			len = sizeof ss;
			getsockname(s, (struct sockaddr *)&ss, &len);
			say("accepted getsockname -> %s",
			    say_addr((struct sockaddr *)&ss, len));
			SAY_RC("send", send(c, "mapped", 6, 0));
			SAY_DATA("recv", recv(s, b, sizeof b, 0), b);
			close(s);
		}
		close(c);
		close(l);
	}
}

const struct conform_case case_tcp[] = {
	{ "tcp.send_recv", tcp_send_recv },
	{ "tcp.sendto_recvfrom", tcp_sendto_recvfrom },
	{ "tcp.sendmsg_recvmsg", tcp_sendmsg_recvmsg },
	{ "tcp.sendmmsg_recvmmsg", tcp_sendmmsg_recvmmsg },
	{ "tcp.read_write", tcp_read_write },
	{ "tcp.readv_writev", tcp_readv_writev },
	{ "tcp.shutdown_wr", tcp_shutdown_wr },
	{ "tcp.shutdown_rd", tcp_shutdown_rd },
	{ "tcp.shutdown_rdwr", tcp_shutdown_rdwr },
	{ "tcp.close", tcp_close },
	{ "tcp.close_unread", tcp_close_unread },
	{ "tcp.close_listener", tcp_close_listener },
	{ "tcp.rst", tcp_rst },
	{ "tcp.linger", tcp_linger },
	{ "tcp.v6", tcp_v6 },
	{ "tcp.v4mapped", tcp_v4mapped },
	CONFORM_END
};
