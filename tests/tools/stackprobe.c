/*
 * stackprobe.c: an app of membrane-stack for the tests, speaking the app
 * protocol through libmbsclient.
 *
 *   stackprobe --endpoint PATH COMMAND [ARGS] [OPTIONS]
 *
 *   tcp-connect ADDR PORT   connect, then copy stdin to the connection and
 *                           the connection to stdout, as netcat does
 *   tcp-listen PORT         the same on the first connection accepted
 *       --no-stdin          send nothing: shut down the write side at once
 *       --rst               end with an abortive close (SO_LINGER {1, 0})
 *                           once stdin is sent, without waiting for EOF
 *       --syncnt N          TCP_SYNCNT before connecting
 *       -6                  listen on IPv6 (default IPv4)
 *   udp-echo PORT [--count N]
 *                           send every datagram back to where it came from
 *   udp-send ADDR PORT [--sizes S,S,...] [--recv-buf N]
 *                           one datagram of each size, each echo checked:
 *                           "ok SIZE" or "trunc SIZE->N"; without --sizes,
 *                           one datagram per line of stdin, echoes printed
 *   many N ADDR PORT [--bytes B]
 *                           N connections at once to an echo server, each
 *                           sends B bytes and checks what comes back
 *   corrupt                 open a socket, scribble over the region, and
 *                           expect the stack to hang up within 5 s
 *   stats                   the stack's statistics
 *   rr ADDR PORT [--count N] [--size S]
 *                           request/response latency, p50 and p99
 *   stream ADDR PORT [--bytes B]
 *                           bulk send, Gbit/s from connect to the peer's close
 *
 * Exit status: 0 success, 1 failure, 2 bad usage, 3 the connect failed,
 * 4 the connection was reset during the transfer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbstack.h"

#define EXIT_USAGE	2
#define EXIT_CONNECT	3
#define EXIT_RESET	4

#define CALL_MS		10000	/* a request's answer, at most */
#define IDLE_MS		100	/* a sleep's backstop */
#define CHUNK		(64u << 10)

static struct opts {
	const char	*endpoint;
	int		 v6;
	int		 no_stdin;
	int		 rst;
	int		 syncnt;
	long		 count;
	const char	*sizes;
	long		 recv_buf;
	uint64_t	 bytes;
	size_t		 size;
	int		 timeout_s;
} o = {
	.recv_buf = -1,
	.bytes = 4096,
	.size = 64,
	.timeout_s = 60,
};

static struct mbs_client cl;
static int stdin_flags = -1, stdout_flags = -1;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "stackprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
"usage: stackprobe --endpoint PATH COMMAND [ARGS] [OPTIONS]\n"
"  tcp-connect ADDR PORT [--no-stdin] [--rst] [--syncnt N]\n"
"  tcp-listen PORT [-6] [--no-stdin] [--rst]\n"
"  udp-echo PORT [-6] [--count N]\n"
"  udp-send ADDR PORT [--sizes S,S,...] [--recv-buf N]\n"
"  many N ADDR PORT [--bytes B] [--timeout SECONDS]\n"
"  corrupt\n"
"  stats\n"
"  rr ADDR PORT [--count N] [--size S]\n"
"  stream ADDR PORT [--bytes B]\n"
"exit: 0 ok, 1 failure, 2 usage, 3 connect failed, 4 connection reset\n");
	exit(code);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stackprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(EXIT_USAGE);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A count with an optional K, M or G (binary) suffix. */
static uint64_t
parse_num(const char *what, const char *s, uint64_t min, uint64_t max)
{
	char		*end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		bad("%s: \"%s\" is not a number", what, s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end != '\0')
		bad("%s: \"%s\" is not a number", what, s);
	if (v < min || v > max)
		bad("%s: %s is out of range (%" PRIu64 " to %" PRIu64 ")",
		    what, s, min, max);
	return v;
}

static uint16_t
parse_port(const char *s)
{
	return (uint16_t)parse_num("port", s, 1, 65535);
}

/* ADDR (IPv4, or IPv6 with an optional numeric %scope) and PORT. */
static void
parse_addr(const char *s, const char *port, struct mbs_addr *a)
{
	char	buf[INET6_ADDRSTRLEN + 16], *pct;

	memset(a, 0, sizeof(*a));
	a->port = htons(parse_port(port));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return;
	}
	if (strlen(s) >= sizeof(buf))
		bad("\"%s\" is not an address", s);
	strcpy(buf, s);
	if ((pct = strchr(buf, '%')) != NULL) {
		*pct++ = '\0';
		a->scope_id = (uint32_t)parse_num("scope", pct, 0, UINT32_MAX);
	}
	if (inet_pton(AF_INET6, buf, a->addr) != 1)
		bad("\"%s\" is not an address", s);
	a->family = AF_INET6;
}

static const char *
addr_str(const struct mbs_addr *a, char *buf, size_t len)
{
	char	ip[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		snprintf(buf, len, "(none)");
	else if (inet_ntop(a->family, a->addr, ip, sizeof(ip)) == NULL)
		snprintf(buf, len, "(?)");
	else
		snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" :
		    "%s:%u", ip, ntohs(a->port));
	return buf;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static int
call(uint16_t op, uint32_t id, struct mbs_req *r, struct mbs_cpl *c)
{
	r->op = op;
	r->sock = id;
	return mbs_call(&cl, r, c, CALL_MS);
}

/* A new socket of family and type, its rings attached. */
static void
sock_open(int family, int type, struct mbs_sock *s)
{
	struct mbs_req	r;
	struct mbs_cpl	c;
	int		rc;

	memset(&r, 0, sizeof(r));
	r.u.socket.family = family;
	r.u.socket.type = type;
	if ((rc = call(MBS_OP_SOCKET, 0, &r, &c)) < 0)
		die(1, "socket: %s", strerror(-rc));
	if ((rc = mbs_sock_attach(&cl, c.sock, s)) < 0)
		die(1, "socket %u: %s", c.sock, strerror(-rc));
}

static int
sock_setopt(struct mbs_sock *s, int level, int name, const void *val,
    size_t len)
{
	struct mbs_req	r;
	struct mbs_cpl	c;

	memset(&r, 0, sizeof(r));
	r.u.opt.level = level;
	r.u.opt.name = name;
	r.u.opt.len = (uint32_t)len;
	memcpy(r.u.opt.val, val, len);
	return call(MBS_OP_SETSOCKOPT, s->id, &r, &c);
}

static int
sock_val(struct mbs_sock *s, uint16_t op, int val)
{
	struct mbs_req	r;
	struct mbs_cpl	c;

	memset(&r, 0, sizeof(r));
	r.u.val = val;
	return call(op, s->id, &r, &c);
}

static int
sock_addr(struct mbs_sock *s, uint16_t op, const struct mbs_addr *a)
{
	struct mbs_req	r;
	struct mbs_cpl	c;

	memset(&r, 0, sizeof(r));
	r.u.addr = *a;
	return call(op, s->id, &r, &c);
}

static void
sock_close(struct mbs_sock *s)
{
	int rc;

	if ((rc = sock_val(s, MBS_OP_CLOSE, 0)) < 0)
		die(1, "close: %s", strerror(-rc));
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

/* Has the stack hung up on us? */
static bool
stack_gone(void)
{
	struct pollfd pfd = { .fd = cl.sock, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/*
 * Sleep, the app's bell armed by the caller, until the stack rings, one of
 * the n extra descriptors is ready, or timeout_ms.  Disarms the bell.
 */
static void
sleep_armed(struct pollfd *extra, int n, int timeout_ms)
{
	struct pollfd	pfd[4];
	int		i, rc;

	pfd[0].fd = cl.efd_app;
	pfd[0].events = POLLIN;
	pfd[1].fd = cl.sock;
	pfd[1].events = POLLRDHUP;
	for (i = 0; i < n && i < 2; i++)
		pfd[2 + i] = extra[i];
	for (i = 0; i < 2 + n; i++)
		pfd[i].revents = 0;
	rc = poll(pfd, (nfds_t)(2 + n), timeout_ms);
	if (rc < 0 && errno != EINTR)
		die(1, "poll: %s", strerror(errno));
	if (rc > 0 && (pfd[0].revents & POLLIN))
		(void)ion_bell_drain(&cl.bell_app);
	ion_bell_disarm(&cl.bell_app);
	if (rc > 0 && (pfd[1].revents & (POLLHUP | POLLRDHUP | POLLERR)))
		die(1, "the stack closed the connection");
	for (i = 0; i < n && i < 2; i++)
		extra[i].revents = pfd[2 + i].revents;
}

/*
 * Run pump until it says it is finished (> 0 means it moved something, 0
 * nothing, < 0 finished), sleeping when nothing moves.  The bell is armed
 * before the last look, so a ring after that look wakes the sleep.
 */
static void
run(int (*pump)(void *, struct pollfd *, int *), void *arg)
{
	struct pollfd	extra[2];
	int		n, rc;

	for (;;) {
		n = 0;
		if ((rc = pump(arg, extra, &n)) < 0)
			return;
		if (rc > 0)
			continue;
		ion_bell_arm(&cl.bell_app);
		n = 0;
		if ((rc = pump(arg, extra, &n)) != 0) {
			ion_bell_disarm(&cl.bell_app);
			if (rc < 0)
				return;
			continue;
		}
		sleep_armed(extra, n, IDLE_MS);
	}
}

/* Block until ready(arg) > 0; dies when the stack goes or after timeout. */
static void
wait_for(int (*ready)(void *), void *arg, int timeout_ms, const char *what)
{
	uint64_t	deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	int		rc;

	for (;;) {
		rc = mbs_wait(&cl, ready, arg, IDLE_MS);
		if (rc > 0)
			return;
		if (rc < 0 && rc != -EINTR)
			die(1, "%s: %s", what, strerror(-rc));
		if (stack_gone())
			die(1, "%s: the stack closed the connection", what);
		if (timeout_ms >= 0 && now_ns() >= deadline)
			die(1, "%s: timed out", what);
	}
}

static int
ready_state(void *arg, uint32_t want)
{
	struct mbs_sock *s = arg;

	return (mbs_sock_state(s) & (want | MBS_S_ERROR | MBS_S_RESET)) != 0;
}

static int
ready_conn(void *arg)
{
	return ready_state(arg, MBS_S_CONNECTED);
}

static int
ready_acceptq(void *arg)
{
	return ready_state(arg, MBS_S_ACCEPTQ);
}

static int
ready_rx(void *arg)
{
	struct mbs_sock *s = arg;
	ssize_t		 n = ion_stream_count(&s->rx);

	if (n != 0)
		return n < 0 ? (int)n : 1;
	return ready_state(arg, MBS_S_RX_EOF);
}

static int
ready_tx(void *arg)
{
	struct mbs_sock *s = arg;
	ssize_t		 n = ion_stream_space(&s->tx);

	if (n != 0)
		return n < 0 ? (int)n : 1;
	return ready_state(arg, 0);
}

/* ------------------------------------------------------------------ */
/* TCP                                                                 */

/* The pending error of a socket that is gone, as a negative errno. */
static int
sock_error(struct mbs_sock *s)
{
	int e = atomic_load(&s->shm->error);

	return e > 0 ? -e : -ECONNRESET;
}

/* Connect s to a, waiting for the handshake; exits 3 when it fails. */
static void
tcp_connect(struct mbs_sock *s, const struct mbs_addr *a)
{
	int rc;

	if (o.syncnt > 0 && (rc = sock_setopt(s, IPPROTO_TCP, TCP_SYNCNT,
	    &o.syncnt, sizeof(o.syncnt))) < 0)
		die(1, "TCP_SYNCNT: %s", strerror(-rc));
	rc = sock_addr(s, MBS_OP_CONNECT, a);
	if (rc == -EINPROGRESS) {
		wait_for(ready_conn, s, -1, "connect");
		if (mbs_sock_state(s) & MBS_S_CONNECTED)
			rc = 0;
		else
			rc = sock_error(s);
	}
	if (rc < 0)
		die(EXIT_CONNECT, "connect: %s", strerror(-rc));
}

/* A connection broke during the transfer. */
static void __attribute__((noreturn))
broken(ssize_t rc)
{
	if (rc == -EPROTO)
		die(1, "the stack's rings are corrupted");
	die(EXIT_RESET, "%s", strerror((int)-rc));
}

/* Abortive close: SO_LINGER {1, 0}, then CLOSE. */
static void
tcp_abort(struct mbs_sock *s)
{
	struct linger	l = { 1, 0 };
	int		rc;

	if ((rc = sock_setopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l))) < 0)
		die(1, "SO_LINGER: %s", strerror(-rc));
	sock_close(s);
}

struct nc {
	struct mbs_sock	 s;
	char		 in[CHUNK], out[CHUNK];
	size_t		 in_off, in_len, out_off, out_len;
	bool		 stdin_done, shut_sent, peer_eof, aborted;
};

static void
nc_restore(void)
{
	if (stdin_flags >= 0)
		(void)fcntl(0, F_SETFL, stdin_flags);
	if (stdout_flags >= 0)
		(void)fcntl(1, F_SETFL, stdout_flags);
}

/* One turn of the copy loop; see run(). */
static int
nc_pump(void *arg, struct pollfd *extra, int *nextra)
{
	struct nc	*nc = arg;
	ssize_t		 n;
	int		 moved = 0, rc;

	if (!nc->stdin_done && nc->in_len == 0) {
		n = read(0, nc->in, sizeof(nc->in));
		if (n > 0) {
			nc->in_off = 0;
			nc->in_len = (size_t)n;
			moved = 1;
		} else if (n == 0) {
			nc->stdin_done = true;
			moved = 1;
		} else if (errno == EAGAIN || errno == EINTR) {
			extra[*nextra].fd = 0;
			extra[(*nextra)++].events = POLLIN;
		} else {
			die(1, "stdin: %s", strerror(errno));
		}
	}
	if (nc->in_len > 0) {
		n = mbs_send(&cl, &nc->s, nc->in + nc->in_off, nc->in_len);
		if (n > 0) {
			nc->in_off += (size_t)n;
			nc->in_len -= (size_t)n;
			moved = 1;
		} else if (n != -EAGAIN) {
			broken(n);
		}
	}
	if (nc->stdin_done && nc->in_len == 0 && !nc->shut_sent) {
		if (o.rst) {
			/* Once the stack has taken every byte, reset. */
			n = ion_stream_space(&nc->s.tx);
			if (n < 0)
				broken(n);
			if (mbs_sock_state(&nc->s) & MBS_S_RESET)
				broken(sock_error(&nc->s));
			if ((uint64_t)n == cl.hdr.buf_size) {
				tcp_abort(&nc->s);
				nc->aborted = true;
				return -1;
			}
		} else {
			rc = sock_val(&nc->s, MBS_OP_SHUTDOWN, SHUT_WR);
			if (rc < 0 && (mbs_sock_state(&nc->s) & MBS_S_RESET))
				broken(sock_error(&nc->s));
			if (rc < 0)
				die(1, "shutdown: %s", strerror(-rc));
			nc->shut_sent = true;
			moved = 1;
		}
	}
	if (nc->out_len == 0 && !nc->peer_eof) {
		n = mbs_recv(&cl, &nc->s, nc->out, sizeof(nc->out));
		if (n > 0) {
			nc->out_off = 0;
			nc->out_len = (size_t)n;
			moved = 1;
		} else if (n == 0) {
			nc->peer_eof = true;
			moved = 1;
		} else if (n != -EAGAIN) {
			broken(n);
		}
	}
	if (nc->out_len > 0) {
		n = write(1, nc->out + nc->out_off, nc->out_len);
		if (n > 0) {
			nc->out_off += (size_t)n;
			nc->out_len -= (size_t)n;
			moved = 1;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			extra[*nextra].fd = 1;
			extra[(*nextra)++].events = POLLOUT;
		} else {
			die(1, "stdout: %s", strerror(errno));
		}
	}
	if (nc->peer_eof && nc->out_len == 0 && nc->stdin_done &&
	    nc->shut_sent)
		return -1;
	return moved;
}

/* Copy stdin to s and s to stdout until both ends are done; closes s. */
static void
netcat(struct mbs_sock *s)
{
	struct nc	*nc;

	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		die(1, "out of memory");
	nc->s = *s;
	if ((stdin_flags = fcntl(0, F_GETFL)) < 0 ||
	    (stdout_flags = fcntl(1, F_GETFL)) < 0)
		die(1, "stdin or stdout is closed");
	atexit(nc_restore);
	if (fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK) < 0 ||
	    fcntl(1, F_SETFL, stdout_flags | O_NONBLOCK) < 0)
		die(1, "fcntl: %s", strerror(errno));
	if (o.no_stdin)
		nc->stdin_done = true;
	run(nc_pump, nc);
	if (!nc->aborted)
		sock_close(&nc->s);
	free(nc);
}

static int
cmd_tcp_connect(int argc, char **argv)
{
	struct mbs_sock	s;
	struct mbs_addr	a;

	if (argc != 3)
		bad("tcp-connect needs ADDR and PORT");
	parse_addr(argv[1], argv[2], &a);
	sock_open(a.family, SOCK_STREAM, &s);
	tcp_connect(&s, &a);
	netcat(&s);
	return 0;
}

/* Bind s to the any address of its family, port (host order). */
static void
sock_bind_any(struct mbs_sock *s, int family, uint16_t port)
{
	struct mbs_addr	a;
	int		rc;

	memset(&a, 0, sizeof(a));
	a.family = (uint16_t)family;
	a.port = htons(port);
	if ((rc = sock_addr(s, MBS_OP_BIND, &a)) < 0)
		die(1, "bind to port %u: %s", port, strerror(-rc));
}

static int
cmd_tcp_listen(int argc, char **argv)
{
	struct mbs_sock	ls, s;
	struct mbs_req	r;
	struct mbs_cpl	c;
	uint16_t	port;
	int		family = o.v6 ? AF_INET6 : AF_INET, rc;
	char		buf[80];

	if (argc != 2)
		bad("tcp-listen needs PORT");
	port = parse_port(argv[1]);
	sock_open(family, SOCK_STREAM, &ls);
	sock_bind_any(&ls, family, port);
	if ((rc = sock_val(&ls, MBS_OP_LISTEN, 1)) < 0)
		die(1, "listen: %s", strerror(-rc));
	fprintf(stderr, "stackprobe: listening on port %u\n", port);
	for (;;) {
		memset(&r, 0, sizeof(r));
		rc = call(MBS_OP_ACCEPT, ls.id, &r, &c);
		if (rc == 0)
			break;
		if (rc != -EAGAIN)
			die(1, "accept: %s", strerror(-rc));
		wait_for(ready_acceptq, &ls, -1, "accept");
	}
	if ((rc = mbs_sock_attach(&cl, c.sock, &s)) < 0)
		die(1, "socket %u: %s", c.sock, strerror(-rc));
	fprintf(stderr, "stackprobe: accepted %s\n",
	    addr_str(&c.u.addr, buf, sizeof(buf)));
	sock_close(&ls);
	netcat(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* UDP                                                                 */

static uint8_t
dgram_byte(size_t size, size_t j)
{
	return (uint8_t)(j * 7u + size * 13u + (j >> 8));
}

static int
cmd_udp_echo(int argc, char **argv)
{
	static char	 buf[MBS_DGRAM_MAX];
	struct mbs_sock	 s;
	struct mbs_addr	 from;
	uint16_t	 port;
	int		 family = o.v6 ? AF_INET6 : AF_INET;
	long		 done = 0;
	ssize_t		 n, rc;

	if (argc != 2)
		bad("udp-echo needs PORT");
	port = parse_port(argv[1]);
	sock_open(family, SOCK_DGRAM, &s);
	sock_bind_any(&s, family, port);
	fprintf(stderr, "stackprobe: udp echo on port %u\n", port);
	while (o.count <= 0 || done < o.count) {
		n = mbs_recvfrom(&cl, &s, buf, sizeof(buf), &from);
		if (n == -EAGAIN) {
			wait_for(ready_rx, &s, -1, "udp-echo");
			continue;
		}
		if (n < 0)
			die(1, "recvfrom: %s", strerror((int)-n));
		while ((rc = mbs_sendto(&cl, &s, buf, (size_t)n, &from)) ==
		    -EAGAIN)
			wait_for(ready_tx, &s, 5000, "udp-echo: send");
		if (rc < 0)
			die(1, "sendto: %s", strerror((int)-rc));
		done++;
	}
	sock_close(&s);
	return 0;
}

/* Wait up to ms for a datagram on s; its length, or -EAGAIN. */
static ssize_t
udp_recv(struct mbs_sock *s, void *buf, size_t len, struct mbs_addr *from,
    int ms)
{
	uint64_t	deadline = now_ns() + (uint64_t)ms * 1000000u;
	ssize_t		n;
	int		rc;

	for (;;) {
		n = mbs_recvfrom(&cl, s, buf, len, from);
		if (n != -EAGAIN)
			return n;
		if (now_ns() >= deadline)
			return -EAGAIN;
		rc = mbs_wait(&cl, ready_rx, s, IDLE_MS);
		if (rc < 0 && rc != -EINTR)
			die(1, "udp: %s", strerror(-rc));
		if (stack_gone())
			die(1, "the stack closed the connection");
	}
}

static void
udp_send(struct mbs_sock *s, const void *buf, size_t len,
    const struct mbs_addr *to)
{
	ssize_t rc;

	while ((rc = mbs_sendto(&cl, s, buf, len, to)) == -EAGAIN)
		wait_for(ready_tx, s, 5000, "udp-send");
	if (rc < 0)
		die(1, "sendto (%zu bytes): %s", len, strerror((int)-rc));
}

static bool
same_peer(const struct mbs_addr *a, const struct mbs_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

/* One datagram per size, each echo checked. */
static void
udp_sizes(struct mbs_sock *s, const struct mbs_addr *to)
{
	static uint8_t	 out[MBS_DGRAM_MAX], in[MBS_DGRAM_MAX];
	char		*list, *tok, *save = NULL, abuf[80];
	size_t		 size, cap, j, k;
	struct mbs_addr	 from;
	ssize_t		 n;
	int		 tries;

	cap = o.recv_buf >= 0 ? (size_t)o.recv_buf : sizeof(in);
	if ((list = strdup(o.sizes)) == NULL)
		die(1, "out of memory");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		size = (size_t)parse_num("--sizes", tok, 0, MBS_DGRAM_MAX);
		for (j = 0; j < size; j++)
			out[j] = dgram_byte(size, j);
		n = -EAGAIN;
		/* The network may lose one: ask again, up to three times. */
		for (tries = 0; tries < 3 && n == -EAGAIN; tries++) {
			udp_send(s, out, size, to);
			for (;;) {
				n = udp_recv(s, in, cap, &from, 2000);
				if (n < 0 || same_peer(&from, to))
					break;
				fprintf(stderr, "stackprobe: a datagram from "
				    "%s, ignored\n",
				    addr_str(&from, abuf, sizeof(abuf)));
			}
		}
		if (n == -EAGAIN)
			die(1, "size %zu: no echo", size);
		if (n < 0)
			die(1, "size %zu: recvfrom: %s", size,
			    strerror((int)-n));
		if ((size_t)n != size)
			die(1, "size %zu: the echo has %zd bytes", size, n);
		k = size < cap ? size : cap;
		for (j = 0; j < k; j++)
			if (in[j] != out[j])
				die(1, "size %zu: byte %zu is 0x%02x, not "
				    "0x%02x", size, j, in[j], out[j]);
		if (size > cap)
			printf("trunc %zu->%zu\n", size, cap);
		else
			printf("ok %zu\n", size);
		fflush(stdout);
	}
	free(list);
}

/* One datagram per line of stdin; each echo printed. */
static void
udp_lines(struct mbs_sock *s, const struct mbs_addr *to)
{
	static char	line[MBS_DGRAM_MAX + 2], in[MBS_DGRAM_MAX];
	struct mbs_addr	from;
	size_t		len;
	ssize_t		n;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\n");
		udp_send(s, line, len, to);
		n = udp_recv(s, in, sizeof(in), &from, 2000);
		if (n == -EAGAIN)
			die(1, "no echo");
		if (n < 0)
			die(1, "recvfrom: %s", strerror((int)-n));
		printf("%.*s\n", (int)n, in);
		fflush(stdout);
	}
}

static int
cmd_udp_send(int argc, char **argv)
{
	struct mbs_sock	s;
	struct mbs_addr	to;

	if (argc != 3)
		bad("udp-send needs ADDR and PORT");
	parse_addr(argv[1], argv[2], &to);
	sock_open(to.family, SOCK_DGRAM, &s);
	if (o.sizes != NULL)
		udp_sizes(&s, &to);
	else
		udp_lines(&s, &to);
	sock_close(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Many connections                                                    */

struct conn {
	struct mbs_sock	s;
	uint64_t	sent, rcvd;
	bool		shut, done;
};

struct many {
	struct conn	*c;
	unsigned	 n, ndone;
	uint64_t	 deadline;
};

/* Byte off of connection i's stream. */
static uint8_t
conn_byte(unsigned i, uint64_t off)
{
	uint32_t x = (uint32_t)off * 2654435761u + i * 40503u;

	return (uint8_t)((x >> 13) ^ (off >> 12));
}

static void __attribute__((noreturn, format(printf, 2, 3)))
many_fail(unsigned i, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "many: connection %u: ", i);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int
many_pump(void *arg, struct pollfd *extra, int *nextra)
{
	static uint8_t	 buf[16384];
	struct many	*m = arg;
	unsigned	 i;
	uint32_t	 st;
	ssize_t		 n;
	size_t		 k, j;
	int		 moved = 0, rc;

	(void)extra;
	(void)nextra;
	for (i = 0; i < m->n; i++) {
		struct conn *c = &m->c[i];

		if (c->done)
			continue;
		st = mbs_sock_state(&c->s);
		if (!(st & MBS_S_CONNECTED)) {
			if (st & (MBS_S_ERROR | MBS_S_RESET))
				many_fail(i, "connect: %s",
				    strerror(-sock_error(&c->s)));
			continue;
		}
		while (c->sent < o.bytes) {
			k = o.bytes - c->sent < sizeof(buf) ?
			    (size_t)(o.bytes - c->sent) : sizeof(buf);
			for (j = 0; j < k; j++)
				buf[j] = conn_byte(i, c->sent + j);
			n = mbs_send(&cl, &c->s, buf, k);
			if (n == -EAGAIN)
				break;
			if (n < 0)
				many_fail(i, "send: %s", strerror((int)-n));
			c->sent += (uint64_t)n;
			moved = 1;
		}
		if (c->sent == o.bytes && !c->shut) {
			if ((rc = sock_val(&c->s, MBS_OP_SHUTDOWN, SHUT_WR)) < 0)
				many_fail(i, "shutdown: %s", strerror(-rc));
			c->shut = true;
			moved = 1;
		}
		for (;;) {
			n = mbs_recv(&cl, &c->s, buf, sizeof(buf));
			if (n == -EAGAIN)
				break;
			if (n < 0)
				many_fail(i, "recv after %" PRIu64 " bytes: %s",
				    c->rcvd, strerror((int)-n));
			moved = 1;
			if (n == 0) {
				if (c->rcvd != o.bytes)
					many_fail(i, "the peer closed after %"
					    PRIu64 " of %" PRIu64 " bytes",
					    c->rcvd, o.bytes);
				sock_close(&c->s);
				c->done = true;
				m->ndone++;
				break;
			}
			if (c->rcvd + (uint64_t)n > o.bytes)
				many_fail(i, "%" PRIu64 " bytes back, %" PRIu64
				    " sent", c->rcvd + (uint64_t)n, o.bytes);
			for (j = 0; j < (size_t)n; j++)
				if (buf[j] != conn_byte(i, c->rcvd + j))
					many_fail(i, "byte %" PRIu64 " differs",
					    c->rcvd + j);
			c->rcvd += (uint64_t)n;
		}
	}
	if (m->ndone == m->n)
		return -1;
	if (now_ns() >= m->deadline) {
		unsigned conn = 0, done_tx = 0;

		for (i = 0; i < m->n; i++) {
			conn += (mbs_sock_state(&m->c[i].s) &
			    MBS_S_CONNECTED) != 0;
			done_tx += m->c[i].shut;
		}
		fprintf(stderr, "many: timed out: %u of %u done, %u connected, "
		    "%u sent everything\n", m->ndone, m->n, conn, done_tx);
		exit(1);
	}
	return moved;
}

static int
cmd_many(int argc, char **argv)
{
	struct many	m;
	struct mbs_addr	a;
	unsigned	i;
	int		rc;

	if (argc != 4)
		bad("many needs N, ADDR and PORT");
	memset(&m, 0, sizeof(m));
	m.n = (unsigned)parse_num("N", argv[1], 1, MBS_MAX_SOCKS);
	parse_addr(argv[2], argv[3], &a);
	if ((m.c = calloc(m.n, sizeof(*m.c))) == NULL)
		die(1, "out of memory");
	m.deadline = now_ns() + (uint64_t)o.timeout_s * 1000000000u;
	/* Every handshake in flight at once. */
	for (i = 0; i < m.n; i++) {
		sock_open(a.family, SOCK_STREAM, &m.c[i].s);
		rc = sock_addr(&m.c[i].s, MBS_OP_CONNECT, &a);
		if (rc < 0 && rc != -EINPROGRESS)
			many_fail(i, "connect: %s", strerror(-rc));
	}
	run(many_pump, &m);
	printf("many: %u connections, all verified\n", m.n);
	free(m.c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A hostile app                                                       */

static int
cmd_corrupt(int argc, char **argv)
{
	struct mbs_sock	 s;
	struct pollfd	 pfd;
	uint64_t	 x = 0x9e3779b97f4a7c15ull, len, i, deadline;
	unsigned char	*p = cl.reg.base;

	(void)argv;
	if (argc != 1)
		bad("corrupt takes no arguments");
	sock_open(AF_INET, SOCK_STREAM, &s);
	/*
	 * Everything but the bulk of the data area: header, request,
	 * completion and kick rings, bells, the socket table, and the rings
	 * of the first sockets.  (All of it would make the stack's memfd
	 * allocate every page of every socket's rings.)
	 */
	len = cl.hdr.off_data + 4 * cl.hdr.sock_stride;
	if (len > cl.reg.size)
		len = cl.reg.size;
	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	(void)mbs_kick(&cl, &s);
	(void)ion_bell_kick(&cl.bell_stack);
	deadline = now_ns() + 5000000000ull;
	while (now_ns() < deadline) {
		pfd.fd = cl.sock;
		pfd.events = POLLRDHUP;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) > 0 &&
		    (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR))) {
			printf("disconnected by the stack\n");
			return 0;
		}
	}
	fprintf(stderr, "stackprobe: corrupt: still connected after 5 s\n");
	return 1;
}

static int
cmd_stats(int argc, char **argv)
{
	char	reason[128];
	int	rc;

	(void)argv;
	if (argc != 1)
		bad("stats takes no arguments");
	if ((rc = mbs_stats(o.endpoint, stdout, reason, sizeof(reason))) < 0)
		die(1, "stats: %s", reason[0] ? reason : strerror(-rc));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Benchmarks                                                          */

static void
send_all(struct mbs_sock *s, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = mbs_send(&cl, s, buf, len);
		if (n == -EAGAIN) {
			wait_for(ready_tx, s, -1, "send");
			continue;
		}
		if (n < 0)
			broken(n);
		buf += n;
		len -= (size_t)n;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_rr(int argc, char **argv)
{
	struct mbs_sock	 s;
	struct mbs_addr	 a;
	uint8_t		*out, *in;
	uint64_t	*lat, t0;
	size_t		 got;
	long		 k, count = o.count > 0 ? o.count : 1000;
	ssize_t		 n;
	int		 one = 1, rc;

	if (argc != 3)
		bad("rr needs ADDR and PORT");
	parse_addr(argv[1], argv[2], &a);
	if (o.size == 0)
		bad("--size must be at least 1");
	if ((out = malloc(o.size)) == NULL || (in = malloc(o.size)) == NULL ||
	    (lat = calloc((size_t)count, sizeof(*lat))) == NULL)
		die(1, "out of memory");
	memset(out, 'r', o.size);
	sock_open(a.family, SOCK_STREAM, &s);
	if ((rc = sock_setopt(&s, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one))) < 0)
		die(1, "TCP_NODELAY: %s", strerror(-rc));
	tcp_connect(&s, &a);
	for (k = 0; k < count; k++) {
		t0 = now_ns();
		send_all(&s, out, o.size);
		for (got = 0; got < o.size; ) {
			n = mbs_recv(&cl, &s, in + got, o.size - got);
			if (n == -EAGAIN) {
				wait_for(ready_rx, &s, -1, "recv");
				continue;
			}
			if (n == 0)
				die(1, "the peer closed after %ld exchanges", k);
			if (n < 0)
				broken(n);
			got += (size_t)n;
		}
		lat[k] = now_ns() - t0;
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	printf("rr p50_us=%.1f p99_us=%.1f\n", lat[count / 2] / 1e3,
	    lat[count * 99 / 100 < count ? count * 99 / 100 : count - 1] / 1e3);
	sock_close(&s);
	free(out);
	free(in);
	free(lat);
	return 0;
}

static int
cmd_stream(int argc, char **argv)
{
	static uint8_t	 buf[CHUNK];
	struct mbs_sock	 s;
	struct mbs_addr	 a;
	uint64_t	 t0, left;
	ssize_t		 n;
	int		 rc;

	if (argc != 3)
		bad("stream needs ADDR and PORT");
	parse_addr(argv[1], argv[2], &a);
	memset(buf, 's', sizeof(buf));
	t0 = now_ns();
	sock_open(a.family, SOCK_STREAM, &s);
	tcp_connect(&s, &a);
	for (left = o.bytes; left > 0; left -= (uint64_t)n) {
		n = mbs_send(&cl, &s, buf, left < sizeof(buf) ?
		    (size_t)left : sizeof(buf));
		if (n == -EAGAIN) {
			wait_for(ready_tx, &s, -1, "send");
			n = 0;
			continue;
		}
		if (n < 0)
			broken(n);
	}
	if ((rc = sock_val(&s, MBS_OP_SHUTDOWN, SHUT_WR)) < 0)
		die(1, "shutdown: %s", strerror(-rc));
	for (;;) {
		n = mbs_recv(&cl, &s, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n == -EAGAIN) {
			wait_for(ready_rx, &s, -1, "recv");
			continue;
		}
		if (n < 0)
			broken(n);
	}
	printf("stream gbps=%.3f\n", (double)o.bytes * 8 /
	    (double)(now_ns() - t0));
	sock_close(&s);
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	int		 argc;		/* the command's name included */
	bool		 connects;
} cmds[] = {
	{ "tcp-connect",	cmd_tcp_connect,	3, true },
	{ "tcp-listen",		cmd_tcp_listen,		2, true },
	{ "udp-echo",		cmd_udp_echo,		2, true },
	{ "udp-send",		cmd_udp_send,		3, true },
	{ "many",		cmd_many,		4, true },
	{ "corrupt",		cmd_corrupt,		1, true },
	{ "stats",		cmd_stats,		1, false },
	{ "rr",			cmd_rr,			3, true },
	{ "stream",		cmd_stream,		3, true },
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "endpoint",	required_argument,	NULL, 'e' },
		{ "no-stdin",	no_argument,		NULL, 'N' },
		{ "rst",	no_argument,		NULL, 'R' },
		{ "syncnt",	required_argument,	NULL, 'S' },
		{ "count",	required_argument,	NULL, 'c' },
		{ "sizes",	required_argument,	NULL, 'z' },
		{ "recv-buf",	required_argument,	NULL, 'b' },
		{ "bytes",	required_argument,	NULL, 'B' },
		{ "size",	required_argument,	NULL, 's' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char		reason[128];
	size_t		i;
	int		ch, rc;

	while ((ch = getopt_long(argc, argv, "6e:c:s:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case '6': o.v6 = 1; break;
		case 'e': o.endpoint = optarg; break;
		case 'N': o.no_stdin = 1; break;
		case 'R': o.rst = 1; break;
		case 'S':
			o.syncnt = (int)parse_num("--syncnt", optarg, 1, 127);
			break;
		case 'c':
			o.count = (long)parse_num("--count", optarg, 1,
			    LONG_MAX / 100);
			break;
		case 'z': o.sizes = optarg; break;
		case 'b':
			o.recv_buf = (long)parse_num("--recv-buf", optarg, 0,
			    MBS_DGRAM_MAX);
			break;
		case 'B':
			o.bytes = parse_num("--bytes", optarg, 0,
			    UINT64_MAX >> 1);
			break;
		case 's':
			o.size = (size_t)parse_num("--size", optarg, 1,
			    1u << 30);
			break;
		case 't':
			o.timeout_s = (int)parse_num("--timeout", optarg, 1,
			    86400);
			break;
		case 'h': usage(0);
		default: usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		bad("no command");
	if (o.endpoint == NULL)
		bad("--endpoint PATH is required");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		bad("unknown command \"%s\"", argv[0]);
	if (argc != cmds[i].argc)
		bad("%s takes %d argument%s", cmds[i].name, cmds[i].argc - 1,
		    cmds[i].argc == 2 ? "" : "s");
	signal(SIGPIPE, SIG_IGN);
	if (cmds[i].connects &&
	    (rc = mbs_connect(&cl, o.endpoint, reason, sizeof(reason))) < 0)
		die(1, "%s: %s%s%s", o.endpoint, strerror(-rc),
		    reason[0] ? ": " : "", reason);
	rc = cmds[i].fn(argc, argv);
	if (cmds[i].connects)
		mbs_disconnect(&cl);
	fflush(stdout);
	return rc;
}
