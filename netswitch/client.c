/* client.c: the stack's side of a switch port (attach, send, receive). */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netswitch.h"

/* Connect a SOCK_SEQPACKET socket to path; returns it or -errno. */
static int
client_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			s, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Map the rings and doorbells of an attached port; 0 or -errno. */
static int
client_map(struct nsw_port *p)
{
	struct nsw_layout	*l = &p->layout;
	struct ion_region	*r = &p->region;
	size_t			 ring = ion_ring_memsize(l->ring_slots,
				    sizeof(struct nsw_desc));
	int			 err;

	if ((err = nsw_layout_check(l, r->size)) != 0)
		return err;
	if ((err = ion_ring_attach(&p->rx, ion_region_at(r, l->rx, ring),
	    ring, ION_CONSUMER)) != 0 ||
	    (err = ion_ring_attach(&p->fill, ion_region_at(r, l->fill, ring),
	    ring, ION_PRODUCER)) != 0 ||
	    (err = ion_ring_attach(&p->tx, ion_region_at(r, l->tx, ring),
	    ring, ION_PRODUCER)) != 0 ||
	    (err = ion_ring_attach(&p->done, ion_region_at(r, l->done, ring),
	    ring, ION_CONSUMER)) != 0)
		return err;
	if ((err = ion_bell_attach(&p->bell_stack, ion_region_at(r,
	    l->bell_stack, sizeof(struct ion_bell_shm)),
	    sizeof(struct ion_bell_shm), p->efd_stack,
	    ION_BELL_SPIN_NS_DEFAULT)) != 0 ||
	    (err = ion_bell_attach(&p->bell_switch, ion_region_at(r,
	    l->bell_switch, sizeof(struct ion_bell_shm)),
	    sizeof(struct ion_bell_shm), p->efd_switch, 0)) != 0)
		return err;
	p->tx_free = calloc(l->tx_nbufs, sizeof(*p->tx_free));
	if (p->tx_free == NULL)
		return -ENOMEM;
	for (p->tx_nfree = 0; p->tx_nfree < l->tx_nbufs; p->tx_nfree++)
		p->tx_free[p->tx_nfree] = (uint32_t)(l->tx_bufs +
		    (uint64_t)(l->tx_nbufs - 1 - p->tx_nfree) * l->buf_size);
	return 0;
}

int
nsw_port_attach(struct nsw_port *p, const char *ctl_path,
    const uint8_t mac[6], const char *name, char *reason, size_t reasonlen)
{
	int sock;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (ctl_path == NULL)
		ctl_path = NSW_CTL_PATH_DEFAULT;
	if ((sock = client_connect(ctl_path)) < 0) {
		memset(p, 0, sizeof(*p));
		p->sock = p->efd_stack = p->efd_switch = p->region.fd = -1;
		return sock;
	}
	return nsw_port_attach_sock(p, sock, mac, name, 0, reason, reasonlen);
}

int
nsw_port_attach_sock(struct nsw_port *p, int sock, const uint8_t mac[6],
    const char *name, unsigned mtu, char *reason, size_t reasonlen)
{
	union {
		struct nsw_attached	ok;
		struct nsw_error	err;
		char			buf[512];
	} ans;
	struct nsw_attach	req;
	int			fds[3];
	unsigned		nfds = 3, i;
	ssize_t			n;
	int			err;

	memset(p, 0, sizeof(*p));
	p->efd_stack = p->efd_switch = p->region.fd = -1;
	p->sock = sock;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	memset(&req, 0, sizeof(req));
	nsw_hdr_init(&req.hdr, NSW_MSG_ATTACH, sizeof(req), 1);
	memcpy(req.mac, mac, 6);
	req.mtu = (uint16_t)(mtu <= NSW_MTU_MAX ? mtu : NSW_MTU_MAX + 1);
	snprintf(req.name, sizeof(req.name), "%s", name != NULL ? name : "");
	if (send(p->sock, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
		err = -errno;
		goto fail;
	}
	n = ion_recv_fds(p->sock, &ans, sizeof(ans), fds, &nfds);
	if (n < 0) {
		err = (int)n;
		goto fail;
	}
	if (n == 0) {
		err = -ECONNRESET;
		goto fail;
	}
	if (nsw_hdr_check(&ans, (size_t)n, NSW_MSG_ERROR,
	    sizeof(ans.err)) == 0) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (reason != NULL && reasonlen > 0)
			snprintf(reason, reasonlen, "%.*s",
			    (int)sizeof(ans.err.reason), ans.err.reason);
		err = ans.err.err > 0 && ans.err.err < 4096 ?
		    -ans.err.err : -EPROTO;
		goto fail;
	}
	if ((err = nsw_hdr_check(&ans, (size_t)n, NSW_MSG_ATTACHED,
	    sizeof(ans.ok))) != 0 || nfds != 3) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (err == 0)
			err = -EPROTO;
		goto fail;
	}
	p->port_id = ans.ok.port_id;
	p->layout = ans.ok.layout;
	p->mtu = ans.ok.mtu != 0 ? ans.ok.mtu : NSW_MTU_DEFAULT;
	if (p->mtu < NSW_MTU_MIN || p->mtu > NSW_MTU_MAX ||
	    p->mtu + NSW_FRAME_HDR > p->layout.buf_size) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		err = -EPROTO;
		goto fail;
	}
	p->efd_stack = fds[1];
	p->efd_switch = fds[2];
	if ((err = ion_region_map(&p->region, fds[0])) != 0) {
		close(fds[0]);
		goto fail;
	}
	if ((err = client_map(p)) != 0)
		goto fail;
	return 0;
fail:
	nsw_port_detach(p);
	return err;
}

void
nsw_port_detach(struct nsw_port *p)
{
	if (p->sock >= 0)
		close(p->sock);
	ion_region_unmap(&p->region);
	if (p->efd_stack >= 0)
		close(p->efd_stack);
	if (p->efd_switch >= 0)
		close(p->efd_switch);
	free(p->tx_free);
	p->tx_free = NULL;
	p->tx_nfree = 0;
	p->sock = p->efd_stack = p->efd_switch = -1;
}

/* Take back the tx buffers the switch has finished with. */
static int
client_reclaim(struct nsw_port *p)
{
	struct nsw_desc	d[64];
	const struct nsw_layout *l = &p->layout;
	int		n, i;

	n = ion_ring_dequeue_burst(&p->done, d, 64);
	for (i = 0; i < n; i++) {
		uint64_t rel = (uint64_t)d[i].off - l->tx_bufs;

		/* Only our own tx buffers, each at most once. */
		if (d[i].off < l->tx_bufs || rel % l->buf_size != 0 ||
		    rel / l->buf_size >= l->tx_nbufs ||
		    p->tx_nfree >= l->tx_nbufs)
			return -EPROTO;
		p->tx_free[p->tx_nfree++] = d[i].off;
	}
	return n;
}

/* Publish the queued descriptors (one index store for the batch). */
static int
client_publish(struct nsw_port *p)
{
	int rc;

	if (p->tx_npend == 0)
		return 0;
	/* The ring has a slot for every tx buffer: it cannot be full. */
	rc = ion_ring_enqueue_bulk(&p->tx, p->tx_pend, p->tx_npend);
	if (rc < 0)
		return rc;
	p->tx_npend = 0;
	return 0;
}

void *
nsw_port_send_reserve(struct nsw_port *p, size_t len, int *err)
{
	struct nsw_desc	*d;
	int		 rc;

	if (len < 14 || len > p->layout.buf_size) {
		*err = -EMSGSIZE;
		return NULL;
	}
	if (p->tx_nfree == 0 && (rc = client_reclaim(p)) < 0) {
		*err = rc;
		return NULL;
	}
	if (p->tx_nfree == 0) {
		*err = -ENOBUFS;
		return NULL;
	}
	d = &p->tx_pend[p->tx_npend];
	d->off = p->tx_free[p->tx_nfree - 1];
	d->len = (uint16_t)len;
	d->flags = 0;
	return (uint8_t *)p->region.base + d->off;
}

int
nsw_port_send_commit(struct nsw_port *p)
{
	p->tx_nfree--;
	if (++p->tx_npend == 32)
		return client_publish(p);
	return 0;
}

int
nsw_port_send(struct nsw_port *p, const void *frame, size_t len)
{
	void	*buf;
	int	 err;

	if ((buf = nsw_port_send_reserve(p, len, &err)) == NULL)
		return err;
	memcpy(buf, frame, len);
	return nsw_port_send_commit(p);
}

int
nsw_port_flush(struct nsw_port *p)
{
	int rc;

	if ((rc = client_publish(p)) < 0)
		return rc;
	rc = ion_bell_ring(&p->bell_switch);
	return rc < 0 ? rc : 0;
}

int
nsw_port_recv(struct nsw_port *p, struct nsw_desc *d, unsigned n)
{
	const struct nsw_layout *l = &p->layout;
	int	 got, i;

	got = ion_ring_dequeue_burst(&p->rx, d, n);
	for (i = 0; i < got; i++) {
		uint64_t rel = (uint64_t)d[i].off - l->rx_bufs;

		if (d[i].off < l->rx_bufs || rel % l->buf_size != 0 ||
		    rel / l->buf_size >= l->rx_nbufs ||
		    d[i].len > l->buf_size)
			return -EPROTO;
	}
	return got;
}

const void *
nsw_port_frame(const struct nsw_port *p, const struct nsw_desc *d)
{
	return ion_region_at(&p->region, d->off, d->len);
}

int
nsw_port_release(struct nsw_port *p, const struct nsw_desc *d, unsigned n)
{
	int rc;

	/* The fill ring holds every rx buffer, so this always fits. */
	rc = ion_ring_enqueue_bulk(&p->fill, d, n);
	if (rc < 0)
		return rc;
	return nsw_port_flush(p);
}

/* Ready when frames or returned tx buffers wait. */
static int
client_ready(void *arg)
{
	struct nsw_port	*p = arg;
	int64_t		 n = ion_ring_count(&p->rx);

	if (n != 0)
		return n < 0 ? (int)n : 1;
	return 0;
}

int
nsw_port_wait(struct nsw_port *p, int timeout_ms)
{
	return ion_bell_wait(&p->bell_stack, client_ready, p, timeout_ms);
}

int
nsw_port_addrs(struct nsw_port *p, const struct nsw_addrs *a)
{
	struct nsw_addrs	m = *a;
	union {
		struct nsw_hdr		h;
		struct nsw_error	e;
	} ans;
	ssize_t			n;

	if (m.n_ip4 > NSW_MAX_ADDRS || m.n_ip6 > NSW_MAX_ADDRS ||
	    m.n_groups > NSW_MAX_GROUPS)
		return -EINVAL;
	nsw_hdr_init(&m.hdr, NSW_MSG_ADDRS, sizeof(m), 2);
	if (send(p->sock, &m, sizeof(m), MSG_NOSIGNAL) != sizeof(m))
		return -errno;
	n = recv(p->sock, &ans, sizeof(ans), 0);
	if (n < 0)
		return -errno;
	if (nsw_hdr_check(&ans, (size_t)n, NSW_MSG_OK, sizeof(ans.h)) == 0)
		return 0;
	if (nsw_hdr_check(&ans, (size_t)n, NSW_MSG_ERROR, sizeof(ans.e)) == 0)
		return ans.e.err > 0 && ans.e.err < 4096 ? -ans.e.err : -EPROTO;
	return -EPROTO;
}
