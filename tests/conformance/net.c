/*
 * net.c: loopback sockets for the cases' set-up.  A helper that fails
 * prints "setup: ..." (so the comparison shows where) and returns -1;
 * every socket it makes has SO_RCVTIMEO and SO_SNDTIMEO set, so that no
 * blocking call on it waits for ever.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform.h"

/* The loopback address of FAMILY with PORT, and its length. */
void net_loop(int family, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		s->sin6_addr = in6addr_loopback;
		*len = sizeof *s;
	} else {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof *s;
	}
}

/* The port of an address (either family). */
int net_sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
}

/* FD's local port, or -1. */
int net_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return net_sa_port(&ss);
}

/* FD's peer's port, or -1. */
int net_peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return net_sa_port(&ss);
}

/* Sets SO_RCVTIMEO and SO_SNDTIMEO to MS (0: wait for ever). */
void net_timeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Turns O_NONBLOCK on or off. */
void net_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* SO_ERROR (and so clears it), or -1 if getsockopt failed. */
int net_sockerr(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	return err;
}

/* Says that a set-up step failed, with errno's name. */
static int net_fail(const char *what)
{
	say("setup: %s -> -1 %s", what, say_errno(errno));
	return -1;
}

/* A TCP socket listening on loopback (FAMILY), an ephemeral port. */
int net_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return net_fail("socket for a listener");
	net_loop(family, 0, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		net_fail("bind a listener");
		close(fd);
		return -1;
	}
	if (listen(fd, 16) < 0) {
		net_fail("listen");
		close(fd);
		return -1;
	}
	net_timeo(fd, CONFORM_TIMEO_MS);
	return fd;
}

/* A TCP socket connected (blocking) to loopback PORT. */
int net_connect(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return net_fail("socket for a client");
	net_timeo(fd, CONFORM_TIMEO_MS);
	net_loop(family, port, &ss, &len);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		net_fail("connect a client");
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected TCP pair over loopback: *C connected, *S accepted. */
int net_pair(int family, int *c, int *s)
{
	int l = net_listener(family);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = net_connect(family, net_port(l));
	if (*c < 0) {
		close(l);
		return -1;
	}
	*s = accept(l, NULL, NULL);
	if (*s < 0) {
		net_fail("accept");
		close(*c);
		close(l);
		*c = -1;
		return -1;
	}
	close(l);
	net_timeo(*s, CONFORM_TIMEO_MS);
	return 0;
}

/* A UDP socket bound to loopback (FAMILY), an ephemeral port. */
int net_udp(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return net_fail("socket for UDP");
	net_loop(family, 0, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		net_fail("bind UDP");
		close(fd);
		return -1;
	}
	net_timeo(fd, CONFORM_TIMEO_MS);
	return fd;
}

/* A loopback port nobody listens on.  For TCP, *HOLDER keeps it bound
 * (without listening: a SYN to it is refused) until the caller closes
 * it; for UDP the port is free again and *HOLDER is -1. */
int net_free_port(int family, int type, int *holder)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int port, fd = socket(family, type, 0);

	*holder = -1;
	if (fd < 0)
		return net_fail("socket to hold a port");
	net_loop(family, 0, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		net_fail("bind a port to hold");
		close(fd);
		return -1;
	}
	port = net_port(fd);
	if (type == SOCK_STREAM)
		*holder = fd;
	else
		close(fd);
	return port;
}

/* The number of a socket just closed.  It is a copy at 900 or above, so
 * that no descriptor opened meanwhile (by libc, or by a library beneath
 * the program) takes the number before the case uses it. */
int net_closed_fd(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), d = fcntl(s, F_DUPFD, 900);

	close(s);
	close(d);
	return d;
}

/* Whether FD shows any of EVENTS (or an error) within MS. */
bool net_wait(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	double end = bg_now() + ms;
	int r, left;

	do {
		left = (int)(end - bg_now());
		r = poll(&p, 1, left > 0 ? left : 0);
	} while (r < 0 && errno == EINTR && left > 0);
	return r > 0;
}

/* Whether FIONREAD on FD reaches BYTES within MS. */
bool net_settle(int fd, int bytes, int ms)
{
	double end = bg_now() + ms;
	int n;

	for (;;) {
		if (ioctl(fd, FIONREAD, &n) == 0 && n >= bytes)
			return true;
		if (bg_now() >= end)
			return false;
		bg_sleep(2);
	}
}

/* Whether FD sees the connection end (POLLHUP: a reset, or both
 * directions shut) within MS. */
bool net_wait_rst(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = 0 };
	double end = bg_now() + ms;

	for (;;) {
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
			return true;
		if (bg_now() >= end)
			return false;
		bg_sleep(2);
	}
}

/* Sends all N bytes (blocking); N, or -1 at the first failure. */
long net_send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r = send(fd, p + done, n - done, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return (long)n;
}

/* Reads until N bytes, EOF or a failure; the count read, or -1 if a
 * failure came before any byte. */
long net_recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r = recv(fd, p + done, n - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return done ? (long)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (long)done;
}
