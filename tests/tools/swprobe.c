/*
 * swprobe.c: a stand-in stack for the switch's tests.  It attaches to
 * membrane-switch as a port and sends or receives raw Ethernet frames that
 * carry a sequence number, so a test can tell lost, duplicated, reordered
 * and corrupted frames apart.
 *
 *   swprobe --ctl PATH --mac MAC [--name N] send --to MAC [--from MAC]
 *           [--count N] [--seq-start N] [--size BYTES] [--ethertype 0xXXXX]
 *   swprobe --ctl PATH --mac MAC recv [--count N] [--timeout MS]
 *           [--quiet-ms MS]
 *   swprobe --ctl PATH --mac MAC hold        (attach, then wait for a signal)
 *   swprobe --ctl PATH --mac MAC scribble --count N [--smash]
 *           (a hostile stack: N descriptors naming no buffer, then with
 *           --smash a garbage ring index; prints "detached" when the
 *           switch hangs up on it)
 *   swprobe --ctl PATH --mac MAC race --to MAC --from MAC [--count N]
 *           (a hostile stack: sends N frames from its own address while a
 *           second thread keeps flipping the source address of every tx
 *           buffer between --from and its own, racing the switch's check)
 *   --linger-ms MS keeps the port attached that long after send or recv;
 *   --expect-from MAC makes recv count frames from any other source as
 *   "foreign" (printed last);
 *   --ip A.B.C.D registers an IPv4 address (the switch then passes ARP for
 *   it); --reattach makes recv attach again when the switch restarts.
 *
 * recv prints one line: "received N lost L dup D reordered R corrupt C
 * other O arp A [foreign F]" (O: frames not from a probe, A: ARP among
 * them) and exits 0 when it got --count frames in order, 1 otherwise.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netswitch.h"

#define PROBE_ETHERTYPE	0x88b5	/* IEEE local experimental */
#define PROBE_MAGIC	0x50524f42u

struct probe_hdr {
	uint8_t		dst[6], src[6];
	uint8_t		type[2];
	uint8_t		magic[4];
	uint8_t		seq[8];
	uint8_t		sum[4];		/* of the bytes after this header */
};

static uint32_t
probe_sum(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return v;
}

static int
parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		m[i] = (uint8_t)v[i];
	}
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
die(const char *what)
{
	fprintf(stderr, "swprobe: %s\n", what);
	exit(2);
}

/* Has the switch hung up on us? */
static int
switch_gone(struct nsw_port *p)
{
	struct pollfd pfd = { .fd = p->sock, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return recv(p->sock, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0 ||
	    (pfd.revents & (POLLHUP | POLLERR));
}

static uint64_t g_seq_start;

static int
do_send(struct nsw_port *p, const uint8_t from[6], const uint8_t to[6],
    uint64_t count, size_t size, unsigned type)
{
	uint8_t		 f[NSW_BUF_SIZE];
	struct probe_hdr *h = (struct probe_hdr *)f;
	uint64_t	 seq;
	size_t		 i;
	int		 rc;

	memcpy(h->dst, to, 6);
	memcpy(h->src, from, 6);
	put_be(h->type, type, 2);
	put_be(h->magic, PROBE_MAGIC, 4);
	for (seq = g_seq_start; seq < g_seq_start + count; seq++) {
		put_be(h->seq, seq, 8);
		for (i = sizeof(*h); i < size; i++)
			f[i] = (uint8_t)(seq + i);
		put_be(h->sum, probe_sum(f + sizeof(*h), size - sizeof(*h)), 4);
		while ((rc = nsw_port_send(p, f, size)) == -ENOBUFS) {
			nsw_port_flush(p);
			if (switch_gone(p)) {
				fprintf(stderr, "swprobe: the switch hung up "
				    "after %llu frames\n",
				    (unsigned long long)(seq - g_seq_start));
				return 1;
			}
			usleep(50);
		}
		if (rc < 0) {
			fprintf(stderr, "swprobe: send: %s\n", strerror(-rc));
			return 1;
		}
		if (seq % 32 == 31)
			nsw_port_flush(p);
	}
	nsw_port_flush(p);
	/* Wait until the switch has taken every frame. */
	while (ion_ring_space(&p->tx) < (int64_t)p->layout.ring_slots) {
		if (switch_gone(p)) {
			fprintf(stderr, "swprobe: the switch hung up before "
			    "taking every frame\n");
			return 1;
		}
		usleep(100);
	}
	printf("sent %llu\n", (unsigned long long)count);
	return 0;
}

/* What re-attaching needs to know. */
static const char	*g_ctl, *g_name;
static uint8_t		 g_mac[6];
static struct nsw_addrs	 g_addrs;
static int		 g_reattach;

/* Attach, and register our address if we have one. 0 or -errno. */
static int
probe_attach(struct nsw_port *p, char *reason, size_t len)
{
	int rc = nsw_port_attach(p, g_ctl, g_mac, g_name, reason, len);

	if (rc == 0 && g_addrs.n_ip4 > 0)
		rc = nsw_port_addrs(p, &g_addrs);
	return rc;
}

static const uint8_t	*g_expect_from;	/* recv: the only source expected */

static int
do_recv(struct nsw_port *p, uint64_t count, int timeout_ms, int quiet_ms)
{
	uint64_t	 foreign = 0;
	struct nsw_desc	 d[64];
	uint64_t	 got = 0, lost = 0, dup = 0, reord = 0, bad = 0;
	uint64_t	 other = 0, arp = 0, next = 0, uniq = 0, deadline, last;
	uint8_t		*seen = count > 0 ? calloc(count / 8 + 1, 1) : NULL;
	int		 n, i;

	deadline = now_ms() + (uint64_t)timeout_ms;
	last = now_ms();
	for (;;) {
		uint64_t t = now_ms();

		if (t >= deadline)
			break;
		if (count > 0 && got + other >= count && quiet_ms == 0)
			break;
		/* Quiet for quiet_ms: once frames came, or from the start if none are expected. */
		if (quiet_ms > 0 && (got + other > 0 || count == 0) &&
		    t - last >= (uint64_t)quiet_ms)
			break;
		n = nsw_port_recv(p, d, 64);
		if (n < 0) {
			fprintf(stderr, "swprobe: recv: %s\n", strerror(-n));
			return 2;
		}
		if (n == 0) {
			if (g_reattach && switch_gone(p)) {
				char reason[160];

				nsw_port_detach(p);
				while (probe_attach(p, reason, sizeof(reason)) != 0) {
					if (now_ms() >= deadline) {
						fprintf(stderr, "swprobe: could not "
						    "re-attach\n");
						return 2;
					}
					usleep(100000);
				}
				printf("re-attached port %u\n", p->port_id);
				fflush(stdout);
				continue;
			}
			(void)nsw_port_wait(p, 50);
			continue;
		}
		last = now_ms();
		for (i = 0; i < n; i++) {
			const uint8_t *f = nsw_port_frame(p, &d[i]);
			const struct probe_hdr *h = (const void *)f;
			uint64_t seq;

			if (f != NULL && d[i].len >= 14 && f[12] == 0x08 &&
			    f[13] == 0x06)
				arp++;
			if (g_expect_from != NULL && f != NULL &&
			    d[i].len >= 12 && memcmp(f + 6, g_expect_from, 6))
				foreign++;
			if (f == NULL || d[i].len < sizeof(*h) ||
			    get_be(h->magic, 4) != PROBE_MAGIC) {
				other++;
				continue;
			}
			got++;
			/* A corrupt payload still carries its number. */
			if (get_be(h->sum, 4) != probe_sum(f + sizeof(*h),
			    d[i].len - sizeof(*h)))
				bad++;
			seq = get_be(h->seq, 8);
			/* seen[] tells duplicates; a sequence number below the highest seen so far arrived late. */
			if (seen != NULL && seq < count) {
				if (seen[seq / 8] & (1u << (seq % 8))) {
					dup++;
					continue;
				}
				seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
				uniq++;
			}
			if (seq + 1 > next)
				next = seq + 1;
			else
				reord++;
		}
		if (nsw_port_release(p, d, (unsigned)n) < 0)
			die("release failed");
	}
	lost = count > uniq ? count - uniq : 0;
	free(seen);
	printf("received %llu lost %llu dup %llu reordered %llu corrupt %llu "
	    "other %llu arp %llu", (unsigned long long)got,
	    (unsigned long long)lost, (unsigned long long)dup,
	    (unsigned long long)reord, (unsigned long long)bad,
	    (unsigned long long)other, (unsigned long long)arp);
	if (g_expect_from != NULL)
		printf(" foreign %llu", (unsigned long long)foreign);
	printf("\n");
	fflush(stdout);
	return got == count && lost == 0 && reord == 0 && dup == 0 &&
	    bad == 0 ? 0 : 1;
}

/* race: flip the source address of every tx buffer until told to stop. */
struct racer {
	struct nsw_port	*p;
	uint8_t		 mine[6], other[6];
	atomic_bool	 stop;
};

static void *
race_flip(void *arg)
{
	struct racer	*r = arg;
	uint8_t		*base = r->p->region.base;
	uint32_t	 i;
	bool		 flip = true;

	/* Every buffer one way, then every buffer back: half the time each. */
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		const uint8_t *set = flip ? r->other : r->mine;

		for (i = 0; i < r->p->layout.tx_nbufs; i++) {
			volatile uint8_t *src = base + r->p->layout.tx_bufs +
			    (uint64_t)i * r->p->layout.buf_size + 6;
			unsigned k;

			for (k = 0; k < 6; k++)
				src[k] = set[k];
		}
		flip = !flip;
	}
	return NULL;
}

static volatile sig_atomic_t stop;
static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "mac", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "to", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'N' },
		{ "size", required_argument, NULL, 's' },
		{ "ethertype", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet-ms", required_argument, NULL, 'q' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "ip", required_argument, NULL, 'i' },
		{ "reattach", no_argument, NULL, 'r' },
		{ "smash", no_argument, NULL, 'S' },
		{ "seq-start", required_argument, NULL, 'Q' },
		{ "expect-from", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	struct nsw_port	 port;
	const char	*ctl = NULL, *name = "swprobe", *cmd;
	uint8_t		 mac[6], to[6], from[6], expect[6];
	char		 reason[160];
	uint64_t	 count = 1;
	size_t		 size = 64;
	unsigned	 type = PROBE_ETHERTYPE;
	int		 ch, rc, have_mac = 0, have_to = 0, have_from = 0;
	int		 timeout = 5000, quiet = 0, linger = 0, smash = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': ctl = optarg; break;
		case 'm': if (parse_mac(optarg, mac)) die("bad --mac"); have_mac = 1; break;
		case 'n': name = optarg; break;
		case 't': if (parse_mac(optarg, to)) die("bad --to"); have_to = 1; break;
		case 'f': if (parse_mac(optarg, from)) die("bad --from"); have_from = 1; break;
		case 'N': count = strtoull(optarg, NULL, 0); break;
		case 's': size = strtoul(optarg, NULL, 0); break;
		case 'e': type = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'T': timeout = atoi(optarg); break;
		case 'q': quiet = atoi(optarg); break;
		case 'l': linger = atoi(optarg); break;
		case 'i':
			if (g_addrs.n_ip4 >= NSW_MAX_ADDRS ||
			    inet_pton(AF_INET, optarg, g_addrs.ip4[g_addrs.n_ip4]) != 1)
				die("bad --ip");
			g_addrs.n_ip4++;
			break;
		case 'r': g_reattach = 1; break;
		case 'S': smash = 1; break;
		case 'Q': g_seq_start = strtoull(optarg, NULL, 0); break;
		case 'x':
			if (parse_mac(optarg, expect))
				die("bad --expect-from");
			g_expect_from = expect;
			break;
		default: die("bad option");
		}
	}
	if (!have_mac || optind >= argc)
		die("usage: swprobe --ctl PATH --mac MAC send|recv|hold ...");
	cmd = argv[optind];
	g_ctl = ctl;
	g_name = name;
	memcpy(g_mac, mac, 6);
	rc = probe_attach(&port, reason, sizeof(reason));
	if (rc < 0) {
		fprintf(stderr, "swprobe: attach: %s%s%s\n", strerror(-rc),
		    reason[0] ? ": " : "", reason);
		return 3;
	}
	printf("attached port %u\n", port.port_id);
	fflush(stdout);
	if (strcmp(cmd, "send") == 0) {
		if (!have_to)
			die("send needs --to");
		if (size < sizeof(struct probe_hdr) || size > NSW_BUF_SIZE)
			die("bad --size");
		rc = do_send(&port, have_from ? from : mac, to, count, size,
		    type);
	} else if (strcmp(cmd, "race") == 0) {
		struct racer	r;
		pthread_t	t;

		if (!have_to || !have_from)
			die("race needs --to and --from");
		r.p = &port;
		memcpy(r.mine, mac, 6);
		memcpy(r.other, from, 6);
		atomic_init(&r.stop, false);
		if (pthread_create(&t, NULL, race_flip, &r) != 0)
			die("pthread_create");
		rc = do_send(&port, mac, to, count, size, type);
		atomic_store(&r.stop, true);
		pthread_join(t, NULL);
	} else if (strcmp(cmd, "recv") == 0) {
		rc = do_recv(&port, count, timeout, quiet);
	} else if (strcmp(cmd, "scribble") == 0) {
		/* A hostile stack: descriptors naming no buffer of ours, then a smashed ring index. */
		struct nsw_desc bad = { .off = 0xfffff000u, .len = 64, .flags = 0 };
		uint64_t k;

		for (k = 0; k < count; k++) {
			bad.off = (uint32_t)(0xfffff000u - k * 7);
			if (ion_ring_enqueue_bulk(&port.tx, &bad, 1) < 0)
				break;
		}
		nsw_port_flush(&port);
		usleep(300000);
		if (smash) {
			atomic_store(&port.tx.shm->prod,
			    atomic_load(&port.tx.shm->cons) + 12345678u);
			nsw_port_flush(&port);
		}
		/* The switch hangs up on a persistent offender. */
		for (k = 0; k < 50 && !switch_gone(&port); k++)
			usleep(100000);
		printf("%s\n", switch_gone(&port) ? "detached" : "still attached");
		rc = 0;
	} else if (strcmp(cmd, "hold") == 0) {
		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		while (!stop)
			pause();
		rc = 0;
	} else
		die("unknown command");
	/* Stay attached a while, so a test can read this port's counters. */
	if (linger > 0)
		usleep((useconds_t)linger * 1000);
	nsw_port_detach(&port);
	return rc;
}
