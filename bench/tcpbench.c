/*
 * tcpbench: one TCP benchmark client with two ways out, so that the same
 * program measures the kernel's TCP and a membrane's side by side:
 *
 *   tcpbench [--endpoint PATH] rr ADDR PORT [--count N] [--size S]
 *   tcpbench [--endpoint PATH] stream ADDR PORT [--bytes B]
 *   tcpbench serve PORT        (kernel sockets: echo for rr, sink for stream)
 *
 * Without --endpoint the client uses kernel sockets; with it, the app
 * protocol of membrane-stack (libmbsclient).  rr sends S bytes and waits
 * for S back, N times, and prints the latency's median and 99th
 * percentile; stream sends B bytes and prints the rate at which the
 * server took them (from connect to the server's close after EOF).
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbstack.h"

static struct mbs_client	 mc;
static struct mbs_sock		 ms;
static int			 kfd = -1;
static bool			 use_mbs;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "tcpbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static int
ready_rx(void *arg)
{
	(void)arg;
	return ion_stream_count(&ms.rx) != 0 ||
	    (mbs_sock_state(&ms) & (MBS_S_RX_EOF | MBS_S_RESET | MBS_S_ERROR));
}

static int
ready_tx(void *arg)
{
	(void)arg;
	return ion_stream_space(&ms.tx) != 0 ||
	    (mbs_sock_state(&ms) & (MBS_S_RESET | MBS_S_ERROR));
}

static int
ready_conn(void *arg)
{
	(void)arg;
	return (mbs_sock_state(&ms) & (MBS_S_CONNECTED | MBS_S_RESET |
	    MBS_S_ERROR)) != 0;
}

static void
bench_connect(const char *endpoint, const char *addr, unsigned port)
{
	struct sockaddr_in	sin;
	int			one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "tcpbench: %s is not an IPv4 address\n", addr);
		exit(2);
	}
	if (!use_mbs) {
		if ((kfd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket", errno);
		(void)setsockopt(kfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(kfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("connect", errno);
		return;
	}
	{
		struct mbs_req	req;
		struct mbs_cpl	cpl;
		char		reason[128] = "";
		int		rc;

		if ((rc = mbs_connect(&mc, endpoint, reason, sizeof(reason))) < 0) {
			fprintf(stderr, "tcpbench: %s: %s\n", endpoint,
			    reason[0] ? reason : strerror(-rc));
			exit(1);
		}
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_SOCKET;
		req.u.socket.family = AF_INET;
		req.u.socket.type = SOCK_STREAM;
		if ((rc = mbs_call(&mc, &req, &cpl, 5000)) < 0)
			die("socket", -rc);
		if ((rc = mbs_sock_attach(&mc, cpl.sock, &ms)) < 0)
			die("attach", -rc);
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_SETSOCKOPT;
		req.sock = ms.id;
		req.u.opt.level = IPPROTO_TCP;
		req.u.opt.name = TCP_NODELAY;
		req.u.opt.len = sizeof(one);
		memcpy(req.u.opt.val, &one, sizeof(one));
		(void)mbs_call(&mc, &req, &cpl, 5000);
		memset(&req, 0, sizeof(req));
		req.op = MBS_OP_CONNECT;
		req.sock = ms.id;
		mbs_addr_from_sa(&req.u.addr, (struct sockaddr *)&sin, sizeof(sin));
		rc = mbs_call(&mc, &req, &cpl, 5000);
		if (rc == -EINPROGRESS) {
			(void)mbs_wait(&mc, ready_conn, NULL, 10000);
			rc = (mbs_sock_state(&ms) & MBS_S_CONNECTED) ? 0 :
			    -atomic_load(&ms.shm->error);
		}
		if (rc < 0)
			die("connect", -rc);
	}
}

/* Send all of buf. */
static void
bench_send(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (!use_mbs) {
			if ((n = send(kfd, buf, len, 0)) < 0)
				die("send", errno);
		} else if ((n = mbs_send(&mc, &ms, buf, len)) == -EAGAIN) {
			(void)mbs_wait(&mc, ready_tx, NULL, 1000);
			continue;
		} else if (n < 0) {
			die("send", (int)-n);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Receive exactly len bytes (0: end of stream first). */
static int
bench_recv(char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (!use_mbs) {
			if ((n = recv(kfd, buf, len, 0)) < 0)
				die("recv", errno);
			if (n == 0)
				return 0;
		} else if ((n = mbs_recv(&mc, &ms, buf, len)) == -EAGAIN ||
		    n == 0) {
			if (mbs_sock_state(&ms) & MBS_S_RX_EOF &&
			    ion_stream_count(&ms.rx) == 0)
				return 0;
			(void)mbs_wait(&mc, ready_rx, NULL, 1000);
			continue;
		} else if (n < 0) {
			die("recv", (int)-n);
		}
		buf += n;
		len -= (size_t)n;
	}
	return 1;
}

static void
bench_shutdown(void)
{
	struct mbs_req	req;
	struct mbs_cpl	cpl;

	if (!use_mbs) {
		shutdown(kfd, SHUT_WR);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.op = MBS_OP_SHUTDOWN;
	req.sock = ms.id;
	req.u.val = SHUT_WR;
	(void)mbs_call(&mc, &req, &cpl, 5000);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
run_rr(unsigned count, size_t size)
{
	char		*buf = calloc(1, size);
	uint64_t	*lat = calloc(count, sizeof(*lat));
	unsigned	 i, warm = count / 10 + 1;

	if (buf == NULL || lat == NULL)
		die("calloc", ENOMEM);
	for (i = 0; i < warm + count; i++) {
		uint64_t t0 = now_ns();

		bench_send(buf, size);
		if (!bench_recv(buf, size))
			die("recv", ECONNRESET);
		if (i >= warm)
			lat[i - warm] = now_ns() - t0;
	}
	qsort(lat, count, sizeof(*lat), cmp_u64);
	printf("rr p50_us=%.1f p99_us=%.1f\n", lat[count / 2] / 1000.0,
	    lat[(size_t)count * 99 / 100] / 1000.0);
	free(buf);
	free(lat);
}

static void
run_stream(uint64_t bytes)
{
	static char	 buf[256 << 10];
	uint64_t	 t0 = now_ns(), left = bytes;
	char		 c;

	memset(buf, 0x5a, sizeof(buf));
	while (left > 0) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		bench_send(buf, n);
		left -= n;
	}
	bench_shutdown();
	/* The server closes after it has read everything. */
	(void)bench_recv(&c, 1);
	printf("stream gbps=%.2f\n", (double)bytes * 8 / (double)(now_ns() - t0));
}

/* Kernel server: echo what arrives (rr) until EOF; a sink says so by EOF. */
static void
run_serve(unsigned port)
{
	struct sockaddr_in	sin;
	static char		buf[256 << 10];
	int			s, c, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket", errno);
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(s, 16) < 0)
		die("bind", errno);
	for (;;) {
		ssize_t n;

		if ((c = accept(s, NULL, NULL)) < 0)
			die("accept", errno);
		(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* A stream's bytes are 0x5a, and swallowed; rr's are echoed. */
		while ((n = recv(c, buf, sizeof(buf), 0)) > 0) {
			if (buf[0] == 0x5a)
				continue;	/* stream: swallow */
			if (send(c, buf, (size_t)n, 0) < 0)
				break;
		}
		close(c);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "endpoint",	required_argument,	NULL, 'e' },
		{ "count",	required_argument,	NULL, 'n' },
		{ "size",	required_argument,	NULL, 's' },
		{ "bytes",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*endpoint = NULL;
	unsigned	 count = 20000;
	size_t		 size = 64;
	uint64_t	 bytes = 1ull << 30;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "e:n:s:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': endpoint = optarg; use_mbs = true; break;
		case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'b': bytes = strtoull(optarg, NULL, 10); break;
		case 'h':
			printf("usage: tcpbench [--endpoint PATH] rr ADDR PORT "
			    "[--count N] [--size S]\n"
			    "       tcpbench [--endpoint PATH] stream ADDR PORT "
			    "[--bytes B]\n"
			    "       tcpbench serve PORT\n");
			return 0;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && strcmp(argv[0], "serve") == 0 && argc == 2) {
		run_serve((unsigned)strtoul(argv[1], NULL, 10));
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "tcpbench: rr|stream ADDR PORT, or serve PORT "
		    "(try --help)\n");
		return 2;
	}
	if (count == 0 || count > 10000000 || size == 0 || size > (1u << 20)) {
		fprintf(stderr, "tcpbench: bad --count or --size\n");
		return 2;
	}
	bench_connect(endpoint, argv[1], (unsigned)strtoul(argv[2], NULL, 10));
	if (strcmp(argv[0], "rr") == 0)
		run_rr(count, size);
	else if (strcmp(argv[0], "stream") == 0)
		run_stream(bytes);
	else {
		fprintf(stderr, "tcpbench: unknown command %s\n", argv[0]);
		return 2;
	}
	return 0;
}
