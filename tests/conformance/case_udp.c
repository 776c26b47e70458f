/*
 * case_udp.c: UDP over loopback: addresses on the way in and out,
 * connected sockets, datagram boundaries and truncation, IPv6 and
 * IPv4-mapped senders.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conform.h"

/* sendto() the loopback port of socket TO, said. */
static long udp_sendto(const char *what, int fd, const void *buf, size_t n,
    int family, int to)
{
	struct sockaddr_storage ss;
	socklen_t len;

	net_loop(family, net_port(to), &ss, &len);
	return SAY_RC(what, sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len));
}

/* recvfrom() said with the bytes and the source, and whether the source
 * port is FROM's (FROM -1: not compared). */
static long udp_recvfrom(const char *what, int fd, int flags, int from)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char b[64];
	long r;

	memset(&ss, 0, sizeof ss);
	r = SAY_DATA(what, recvfrom(fd, b, sizeof b, flags,
	    (struct sockaddr *)&ss, &len), b);
	if (r >= 0) {
		if (from >= 0)
			say("from %s, port is the sender's: %s",
			    say_addr((struct sockaddr *)&ss, len),
			    say_yes(net_port(from) == net_sa_port(&ss)));
		else
			say("from %s", say_addr((struct sockaddr *)&ss, len));
	}
	return r;
}

/* sendto and recvfrom, the source being the sender's address. */
static void udp_sendto_recvfrom(void)
{
	int a = net_udp(AF_INET), b = net_udp(AF_INET);

	if (a < 0 || b < 0)
		return;
	udp_sendto("sendto", a, "hello", 5, AF_INET, b);
	udp_recvfrom("recvfrom", b, 0, a);
	udp_sendto("sendto back", b, "world", 5, AF_INET, a);
	udp_recvfrom("recvfrom", a, 0, b);
	close(a);
	close(b);
}

/* A connected UDP socket sends to, and hears only from, its peer. */
static void udp_connect_send(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a = net_udp(AF_INET), b = net_udp(AF_INET), c = net_udp(AF_INET);
	char buf[16];

	if (a < 0 || b < 0 || c < 0)
		return;
	net_loop(AF_INET, net_port(b), &ss, &len);
	SAY_RC("connect", connect(a, (struct sockaddr *)&ss, len));
	say("peer port is the target's: %s", say_yes(net_peer_port(a) == net_port(b)));
	SAY_RC("send", send(a, "hello", 5, 0));
	udp_recvfrom("peer recvfrom", b, 0, a);
	udp_sendto("a third socket sendto", c, "other", 5, AF_INET, a);
	udp_sendto("peer sendto", b, "reply", 5, AF_INET, a);
	udp_recvfrom("recvfrom (only the peer's gets through)", a, 0, b);
	SAY_RC("recv(MSG_DONTWAIT)", recv(a, buf, sizeof buf, MSG_DONTWAIT));
	SAY_RC("write", write(a, "again", 5));
	SAY_DATA("peer read", read(b, buf, sizeof buf), buf);
	close(a);
	close(b);
	close(c);
}

/* An unbound socket is bound by its first sendto. */
static void udp_unbound(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = net_udp(AF_INET);
	char buf[16];

	if (b < 0)
		return;
	net_timeo(a, CONFORM_TIMEO_MS);
	SAY_RC("recvfrom(MSG_DONTWAIT), nothing sent",
	    recvfrom(b, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
	udp_sendto("unbound socket, sendto", a, "hello", 5, AF_INET, b);
	getsockname(a, (struct sockaddr *)&ss, &len);
	say("sender getsockname -> %s", say_addr((struct sockaddr *)&ss, len));
	udp_recvfrom("recvfrom", b, 0, a);
	close(a);
	close(b);
}

/* Datagrams of 0 to 8000 bytes keep their boundaries. */
static void udp_boundaries(void)
{
	static const size_t sizes[] = { 1, 100, 1000, 0, 1472, 8000 };
	static char out[8000], in[9000];
	int a = net_udp(AF_INET), b = net_udp(AF_INET);
	char what[64];

	if (a < 0 || b < 0)
		return;
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		snprintf(what, sizeof what, "sendto(%zu bytes)", sizes[i]);
		udp_sendto(what, a, out, sizes[i], AF_INET, b);
	}
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		long r = recv(b, in, sizeof in, 0);

		say("recv -> %s, intact: %s", say_rcs(r, errno),
		    say_yes(r >= 0 && memcmp(in, out, (size_t)r) == 0));
	}
	close(a);
	close(b);
}

/* A datagram longer than the buffer: MSG_TRUNC, and the rest dropped. */
static void udp_trunc(void)
{
	int a = net_udp(AF_INET), b = net_udp(AF_INET);
	char out[100], in[10];
	struct iovec iov = { in, sizeof in };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (a < 0 || b < 0)
		return;
	memset(out, 'x', sizeof out);
	udp_sendto("sendto(100 bytes)", a, out, 100, AF_INET, b);
	SAY_RC("recv(10-byte buffer, MSG_TRUNC)", recv(b, in, sizeof in, MSG_TRUNC));
	udp_sendto("sendto(100 bytes)", a, out, 100, AF_INET, b);
	SAY_RC("recv(10-byte buffer)", recv(b, in, sizeof in, 0));
	SAY_RC("recv(MSG_DONTWAIT): the rest is gone",
	    recv(b, in, sizeof in, MSG_DONTWAIT));
	udp_sendto("sendto(100 bytes)", a, out, 100, AF_INET, b);
	SAY_RC("recvmsg(10-byte buffer)", recvmsg(b, &mh, 0));
	say("msg_flags MSG_TRUNC: %s", say_yes(mh.msg_flags & MSG_TRUNC));
	udp_sendto("sendto(100 bytes)", a, out, 100, AF_INET, b);
	SAY_RC("recv(10-byte buffer, MSG_PEEK|MSG_TRUNC)",
	    recv(b, in, sizeof in, MSG_PEEK | MSG_TRUNC));
	SAY_RC("recv(10-byte buffer, MSG_TRUNC)", recv(b, in, sizeof in, MSG_TRUNC));
	close(a);
	close(b);
}

/* MSG_PEEK leaves the datagram, and its source, for the next recv. */
static void udp_peek(void)
{
	int a = net_udp(AF_INET), b = net_udp(AF_INET);

	if (a < 0 || b < 0)
		return;
	udp_sendto("sendto", a, "abc", 3, AF_INET, b);
	udp_sendto("sendto", a, "defg", 4, AF_INET, b);
	udp_recvfrom("recvfrom(MSG_PEEK)", b, MSG_PEEK, a);
	udp_recvfrom("recvfrom(MSG_PEEK)", b, MSG_PEEK, a);
	udp_recvfrom("recvfrom", b, 0, a);
	udp_recvfrom("recvfrom", b, 0, a);
	udp_recvfrom("recvfrom(MSG_DONTWAIT)", b, MSG_DONTWAIT, a);
	close(a);
	close(b);
}

/* sendmmsg to an address, recvmmsg with sources. */
static void udp_mmsg(void)
{
	int a = net_udp(AF_INET), b = net_udp(AF_INET);
	char m[3][8] = { "one", "two", "three" }, in[4][16];
	struct iovec out[3], iv[4];
	struct sockaddr_storage to, from[4];
	struct mmsghdr mm[4];
	socklen_t len;

	if (a < 0 || b < 0)
		return;
	net_loop(AF_INET, net_port(b), &to, &len);
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		out[i] = (struct iovec){ m[i], strlen(m[i]) };
		mm[i].msg_hdr.msg_iov = &out[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = len;
	}
	SAY_RC("sendmmsg(3 datagrams)", sendmmsg(a, mm, 3, 0));
	say("msg_len %u %u %u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 4; i++) {
		iv[i] = (struct iovec){ in[i], sizeof in[i] };
		mm[i].msg_hdr.msg_iov = &iv[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof from[i];
	}
	SAY_RC("recvmmsg(vlen 3)", recvmmsg(b, mm, 3, 0, NULL));
	for (int i = 0; i < 3; i++)
		say("[%d] %u %s from %s", i, mm[i].msg_len,
		    say_bytes(in[i], mm[i].msg_len),
		    say_addr((struct sockaddr *)&from[i], mm[i].msg_hdr.msg_namelen));
	SAY_RC("recvmmsg(vlen 4, MSG_DONTWAIT), nothing left",
	    recvmmsg(b, mm, 4, MSG_DONTWAIT, NULL));
	close(a);
	close(b);
}

/* connect(AF_UNSPEC) dissolves the association; a second connect
 * replaces it. */
static void udp_reconnect(void)
{
	struct sockaddr_storage ss;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t len;
	int a = net_udp(AF_INET), b = net_udp(AF_INET), c = net_udp(AF_INET);

	if (a < 0 || b < 0 || c < 0)
		return;
	net_loop(AF_INET, net_port(b), &ss, &len);
	SAY_RC("connect(b)", connect(a, (struct sockaddr *)&ss, len));
	net_loop(AF_INET, net_port(c), &ss, &len);
	SAY_RC("connect(c)", connect(a, (struct sockaddr *)&ss, len));
	SAY_RC("send", send(a, "to-c", 4, 0));
	udp_recvfrom("c recvfrom", c, 0, a);
	SAY_RC("connect(AF_UNSPEC)", connect(a, &unspec, sizeof unspec));
	len = sizeof ss;
	SAY_RC("getpeername", getpeername(a, (struct sockaddr *)&ss, &len));
	SAY_RC("send", send(a, "x", 1, 0));
	udp_sendto("sendto(b)", a, "to-b", 4, AF_INET, b);
	udp_recvfrom("b recvfrom", b, 0, a);
	close(a);
	close(b);
	close(c);
}

/* shutdown(SHUT_RD) on a connected UDP socket: recv returns 0. */
static void udp_shutdown(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a = net_udp(AF_INET), b = net_udp(AF_INET);
	char buf[8];

	if (a < 0 || b < 0)
		return;
	net_loop(AF_INET, net_port(b), &ss, &len);
	SAY_RC("connect", connect(a, (struct sockaddr *)&ss, len));
	SAY_RC("shutdown(SHUT_RD)", shutdown(a, SHUT_RD));
	SAY_RC("recv", recv(a, buf, sizeof buf, 0));
	SAY_RC("shutdown(SHUT_WR)", shutdown(a, SHUT_WR));
	SAY_RC("send(MSG_NOSIGNAL)", send(a, "x", 1, MSG_NOSIGNAL));
	close(a);
	close(b);
}

/* UDP over ::1, unconnected and connected. */
static void udp_v6(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int a = net_udp(AF_INET6), b = net_udp(AF_INET6);
	char buf[16];

	if (a < 0 || b < 0)
		return;
	udp_sendto("sendto([::1])", a, "hello6", 6, AF_INET6, b);
	udp_recvfrom("recvfrom", b, 0, a);
	net_loop(AF_INET6, net_port(b), &ss, &len);
	SAY_RC("connect([::1])", connect(a, (struct sockaddr *)&ss, len));
	SAY_RC("send", send(a, "again6", 6, 0));
	SAY_DATA("recv", recv(b, buf, sizeof buf, 0), buf);
	close(a);
	close(b);
}

/* An AF_INET6 socket on [::] talks with AF_INET sockets. */
static void udp_v4mapped(void)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int a = net_udp(AF_INET), d = socket(AF_INET6, SOCK_DGRAM, 0);
	char buf[16];

	if (a < 0)
		return;
	net_timeo(d, CONFORM_TIMEO_MS);
	SAY_RC("AF_INET6 bind([::]:0)", bind(d, (struct sockaddr *)&any, sizeof any));
	udp_sendto("AF_INET sendto(127.0.0.1)", a, "mapped", 6, AF_INET, d);
	SAY_DATA("AF_INET6 recvfrom", recvfrom(d, buf, sizeof buf, 0,
	    (struct sockaddr *)&ss, &len), buf);
	say("from %s", say_addr((struct sockaddr *)&ss, len));
	SAY_RC("AF_INET6 sendto(that address)",
	    sendto(d, "back", 4, 0, (struct sockaddr *)&ss, len));
	udp_recvfrom("AF_INET recvfrom", a, 0, d);
	udp_sendto("AF_INET6 sendto(a sockaddr_in)", d, "plain4", 6, AF_INET, a);
	udp_recvfrom("AF_INET recvfrom", a, 0, d);
	close(a);
	close(d);
}

const struct conform_case case_udp[] = {
	{ "udp.sendto_recvfrom", udp_sendto_recvfrom },
	{ "udp.connect_send", udp_connect_send },
	{ "udp.unbound", udp_unbound },
	{ "udp.boundaries", udp_boundaries },
	{ "udp.trunc", udp_trunc },
	{ "udp.peek", udp_peek },
	{ "udp.mmsg", udp_mmsg },
	{ "udp.reconnect", udp_reconnect },
	{ "udp.shutdown", udp_shutdown },
	{ "udp.v6", udp_v6 },
	{ "udp.v4mapped", udp_v4mapped },
	CONFORM_END
};
