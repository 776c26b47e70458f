/*
 * case_thread.c: threads sharing sockets: many senders on one
 * connection, a recv blocked in one thread while another sends, shuts
 * down or closes the same socket, and threads each with a connection of
 * its own.  Threads record what they saw; the main thread prints it.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

enum { THR_SENDERS = 8, THR_RECORDS = 500, THR_REC = 128 };

struct thr_sender {
	int fd;
	uint32_t id;
	int short_sends;
};

/* Builds record SEQ of sender ID: id, seq, bytes that depend on both,
 * and a checksum of all that. */
static void thr_record(unsigned char *r, uint32_t id, uint32_t seq)
{
	uint64_t st = ((uint64_t)id << 32 | seq) + 1, sum;

	memcpy(r, &id, 4);
	memcpy(r + 4, &seq, 4);
	pat_fill(&st, r + 8, THR_REC - 16);
	sum = pat_sum(PAT_SUM0, r, THR_REC - 8);
	memcpy(r + THR_REC - 8, &sum, 8);
}

/* Sends THR_RECORDS records, each with one send(). */
static void thr_send_records(void *arg)
{
	struct thr_sender *t = arg;
	unsigned char r[THR_REC];

	for (uint32_t seq = 0; seq < THR_RECORDS; seq++) {
		thr_record(r, t->id, seq);
		if (send(t->fd, r, THR_REC, MSG_NOSIGNAL) != THR_REC)
			t->short_sends++;
	}
}

/* 8 threads send records on one socket at once; the reader checks that
 * each record arrives whole and each thread's in order. */
static void thr_senders(void)
{
	struct thr_sender t[THR_SENDERS];
	struct bg bg[THR_SENDERS];
	uint32_t next[THR_SENDERS] = { 0 };
	unsigned char *buf;
	long total = 0, want = (long)THR_SENDERS * THR_RECORDS * THR_REC;
	int c, s, bad = 0, shorts = 0;
	char first[128] = "";
	size_t have = 0;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	buf = malloc(THR_REC * 64);
	for (int i = 0; i < THR_SENDERS; i++) {
		t[i] = (struct thr_sender){ c, (uint32_t)i, 0 };
		memset(&bg[i], 0, sizeof bg[i]);
		bg_start(&bg[i], 0, thr_send_records, &t[i]);
	}
	while (total < want) {
		ssize_t n = recv(s, buf + have, THR_REC * 64 - have, 0);

		if (n <= 0)
			break;
		total += n;
		have += (size_t)n;
		while (have >= THR_REC) {
			uint32_t id, seq;
			uint64_t sum;

			memcpy(&id, buf, 4);
			memcpy(&seq, buf + 4, 4);
			memcpy(&sum, buf + THR_REC - 8, 8);
			if (sum != pat_sum(PAT_SUM0, buf, THR_REC - 8) ||
			    id >= THR_SENDERS || seq != next[id]) {
				if (bad++ == 0)
					snprintf(first, sizeof first, " (the first "
					    "bad record ends at byte %ld)",
					    total - (long)have + THR_REC);
			} else {
				next[id]++;
			}
			memmove(buf, buf + THR_REC, have - THR_REC);
			have -= THR_REC;
		}
	}
	for (int i = 0; i < THR_SENDERS; i++) {
		bg_join(&bg[i]);
		shorts += t[i].short_sends;
	}
	say("%d threads x %d records of %d bytes: received %ld of %ld bytes",
	    THR_SENDERS, THR_RECORDS, THR_REC, total, want);
	if (bad)
		snprintf(first + strlen(first), sizeof first - strlen(first),
		    ", %d bad of %ld", bad, total / THR_REC);
	say("every send whole: %s; every record whole, each thread's in order: %s%s",
	    say_yes(shorts == 0), say_yes(bad == 0 && total == want), first);
	free(buf);
	close(c);
	close(s);
}

struct thr_recv {
	int fd;
	long r;
	int err;
	double ms;
	char buf[16];
};

/* One blocking recv, recorded with its time. */
static void thr_recv_once(void *arg)
{
	struct thr_recv *t = arg;
	double t0 = bg_now();

	errno = 0;
	t->r = recv(t->fd, t->buf, sizeof t->buf - 1, 0);
	t->err = errno;
	t->ms = bg_now() - t0;
}

/* Says what the thread's recv returned. */
static void thr_say_recv(const char *what, struct thr_recv *t)
{
	if (t->r > 0)
		say("%s -> %ld %s", what, t->r, say_bytes(t->buf, t->r));
	else
		say("%s -> %s", what, say_rcs(t->r, t->err));
	say_v("it took %.1f ms", t->ms);
}

/* One thread blocked in recv while another sends on the same socket. */
static void thr_recv_send(void)
{
	struct thr_recv tr = { 0 };
	struct bg bg = { 0 };
	int c, s;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	tr.fd = c;
	bg_start(&bg, 0, thr_recv_once, &tr);
	bg_sleep(50);
	SAY_RC("while another thread is in recv: send", send(c, "ping", 4, 0));
	memset(b, 0, sizeof b);
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	SAY_RC("peer send", send(s, "pong", 4, 0));
	bg_join(&bg);
	thr_say_recv("the blocked recv", &tr);
	close(c);
	close(s);
}

/* shutdown(SHUT_RD) from another thread ends a blocked recv with 0. */
static void thr_shutdown_rd(void)
{
	struct thr_recv tr = { 0 };
	struct bg bg = { 0 };
	int c, s;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	tr.fd = c;
	bg_start(&bg, 0, thr_recv_once, &tr);
	bg_sleep(100);
	SAY_RC("while another thread is in recv: shutdown(SHUT_RD)",
	    shutdown(c, SHUT_RD));
	bg_join(&bg);
	thr_say_recv("the blocked recv", &tr);
	say("it returned within 2 s: %s", say_yes(tr.ms < 2000));
	close(c);
	close(s);
}

/* close from another thread does not end a blocked recv on Linux: it
 * waits out its SO_RCVTIMEO (500 ms); the connection closes after. */
static void thr_close(void)
{
	struct timeval tv = { 0, 500000 };
	struct thr_recv tr = { 0 };
	struct bg bg = { 0 };
	int c, s;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	tr.fd = c;
	bg_start(&bg, 0, thr_recv_once, &tr);
	bg_sleep(100);
	SAY_RC("while another thread is in recv: close", close(c));
	bg_join(&bg);
	thr_say_recv("the blocked recv", &tr);
	say("it returned after 350 ms to 2 s: %s",
	    say_yes(tr.ms >= 350 && tr.ms < 2000));
	SAY_RC("peer recv", recv(s, b, sizeof b, 0));
	close(s);
}

enum { THR_CONNS = 4, THR_BYTES = 65536 };

struct thr_conn {
	int c, s;
	int ok;
};

/* Sends THR_BYTES each way over the connection, checked. */
static void thr_one_conn(void *arg)
{
	struct thr_conn *t = arg;
	char *out = malloc(THR_BYTES), *in = malloc(THR_BYTES);
	uint64_t st = (uint64_t)t->c * 7919 + 1;

	for (int dir = 0; dir < 2; dir++) {
		int from = dir ? t->s : t->c, to = dir ? t->c : t->s;

		pat_fill(&st, out, THR_BYTES);
		if (net_send_all(from, out, THR_BYTES) != THR_BYTES ||
		    net_recv_all(to, in, THR_BYTES) != THR_BYTES ||
		    memcmp(in, out, THR_BYTES) != 0)
			goto out;
	}
	t->ok = 1;
out:
	free(out);
	free(in);
}

/* Threads each with a connection of its own, at once. */
static void thr_conns(void)
{
	struct thr_conn t[THR_CONNS];
	struct bg bg[THR_CONNS];
	int ok = 0;

	for (int i = 0; i < THR_CONNS; i++)
		if (net_pair(AF_INET, &t[i].c, &t[i].s) < 0)
			return;
	for (int i = 0; i < THR_CONNS; i++) {
		t[i].ok = 0;
		memset(&bg[i], 0, sizeof bg[i]);
		bg_start(&bg[i], 0, thr_one_conn, &t[i]);
	}
	for (int i = 0; i < THR_CONNS; i++) {
		bg_join(&bg[i]);
		ok += t[i].ok;
		close(t[i].c);
		close(t[i].s);
	}
	say("%d threads, a connection each, %d bytes each way: %d intact",
	    THR_CONNS, THR_BYTES, ok);
}

const struct conform_case case_thread[] = {
	{ "thread.senders", thr_senders },
	{ "thread.recv_send", thr_recv_send },
	{ "thread.shutdown_rd", thr_shutdown_rd },
	{ "thread.close", thr_close },
	{ "thread.conns", thr_conns },
	CONFORM_END
};
