/*
 * case_opt.c: setsockopt and getsockopt: round trips, the options that
 * describe a socket, and the errors.
 */
#include "config.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

/* getsockopt of an int option, said as "get NAME -> V". */
static void opt_get(int fd, int level, int name, const char *label)
{
	socklen_t len = sizeof(int);
	int v = -12345, r;

	errno = 0;
	r = getsockopt(fd, level, name, &v, &len);
	if (r < 0)
		say("get %s -> %s", label, say_rcs(r, errno));
	else
		say("get %s -> %d (len %u)", label, v, (unsigned)len);
}

/* setsockopt of an int option, said. */
static void opt_set(int fd, int level, int name, const char *label, int v)
{
	char what[96];

	snprintf(what, sizeof what, "set %s %d", label, v);
	SAY_RC(what, setsockopt(fd, level, name, &v, sizeof v));
}

/* Default, set V, read back, set 0, read back. */
static void opt_round(int fd, int level, int name, const char *label, int v)
{
	opt_get(fd, level, name, label);
	opt_set(fd, level, name, label, v);
	opt_get(fd, level, name, label);
	opt_set(fd, level, name, label, 0);
	opt_get(fd, level, name, label);
}

/* SO_REUSEADDR round trip, TCP and UDP. */
static void opt_reuseaddr(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);

	say("SOCK_STREAM:");
	opt_round(t, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
	say("SOCK_DGRAM:");
	opt_round(u, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
	close(t);
	close(u);
}

/* SO_KEEPALIVE and the TCP_KEEP* options round trip. */
static void opt_keepalive(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), c, s;

	opt_round(t, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1);
	close(t);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	say("connected:");
	opt_round(c, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1);
	opt_set(c, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 60);
	opt_get(c, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	opt_set(c, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 10);
	opt_get(c, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
	opt_set(c, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 5);
	opt_get(c, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
	opt_set(c, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 0);
	close(c);
	close(s);
}

/* TCP_NODELAY round trip, IPv4 and IPv6; on UDP it is refused. */
static void opt_nodelay(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), t6 = socket(AF_INET6, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0), c, s;

	say("AF_INET:");
	opt_round(t, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
	say("AF_INET6:");
	opt_round(t6, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
	say("SOCK_DGRAM:");
	opt_set(u, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
	opt_get(u, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
	close(t);
	close(t6);
	close(u);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	say("connected:");
	opt_round(c, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
	close(c);
	close(s);
}

/* SO_TYPE, SO_DOMAIN and SO_PROTOCOL of each kind of socket. */
static void opt_type(void)
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

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int fd = socket(t[i].family, t[i].type | SOCK_NONBLOCK, 0);
		int type = -1, dom = -1, proto = -1;
		socklen_t len = sizeof(int);

		getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
		getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len);
		getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
		say("%s: SO_TYPE -> %s, SO_DOMAIN -> %s, SO_PROTOCOL -> %s",
		    t[i].name,
		    type == SOCK_STREAM ? "SOCK_STREAM" :
		    type == SOCK_DGRAM ? "SOCK_DGRAM" : "other",
		    dom == AF_INET ? "AF_INET" : dom == AF_INET6 ? "AF_INET6" : "other",
		    proto == IPPROTO_TCP ? "IPPROTO_TCP" :
		    proto == IPPROTO_UDP ? "IPPROTO_UDP" : "other");
		SAY_RC("set SO_TYPE", setsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
		    sizeof type));
		close(fd);
	}
}

/* SO_ACCEPTCONN before and after listen. */
static void opt_acceptconn(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int c, s;
	struct sockaddr_storage ss;
	socklen_t len;

	opt_get(l, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN (new)");
	net_loop(AF_INET, 0, &ss, &len);
	bind(l, (struct sockaddr *)&ss, len);
	listen(l, 4);
	net_timeo(l, CONFORM_TIMEO_MS);
	opt_get(l, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN (listening)");
	c = net_connect(AF_INET, net_port(l));
	s = accept(l, NULL, NULL);
	opt_get(c, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN (client)");
	opt_get(s, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN (accepted)");
	opt_get(u, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN (SOCK_DGRAM)");
	SAY_RC("set SO_ACCEPTCONN", setsockopt(l, SOL_SOCKET, SO_ACCEPTCONN,
	    &(int){ 0 }, sizeof(int)));
	close(c);
	close(s);
	close(l);
	close(u);
}

/* SO_ERROR of sockets without an error; it cannot be set. */
static void opt_error(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int c, s;

	opt_get(t, SOL_SOCKET, SO_ERROR, "SO_ERROR (SOCK_STREAM)");
	opt_get(u, SOL_SOCKET, SO_ERROR, "SO_ERROR (SOCK_DGRAM)");
	SAY_RC("set SO_ERROR", setsockopt(t, SOL_SOCKET, SO_ERROR, &(int){ 0 },
	    sizeof(int)));
	close(t);
	close(u);
	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	opt_get(c, SOL_SOCKET, SO_ERROR, "SO_ERROR (connected)");
	close(c);
	close(s);
}

/* Reads a timeval option back. */
static void opt_get_tv(int fd, int name, const char *label)
{
	struct timeval tv = { -1, -1 };
	socklen_t len = sizeof tv;
	int r = getsockopt(fd, SOL_SOCKET, name, &tv, &len);

	if (r < 0)
		say("get %s -> %s", label, say_rcs(r, errno));
	else
		say("get %s -> {%ld, %ld} (len %u)", label, (long)tv.tv_sec,
		    (long)tv.tv_usec, (unsigned)len);
}

/* SO_RCVTIMEO and SO_SNDTIMEO round trip, and their errors. */
static void opt_timeo(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv;

	for (int i = 0; i < 2; i++) {
		int name = i ? SO_SNDTIMEO : SO_RCVTIMEO;
		const char *label = i ? "SO_SNDTIMEO" : "SO_RCVTIMEO";
		char what[64];

		opt_get_tv(fd, name, label);
		tv = (struct timeval){ 1, 500000 };
		snprintf(what, sizeof what, "set %s {1, 500000}", label);
		SAY_RC(what, setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv));
		opt_get_tv(fd, name, label);
		tv = (struct timeval){ 0, 0 };
		snprintf(what, sizeof what, "set %s {0, 0}", label);
		SAY_RC(what, setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv));
		opt_get_tv(fd, name, label);
		snprintf(what, sizeof what, "set %s, optlen 4", label);
		SAY_RC(what, setsockopt(fd, SOL_SOCKET, name, &tv, 4));
		tv = (struct timeval){ 0, 1000000 };
		snprintf(what, sizeof what, "set %s {0, 1000000}", label);
		SAY_RC(what, setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv));
	}
	close(fd);
}

/* SO_LINGER round trip, and a short optlen. */
static void opt_linger(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct linger lg;
	socklen_t len;

	for (int i = 0; i < 3; i++) {
		if (i == 1) {
			lg = (struct linger){ 1, 5 };
			SAY_RC("set SO_LINGER {1, 5}",
			    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
		} else if (i == 2) {
			lg = (struct linger){ 0, 0 };
			SAY_RC("set SO_LINGER {0, 0}",
			    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
		}
		lg = (struct linger){ -1, -1 };
		len = sizeof lg;
		if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) < 0)
			say("get SO_LINGER -> -1 %s", say_errno(errno));
		else
			say("get SO_LINGER -> {%d, %d} (len %u)", lg.l_onoff,
			    lg.l_linger, (unsigned)len);
	}
	SAY_RC("set SO_LINGER, optlen 1",
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 1));
	close(fd);
}

/* IPV6_V6ONLY round trip; on IPv4; after bind. */
static void opt_v6only(void)
{
	int t6 = socket(AF_INET6, SOCK_STREAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int t4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t len;

	say("AF_INET6 SOCK_STREAM:");
	opt_round(t6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
	say("AF_INET6 SOCK_DGRAM:");
	opt_round(u6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
	say("AF_INET SOCK_STREAM:");
	opt_set(t4, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
	opt_get(t4, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
	say("AF_INET6 SOCK_STREAM, bound:");
	net_loop(AF_INET6, 0, &ss, &len);
	bind(t6, (struct sockaddr *)&ss, len);
	opt_set(t6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
	opt_get(t6, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
	close(t6);
	close(u6);
	close(t4);
}

/* SO_RCVBUF and SO_SNDBUF hold at least what was asked. */
static void opt_bufsizes(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	for (int i = 0; i < 2; i++) {
		int name = i ? SO_SNDBUF : SO_RCVBUF, v = 65536;
		socklen_t len = sizeof v;

		SAY_RC(i ? "set SO_SNDBUF 65536" : "set SO_RCVBUF 65536",
		    setsockopt(fd, SOL_SOCKET, name, &v, sizeof v));
		v = 0;
		getsockopt(fd, SOL_SOCKET, name, &v, &len);
		say("get %s >= 65536: %s", i ? "SO_SNDBUF" : "SO_RCVBUF",
		    say_yes(v >= 65536));
	}
	close(fd);
}

/* SO_BROADCAST, IP_TTL, IP_TOS and IPV6_UNICAST_HOPS round trip. */
static void opt_ip(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);

	opt_set(u, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST", 1);
	opt_get(u, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
	opt_set(t, IPPROTO_IP, IP_TTL, "IP_TTL", 33);
	opt_get(t, IPPROTO_IP, IP_TTL, "IP_TTL");
	opt_set(t, IPPROTO_IP, IP_TTL, "IP_TTL", 256);
	opt_set(u, IPPROTO_IP, IP_TOS, "IP_TOS", 0x10);
	opt_get(u, IPPROTO_IP, IP_TOS, "IP_TOS");
	opt_set(u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", 17);
	opt_get(u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS");
	close(u);
	close(t);
	close(u6);
}

/* Options and levels that do not exist, and bad lengths. */
static void opt_bogus(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);

	opt_set(t, SOL_SOCKET, 9999, "SOL_SOCKET 9999", 1);
	opt_get(t, SOL_SOCKET, 9999, "SOL_SOCKET 9999");
	opt_set(t, IPPROTO_TCP, 9999, "IPPROTO_TCP 9999", 1);
	opt_get(t, IPPROTO_TCP, 9999, "IPPROTO_TCP 9999");
	opt_set(t, IPPROTO_IP, 9999, "IPPROTO_IP 9999", 1);
	opt_set(u, IPPROTO_UDP, 9999, "SOCK_DGRAM IPPROTO_UDP 9999", 1);
	opt_get(u, IPPROTO_UDP, 9999, "SOCK_DGRAM IPPROTO_UDP 9999");
	SAY_RC("getsockopt(SO_TYPE, optlen -1)", getsockopt(t, SOL_SOCKET,
	    SO_TYPE, &(int){ 0 }, &(socklen_t){ (socklen_t)-1 }));
	SAY_RC("setsockopt(SO_REUSEADDR, optlen 0)",
	    setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, 0));
	close(t);
	close(u);
}

/* getsockopt and setsockopt on what is not a socket. */
static void opt_notsock(void)
{
	int p[2], null = open("/dev/null", O_RDWR), fd = net_closed_fd();
	int v = 1;
	socklen_t len = sizeof v;

	if (pipe(p) < 0)
		return;
	SAY_RC("getsockopt(pipe, SO_TYPE)",
	    getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len));
	SAY_RC("setsockopt(pipe, SO_REUSEADDR)",
	    setsockopt(p[1], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	SAY_RC("getsockopt(/dev/null, SO_ERROR)",
	    getsockopt(null, SOL_SOCKET, SO_ERROR, &v, &len));
	SAY_RC("setsockopt(/dev/null, TCP_NODELAY)",
	    setsockopt(null, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
	SAY_RC("getsockopt(closed socket, SO_TYPE)",
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	SAY_RC("setsockopt(closed socket, SO_KEEPALIVE)",
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	SAY_RC("getsockopt(-1, SO_TYPE)",
	    getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len));
	close(p[0]);
	close(p[1]);
	close(null);
}

const struct conform_case case_opt[] = {
	{ "opt.reuseaddr", opt_reuseaddr },
	{ "opt.keepalive", opt_keepalive },
	{ "opt.nodelay", opt_nodelay },
	{ "opt.type", opt_type },
	{ "opt.acceptconn", opt_acceptconn },
	{ "opt.error", opt_error },
	{ "opt.timeo", opt_timeo },
	{ "opt.linger", opt_linger },
	{ "opt.v6only", opt_v6only },
	{ "opt.bufsizes", opt_bufsizes },
	{ "opt.ip", opt_ip },
	{ "opt.bogus", opt_bogus },
	{ "opt.notsock", opt_notsock },
	CONFORM_END
};
