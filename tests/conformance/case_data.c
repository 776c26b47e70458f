/*
 * case_data.c: bulk data: 16 MiB each way at once over one TCP
 * connection (IPv4), 4 MiB each way over IPv6, each direction checked
 * by length and checksum.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform.h"

enum { DATA_CHUNK = 65536 };

struct data_dir {
	int fd;
	long bytes;
	uint64_t seed;
	uint64_t sum;
	int err;
};

/* Sends D->bytes of reproducible bytes in chunks of varying size, sums
 * them, then shuts the write side. */
static void data_send(void *arg)
{
	struct data_dir *d = arg;
	char *buf = malloc(DATA_CHUNK);
	uint64_t st = d->seed;
	long left = d->bytes;
	size_t n = 1;

	d->sum = PAT_SUM0;
	while (left > 0) {
		n = n * 7 % DATA_CHUNK + 1;
		if ((long)n > left)
			n = (size_t)left;
		pat_fill(&st, buf, n);
		d->sum = pat_sum(d->sum, buf, n);
		if (net_send_all(d->fd, buf, n) != (long)n) {
			d->err = errno;
			break;
		}
		left -= (long)n;
	}
	shutdown(d->fd, SHUT_WR);
	free(buf);
}

/* Reads until EOF, counting and summing. */
static void data_recv(void *arg)
{
	struct data_dir *d = arg;
	char *buf = malloc(DATA_CHUNK);

	d->sum = PAT_SUM0;
	for (;;) {
		ssize_t n = recv(d->fd, buf, DATA_CHUNK, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->err = n < 0 ? errno : 0;
			break;
		}
		d->bytes += n;
		d->sum = pat_sum(d->sum, buf, (size_t)n);
	}
	free(buf);
}

/* BYTES each way at once over one connection of FAMILY. */
static void data_both_ways(int family, long bytes)
{
	struct data_dir tx[2], rx[2];
	struct bg bg[4];
	int c, s;
	double t0;

	if (net_pair(family, &c, &s) < 0)
		return;
	memset(bg, 0, sizeof bg);
	tx[0] = (struct data_dir){ .fd = c, .bytes = bytes, .seed = 1 };
	tx[1] = (struct data_dir){ .fd = s, .bytes = bytes, .seed = 2 };
	rx[0] = (struct data_dir){ .fd = s };
	rx[1] = (struct data_dir){ .fd = c };
	t0 = bg_now();
	for (int i = 0; i < 2; i++) {
		bg_start(&bg[2 * i], 0, data_recv, &rx[i]);
		bg_start(&bg[2 * i + 1], 0, data_send, &tx[i]);
	}
	for (int i = 0; i < 4; i++)
		bg_join(&bg[i]);
	say_v("%ld bytes each way in %.0f ms", bytes, bg_now() - t0);
	for (int i = 0; i < 2; i++)
		say("%s: sent %ld bytes%s%s, received %ld then %s, checksum matches: %s",
		    i ? "accepted -> client" : "client -> accepted", tx[i].bytes,
		    tx[i].err ? ", send failed: " : "",
		    tx[i].err ? say_errno(tx[i].err) : "", rx[i].bytes,
		    rx[i].err ? say_errno(rx[i].err) : "EOF",
		    say_yes(rx[i].bytes == tx[i].bytes && rx[i].sum == tx[i].sum));
	close(c);
	close(s);
}

/* 16 MiB each way at once over IPv4. */
static void data_16m(void)
{
	data_both_ways(AF_INET, 16L << 20);
}

/* 4 MiB each way at once over IPv6. */
static void data_v6(void)
{
	data_both_ways(AF_INET6, 4L << 20);
}

const struct conform_case case_data[] = {
	{ "data.both_ways_16m", data_16m },
	{ "data.both_ways_v6_4m", data_v6 },
	CONFORM_END
};
