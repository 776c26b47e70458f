/*
 * netswitch.h: what membrane-switch offers the stacks attached to it.
 *
 * A stack attaches over the switch's control socket (a unix SOCK_SEQPACKET
 * socket, one message per packet) with its MAC and receives a port: one
 * shared region holding a frame pool and four descriptor rings, in the
 * manner of an AF_XDP socket, and two doorbells.
 *
 *   rx       switch -> stack   frames for the stack, in rx buffers
 *   fill     stack -> switch   rx buffers the stack has finished with
 *   tx       stack -> switch   frames from the stack, in tx buffers
 *   done     switch -> stack   tx buffers the switch has finished with
 *
 * Each ring carries struct nsw_desc.  rx buffers belong to the switch until
 * it puts them on rx, and come back on fill; tx buffers belong to the stack
 * until it puts them on tx, and come back on done.  A descriptor naming a
 * buffer its sender does not own is dropped and counted, and a port that
 * keeps sending them is detached.
 *
 * The stack sleeps on the "stack" doorbell (rx and done), the switch on the
 * "switch" doorbell (tx and fill), both in the region.
 *
 * Control messages are versioned and size-checked: every message starts
 * with struct nsw_hdr, and a receiver checks magic, version, type and exact
 * length before it reads a field.
 */
#ifndef MEMBRANE_NETSWITCH_H
#define MEMBRANE_NETSWITCH_H

#include <stdint.h>

#include "ion.h"

#define NSW_CTL_PATH_DEFAULT	"/run/membrane/switch.sock"
#define NSW_MAGIC		0x4d425357u	/* "MBSW" */
#define NSW_VERSION		1u

#define NSW_BUF_SIZE		2048u	/* bytes per frame buffer, at least */
#define NSW_FRAME_MIN		60u	/* Ethernet minimum, without FCS */
#define NSW_FRAME_HDR		18u	/* Ethernet header and a VLAN tag */
#define NSW_MTU_DEFAULT		1500u
#define NSW_MTU_MIN		576u
#define NSW_MTU_MAX		9000u	/* jumbo frames */
#define NSW_FRAME_MAX		(NSW_MTU_MAX + NSW_FRAME_HDR)
/* A port's frame buffers: 2 KiB up to a 1500-byte MTU, whole KiB above. */
#define NSW_BUF_FOR_MTU(m)	((m) + NSW_FRAME_HDR <= NSW_BUF_SIZE ? \
				 NSW_BUF_SIZE : ((m) + NSW_FRAME_HDR + 1023u) & ~1023u)
#define NSW_BUF_SIZE_MAX	NSW_BUF_FOR_MTU(NSW_MTU_MAX)
#define NSW_RING_SLOTS		1024u	/* descriptors per ring */
#define NSW_NAME_MAX		32u	/* port name, NUL included */
#define NSW_MAX_ADDRS		16u	/* addresses a stack may register */
#define NSW_MAX_GROUPS		16u	/* multicast MACs a stack may join */

/* One frame: a buffer (by offset into the region) and its length. */
struct nsw_desc {
	uint32_t	off;		/* from the start of the region */
	uint16_t	len;
	uint16_t	flags;		/* 0; reserved */
};

enum nsw_msg_type {
	NSW_MSG_ATTACH = 1,	/* stack -> switch: struct nsw_attach */
	NSW_MSG_ATTACHED,	/* switch -> stack: struct nsw_attached + fds */
	NSW_MSG_ADDRS,		/* stack -> switch: struct nsw_addrs */
	NSW_MSG_DETACH,		/* stack -> switch: struct nsw_hdr */
	NSW_MSG_LIST,		/* anyone -> switch: struct nsw_hdr */
	NSW_MSG_PORT,		/* switch -> asker: struct nsw_port_info */
	NSW_MSG_END,		/* switch -> asker: struct nsw_hdr, list done */
	NSW_MSG_OK,		/* switch -> asker: struct nsw_hdr */
	NSW_MSG_ERROR,		/* switch -> asker: struct nsw_error */
	NSW_MSG_MAX
};

struct nsw_hdr {
	uint32_t	magic;
	uint16_t	version;
	uint16_t	type;		/* enum nsw_msg_type */
	uint32_t	len;		/* whole message, header included */
	uint32_t	seq;		/* echoed in the answer */
};

struct nsw_attach {
	struct nsw_hdr	hdr;
	uint8_t		mac[6];
	uint16_t	mtu;		/* 0: the switch's */
	char		name[NSW_NAME_MAX];
};

/*
 * Where everything lies in the port's region (offsets from its start).
 * A stack checks every offset against the region's size before use.
 */
struct nsw_layout {
	uint64_t	region_size;
	uint64_t	rx, fill, tx, done;	/* descriptor rings */
	uint64_t	bell_stack, bell_switch; /* struct ion_bell_shm */
	uint64_t	rx_bufs, tx_bufs;	/* first buffer of each pool */
	uint32_t	ring_slots;
	uint32_t	rx_nbufs, tx_nbufs;
	uint32_t	buf_size;
};

/* Answer to ATTACH; carries three fds: region, stack's and switch's eventfd. */
struct nsw_attached {
	struct nsw_hdr		hdr;
	uint32_t		port_id;
	uint32_t		mtu;		/* the port's; 0 (older): 1500 */
	struct nsw_layout	layout;
};

/* The stack's addresses and groups, so the uplink's filter can pass them. */
struct nsw_addrs {
	struct nsw_hdr	hdr;
	uint32_t	n_ip4, n_ip6, n_groups, pad;
	uint8_t		ip4[NSW_MAX_ADDRS][4];
	uint8_t		ip6[NSW_MAX_ADDRS][16];
	uint8_t		groups[NSW_MAX_GROUPS][6];	/* multicast MACs */
	uint16_t	pad2[NSW_MAX_GROUPS];
};

struct nsw_error {
	struct nsw_hdr	hdr;
	int32_t		err;		/* positive errno */
	char		reason[124];	/* NUL-terminated */
};

/* Counters of one port (port_id 0 is the uplink). */
struct nsw_counters {
	uint64_t	rx_frames, rx_bytes;	/* delivered to the port */
	uint64_t	tx_frames, tx_bytes;	/* received from the port */
	uint64_t	drop_full;		/* its rx ring or pool was full */
	uint64_t	drop_spoof;		/* source MAC not its own */
	uint64_t	drop_oversize;		/* longer than the MTU allows */
	uint64_t	drop_runt;		/* shorter than a header */
	uint64_t	drop_baddesc;		/* descriptor out of bounds */
	uint64_t	drop_nodest;		/* unicast for nobody */
	uint64_t	fault_drop, fault_dup, fault_reorder, fault_corrupt;
};

struct nsw_port_info {
	struct nsw_hdr		hdr;
	uint32_t		port_id;
	uint32_t		pid;		/* the stack's, 0 for the uplink */
	uint8_t			mac[6];
	uint16_t		pad;
	char			name[NSW_NAME_MAX];
	struct nsw_counters	c;
};

/* ------------------------------------------------------------------ */
/* The stack's side of a port (netswitch/client.c).                    */

struct nsw_port {
	int			sock;		/* control socket */
	uint32_t		port_id;
	struct ion_region	region;
	struct nsw_layout	layout;
	struct ion_ring		rx, fill, tx, done;
	struct ion_bell		bell_stack;	/* we wait on this */
	struct ion_bell		bell_switch;	/* we ring this */
	int			efd_stack, efd_switch;
	uint32_t		*tx_free;	/* stack of free tx buffers */
	uint32_t		 tx_nfree;
	struct nsw_desc		 tx_pend[32];	/* sent, not yet published */
	uint32_t		 tx_npend;
	uint32_t		 mtu;		/* what the switch carries for us */
};

/*
 * Attach to the switch at ctl_path as a port with mac and name.  On success
 * the region is mapped, every offset in the layout checked, and all tx
 * buffers are ours.  Returns 0 or -errno; reason (if not NULL) receives the
 * switch's explanation of a refusal.
 */
int	nsw_port_attach(struct nsw_port *p, const char *ctl_path,
	    const uint8_t mac[6], const char *name, char *reason,
	    size_t reasonlen);
/*
 * The same over a socket already connected to the switch (taken over),
 * asking for an MTU (0: the switch's own); p->mtu says what was granted.
 */
int	nsw_port_attach_sock(struct nsw_port *p, int sock, const uint8_t mac[6],
	    const char *name, unsigned mtu, char *reason, size_t reasonlen);
/* Close the control socket and unmap; the switch detaches the port. */
void	nsw_port_detach(struct nsw_port *p);

/*
 * Queue one frame for the switch (copied).  Frames are published to the
 * switch in batches: by nsw_port_flush, or every 32 frames.
 * Returns 0, -ENOBUFS (every tx buffer in flight), -EMSGSIZE or -errno.
 */
int	nsw_port_send(struct nsw_port *p, const void *frame, size_t len);
/*
 * The same without the copy: a tx buffer for a frame of len bytes (NULL
 * and *err set as nsw_port_send would return it), to fill and then queue
 * with nsw_port_send_commit.  One reservation at a time.
 */
void	*nsw_port_send_reserve(struct nsw_port *p, size_t len, int *err);
int	nsw_port_send_commit(struct nsw_port *p);
/* Publish queued frames and wake the switch if it sleeps. 0 or -errno. */
int	nsw_port_flush(struct nsw_port *p);
/*
 * Take up to n received frames; each stays ours until released.  Returns
 * the count or -errno (-EPROTO: the switch handed us a bad descriptor).
 */
int	nsw_port_recv(struct nsw_port *p, struct nsw_desc *d, unsigned n);
/* The bytes of a received frame (validated at receive). */
const void *nsw_port_frame(const struct nsw_port *p, const struct nsw_desc *d);
/* Give received frames' buffers back to the switch. 0 or -errno. */
int	nsw_port_release(struct nsw_port *p, const struct nsw_desc *d,
	    unsigned n);
/* Wait up to timeout_ms (-1: forever) for frames. >0 ready, 0 timeout, <0 error. */
int	nsw_port_wait(struct nsw_port *p, int timeout_ms);
/* Tell the switch our addresses and multicast groups. 0 or -errno. */
int	nsw_port_addrs(struct nsw_port *p, const struct nsw_addrs *a);

/* Layout of a port region with nbufs buffers in each pool. */
void	nsw_layout_compute(struct nsw_layout *l, uint32_t nbufs,
	    uint32_t buf_size);
/* Check a layout received from the switch against the mapped size. */
int	nsw_layout_check(const struct nsw_layout *l, size_t region_size);

/* Fill *hdr for a message of type and total length len. */
void	nsw_hdr_init(struct nsw_hdr *hdr, enum nsw_msg_type type,
	    uint32_t len, uint32_t seq);
/* Check a received message: 0, or -EPROTO/-EMSGSIZE with a reason. */
int	nsw_hdr_check(const void *buf, size_t n, enum nsw_msg_type type,
	    size_t len);

#endif /* MEMBRANE_NETSWITCH_H */
