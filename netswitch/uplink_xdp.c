/* uplink_xdp.c: the AF_XDP uplink, with the project's own XDP program. */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "log.h"
#include "switch_pvt.h"
#include "uplink_pvt.h"

#define XU_FRAMES	4096
#define XU_FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define XU_RING		2048
/* A frame fits one UMEM frame after the kernel's headroom (copy mode). */
#define XU_MTU_MAX	(XU_FRAME_SIZE - XDP_PACKET_HEADROOM - NSW_FRAME_HDR)

struct xu {
	char			 ifname[IF_NAMESIZE];
	int			 ifindex;
	uint32_t		 queue;
	enum xdp_attach_mode	 mode;
	struct xdp_program	*prog;
	struct xsk_umem		*umem;
	struct xsk_socket	*xsk;
	struct xsk_ring_prod	 fq, tx;
	struct xsk_ring_cons	 cq, rx;
	void			*area;
	uint64_t		 free[XU_FRAMES];	/* free umem frames (tx) */
	uint32_t		 nfree;
	uint32_t		 tx_pending;
	int			 map_macs, map_ip4s;
	struct mac_set		 wanted;		/* what the maps hold */
};

struct xu_mac_key {
	uint8_t		addr[6];
	uint16_t	pad;
};

/* Take back tx frames the kernel has sent. */
static void
xu_complete(struct xu *x)
{
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&x->cq, XU_RING, &idx);
	for (i = 0; i < n; i++)
		x->free[x->nfree++] = *xsk_ring_cons__comp_addr(&x->cq, idx + i);
	if (n > 0)
		xsk_ring_cons__release(&x->cq, n);
}

static int
xu_rx(struct uplink *up, unsigned max,
    void (*deliver)(void *, const uint8_t *, uint32_t), void *ctx)
{
	struct xu	*x = up->priv;
	uint32_t	 idx_rx, idx_fq, n, i;

	n = xsk_ring_cons__peek(&x->rx, max, &idx_rx);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx,
		    idx_rx + i);
		const uint8_t *f = xsk_umem__get_data(x->area, d->addr);

		CNT_ADD(up->c.tx_frames, 1);
		CNT_ADD(up->c.tx_bytes, d->len);
		deliver(ctx, f, d->len);
	}
	/* Every frame read goes straight back to the fill ring. */
	while (xsk_ring_prod__reserve(&x->fq, n, &idx_fq) != n)
		;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx_fq + i) =
		    xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&x->rx,
		    idx_rx + i)->addr);
	xsk_ring_prod__submit(&x->fq, n);
	xsk_ring_cons__release(&x->rx, n);
	return (int)n;
}

static int
xu_tx(struct uplink *up, const uint8_t *f, uint32_t len, const uint8_t *smac)
{
	struct xu	*x = up->priv;
	struct xdp_desc	*d;
	uint32_t	 idx;

	if (len > XU_FRAME_SIZE)
		return -EMSGSIZE;
	if (x->nfree == 0)
		xu_complete(x);
	if (x->nfree == 0 || xsk_ring_prod__reserve(&x->tx, 1, &idx) != 1)
		return -ENOBUFS;
	d = xsk_ring_prod__tx_desc(&x->tx, idx);
	d->addr = x->free[--x->nfree];
	d->len = len;
	memcpy(xsk_umem__get_data(x->area, d->addr), f, len);
	if (smac != NULL)
		memcpy((uint8_t *)xsk_umem__get_data(x->area, d->addr) + 6,
		    smac, 6);
	xsk_ring_prod__submit(&x->tx, 1);
	x->tx_pending++;
	return 0;
}

static int
xu_flush(struct uplink *up)
{
	struct xu *x = up->priv;

	if (x->tx_pending > 0) {
		/* Copy mode sends only when kicked. */
		if (sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT,
		    NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY &&
		    errno != ENOBUFS && errno != ENETDOWN)
			return -errno;
		x->tx_pending = 0;
	}
	xu_complete(x);
	return 0;
}

static int
xu_fd(struct uplink *up)
{
	struct xu *x = up->priv;

	return xsk_socket__fd(x->xsk);
}

/* Bring the maps in line with what the stacks want; 0 or -errno. */
static int
xu_filter(struct uplink *up, const struct mac_set *want)
{
	struct xu	*x = up->priv;
	uint32_t	 one = 1, i;
	int		 err = 0;

	for (i = 0; i < x->wanted.n_macs; i++) {
		struct xu_mac_key k = { .pad = 0 };

		memcpy(k.addr, x->wanted.macs[i], 6);
		(void)bpf_map_delete_elem(x->map_macs, &k);
	}
	for (i = 0; i < x->wanted.n_ip4; i++)
		(void)bpf_map_delete_elem(x->map_ip4s, x->wanted.ip4[i]);
	for (i = 0; i < want->n_macs; i++) {
		struct xu_mac_key k = { .pad = 0 };

		memcpy(k.addr, want->macs[i], 6);
		if (bpf_map_update_elem(x->map_macs, &k, &one, BPF_ANY) < 0)
			err = -errno;
	}
	for (i = 0; i < want->n_ip4; i++)
		if (bpf_map_update_elem(x->map_ip4s, want->ip4[i], &one,
		    BPF_ANY) < 0)
			err = -errno;
	x->wanted = *want;
	return err;
}

/*
 * Take our program off the interface.  libxdp's detach looks the attached
 * program up by id, which takes CAP_SYS_ADMIN, long dropped by now; the
 * netlink request needs only CAP_NET_ADMIN, and with our program's fd as
 * the one to replace it never removes anybody else's.
 */
static void
xu_detach_prog(struct xu *x)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts,
	    .old_prog_fd = xdp_program__fd(x->prog));
	int rc;

	rc = bpf_xdp_detach(x->ifindex, x->mode == XDP_MODE_NATIVE ?
	    XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, &opts);
	if (rc < 0)
		log_warnx("%s: detaching the XDP program: %s", x->ifname,
		    strerror(-rc));
}

static void
xu_close(struct uplink *up)
{
	struct xu *x = up->priv;

	if (x->xsk != NULL)
		xsk_socket__delete(x->xsk);
	if (x->umem != NULL)
		xsk_umem__delete(x->umem);
	if (x->prog != NULL) {
		xu_detach_prog(x);
		xdp_program__close(x->prog);
	}
	if (x->area != NULL)
		munmap(x->area, (size_t)XU_FRAMES * XU_FRAME_SIZE);
	free(x);
	free(up);
}

static const struct uplink_ops xu_ops = {
	.name = "af_xdp",
	.rx = xu_rx,
	.tx = xu_tx,
	.flush = xu_flush,
	.fd = xu_fd,
	.filter = xu_filter,
	.close = xu_close,
};

/* libxdp's and libbpf's chatter goes to our log, at debug level. */
static int
xu_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char msg[512];

	if (level == LIBXDP_DEBUG || log_getverbose() < 1)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libxdp: %s", msg);
	return 0;
}

static int
xu_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[512];

	if (level == LIBBPF_DEBUG || log_getverbose() < 1)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libbpf: %s", msg);
	return 0;
}

/*
 * A membrane XDP program left on the interface by a switch that died is
 * ours to replace; any other program is somebody else's.  Returns 0 if the
 * interface is now free, or -EBUSY.
 */
static int
xu_clear_stale(struct xu *x)
{
	struct xdp_multiprog	*mp;
	struct xdp_program	*main_prog;
	int			 rc = 0;

	mp = xdp_multiprog__get_from_ifindex(x->ifindex);
	if (libxdp_get_error(mp) != 0 || mp == NULL)
		return 0;
	main_prog = xdp_multiprog__main_prog(mp);
	if (main_prog != NULL && xdp_multiprog__is_legacy(mp) &&
	    strcmp(xdp_program__name(main_prog), "membrane_xdp") == 0) {
		log_info("%s: replacing the XDP program of a switch that "
		    "did not detach it", x->ifname);
		rc = xdp_multiprog__detach(mp);
	} else if (main_prog != NULL)
		rc = -EBUSY;
	xdp_multiprog__close(mp);
	return rc;
}

/* Attach the XDP program, native mode first; 0 or -errno. */
static int
xu_attach_prog(struct xu *x, const char *obj, char *err, size_t errlen)
{
	struct bpf_object	*bo;
	int			 rc;

	libxdp_set_print(xu_libxdp_print);
	libbpf_set_print(xu_libbpf_print);
	if (xu_clear_stale(x) != 0) {
		snprintf(err, errlen, "%s already has an XDP program that is "
		    "not membrane's; detach it first (ip link set dev %s xdp "
		    "off)", x->ifname, x->ifname);
		return -EBUSY;
	}
	x->prog = xdp_program__open_file(obj, "xdp", NULL);
	rc = libxdp_get_error(x->prog);
	if (rc != 0) {
		x->prog = NULL;
		snprintf(err, errlen, "XDP program %s: %s", obj, strerror(-rc));
		return rc;
	}
	x->mode = XDP_MODE_NATIVE;
	rc = xdp_program__attach(x->prog, x->ifindex, x->mode, 0);
	if (rc != 0) {
		log_debug("%s: native XDP refused (%s); trying generic",
		    x->ifname, strerror(-rc));
		x->mode = XDP_MODE_SKB;
		rc = xdp_program__attach(x->prog, x->ifindex, x->mode, 0);
	}
	if (rc != 0) {
		snprintf(err, errlen, "attaching XDP to %s: %s%s", x->ifname,
		    strerror(-rc), rc == -EPERM ? " (needs CAP_NET_ADMIN and "
		    "CAP_BPF, or CAP_SYS_ADMIN)" : "");
		xdp_program__close(x->prog);
		x->prog = NULL;
		return rc;
	}
	bo = xdp_program__bpf_obj(x->prog);
	x->map_macs = bpf_object__find_map_fd_by_name(bo, "macs");
	x->map_ip4s = bpf_object__find_map_fd_by_name(bo, "ip4s");
	if (x->map_macs < 0 || x->map_ip4s < 0) {
		snprintf(err, errlen, "XDP program %s lacks its maps", obj);
		return -ENOENT;
	}
	return 0;
}

/* The interface's MTU, or 0 if it cannot be read. */
static unsigned
xu_if_mtu(const char *ifname)
{
	struct ifreq	ifr;
	int		s, rc;

	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(s, SIOCGIFMTU, &ifr);
	close(s);
	return rc < 0 || ifr.ifr_mtu <= 0 ? 0 : (unsigned)ifr.ifr_mtu;
}

/* Open af_xdp:IFACE[:QUEUE] with the XDP program in obj. */
struct uplink *
uplink_xdp_open(const char *arg, const char *obj, unsigned mtu, char *err,
    size_t errlen)
{
	struct xsk_umem_config	 ucfg = {
		.fill_size = XU_RING, .comp_size = XU_RING,
		.frame_size = XU_FRAME_SIZE, .frame_headroom = 0, .flags = 0,
	};
	struct xsk_socket_config scfg;
	struct uplink		*up;
	struct xu		*x;
	const char		*colon;
	uint32_t		 idx, i;
	int			 rc, map_xsks;

	up = calloc(1, sizeof(*up));
	x = calloc(1, sizeof(*x));
	if (up == NULL || x == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	up->ops = &xu_ops;
	up->priv = x;
	colon = strchr(arg, ':');
	if ((colon != NULL ? (size_t)(colon - arg) : strlen(arg)) >=
	    sizeof(x->ifname) || arg[0] == ':' || arg[0] == '\0') {
		snprintf(err, errlen, "af_xdp:%s: bad interface name", arg);
		goto fail;
	}
	memcpy(x->ifname, arg, colon != NULL ? (size_t)(colon - arg) :
	    strlen(arg));
	if (colon != NULL) {
		char *end;

		errno = 0;
		x->queue = (uint32_t)strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == colon + 1) {
			snprintf(err, errlen, "af_xdp:%s: bad queue number", arg);
			goto fail;
		}
	}
	if ((x->ifindex = (int)if_nametoindex(x->ifname)) == 0) {
		snprintf(err, errlen, "af_xdp: no interface named %s", x->ifname);
		goto fail;
	}
	if ((up->mtu = xu_if_mtu(x->ifname)) == 0)
		up->mtu = NSW_MTU_DEFAULT;
	up->mtu_max = XU_MTU_MAX;
	if (mtu > up->mtu) {
		snprintf(err, errlen, "--mtu %u: the MTU of %s is %u", mtu,
		    x->ifname, up->mtu);
		goto fail;
	}
	if (mtu > up->mtu_max) {
		snprintf(err, errlen, "--mtu %u: the af_xdp uplink carries at "
		    "most %u (a frame in one %u-byte UMEM frame)", mtu,
		    up->mtu_max, XU_FRAME_SIZE);
		goto fail;
	}
	if ((rc = xu_attach_prog(x, obj, err, errlen)) != 0)
		goto fail;
	x->area = mmap(NULL, (size_t)XU_FRAMES * XU_FRAME_SIZE,
	    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		snprintf(err, errlen, "umem: %s", strerror(errno));
		goto fail;
	}
	rc = xsk_umem__create(&x->umem, x->area,
	    (uint64_t)XU_FRAMES * XU_FRAME_SIZE, &x->fq, &x->cq, &ucfg);
	if (rc != 0) {
		x->umem = NULL;
		snprintf(err, errlen, "AF_XDP umem: %s", strerror(-rc));
		goto fail;
	}
	memset(&scfg, 0, sizeof(scfg));
	scfg.rx_size = XU_RING;
	scfg.tx_size = XU_RING;
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	/* Zero-copy where the driver offers it, copy mode otherwise. */
	scfg.bind_flags = XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP;
	rc = xsk_socket__create(&x->xsk, x->ifname, x->queue, x->umem,
	    &x->rx, &x->tx, &scfg);
	if (rc != 0) {
		scfg.bind_flags = XDP_COPY;
		rc = xsk_socket__create(&x->xsk, x->ifname, x->queue, x->umem,
		    &x->rx, &x->tx, &scfg);
	}
	if (rc != 0) {
		x->xsk = NULL;
		snprintf(err, errlen, "AF_XDP socket on %s queue %u: %s",
		    x->ifname, x->queue, strerror(-rc));
		goto fail;
	}
	map_xsks = bpf_object__find_map_fd_by_name(
	    xdp_program__bpf_obj(x->prog), "xsks");
	if (map_xsks < 0 || (rc = xsk_socket__update_xskmap(x->xsk,
	    map_xsks)) != 0) {
		snprintf(err, errlen, "registering the AF_XDP socket: %s",
		    strerror(map_xsks < 0 ? ENOENT : -rc));
		goto fail;
	}
	/* Half the frames feed the kernel's rx, half are ours for tx. */
	if (xsk_ring_prod__reserve(&x->fq, XU_FRAMES / 2, &idx) !=
	    XU_FRAMES / 2) {
		snprintf(err, errlen, "AF_XDP fill ring too small");
		goto fail;
	}
	for (i = 0; i < XU_FRAMES / 2; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) =
		    (uint64_t)i * XU_FRAME_SIZE;
	xsk_ring_prod__submit(&x->fq, XU_FRAMES / 2);
	for (i = XU_FRAMES / 2; i < XU_FRAMES; i++)
		x->free[x->nfree++] = (uint64_t)i * XU_FRAME_SIZE;
	log_info("af_xdp uplink on %s queue %u: XDP in %s mode, socket in "
	    "%s mode", x->ifname, x->queue,
	    x->mode == XDP_MODE_NATIVE ? "native" : "generic",
	    scfg.bind_flags & XDP_ZEROCOPY ? "zero-copy" : "copy");
	return up;
fail:
	if (up != NULL && x != NULL)
		xu_close(up);
	else {
		free(x);
		free(up);
	}
	return NULL;
}
