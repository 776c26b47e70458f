/*
 * case_fd.c: sockets as descriptors: dup, dup2, dup3 (a connection ends
 * only when its last descriptor closes), fcntl, ioctl, and sendfile from
 * a regular file.
 */
#include "config.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "conform.h"

/* Says whether the peer S sees EOF within MS (poll, then recv). */
static void fd_peer_eof(int s, int ms)
{
	char b[16];
	bool r = net_wait(s, POLLIN, ms);

	if (!r) {
		say("peer: nothing within %d ms", ms);
		return;
	}
	SAY_DATA("peer recv", recv(s, b, sizeof b, MSG_DONTWAIT), b);
}

/* Says FD_CLOEXEC of FD. */
static void fd_say_cloexec(const char *what, int fd)
{
	int f = fcntl(fd, F_GETFD);

	say("%s: F_GETFD -> %s", what, f < 0 ? say_rcs(f, errno) :
	    (f & FD_CLOEXEC) ? "FD_CLOEXEC" : "0");
}

/* dup: the connection lasts until the copy is closed too. */
static void fd_dup(void)
{
	int c, s, d;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	d = SAY_FD("dup", dup(c));
	fd_say_cloexec("the copy", d);
	SAY_RC("close the original", close(c));
	fd_peer_eof(s, 100);
	SAY_RC("send on the copy", send(d, "via dup", 7, 0));
	fd_peer_eof(s, 2000);
	SAY_RC("close the copy", close(d));
	fd_peer_eof(s, 2000);
	close(s);
}

/* dup2 onto an open descriptor, onto itself, and from a closed one. */
static void fd_dup2(void)
{
	int c, s, n = open("/dev/null", O_RDONLY), r;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	r = SAY_FD("dup2(socket, an open file's number)", dup2(c, n));
	say("returns the number asked for: %s", say_yes(r == n));
	r = SAY_FD("dup2(socket, itself)", dup2(c, c));
	say("returns the number asked for: %s", say_yes(r == c));
	SAY_RC("close the original", close(c));
	fd_peer_eof(s, 100);
	SAY_RC("send on the copy", send(n, "via dup2", 8, 0));
	fd_peer_eof(s, 2000);
	SAY_RC("close the copy", close(n));
	fd_peer_eof(s, 2000);
	SAY_FD("dup2(a closed number, a number)", dup2(net_closed_fd(), n));
	close(s);
}

/* dup3 with O_CLOEXEC, onto itself, with a bad flag. */
static void fd_dup3(void)
{
	int c, s, n = open("/dev/null", O_RDONLY), r;

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	r = SAY_FD("dup3(socket, a number, O_CLOEXEC)", dup3(c, n, O_CLOEXEC));
	say("returns the number asked for: %s", say_yes(r == n));
	fd_say_cloexec("the copy", n);
	fd_say_cloexec("the original", c);
	SAY_FD("dup3(socket, itself, 0)", dup3(c, c, 0));
	SAY_FD("dup3(socket, a number, O_NONBLOCK)", dup3(c, n, O_NONBLOCK));
	SAY_RC("close the original", close(c));
	SAY_RC("send on the copy", send(n, "via dup3", 8, 0));
	fd_peer_eof(s, 2000);
	SAY_RC("close the copy", close(n));
	fd_peer_eof(s, 2000);
	close(s);
}

/* Copies share the file status flags (O_NONBLOCK), not FD_CLOEXEC. */
static void fd_dup_shared(void)
{
	int c, s, d, fl;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	d = dup(c);
	SAY_RC("F_SETFD FD_CLOEXEC on the original", fcntl(c, F_SETFD, FD_CLOEXEC));
	fd_say_cloexec("the copy", d);
	fl = fcntl(d, F_GETFL);
	SAY_RC("F_SETFL O_NONBLOCK on the copy", fcntl(d, F_SETFL, fl | O_NONBLOCK));
	say("the original: F_GETFL -> %s", say_fl(fcntl(c, F_GETFL)));
	SAY_RC("recv on the original", recv(c, b, sizeof b, 0));
	SAY_RC("FIONBIO 0 on the original", ioctl(c, FIONBIO, &(int){ 0 }));
	say("the copy: F_GETFL -> %s", say_fl(fcntl(d, F_GETFL)));
	close(c);
	close(d);
	close(s);
}

/* fcntl: F_GETFL/F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_SETOWN. */
static void fd_fcntl(void)
{
	int c, s, d, fl;
	char b[4];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	fl = fcntl(c, F_GETFL);
	say("F_GETFL -> %s", say_fl(fl));
	SAY_RC("F_SETFL O_NONBLOCK", fcntl(c, F_SETFL, fl | O_NONBLOCK));
	say("F_GETFL -> %s", say_fl(fcntl(c, F_GETFL)));
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("F_SETFL 0", fcntl(c, F_SETFL, fl & ~O_NONBLOCK));
	say("F_GETFL -> %s", say_fl(fcntl(c, F_GETFL)));
	d = SAY_FD("F_DUPFD 100", fcntl(c, F_DUPFD, 100));
	say("at least 100: %s", say_yes(d >= 100));
	fd_say_cloexec("F_DUPFD's copy", d);
	close(d);
	d = SAY_FD("F_DUPFD_CLOEXEC 0", fcntl(c, F_DUPFD_CLOEXEC, 0));
	fd_say_cloexec("F_DUPFD_CLOEXEC's copy", d);
	SAY_RC("send on it", send(d, "dupfd", 5, 0));
	fd_peer_eof(s, 2000);
	close(d);
	fd_say_cloexec("the socket", c);
	SAY_RC("F_SETFD FD_CLOEXEC", fcntl(c, F_SETFD, FD_CLOEXEC));
	fd_say_cloexec("the socket", c);
	SAY_RC("F_SETFD 0", fcntl(c, F_SETFD, 0));
	fd_say_cloexec("the socket", c);
	SAY_RC("F_SETOWN getpid()", fcntl(c, F_SETOWN, getpid()));
	say("F_GETOWN is getpid(): %s", say_yes(fcntl(c, F_GETOWN) == getpid()));
	close(c);
	close(s);
}

/* ioctl: FIONBIO, FIONREAD (TCP and UDP), SIOCOUTQ. */
static void fd_ioctl(void)
{
	int c, s, n, on = 1, off = 0, l, u, u2;
	double end;
	char b[16];

	if (net_pair(AF_INET, &c, &s) < 0)
		return;
	SAY_RC("FIONBIO 1", ioctl(c, FIONBIO, &on));
	say("F_GETFL -> %s", say_fl(fcntl(c, F_GETFL)));
	SAY_RC("recv", recv(c, b, sizeof b, 0));
	SAY_RC("FIONBIO 0", ioctl(c, FIONBIO, &off));
	say("F_GETFL -> %s", say_fl(fcntl(c, F_GETFL)));
	n = -1;
	SAY_RC("FIONREAD, nothing waiting", ioctl(c, FIONREAD, &n));
	say("n -> %d", n);
	SAY_RC("peer send 5 bytes", send(s, "hello", 5, 0));
	net_wait(c, POLLIN, 2000);
	n = -1;
	SAY_RC("FIONREAD", ioctl(c, FIONREAD, &n));
	say("n -> %d", n);
	SAY_DATA("recv", recv(c, b, sizeof b, 0), b);
	SAY_RC("send 5 bytes", send(c, "world", 5, 0));
	SAY_DATA("peer recv", recv(s, b, sizeof b, 0), b);
	end = bg_now() + 2000;
	do {
		n = -1;
		if (ioctl(c, SIOCOUTQ, &n) < 0 || n == 0)
			break;
		bg_sleep(5);
	} while (bg_now() < end);
	say("SIOCOUTQ reaches 0 once the peer has read everything: %s",
	    say_yes(n == 0));
	close(c);
	close(s);
	l = net_listener(AF_INET);
	SAY_RC("FIONREAD on a listener", ioctl(l, FIONREAD, &n));
	close(l);
	u = net_udp(AF_INET);
	u2 = net_udp(AF_INET);
	if (u < 0 || u2 < 0)
		return;
	{
		struct sockaddr_storage ss;
		socklen_t len;

		net_loop(AF_INET, net_port(u2), &ss, &len);
		sendto(u, "abc", 3, 0, (struct sockaddr *)&ss, len);
		sendto(u, "defgh", 5, 0, (struct sockaddr *)&ss, len);
	}
	net_wait(u2, POLLIN, 2000);
	n = -1;
	SAY_RC("SOCK_DGRAM FIONREAD, datagrams of 3 and 5 bytes waiting",
	    ioctl(u2, FIONREAD, &n));
	say("n -> %d", n);
	close(u);
	close(u2);
}

struct fd_reader {
	int fd;
	long bytes;
	uint64_t sum;
	int err;
};

/* Reads until EOF, summing. */
static void fd_read_all(void *arg)
{
	struct fd_reader *r = arg;
	char b[65536];

	r->sum = PAT_SUM0;
	for (;;) {
		ssize_t n = recv(r->fd, b, sizeof b, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->err = n < 0 ? errno : 0;
			break;
		}
		r->bytes += n;
		r->sum = pat_sum(r->sum, b, (size_t)n);
	}
}

/* sendfile from a regular file, with and without an offset, checked. */
static void fd_sendfile(void)
{
	enum { SIZE = 1048576 + 123 };
	const char *dir = getenv("TMPDIR");
	char path[512], *data;
	struct fd_reader rd = { 0 };
	struct bg bg = { 0 };
	uint64_t seed = 42, sum;
	off_t off = 0;
	long total = 0, r;
	int c, s, f;

	snprintf(path, sizeof path, "%s/conform.XXXXXX", dir ? dir : "/tmp");
	f = mkstemp(path);
	if (f < 0) {
		say("setup: mkstemp -> -1 %s", say_errno(errno));
		return;
	}
	unlink(path);
	data = malloc(SIZE);
	pat_fill(&seed, data, SIZE);
	if (write(f, data, SIZE) != SIZE) {
		say("setup: writing the file failed");
		free(data);
		close(f);
		return;
	}
	lseek(f, 0, SEEK_SET);
	sum = pat_sum(PAT_SUM0, data, SIZE);
	if (net_pair(AF_INET, &c, &s) < 0) {
		free(data);
		close(f);
		return;
	}
	rd.fd = s;
	bg_start(&bg, 0, fd_read_all, &rd);
	while (total < SIZE) {
		r = sendfile(c, f, &off, (size_t)(SIZE - total));
		if (r <= 0) {
			say("sendfile -> %s", say_rcs(r, errno));
			break;
		}
		total += r;
	}
	say("sendfile(offset) in a loop: sent %ld of %d, offset -> %lld",
	    total, SIZE, (long long)off);
	say("file position unchanged: %s", say_yes(lseek(f, 0, SEEK_CUR) == 0));
	SAY_RC("sendfile(NULL offset, 1000 bytes)", sendfile(c, f, NULL, 1000));
	say("file position -> %lld", (long long)lseek(f, 0, SEEK_CUR));
	sum = pat_sum(sum, data, 1000);
	SAY_RC("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	bg_join(&bg);
	say("peer got %ld bytes, then %s; checksum matches: %s", rd.bytes,
	    rd.err ? say_errno(rd.err) : "EOF", say_yes(rd.sum == sum));
	SAY_RC("sendfile(from a socket)", sendfile(c, s, NULL, 10));
	free(data);
	close(f);
	close(c);
	close(s);
}

const struct conform_case case_fd[] = {
	{ "fd.dup", fd_dup },
	{ "fd.dup2", fd_dup2 },
	{ "fd.dup3", fd_dup3 },
	{ "fd.dup_shared", fd_dup_shared },
	{ "fd.fcntl", fd_fcntl },
	{ "fd.ioctl", fd_ioctl },
	{ "fd.sendfile", fd_sendfile },
	CONFORM_END
};
