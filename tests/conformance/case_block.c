/*
 * case_block.c: blocking and its limits: O_NONBLOCK, MSG_DONTWAIT,
 * SO_RCVTIMEO and SO_SNDTIMEO, MSG_PEEK and MSG_WAITALL on data that
 * comes later, blocking accept and connect, and signals during a
 * blocking recv (EINTR, SA_RESTART).
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

/* Sets SO_RCVTIMEO alone. */
static void block_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { ms / 1000, ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Says whether MS (the time a call took) is in [LO, 2 s). */
static void block_took(double ms, int lo)
{
	say("returned after %d ms to 2 s: %s", lo, say_yes(ms >= lo && ms < 2000));
	say_v("took %.1f ms", ms);
}

struct block_send {
	int fd;
	const char *data;
	size_t len;
	int pieces, gap_ms;
};

/* Sends DATA in PIECES equal parts, GAP_MS apart. */
static void block_send_pieces(void *arg)
{
	struct block_send *b = arg;
	size_t part = b->len / (size_t)b->pieces;

	for (int i = 0; i < b->pieces; i++) {
		if (i)
			bg_sleep(b->gap_ms);
		send(b->fd, b->data + (size_t)i * part,
		    i == b->pieces - 1 ? b->len - (size_t)i * part : part,
		    MSG_NOSIGNAL);
	}
}

/* O_NONBLOCK: recv, read, accept and recvfrom with nothing there say EAGAIN. */
static void block_nonblock(void)
{
	int c, s, l = net_listener(AF_INET), u = net_udp(AF_INET);
	char b[8];

	if (l < 0 || u < 0 || net_pair(AF_INET, &c, &s) < 0)
		return;
	net_nonblock(c, true);
	net_nonblock(l, true);
	net_nonblock(u, true);
	SAY_RC("recv, nothing waiting", recv(c, b, sizeof b, 0));
	SAY_RC("read, nothing waiting", read(c, b, sizeof b));
	SAY_FD("accept, nothing pending", accept(l, NULL, NULL));
	SAY_RC("SOCK_DGRAM recvfrom, nothing waiting",
	    recvfrom(u, b, sizeof b, 0, NULL, NULL));
	SAY_RC("send", send(c, "nb", 2, 0));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer send", send(s, "back", 4, 0));
	net_wait(c, POLLIN, 2000);
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	close(c);
	close(s);
	close(l);
	close(u);
}

/* MSG_DONTWAIT on a blocking socket, which stays blocking. */
static void block_dontwait(void)
{
	int c, s;
	char b[8];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("recv(MSG_DONTWAIT), nothing waiting", recv(c, b, sizeof b,
	    MSG_DONTWAIT));
	say("F_GETFL still -> %s", say_fl(fcntl(c, F_GETFL)));
	SAY_RC("peer send", send(s, "dw", 2, 0));
	net_wait(c, POLLIN, 2000);
	SAY_DATA("recv(MSG_DONTWAIT)", recv(c, b, sizeof b, MSG_DONTWAIT), b);
	SAY_RC("send(MSG_DONTWAIT)", send(c, "x", 1, MSG_DONTWAIT));
	close(c);
	close(s);
}

/* SO_RCVTIMEO: recv, accept and recvfrom give up with EAGAIN. */
static void block_rcvtimeo_case(void)
{
	int c, s, l = net_listener(AF_INET), u = net_udp(AF_INET);
	double t0;
	char b[8];

	if (l < 0 || u < 0 || net_pair(AF_INET, &c, &s) < 0)
		return;
	block_rcvtimeo(c, 200);
	t0 = bg_now();
	SAY_RC("SO_RCVTIMEO 200 ms, recv", recv(c, b, sizeof b, 0));
	block_took(bg_now() - t0, 180);
	block_rcvtimeo(l, 200);
	t0 = bg_now();
	SAY_FD("SO_RCVTIMEO 200 ms, accept", accept(l, NULL, NULL));
	block_took(bg_now() - t0, 180);
	block_rcvtimeo(u, 200);
	t0 = bg_now();
	SAY_RC("SO_RCVTIMEO 200 ms, SOCK_DGRAM recvfrom",
	    recvfrom(u, b, sizeof b, 0, NULL, NULL));
	block_took(bg_now() - t0, 180);
	close(c);
	close(s);
	close(l);
	close(u);
}

/* Fill the peer's window (it never reads) with SO_SNDTIMEO 200 ms: sends
 * block, return what they wrote, and at last one returns -1 EAGAIN. */
static void block_sndtimeo(void)
{
	enum { CHUNK = 65536 };
	struct timeval tv = { 0, 200000 };
	char *buf, *in;
	long total = 0, got = 0, r = 0;
	double t0 = 0, ms = 0;
	int c, s, n = 0, err = 0;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	buf = malloc(CHUNK);
	in = malloc(CHUNK);
	memset(buf, 'w', CHUNK);
	SAY_RC("SO_SNDTIMEO 200 ms", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof tv));
	while (total < 1L << 30 && n++ < 100000) {
		t0 = bg_now();
		r = send(c, buf, CHUNK, MSG_NOSIGNAL);
		err = errno;
		ms = bg_now() - t0;
		if (r < 0)
			break;
		total += r;
	}
	say("sends until one fails -> %s after blocking 180 ms to 2 s: %s",
	    say_rcs(r, err), say_yes(ms >= 180 && ms < 2000));
	say_v("%ld bytes in flight, the last send took %.1f ms", total, ms);
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	for (;;) {
		long k = recv(s, in, CHUNK, 0);

		if (k <= 0)
			break;
		got += k;
	}
	say("the peer reads every byte sent, then EOF: %s",
	    say_yes(got == total));
	free(buf);
	free(in);
	close(c);
	close(s);
}

/* A blocking MSG_PEEK waits for data, and leaves it there. */
static void block_peek(void)
{
	struct block_send bs;
	struct bg bg = { 0 };
	int c, s;
	char b[16];
	double t0;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	bs = (struct block_send){ s, "hello", 5, 1, 0 };
	t0 = bg_now();
	bg_start(&bg, 50, block_send_pieces, &bs);
	memset(b, 0, sizeof b);
	SAY_DATA("recv(MSG_PEEK), 5 bytes sent after 50 ms",
	    recv(c, b, sizeof b, MSG_PEEK), b);
	block_took(bg_now() - t0, 40);
	bg_join(&bg);
	SAY_DATA("recv(MSG_PEEK|MSG_DONTWAIT)",
	    recv(c, b, 3, MSG_PEEK | MSG_DONTWAIT), b);
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	SAY_RC("recv(MSG_DONTWAIT)", recv(c, b, sizeof b, MSG_DONTWAIT));
	close(c);
	close(s);
}

/* MSG_WAITALL gathers pieces; a timeout or EOF ends it short. */
static void block_waitall(void)
{
	struct block_send bs;
	struct bg bg = { 0 };
	int c, s;
	char b[32];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	bs = (struct block_send){ s, "aaaabbbbccccdddd", 16, 4, 30 };
	bg_start(&bg, 20, block_send_pieces, &bs);
	memset(b, 0, sizeof b);
	SAY_DATA("recv(16, MSG_WAITALL), 4 pieces 30 ms apart",
	    recv(c, b, 16, MSG_WAITALL), b);
	bg_join(&bg);
	bs = (struct block_send){ s, "eeeeffff", 8, 2, 30 };
	bg_start(&bg, 20, block_send_pieces, &bs);
	block_rcvtimeo(c, 300);
	SAY_DATA("SO_RCVTIMEO 300 ms, recv(16, MSG_WAITALL), 8 bytes come",
	    recv(c, b, 16, MSG_WAITALL), b);
	bg_join(&bg);
	block_rcvtimeo(c, CONFORM_TIMEO_MS);
	SAY_RC("peer send 5 bytes", send(s, "ggggg", 5, 0));
	SAY_RC("peer shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
	SAY_DATA("recv(16, MSG_WAITALL), then EOF", recv(c, b, 16, MSG_WAITALL), b);
	close(c);
	close(s);
}

/* Connects to loopback PORT (the helper thread's job). */
static void block_connect_later(void *arg)
{
	int *p = arg;

	p[1] = net_connect(AF_INET, p[0]);
}

/* A blocking accept waits for a client that comes later. */
static void block_accept(void)
{
	struct bg bg = { 0 };
	int l = net_listener(AF_INET), s, arg[2];
	double t0;

	if (l < 0)
		return;
	arg[0] = net_port(l);
	t0 = bg_now();
	bg_start(&bg, 50, block_connect_later, arg);
	s = SAY_FD("accept, a client connects after 50 ms", accept(l, NULL, NULL));
	block_took(bg_now() - t0, 40);
	bg_join(&bg);
	say("the client's port is the peer's: %s",
	    say_yes(net_peer_port(s) == net_port(arg[1])));
	close(s);
	close(arg[1]);
	close(l);
}

/* A blocking connect whose SYN is dropped (the listener's queue is full)
 * ends when SO_SNDTIMEO runs out. */
static void block_connect_timeout(void)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, 200000 };
	socklen_t len;
	int l = socket(AF_INET, SOCK_STREAM, 0), c1, c2;
	double t0;

	net_loop(AF_INET, 0, &ss, &len);
	bind(l, (struct sockaddr *)&ss, len);
	listen(l, 0);
	c1 = net_connect(AF_INET, net_port(l));
	say("first client connected, listener readable: %s",
	    say_yes(c1 >= 0 && net_wait(l, POLLIN, 2000)));
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	net_loop(AF_INET, net_port(l), &ss, &len);
	t0 = bg_now();
	SAY_RC("SO_SNDTIMEO 200 ms, connect to the full listener",
	    connect(c2, (struct sockaddr *)&ss, len));
	block_took(bg_now() - t0, 180);
	close(c2);
	close(c1);
	close(l);
}

struct block_rescue {
	int fd;
	atomic_int done;
};

/* Unblocks a recv that should have returned by now: shutdown(SHUT_RD)
 * after 3 s, unless the case is done. */
static void block_rescue(void *arg)
{
	struct block_rescue *r = arg;

	for (int i = 0; i < 300 && !atomic_load(&r->done); i++)
		bg_sleep(10);
	if (!atomic_load(&r->done))
		shutdown(r->fd, SHUT_RD);
}

/* A blocking recv and SIGALRM after 100 ms: EINTR without SA_RESTART;
 * with it the recv goes on and returns the data sent after 300 ms; with
 * SO_RCVTIMEO set, EINTR even with SA_RESTART. */
static void block_eintr(void)
{
	struct block_rescue rescue;
	struct block_send bs;
	struct bg bg = { 0 }, rb = { 0 };
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	block_rcvtimeo(c, 0);
	rescue.fd = c;
	atomic_init(&rescue.done, 0);
	bg_start(&rb, 0, block_rescue, &rescue);

	sig_catch(SIGALRM, false);
	sig_timer(100);
	SAY_RC("no SA_RESTART, SIGALRM after 100 ms: recv", recv(c, b, sizeof b, 0));
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));

	sig_catch(SIGALRM, true);
	sig_timer(100);
	bs = (struct block_send){ s, "later", 5, 1, 0 };
	bg_start(&bg, 300, block_send_pieces, &bs);
	memset(b, 0, sizeof b);
	SAY_DATA("SA_RESTART, SIGALRM after 100 ms, data after 300 ms: recv",
	    recv(c, b, sizeof b, 0), b);
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));
	bg_join(&bg);

	sig_catch(SIGALRM, true);
	block_rcvtimeo(c, 2000);
	sig_timer(100);
	SAY_RC("SA_RESTART and SO_RCVTIMEO 2 s, SIGALRM after 100 ms: recv",
	    recv(c, b, sizeof b, 0));
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));

	atomic_store(&rescue.done, 1);
	bg_join(&rb);
	sig_timer(0);
	sig_default(SIGALRM);
	close(c);
	close(s);
}

/* SIGALRM during a blocking accept: EINTR without SA_RESTART. */
static void block_eintr_accept(void)
{
	int l = net_listener(AF_INET);

	if (l < 0)
		return;
	block_rcvtimeo(l, 3000);
	sig_catch(SIGALRM, false);
	sig_timer(100);
	SAY_FD("no SA_RESTART, SIGALRM after 100 ms: accept", accept(l, NULL, NULL));
	say("handler ran: %s", say_yes(sig_count(SIGALRM) == 1));
	sig_timer(0);
	sig_default(SIGALRM);
	close(l);
}

const struct conform_case case_block[] = {
	{ "block.nonblock", block_nonblock },
	{ "block.dontwait", block_dontwait },
	{ "block.rcvtimeo", block_rcvtimeo_case },
	{ "block.sndtimeo", block_sndtimeo },
	{ "block.peek", block_peek },
	{ "block.waitall", block_waitall },
	{ "block.accept", block_accept },
	{ "block.connect_timeout", block_connect_timeout },
	{ "block.eintr", block_eintr },
	{ "block.eintr_accept", block_eintr_accept },
	CONFORM_END
};
