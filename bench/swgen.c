/*
 * swgen.c: the frame generator and counter behind bench/switch.
 *
 *   swgen p2p CTL SIZE SECONDS          two ports in one thread, A -> B
 *   swgen port-tx CTL DST-MAC SIZE SECONDS
 *   swgen port-rx CTL MAC SECONDS
 *   swgen raw-tx IFACE DST-MAC SIZE SECONDS   AF_PACKET, sendmmsg
 *   swgen raw-rx IFACE SECONDS                AF_PACKET, recvmmsg
 *
 * Receivers print "frames N seconds S fps F", counting from the first
 * frame for SECONDS; senders print what they sent.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netswitch.h"

#define GEN_TYPE	0x88b6
#define GEN_BATCH	64

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "swgen: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void
parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		die("bad MAC %s", s);
	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
}

/* A frame of size bytes from src to dst with our EtherType. */
static void
make_frame(uint8_t *f, size_t size, const uint8_t dst[6], const uint8_t src[6])
{
	memset(f, 0x5a, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = GEN_TYPE >> 8;
	f[13] = GEN_TYPE & 0xff;
}

static void
report(unsigned long long n, double secs)
{
	printf("frames %llu seconds %.3f fps %.0f\n", n, secs,
	    secs > 0 ? (double)n / secs : 0.0);
}

static void
attach(struct nsw_port *p, const char *ctl, const char *mac, const char *name)
{
	uint8_t m[6];
	char reason[160];
	int rc;

	parse_mac(mac, m);
	if ((rc = nsw_port_attach(p, ctl, m, name, reason, sizeof(reason))) < 0) {
		fprintf(stderr, "swgen: attach %s: %s %s\n", mac, strerror(-rc),
		    reason);
		exit(1);
	}
}

/* Send as many frames as the port takes; returns frames queued. */
static unsigned
port_blast(struct nsw_port *p, const uint8_t *f, size_t size, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (nsw_port_send(p, f, size) != 0)
			break;
	nsw_port_flush(p);
	return i;
}

/* Take and give back whatever arrived; returns the count. */
static unsigned
port_drain(struct nsw_port *p)
{
	struct nsw_desc d[GEN_BATCH];
	int n = nsw_port_recv(p, d, GEN_BATCH);

	if (n <= 0)
		return 0;
	nsw_port_release(p, d, (unsigned)n);
	return (unsigned)n;
}

static int
gen_p2p(const char *ctl, size_t size, double secs)
{
	struct nsw_port		a, b;
	uint8_t			f[NSW_BUF_SIZE], ma[6], mb[6];
	unsigned long long	got = 0;
	double			t0 = 0, t;

	attach(&a, ctl, "02:00:00:00:b0:0a", "gen-a");
	attach(&b, ctl, "02:00:00:00:b0:0b", "gen-b");
	parse_mac("02:00:00:00:b0:0a", ma);
	parse_mac("02:00:00:00:b0:0b", mb);
	make_frame(f, size, mb, ma);
	for (;;) {
		port_blast(&a, f, size, GEN_BATCH);
		got += port_drain(&b);
		if (got > 0 && t0 == 0) {
			t0 = now_s();
			got = 0;
		}
		if (t0 > 0 && (t = now_s()) - t0 >= secs) {
			report(got, t - t0);
			return 0;
		}
	}
}

static int
gen_port_tx(const char *ctl, const char *dst, size_t size, double secs)
{
	struct nsw_port		p;
	uint8_t			f[NSW_BUF_SIZE], md[6], ms[6];
	unsigned long long	sent = 0;
	double			t0 = now_s();

	attach(&p, ctl, "02:00:00:00:b0:0c", "gen-tx");
	parse_mac(dst, md);
	parse_mac("02:00:00:00:b0:0c", ms);
	make_frame(f, size, md, ms);
	while (now_s() - t0 < secs) {
		unsigned n = port_blast(&p, f, size, GEN_BATCH);

		sent += n;
		/* Every buffer in flight: give the CPU to the switch meanwhile. */
		if (n == 0)
			usleep(20);
	}
	printf("sent %llu\n", sent);
	return 0;
}

static int
gen_port_rx(const char *ctl, const char *mac, double secs)
{
	struct nsw_port		p;
	unsigned long long	got = 0;
	double			t0 = 0, t, start = now_s();

	attach(&p, ctl, mac, "gen-rx");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		unsigned n = port_drain(&p);

		if (n > 0 && t0 == 0)
			t0 = now_s();
		got += n;
		if (n == 0)
			(void)nsw_port_wait(&p, 10);
		t = now_s();
		if ((t0 > 0 && t - t0 >= secs) || (t0 == 0 && t - start > secs + 10)) {
			report(got, t0 > 0 ? t - t0 : 0);
			return 0;
		}
	}
}

static int
raw_socket(const char *iface, int *ifindex)
{
	struct sockaddr_ll	sll;
	int			s, sz = 16 << 20;

	if ((*ifindex = (int)if_nametoindex(iface)) == 0)
		die("no interface %s", iface);
	if ((s = socket(AF_PACKET, SOCK_RAW, htons(GEN_TYPE))) < 0)
		die("AF_PACKET socket: %s (needs CAP_NET_RAW)", strerror(errno));
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(GEN_TYPE);
	sll.sll_ifindex = *ifindex;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind: %s", strerror(errno));
	return s;
}

static int
gen_raw_tx(const char *iface, const char *dst, size_t size, double secs)
{
	struct mmsghdr		msg[GEN_BATCH];
	struct iovec		iov;
	uint8_t			f[2048], md[6], ms[6] = { 2, 0, 0, 0, 0xb0, 0xee };
	unsigned long long	sent = 0;
	double			t0 = now_s();
	int			s, ifindex, i, n;

	s = raw_socket(iface, &ifindex);
	parse_mac(dst, md);
	make_frame(f, size, md, ms);
	iov.iov_base = f;
	iov.iov_len = size;
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < GEN_BATCH; i++) {
		msg[i].msg_hdr.msg_iov = &iov;
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (now_s() - t0 < secs) {
		n = sendmmsg(s, msg, GEN_BATCH, 0);
		if (n > 0)
			sent += (unsigned)n;
	}
	printf("sent %llu\n", sent);
	return 0;
}

static int
gen_raw_rx(const char *iface, double secs)
{
	static uint8_t		buf[GEN_BATCH][2048];
	struct mmsghdr		msg[GEN_BATCH];
	struct iovec		iov[GEN_BATCH];
	struct pollfd		pfd;
	unsigned long long	got = 0;
	double			t0 = 0, t, start;
	int			s, ifindex, i, n;

	s = raw_socket(iface, &ifindex);
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < GEN_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	start = now_s();
	pfd.fd = s;
	pfd.events = POLLIN;
	for (;;) {
		n = recvmmsg(s, msg, GEN_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0) {
			if (t0 == 0)
				t0 = now_s();
			got += (unsigned)n;
		} else
			(void)poll(&pfd, 1, 10);
		t = now_s();
		if ((t0 > 0 && t - t0 >= secs) || (t0 == 0 && t - start > secs + 10)) {
			report(got, t0 > 0 ? t - t0 : 0);
			return 0;
		}
	}
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "p2p") == 0)
		return gen_p2p(argv[2], strtoul(argv[3], NULL, 10), atof(argv[4]));
	if (argc == 6 && strcmp(argv[1], "port-tx") == 0)
		return gen_port_tx(argv[2], argv[3], strtoul(argv[4], NULL, 10),
		    atof(argv[5]));
	if (argc == 5 && strcmp(argv[1], "port-rx") == 0)
		return gen_port_rx(argv[2], argv[3], atof(argv[4]));
	if (argc == 6 && strcmp(argv[1], "raw-tx") == 0)
		return gen_raw_tx(argv[2], argv[3], strtoul(argv[4], NULL, 10),
		    atof(argv[5]));
	if (argc == 4 && strcmp(argv[1], "raw-rx") == 0)
		return gen_raw_rx(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of bench/swgen.c\n");
	return 2;
}
