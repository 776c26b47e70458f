/* ctl.c: the agent's control protocol, both ends (see policy.h). */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#define CTL_MAXFDS	3

int
pol_ctl_send(int s, enum pol_ctl_type type, const void *body, size_t len,
    const int *fds, int nfds)
{
	struct pol_ctl_hdr	 h;
	struct iovec		 iov[2];
	struct msghdr		 msg;
	union {
		struct cmsghdr	 c;
		char		 buf[CMSG_SPACE(sizeof(int) * CTL_MAXFDS)];
	}			 cm;
	ssize_t			 n;

	if (len > POL_CTL_MAX - sizeof(h) || nfds < 0 || nfds > CTL_MAXFDS)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.version = POL_CTL_VERSION;
	h.type = type;
	h.len = (uint32_t)(sizeof(h) + len);
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm.c.cmsg_level = SOL_SOCKET;
		cm.c.cmsg_type = SCM_RIGHTS;
		cm.c.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(&cm.c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(s, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)h.len ? 0 : -EIO;
}

ssize_t
pol_ctl_recv(int s, enum pol_ctl_type *type, char *body, size_t cap,
    int *fds, int *nfds)
{
	struct pol_ctl_hdr	 h;
	struct iovec		 iov[2];
	struct msghdr		 msg;
	struct cmsghdr		*c;
	union {
		struct cmsghdr	 c;
		char		 buf[CMSG_SPACE(sizeof(int) * CTL_MAXFDS)];
	}			 cm;
	ssize_t			 n;
	int			 got = 0, i, k;

	if (nfds != NULL)
		*nfds = 0;
	if (cap == 0)
		return -EINVAL;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = body;
	iov[1].iov_len = cap - 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	/* EINTR goes back to the caller: `membrane run` forwards signals. */
	if ((n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC)) < 0)
		return -errno;
	/* Take the descriptors first: a bad message must not leak them. */
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + sizeof(int) * (size_t)i,
			    sizeof(fd));
			if (fds != NULL && nfds != NULL && got < CTL_MAXFDS)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (nfds != NULL)
		*nfds = got;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n < sizeof(h) || (msg.msg_flags & (MSG_TRUNC |
	    MSG_CTRUNC)) || h.version != POL_CTL_VERSION ||
	    h.len != (size_t)n || h.type < POL_CTL_REQUEST ||
	    h.type > POL_CTL_SIGNAL)
		goto bad;
	*type = (enum pol_ctl_type)h.type;
	n -= (ssize_t)sizeof(h);
	body[n] = '\0';
	return n;
bad:
	for (i = 0; i < got; i++)
		close(fds[i]);
	if (nfds != NULL)
		*nfds = 0;
	return -EPROTO;
}

int
pol_ctl_words(char *body, size_t len, char **words, int max)
{
	size_t	i = 0;
	int	n = 0;

	/* Words are NUL-terminated, the last one included. */
	if (len == 0 || body[len - 1] != '\0')
		return -EPROTO;
	while (i < len) {
		if (n == max)
			return -EPROTO;
		words[n++] = body + i;
		i += strlen(body + i) + 1;
	}
	return n;
}
