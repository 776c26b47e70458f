/*
 * client.c: libmbsclient, one app's side of membrane-stack's app protocol:
 * the endpoint handshake, the region (validated before it is touched),
 * synchronous requests, kicks and the data calls on a socket's rings.
 *
 * The stack is trusted no more than it trusts us: the region's geometry is
 * copied and checked once, the rings check every index they read, and
 * every datagram record is checked before its bytes are used.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbstack.h"

#define CLIENT_HANDSHAKE_MS	10000	/* the stack answers a hello in this */
#define CLIENT_SLICE_MS		50	/* how often a waiting call looks for
					   a hang-up of the endpoint */

/* ------------------------------------------------------------------ */
/* The endpoint                                                        */

int
mbs_endpoint_path(char *buf, size_t len, const char *name)
{
	int n;

	if (buf == NULL || name == NULL || name[0] == '\0')
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s/%s", MBS_RUN_DIR, name,
	    MBS_ENDPOINT_NAME);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Connect a SOCK_SEQPACKET socket to path; returns it or -errno. */
static int
client_dial(const char *path)
{
	struct sockaddr_un	sun;
	struct timeval		tv;
	int			s, err;

	if (path == NULL)
		return -EINVAL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	/* A stack that never answers the handshake must not hang us. */
	tv.tv_sec = CLIENT_HANDSHAKE_MS / 1000;
	tv.tv_usec = (CLIENT_HANDSHAKE_MS % 1000) * 1000;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	return s;
}

static void
client_hdr(struct mbs_hdr *h, uint16_t type, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = MBS_MAGIC;
	h->version = MBS_VERSION;
	h->type = type;
	h->len = (uint32_t)len;
}

/* Check a message of n bytes from the stack: 0 if it is a type of len. */
static int
client_hdr_check(const void *buf, ssize_t n, uint16_t type, size_t len)
{
	struct mbs_hdr h;

	if (n < (ssize_t)sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != MBS_MAGIC || h.version != MBS_VERSION ||
	    h.len != (size_t)n)
		return -EPROTO;
	if (h.type != type || (size_t)n != len)
		return -ENOMSG;
	return 0;
}

/* A refusal: copy the stack's reason and return its errno, negated. */
static int
client_refused(const struct mbs_refused *r, char *reason, size_t reasonlen)
{
	if (reason != NULL && reasonlen > 0)
		snprintf(reason, reasonlen, "%.*s", (int)sizeof(r->reason),
		    r->reason);
	return r->err > 0 && r->err < 4096 ? -r->err : -EPROTO;
}

/* Receive errors of a blocking handshake, as the caller should see them. */
static int
client_recv_err(ssize_t n)
{
	if (n == 0)
		return -ECONNRESET;
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return -ETIMEDOUT;
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* The region                                                          */

/* Is [off, off + len) inside a region of size bytes?  No overflow. */
static bool
span_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Do [a, a + alen) and [b, b + blen) overlap?  Both already in range. */
static bool
span_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

/*
 * Validate the geometry the stack wrote at the start of the region (our
 * private copy in c->hdr): every area inside the region, aligned as the
 * rings require, none overlapping another.  0 or -EPROTO.
 */
static int
client_geometry(const struct mbs_region_hdr *h, uint64_t size)
{
	uint64_t	ctl_len, kick_len, bell_len, socks_len, data_len, ring_min;
	struct {
		uint64_t off, len;
	}		area[8];
	unsigned	i, j, n = 0;

	if (h->magic != MBS_REGION_MAGIC || h->version != MBS_VERSION ||
	    h->size != size)
		return -EPROTO;
	if (h->max_socks == 0 || h->max_socks > MBS_MAX_SOCKS ||
	    (h->max_socks & (h->max_socks - 1)) != 0)
		return -EPROTO;
	if (h->buf_size < MBS_BUF_MIN || h->buf_size > MBS_BUF_MAX ||
	    (h->buf_size & (h->buf_size - 1)) != 0)
		return -EPROTO;
	ctl_len = ion_ring_memsize(MBS_CTL_SLOTS, sizeof(struct mbs_req));
	kick_len = ion_ring_memsize(h->max_socks, sizeof(uint32_t));
	bell_len = sizeof(struct ion_bell_shm);
	socks_len = (uint64_t)h->max_socks * sizeof(struct mbs_sock_shm);
	ring_min = ion_stream_memsize(h->buf_size);
	if (ctl_len == 0 || kick_len == 0 || ring_min == 0)
		return -EPROTO;
	/* Each ring starts on its own index block, as the ring requires. */
	if (h->ring_len < ring_min || h->ring_len > MBS_BUF_MAX * 2ull ||
	    h->ring_len % ION_INDEX_ALIGN != 0 ||
	    h->sock_stride / 2 < h->ring_len ||
	    h->sock_stride % ION_INDEX_ALIGN != 0 ||
	    h->sock_stride > UINT64_MAX / MBS_MAX_SOCKS)
		return -EPROTO;
	data_len = (uint64_t)h->max_socks * h->sock_stride;
	if (h->off_ctl % ION_INDEX_ALIGN != 0 ||
	    h->off_cpl % ION_INDEX_ALIGN != 0 ||
	    h->off_kick % ION_INDEX_ALIGN != 0 ||
	    h->off_bell_stack % ION_INDEX_ALIGN != 0 ||
	    h->off_bell_app % ION_INDEX_ALIGN != 0 ||
	    h->off_socks % sizeof(struct mbs_sock_shm) != 0 ||
	    h->off_data % ION_INDEX_ALIGN != 0)
		return -EPROTO;
	area[n].off = 0;		area[n++].len = sizeof(*h);
	area[n].off = h->off_ctl;	area[n++].len = ctl_len;
	area[n].off = h->off_cpl;	area[n++].len = ctl_len;
	area[n].off = h->off_kick;	area[n++].len = kick_len;
	area[n].off = h->off_bell_stack; area[n++].len = bell_len;
	area[n].off = h->off_bell_app;	area[n++].len = bell_len;
	area[n].off = h->off_socks;	area[n++].len = socks_len;
	area[n].off = h->off_data;	area[n++].len = data_len;
	for (i = 0; i < n; i++) {
		if (!span_ok(area[i].off, area[i].len, size))
			return -EPROTO;
		for (j = 0; j < i; j++)
			if (span_overlap(area[i].off, area[i].len,
			    area[j].off, area[j].len))
				return -EPROTO;
	}
	return 0;
}

/* Attach our sides of the region's rings and bells; 0 or -errno. */
static int
client_attach(struct mbs_client *c)
{
	const struct mbs_region_hdr *h = &c->hdr;
	size_t		 ctl_len, kick_len, bell_len;
	int		 rc;

	ctl_len = ion_ring_memsize(MBS_CTL_SLOTS, sizeof(struct mbs_req));
	kick_len = ion_ring_memsize(h->max_socks, sizeof(uint32_t));
	bell_len = sizeof(struct ion_bell_shm);
	if ((rc = ion_ring_attach(&c->ctl, ion_region_at(&c->reg, h->off_ctl,
	    ctl_len), ctl_len, ION_PRODUCER)) < 0 ||
	    (rc = ion_ring_attach(&c->cpl, ion_region_at(&c->reg, h->off_cpl,
	    ctl_len), ctl_len, ION_CONSUMER)) < 0 ||
	    (rc = ion_ring_attach(&c->kick, ion_region_at(&c->reg, h->off_kick,
	    kick_len), kick_len, ION_PRODUCER)) < 0)
		return rc == -EINVAL ? -EPROTO : rc;
	/*
	 * The ring library checks the geometry against the memory; we check
	 * it is the protocol's, since our slots are copied in and out whole.
	 */
	if (c->ctl.count != MBS_CTL_SLOTS ||
	    c->ctl.slot_size != sizeof(struct mbs_req) ||
	    c->cpl.count != MBS_CTL_SLOTS ||
	    c->cpl.slot_size != sizeof(struct mbs_cpl) ||
	    c->kick.count != h->max_socks ||
	    c->kick.slot_size != sizeof(uint32_t))
		return -EPROTO;
	if ((rc = ion_bell_attach(&c->bell_stack, ion_region_at(&c->reg,
	    h->off_bell_stack, bell_len), bell_len, c->efd_stack, 0)) < 0 ||
	    (rc = ion_bell_attach(&c->bell_app, ion_region_at(&c->reg,
	    h->off_bell_app, bell_len), bell_len, c->efd_app,
	    MBS_APP_SPIN_NS)) < 0)
		return rc == -EINVAL ? -EPROTO : rc;
	c->socks = ion_region_at(&c->reg, h->off_socks,
	    (uint64_t)h->max_socks * sizeof(struct mbs_sock_shm));
	return c->socks == NULL ? -EPROTO : 0;
}

/* Make fd non-blocking; 0 or -errno. */
static int
client_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Everything the stack sent with its welcome; fills c or returns -errno. */
static int
client_welcome(struct mbs_client *c, const struct mbs_welcome *w, int fds[3])
{
	int rc;

	c->efd_stack = fds[1];
	c->efd_app = fds[2];
	if ((rc = ion_region_map(&c->reg, fds[0])) < 0) {
		close(fds[0]);
		return rc;
	}
	/* A write or a drain must never block on a descriptor the stack chose. */
	if ((rc = client_nonblock(c->efd_stack)) < 0 ||
	    (rc = client_nonblock(c->efd_app)) < 0)
		return rc;
	if (w->region_size != c->reg.size ||
	    c->reg.size < sizeof(struct mbs_region_hdr))
		return -EPROTO;
	/* One copy, read once: the stack may rewrite the original. */
	memcpy(&c->hdr, c->reg.base, sizeof(c->hdr));
	if ((rc = client_geometry(&c->hdr, c->reg.size)) < 0)
		return rc;
	c->app_id = w->app_id;
	return client_attach(c);
}

int
mbs_connect(struct mbs_client *c, const char *path, char *reason,
    size_t reasonlen)
{
	union {
		struct mbs_hdr		h;
		struct mbs_welcome	ok;
		struct mbs_refused	no;
		char			buf[512];
	}		 ans;
	struct mbs_hello hello;
	struct timeval	 tv;
	int		 fds[3], rc;
	unsigned	 nfds = 3, i;
	ssize_t		 n;

	memset(c, 0, sizeof(*c));
	c->sock = c->efd_stack = c->efd_app = c->reg.fd = -1;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if ((c->sock = client_dial(path)) < 0) {
		rc = c->sock;
		c->sock = -1;
		return rc;
	}
	memset(&hello, 0, sizeof(hello));
	client_hdr(&hello.h, MBS_MSG_HELLO, sizeof(hello));
	hello.pid = (uint32_t)getpid();
	if (prctl(PR_GET_NAME, hello.comm, 0, 0, 0) < 0)
		hello.comm[0] = '\0';
	hello.comm[sizeof(hello.comm) - 1] = '\0';
	if (send(c->sock, &hello, sizeof(hello), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(hello)) {
		rc = errno != 0 ? -errno : -EIO;
		goto fail;
	}
	n = ion_recv_fds(c->sock, &ans, sizeof(ans), fds, &nfds);
	if (n <= 0) {
		rc = client_recv_err(n);
		goto fail;
	}
	if (client_hdr_check(&ans, n, MBS_MSG_REFUSED, sizeof(ans.no)) == 0) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		rc = client_refused(&ans.no, reason, reasonlen);
		goto fail;
	}
	if ((rc = client_hdr_check(&ans, n, MBS_MSG_WELCOME,
	    sizeof(ans.ok))) < 0 || nfds != 3) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		rc = -EPROTO;
		goto fail;
	}
	if ((rc = client_welcome(c, &ans.ok, fds)) < 0)
		goto fail;
	/* From now on the connection only tells us when the stack goes. */
	memset(&tv, 0, sizeof(tv));
	(void)setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
fail:
	if (rc == -EPROTO && reason != NULL && reasonlen > 0 &&
	    reason[0] == '\0')
		snprintf(reason, reasonlen, "the stack's answer is malformed");
	mbs_disconnect(c);
	return rc;
}

void
mbs_disconnect(struct mbs_client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	ion_region_unmap(&c->reg);
	if (c->efd_stack >= 0)
		close(c->efd_stack);
	if (c->efd_app >= 0)
		close(c->efd_app);
	memset(c, 0, sizeof(*c));
	c->sock = c->efd_stack = c->efd_app = c->reg.fd = -1;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static uint64_t
client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Ready when a completion waits. */
static int
client_cpl_ready(void *arg)
{
	struct mbs_client	*c = arg;
	int64_t			 n = ion_ring_count(&c->cpl);

	if (n != 0)
		return n < 0 ? (int)n : 1;
	return 0;
}

/* Has the stack closed our endpoint connection?  Never blocks. */
static bool
client_hung_up(struct mbs_client *c)
{
	struct pollfd pfd;

	pfd.fd = c->sock;
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return false;
	return (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) != 0;
}

int
mbs_call(struct mbs_client *c, struct mbs_req *req, struct mbs_cpl *cpl,
    int timeout_ms)
{
	uint64_t	deadline = 0;
	int		rc, slice;

	if (c->sock < 0 || c->socks == NULL)
		return -ENOTCONN;
	req->tag = ++c->next_tag;
	if ((rc = ion_ring_enqueue_bulk(&c->ctl, req, 1)) < 0)
		return rc;
	if ((rc = ion_bell_ring(&c->bell_stack)) < 0)
		return rc;
	if (timeout_ms >= 0)
		deadline = client_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		slice = CLIENT_SLICE_MS;
		if (timeout_ms >= 0) {
			uint64_t now = client_now_ms();

			if (now >= deadline)
				slice = 0;
			else if (deadline - now < (uint64_t)slice)
				slice = (int)(deadline - now);
		}
		rc = ion_bell_wait(&c->bell_app, client_cpl_ready, c, slice);
		if (rc < 0 && rc != -EINTR)
			return rc;
		if (rc > 0) {
			if ((rc = ion_ring_dequeue_bulk(&c->cpl, cpl, 1)) < 0)
				return rc;
			if (cpl->tag == req->tag)
				return cpl->result;
			/*
			 * Completions come in order, one per request: an
			 * older tag answers a call that timed out before; any
			 * other is a stack that lost its way.
			 */
			if (cpl->tag == 0 || cpl->tag > req->tag)
				return -EPROTO;
			continue;
		}
		if (client_hung_up(c))
			return -ECONNRESET;
		if (timeout_ms >= 0 && client_now_ms() >= deadline)
			return -ETIMEDOUT;
	}
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */

int
mbs_sock_attach(struct mbs_client *c, uint32_t id, struct mbs_sock *s)
{
	const struct mbs_region_hdr *h = &c->hdr;
	uint64_t	off;
	void		*rx, *tx;
	int		 rc;

	memset(s, 0, sizeof(*s));
	if (c->socks == NULL)
		return -ENOTCONN;
	if (id >= h->max_socks)
		return -EBADF;
	/* client_geometry made sure the whole data area is in the region. */
	off = h->off_data + (uint64_t)id * h->sock_stride;
	rx = ion_region_at(&c->reg, off, h->ring_len);
	tx = ion_region_at(&c->reg, off + h->ring_len, h->ring_len);
	if (rx == NULL || tx == NULL)
		return -EPROTO;
	if ((rc = ion_stream_attach(&s->rx, rx, h->ring_len,
	    ION_CONSUMER)) < 0 ||
	    (rc = ion_stream_attach(&s->tx, tx, h->ring_len,
	    ION_PRODUCER)) < 0)
		return rc == -EINVAL ? -EPROTO : rc;
	if (s->rx.r.count != h->buf_size || s->tx.r.count != h->buf_size)
		return -EPROTO;
	s->id = id;
	s->shm = &c->socks[id];
	return 0;
}

int
mbs_kick(struct mbs_client *c, struct mbs_sock *s)
{
	/* Two slots: GCC cannot see that the ring's slots are 4 bytes. */
	uint32_t	id[2] = { s->id, 0 };
	int		rc;

	/*
	 * K2: a full fence orders our ring writes (or the drain) before the
	 * flag's exchange; pairs with the stack's exchange and fence (K1):
	 * either it clears the flag after our exchange and then sees our
	 * rings, or our exchange sees 0 and the id goes in the ring again.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_exchange_explicit(&s->shm->kick, 1,
	    memory_order_seq_cst) == 0) {
		if ((rc = ion_ring_enqueue_bulk(&c->kick, id, 1)) < 0)
			return rc;
	}
	rc = ion_bell_ring(&c->bell_stack);
	return rc < 0 ? rc : 0;
}

/* A socket's pending error, as a negative errno (dflt if none is set). */
static int
sock_err(const struct mbs_sock *s, int dflt)
{
	int e = atomic_load_explicit(&s->shm->error, memory_order_relaxed);

	return e > 0 && e < 4096 ? -e : dflt;
}

/* After a drain: kick if the stack holds bytes that wait for room. */
static int
sock_drained(struct mbs_client *c, struct mbs_sock *s)
{
	if (atomic_load_explicit(&s->shm->rx_wait, memory_order_relaxed) != 0)
		return mbs_kick(c, s);
	return 0;
}

ssize_t
mbs_send(struct mbs_client *c, struct mbs_sock *s, const void *buf,
    size_t len)
{
	uint32_t	state = mbs_sock_state(s);
	ssize_t		n;
	int		rc;

	if (!(state & MBS_S_STREAM))
		return mbs_sendto(c, s, buf, len, NULL);
	/* A connection that is gone takes nothing more. */
	if (state & MBS_S_RESET)
		return sock_err(s, -EPIPE);
	if (state & MBS_S_TX_SHUT)
		return -EPIPE;
	if (!(state & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
		return sock_err(s, -ENOTCONN);
	if (len == 0)
		return 0;
	if ((n = ion_stream_write(&s->tx, buf, len)) < 0)
		return n;
	if (n == 0)
		return (state & MBS_S_ERROR) ? sock_err(s, -EAGAIN) : -EAGAIN;
	if ((rc = mbs_kick(c, s)) < 0)
		return rc;
	return n;
}

ssize_t
mbs_recv(struct mbs_client *c, struct mbs_sock *s, void *buf, size_t len)
{
	uint32_t	state;
	ssize_t		n;
	int		rc;

	/*
	 * The state first: RX_EOF and RESET are published after the bytes
	 * before them (the stack's release store), so an empty ring read
	 * after a state that says so is really the end.
	 */
	state = mbs_sock_state(s);
	if (!(state & MBS_S_STREAM))
		return mbs_recvfrom(c, s, buf, len, NULL);
	if (len == 0)
		return 0;
	if ((n = ion_stream_read(&s->rx, buf, len)) < 0)
		return n;
	if (n > 0) {
		if ((rc = sock_drained(c, s)) < 0)
			return rc;
		return n;
	}
	if (state & (MBS_S_RESET | MBS_S_ERROR))
		return sock_err(s, 0);
	if (state & MBS_S_RX_EOF)
		return 0;
	if (!(state & (MBS_S_CONNECTED | MBS_S_CONNECTING)))
		return -ENOTCONN;
	return -EAGAIN;
}

/* Copy n bytes into a reserved view at offset off. */
static void
iov_put(struct iovec iov[2], size_t off, const void *src, size_t n)
{
	const unsigned char *p = src;

	while (n > 0) {
		size_t	seg = off < iov[0].iov_len ? 0 : 1;
		size_t	at = seg == 0 ? off : off - iov[0].iov_len;
		size_t	k = iov[seg].iov_len - at < n ? iov[seg].iov_len - at : n;

		memcpy((unsigned char *)iov[seg].iov_base + at, p, k);
		p += k;
		off += k;
		n -= k;
	}
}

/* Copy n bytes out of a peeked view at offset off. */
static void
iov_get(const struct iovec iov[2], size_t off, void *dst, size_t n)
{
	unsigned char *p = dst;

	while (n > 0) {
		size_t	seg = off < iov[0].iov_len ? 0 : 1;
		size_t	at = seg == 0 ? off : off - iov[0].iov_len;
		size_t	k = iov[seg].iov_len - at < n ? iov[seg].iov_len - at : n;

		memcpy(p, (const unsigned char *)iov[seg].iov_base + at, k);
		p += k;
		off += k;
		n -= k;
	}
}

ssize_t
mbs_sendto(struct mbs_client *c, struct mbs_sock *s, const void *buf,
    size_t len, const struct mbs_addr *to)
{
	static const unsigned char zero[MBS_DGRAM_ALIGN];
	struct mbs_dgram d;
	struct iovec	 iov[2];
	uint32_t	 state = mbs_sock_state(s);
	size_t		 space;
	ssize_t		 room;
	int		 rc;

	if (state & MBS_S_STREAM)
		return mbs_send(c, s, buf, len);
	if (len > MBS_DGRAM_MAX)
		return -EMSGSIZE;
	space = MBS_DGRAM_SPACE(len);
	if (space > c->hdr.buf_size)
		return -EMSGSIZE;
	if (to != NULL && to->family == 0)
		to = NULL;
	if (to != NULL && to->family != AF_INET && to->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (to == NULL && !(state & MBS_S_CONNECTED))
		return -EDESTADDRREQ;
	if ((room = ion_stream_reserve(&s->tx, iov)) < 0)
		return room;
	if ((size_t)room < space)
		return (state & MBS_S_ERROR) ? sock_err(s, -EAGAIN) : -EAGAIN;
	memset(&d, 0, sizeof(d));
	d.len = (uint32_t)len;
	if (to != NULL)
		d.addr = *to;
	/* Header, payload and padding go in, then the record is published. */
	iov_put(iov, 0, &d, sizeof(d));
	iov_put(iov, sizeof(d), buf, len);
	iov_put(iov, sizeof(d) + len, zero, space - sizeof(d) - len);
	if ((rc = ion_stream_commit(&s->tx, space)) < 0)
		return rc;
	if ((rc = mbs_kick(c, s)) < 0)
		return rc;
	return (ssize_t)len;
}

ssize_t
mbs_recvfrom(struct mbs_client *c, struct mbs_sock *s, void *buf,
    size_t len, struct mbs_addr *from)
{
	struct mbs_dgram d;
	struct iovec	 iov[2];
	uint32_t	 state = mbs_sock_state(s);
	size_t		 space;
	ssize_t		 avail;
	int		 rc;

	if (state & MBS_S_STREAM) {
		if (from != NULL)
			memset(from, 0, sizeof(*from));
		return mbs_recv(c, s, buf, len);
	}
	if ((avail = ion_stream_peek(&s->rx, iov)) < 0)
		return avail;
	if (avail == 0) {
		if (state & (MBS_S_RESET | MBS_S_ERROR))
			return sock_err(s, -EAGAIN);
		return (state & MBS_S_RX_EOF) ? 0 : -EAGAIN;
	}
	/* The stack publishes whole records: anything less is corruption. */
	if ((size_t)avail < sizeof(d))
		return -EPROTO;
	iov_get(iov, 0, &d, sizeof(d));
	if (d.len > MBS_DGRAM_MAX || (d.addr.family != 0 &&
	    d.addr.family != AF_INET && d.addr.family != AF_INET6))
		return -EPROTO;
	space = MBS_DGRAM_SPACE((size_t)d.len);
	if (space > (size_t)avail)
		return -EPROTO;
	iov_get(iov, sizeof(d), buf, len < d.len ? len : d.len);
	if (from != NULL)
		*from = d.addr;
	if ((rc = ion_stream_consume(&s->rx, space)) < 0)
		return rc;
	if ((rc = sock_drained(c, s)) < 0)
		return rc;
	return (ssize_t)d.len;
}

int
mbs_wait(struct mbs_client *c, int (*ready)(void *), void *arg,
    int timeout_ms)
{
	struct pollfd	pfd;
	int		rc;

	if (ready != NULL)
		return ion_bell_wait(&c->bell_app, ready, arg, timeout_ms);
	/* No condition: sleep until the stack rings us once. */
	ion_bell_arm(&c->bell_app);
	pfd.fd = c->efd_app;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		rc = -errno;
	else if (rc > 0 && (rc = ion_bell_drain(&c->bell_app)) == 0)
		rc = 1;
	ion_bell_disarm(&c->bell_app);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

/* Print a line of text from the stack, its control characters masked. */
static void
stats_print(FILE *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\0')
			break;
		if (ch != '\n' && ch != '\t' && (ch < 0x20 || ch == 0x7f))
			ch = '?';
		putc(ch, out);
	}
	putc('\n', out);
}

int
mbs_stats(const char *path, FILE *out, char *reason, size_t reasonlen)
{
	union {
		struct mbs_hdr		h;
		struct mbs_refused	no;
		char			buf[8192];
	}		 m;
	struct mbs_hdr	 req;
	int		 s, rc;
	ssize_t		 n;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if ((s = client_dial(path)) < 0)
		return s;
	client_hdr(&req, MBS_MSG_STATS, sizeof(req));
	if (send(s, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		rc = errno != 0 ? -errno : -EIO;
		goto out;
	}
	for (;;) {
		n = recv(s, &m, sizeof(m), MSG_TRUNC);
		if (n <= 0) {
			rc = client_recv_err(n < 0 ? -errno : 0);
			goto out;
		}
		if ((size_t)n > sizeof(m) || (size_t)n < sizeof(m.h) ||
		    m.h.magic != MBS_MAGIC || m.h.version != MBS_VERSION ||
		    m.h.len != (size_t)n) {
			rc = -EPROTO;
			goto out;
		}
		switch (m.h.type) {
		case MBS_MSG_STATS_LINE:
			stats_print(out, m.buf + sizeof(m.h),
			    (size_t)n - sizeof(m.h));
			break;
		case MBS_MSG_STATS_END:
			rc = fflush(out) == 0 ? 0 : -EIO;
			goto out;
		case MBS_MSG_REFUSED:
			if ((size_t)n != sizeof(m.no)) {
				rc = -EPROTO;
				goto out;
			}
			rc = client_refused(&m.no, reason, reasonlen);
			goto out;
		default:
			rc = -EPROTO;
			goto out;
		}
	}
out:
	close(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

int
mbs_addr_from_sa(struct mbs_addr *a, const struct sockaddr *sa,
    unsigned salen)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	sa_family_t		family;

	memset(a, 0, sizeof(*a));
	if (sa == NULL || salen < sizeof(family))
		return -EINVAL;
	memcpy(&family, &sa->sa_family, sizeof(family));
	switch (family) {
	case AF_UNSPEC:
		return 0;
	case AF_INET:
		if (salen < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		a->family = AF_INET;
		a->port = sin.sin_port;
		memcpy(a->addr, &sin.sin_addr, 4);
		return 0;
	case AF_INET6:
		if (salen < sizeof(sin6))
			return -EINVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		a->family = AF_INET6;
		a->port = sin6.sin6_port;
		a->scope_id = sin6.sin6_scope_id;
		memcpy(a->addr, &sin6.sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * The sockaddr of a; copies at most salen bytes and returns the full
 * length, as the kernel does for accept and getsockname (0: no address).
 */
unsigned
mbs_addr_to_sa(const struct mbs_addr *a, struct sockaddr *sa, unsigned salen)
{
	union {
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}		u;
	unsigned	len;

	memset(&u, 0, sizeof(u));
	switch (a->family) {
	case AF_INET:
		u.sin.sin_family = AF_INET;
		u.sin.sin_port = a->port;
		memcpy(&u.sin.sin_addr, a->addr, 4);
		len = sizeof(u.sin);
		break;
	case AF_INET6:
		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = a->port;
		u.sin6.sin6_scope_id = a->scope_id;
		memcpy(&u.sin6.sin6_addr, a->addr, 16);
		len = sizeof(u.sin6);
		break;
	default:
		return 0;
	}
	if (sa != NULL)
		memcpy(sa, &u, salen < len ? salen : len);
	return len;
}
