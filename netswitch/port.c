/* port.c: a stack's port: its region, rings, doorbells and buffers. */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "switch_pvt.h"

/* Lay out and attach one ring of the port; 0 or -errno. */
static int
port_ring(struct port *p, struct ion_ring *r, uint64_t off,
    enum ion_role role)
{
	size_t	 len = ion_ring_memsize(p->layout.ring_slots,
		    sizeof(struct nsw_desc));
	void	*mem = ion_region_at(&p->region, off, len);
	int	 err;

	if ((err = ion_ring_format(mem, len, p->layout.ring_slots,
	    sizeof(struct nsw_desc))) != 0)
		return err;
	return ion_ring_attach(r, mem, len, role);
}

/* Lay out and attach one doorbell; 0 or -errno. */
static int
port_bell(struct port *p, struct ion_bell *b, uint64_t off, int efd,
    uint64_t spin_ns)
{
	void *mem = ion_region_at(&p->region, off, sizeof(struct ion_bell_shm));

	if (mem == NULL)
		return -EINVAL;
	ion_bell_format(mem);
	return ion_bell_attach(b, mem, sizeof(struct ion_bell_shm), efd,
	    spin_ns);
}

struct port *
port_create(struct sw *sw, const uint8_t mac[6], const char *name,
    uint32_t mtu, int sock, pid_t pid, int *errp)
{
	struct port	*p;
	struct nsw_layout *l;
	uint32_t	 i;
	int		 err;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*errp = -ENOMEM;
		return NULL;
	}
	p->sock = sock;
	p->pid = pid;
	p->efd_stack = -1;
	p->region.fd = -1;
	memcpy(p->mac, mac, 6);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->mtu = mtu;
	p->frame_max = mtu + NSW_FRAME_HDR;
	l = &p->layout;
	nsw_layout_compute(l, sw->nbufs, NSW_BUF_FOR_MTU(mtu));
	if ((err = ion_region_create(&p->region, "membrane-port",
	    l->region_size)) != 0)
		goto fail;
	if ((p->efd_stack = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = port_ring(p, &p->rx, l->rx, ION_PRODUCER)) != 0 ||
	    (err = port_ring(p, &p->fill, l->fill, ION_CONSUMER)) != 0 ||
	    (err = port_ring(p, &p->tx, l->tx, ION_CONSUMER)) != 0 ||
	    (err = port_ring(p, &p->done, l->done, ION_PRODUCER)) != 0 ||
	    (err = port_bell(p, &p->bell_stack, l->bell_stack, p->efd_stack,
	    0)) != 0 ||
	    (err = port_bell(p, &p->bell_switch, l->bell_switch,
	    sw->efd_switch, sw->spin_ns)) != 0)
		goto fail;
	p->rx_free = calloc(l->rx_nbufs, sizeof(*p->rx_free));
	p->rx_lent = calloc(l->rx_nbufs, 1);
	if (p->rx_free == NULL || p->rx_lent == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < l->rx_nbufs; i++)
		p->rx_free[i] = (uint32_t)(l->rx_bufs +
		    (uint64_t)(l->rx_nbufs - 1 - i) * l->buf_size);
	p->rx_nfree = l->rx_nbufs;
	return p;
fail:
	*errp = err;
	p->sock = -1;
	port_destroy(p);
	return NULL;
}

/* Answer an ATTACH with the layout and the three descriptors. */
int
port_send_attached(struct port *p, int efd_switch)
{
	struct nsw_attached	m;
	int			fds[3];

	memset(&m, 0, sizeof(m));
	nsw_hdr_init(&m.hdr, NSW_MSG_ATTACHED, sizeof(m), 1);
	m.port_id = p->id;
	m.mtu = p->mtu;
	m.layout = p->layout;
	fds[0] = p->region.fd;
	fds[1] = p->efd_stack;
	fds[2] = efd_switch;
	return ion_send_fds(p->sock, &m, sizeof(m), fds, 3);
}

void
port_destroy(struct port *p)
{
	if (p == NULL)
		return;
	if (p->sock >= 0)
		close(p->sock);
	if (p->efd_stack >= 0)
		close(p->efd_stack);
	ion_region_unmap(&p->region);
	free(p->rx_free);
	free(p->rx_lent);
	free(p);
}

/* A consistent-enough copy of the counters (each read atomically). */
void
counters_read(const struct sw_counters *c, struct nsw_counters *o)
{
#define CNT_GET(f) o->f = atomic_load_explicit(&c->f, memory_order_relaxed)
	CNT_GET(rx_frames); CNT_GET(rx_bytes);
	CNT_GET(tx_frames); CNT_GET(tx_bytes);
	CNT_GET(drop_full); CNT_GET(drop_spoof); CNT_GET(drop_oversize);
	CNT_GET(drop_runt); CNT_GET(drop_baddesc); CNT_GET(drop_nodest);
	CNT_GET(fault_drop); CNT_GET(fault_dup); CNT_GET(fault_reorder);
	CNT_GET(fault_corrupt);
#undef CNT_GET
}
