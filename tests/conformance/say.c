/*
 * say.c: conform's output: one line per observation, "CASE: TEXT", with
 * results as numbers or errno names and flags as names, so that two runs
 * compare byte for byte.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "conform.h"

int say_verbose;
static const char *say_case = "?";

/* A ring of buffers for the strings say_* return. */
#define SAY_BUFS 16
#define SAY_BUFLEN 256
static char say_ring[SAY_BUFS][SAY_BUFLEN];
static unsigned say_next;

/* The next buffer of the ring. */
static char *say_buf(void)
{
	return say_ring[say_next++ % SAY_BUFS];
}

/* Names the case that the lines printed next belong to. */
void say_begin(const char *name)
{
	say_case = name;
}

/* Prints one line of the current case. */
void say(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", say_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* With -v, prints a line to stderr (outside what is compared). */
void say_v(const char *fmt, ...)
{
	va_list ap;

	if (!say_verbose)
		return;
	fprintf(stderr, "  [%s] ", say_case);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct {
	int err;
	const char *name;
} say_errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" }, { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" },
	{ ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { EXDEV, "EXDEV" }, { ENODEV, "ENODEV" },
	{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
	{ ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" },
	{ EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" },
	{ EROFS, "EROFS" }, { EMLINK, "EMLINK" }, { EPIPE, "EPIPE" },
	{ EDOM, "EDOM" }, { ERANGE, "ERANGE" }, { EDEADLK, "EDEADLK" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOLCK, "ENOLCK" },
	{ ENOSYS, "ENOSYS" }, { ENOTEMPTY, "ENOTEMPTY" }, { ELOOP, "ELOOP" },
	{ ENOMSG, "ENOMSG" }, { ENODATA, "ENODATA" }, { ETIME, "ETIME" },
	{ EPROTO, "EPROTO" }, { EBADMSG, "EBADMSG" },
	{ EOVERFLOW, "EOVERFLOW" }, { EILSEQ, "EILSEQ" },
	{ ENOTSOCK, "ENOTSOCK" }, { EDESTADDRREQ, "EDESTADDRREQ" },
	{ EMSGSIZE, "EMSGSIZE" }, { EPROTOTYPE, "EPROTOTYPE" },
	{ ENOPROTOOPT, "ENOPROTOOPT" },
	{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
	{ ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EPFNOSUPPORT, "EPFNOSUPPORT" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EADDRINUSE, "EADDRINUSE" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ ENETDOWN, "ENETDOWN" }, { ENETUNREACH, "ENETUNREACH" },
	{ ENETRESET, "ENETRESET" }, { ECONNABORTED, "ECONNABORTED" },
	{ ECONNRESET, "ECONNRESET" }, { ENOBUFS, "ENOBUFS" },
	{ EISCONN, "EISCONN" }, { ENOTCONN, "ENOTCONN" },
	{ ESHUTDOWN, "ESHUTDOWN" }, { ETOOMANYREFS, "ETOOMANYREFS" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { ECONNREFUSED, "ECONNREFUSED" },
	{ EHOSTDOWN, "EHOSTDOWN" }, { EHOSTUNREACH, "EHOSTUNREACH" },
	{ EALREADY, "EALREADY" }, { EINPROGRESS, "EINPROGRESS" },
	{ ESTALE, "ESTALE" }, { ECANCELED, "ECANCELED" },
};

/* The name of an errno value ("EAGAIN"), "0", or "E#N" for one not listed. */
const char *say_errno(int err)
{
	char *b;

	if (err == 0)
		return "0";
	for (size_t i = 0; i < sizeof say_errnos / sizeof say_errnos[0]; i++)
		if (say_errnos[i].err == err)
			return say_errnos[i].name;
	b = say_buf();
	snprintf(b, SAY_BUFLEN, "E#%d", err);
	return b;
}

/* A signal's name ("SIGPIPE"). */
const char *say_signal(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} t[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGCHLD, "SIGCHLD" }, { SIGSYS, "SIGSYS" }, { SIGIO, "SIGIO" },
		{ SIGURG, "SIGURG" },
	};
	char *b;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].sig == sig)
			return t[i].name;
	b = say_buf();
	snprintf(b, SAY_BUFLEN, "SIG#%d", sig);
	return b;
}

/* A call's result as printed: "5", or "-1 EAGAIN" when it failed. */
const char *say_rcs(long r, int err)
{
	char *b = say_buf();

	if (r == -1)
		snprintf(b, SAY_BUFLEN, "-1 %s", say_errno(err));
	else
		snprintf(b, SAY_BUFLEN, "%ld", r);
	return b;
}

/* Prints "WHAT -> R" (or "-1 ENAME"); returns R with errno kept. */
long say_rc_(const char *what, long r)
{
	int err = errno;

	say("%s -> %s", what, say_rcs(r, err));
	errno = err;
	return r;
}

/* Prints "WHAT -> fd" for a descriptor (its number is not compared). */
int say_fd_(const char *what, int fd)
{
	int err = errno;

	if (fd >= 0)
		say("%s -> fd", what);
	else
		say("%s -> %s", what, say_rcs(fd, err));
	errno = err;
	return fd;
}

/* Prints "WHAT -> N \"BYTES\"" for a read of N bytes into BUF. */
long say_data_(const char *what, long r, const void *buf)
{
	int err = errno;

	if (r > 0)
		say("%s -> %ld %s", what, r, say_bytes(buf, r));
	else
		say("%s -> %s", what, say_rcs(r, err));
	errno = err;
	return r;
}

/* N bytes quoted, non-printable ones escaped, long ones cut. */
const char *say_bytes(const void *buf, long n)
{
	const unsigned char *p = buf;
	char *b = say_buf();
	size_t o = 0;

	b[o++] = '"';
	for (long i = 0; i < n && o < SAY_BUFLEN - 8; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			b[o++] = (char)p[i];
		else
			o += (size_t)snprintf(b + o, SAY_BUFLEN - o, "\\x%02x", p[i]);
	}
	if (o >= SAY_BUFLEN - 8)
		o += (size_t)snprintf(b + o, SAY_BUFLEN - o, "...");
	b[o++] = '"';
	b[o] = '\0';
	return b;
}

/* Appends NAME to a "A|B" list in B. */
static void say_flag(char *b, const char *name)
{
	if (b[0])
		strncat(b, "|", SAY_BUFLEN - strlen(b) - 1);
	strncat(b, name, SAY_BUFLEN - strlen(b) - 1);
}

/* Appends the bits of V left unnamed, in hex. */
static void say_rest(char *b, unsigned long v)
{
	char x[32];

	if (v) {
		snprintf(x, sizeof x, "0x%lx", v);
		say_flag(b, x);
	}
	if (!b[0])
		strcpy(b, "0");
}

/* poll's revents as names: "POLLIN|POLLOUT", or "0". */
const char *say_poll(int revents)
{
	static const struct {
		int bit;
		const char *name;
	} t[] = {
		{ POLLIN, "POLLIN" }, { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" },
		{ POLLERR, "POLLERR" }, { POLLHUP, "POLLHUP" },
		{ POLLNVAL, "POLLNVAL" }, { POLLRDHUP, "POLLRDHUP" },
		{ POLLRDNORM, "POLLRDNORM" }, { POLLRDBAND, "POLLRDBAND" },
		{ POLLWRNORM, "POLLWRNORM" }, { POLLWRBAND, "POLLWRBAND" },
	};
	char *b = say_buf();
	unsigned v = (unsigned short)revents;

	b[0] = '\0';
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (v & (unsigned)t[i].bit) {
			say_flag(b, t[i].name);
			v &= ~(unsigned)t[i].bit;
		}
	say_rest(b, v);
	return b;
}

/* epoll's events as names: "EPOLLIN|EPOLLRDHUP", or "0". */
const char *say_epoll(uint32_t events)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} t[] = {
		{ EPOLLIN, "EPOLLIN" }, { EPOLLPRI, "EPOLLPRI" },
		{ EPOLLOUT, "EPOLLOUT" }, { EPOLLERR, "EPOLLERR" },
		{ EPOLLHUP, "EPOLLHUP" }, { EPOLLRDHUP, "EPOLLRDHUP" },
		{ EPOLLRDNORM, "EPOLLRDNORM" }, { EPOLLRDBAND, "EPOLLRDBAND" },
		{ EPOLLWRNORM, "EPOLLWRNORM" }, { EPOLLWRBAND, "EPOLLWRBAND" },
	};
	char *b = say_buf();
	uint32_t v = events;

	b[0] = '\0';
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (v & t[i].bit) {
			say_flag(b, t[i].name);
			v &= ~t[i].bit;
		}
	say_rest(b, v);
	return b;
}

/* F_GETFL's flags as names: "O_RDWR|O_NONBLOCK" (or "-1 ENAME", called
 * right after a failed fcntl). */
const char *say_fl(int flags)
{
	char *b;
	unsigned long v = (unsigned)flags;

	if (flags == -1)
		return say_rcs(-1, errno);
	b = say_buf();
	b[0] = '\0';
	switch (flags & O_ACCMODE) {
	case O_RDONLY: say_flag(b, "O_RDONLY"); break;
	case O_WRONLY: say_flag(b, "O_WRONLY"); break;
	default: say_flag(b, "O_RDWR"); break;
	}
	v &= ~(unsigned long)O_ACCMODE;
	if (v & O_NONBLOCK) {
		say_flag(b, "O_NONBLOCK");
		v &= ~(unsigned long)O_NONBLOCK;
	}
	if (v & O_APPEND) {
		say_flag(b, "O_APPEND");
		v &= ~(unsigned long)O_APPEND;
	}
	if (v & O_ASYNC) {
		say_flag(b, "O_ASYNC");
		v &= ~(unsigned long)O_ASYNC;
	}
	say_rest(b, v);
	return b;
}

/* An address as printed: "AF_INET 127.0.0.1 port=0" or "port=nonzero"
 * (ports are compared by the cases, never printed). */
const char *say_addr(const struct sockaddr *sa, socklen_t len)
{
	char *b = say_buf();
	char a[INET6_ADDRSTRLEN];

	if (len < (socklen_t)sizeof(sa_family_t)) {
		snprintf(b, SAY_BUFLEN, "(len %u)", (unsigned)len);
		return b;
	}
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
		snprintf(b, SAY_BUFLEN, "AF_INET %s port=%s", a,
		    s->sin_port ? "nonzero" : "0");
	} else if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
		snprintf(b, SAY_BUFLEN, "AF_INET6 %s port=%s", a,
		    s->sin6_port ? "nonzero" : "0");
	} else {
		snprintf(b, SAY_BUFLEN, "family %d len %u", sa->sa_family,
		    (unsigned)len);
	}
	return b;
}

/* "yes" or "no". */
const char *say_yes(bool b)
{
	return b ? "yes" : "no";
}
