/* fdpass.c: descriptors over unix sockets (SCM_RIGHTS). */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ion.h"

/* Send one message with its descriptors; returns 0 or -errno. */
int
ion_send_fds(int sock, const void *buf, size_t len, const int *fds,
    unsigned nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * ION_MAX_FDS)];
	} cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;

	if (nfds > ION_MAX_FDS || len == 0)
		return -EINVAL;
	memset(&msg, 0, sizeof(msg));
	memset(&cmsg, 0, sizeof(cmsg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *c;

		msg.msg_control = cmsg.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Close every descriptor a control message carried. */
static void
fdpass_close_all(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t	 k, n;
		int	 fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < n; k++) {
			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

/* Receive one message and its descriptors; returns bytes or -errno. */
ssize_t
ion_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned *nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * ION_MAX_FDS)];
	} cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	unsigned	 want = *nfds, got = 0;
	ssize_t		 n;

	*nfds = 0;
	if (want > ION_MAX_FDS)
		want = ION_MAX_FDS;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		fdpass_close_all(&msg);
		return -EMSGSIZE;
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		size_t k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (got + cnt > want) {
			fdpass_close_all(&msg);
			return -EMSGSIZE;
		}
		for (k = 0; k < cnt; k++)
			memcpy(&fds[got++], CMSG_DATA(c) + k * sizeof(int),
			    sizeof(int));
	}
	*nfds = got;
	return n;
}
