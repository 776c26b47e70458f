/* switch_pvt.h: membrane-switch's own structures; not for other parts. */
#ifndef MEMBRANE_SWITCH_PVT_H
#define MEMBRANE_SWITCH_PVT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "netswitch.h"

#define SW_MAX_PORTS		64
#define SW_BURST		32
#define SW_BAD_LIMIT		64	/* bad descriptors before detach */

/* A counter written by the data thread only, read by the control thread. */
#define CNT_ADD(c, v)	atomic_store_explicit(&(c), \
	atomic_load_explicit(&(c), memory_order_relaxed) + (v), \
	memory_order_relaxed)

struct sw_counters {
	_Atomic uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	_Atomic uint64_t drop_full, drop_spoof, drop_oversize, drop_runt;
	_Atomic uint64_t drop_baddesc, drop_nodest;
	_Atomic uint64_t fault_drop, fault_dup, fault_reorder, fault_corrupt;
};

/* A stack attached to the switch. */
struct port {
	uint32_t		 id;
	uint8_t			 mac[6];
	char			 name[NSW_NAME_MAX];
	pid_t			 pid;
	int			 sock;		/* control connection */
	struct ion_region	 region;
	struct nsw_layout	 layout;
	struct ion_ring		 rx, fill, tx, done;	/* our sides */
	struct ion_bell		 bell_stack;	/* we ring */
	struct ion_bell		 bell_switch;	/* we arm */
	int			 efd_stack;
	uint32_t		 mtu;
	uint32_t		 frame_max;	/* MTU + header + VLAN tag */
	struct nsw_addrs	 addrs;		/* control thread only */
	/* Data thread only: */
	uint32_t		*rx_free;	/* rx buffers we hold */
	uint32_t		 rx_nfree;
	uint8_t			*rx_lent;	/* 1: buffer is with the stack */
	struct nsw_desc		 rx_pend[SW_BURST];
	unsigned		 rx_npend;
	struct nsw_desc		 tx_hold[SW_BURST];	/* blocked on a full port */
	unsigned		 tx_nhold;
	struct nsw_desc		 done_pend[SW_BURST];
	unsigned		 done_npend;
	bool			 kick;		/* ring its bell after the batch */
	uint32_t		 bad;		/* bad descriptors so far */
	_Atomic bool		 doomed;	/* data thread asks for detach */
	struct sw_counters	 c;
};

/* Ports as the data thread sees them: an immutable snapshot under RCU. */
struct port_set {
	uint32_t	 n;
	struct port	*p[SW_MAX_PORTS];
	/* Open addressing over MACs, 4x the ports: index + 1, 0 empty. */
	uint8_t		 hash[4 * SW_MAX_PORTS];
	/* Each port's IPv4 addresses, copied from its ADDRS at snapshot time. */
	struct {
		uint32_t	n;
		uint8_t		a[NSW_MAX_ADDRS][4];
	}		 ip4[SW_MAX_PORTS];
};

/* What the stacks want from the wire: their MACs, groups and addresses. */
#define MAC_SET_MAX	(SW_MAX_PORTS * (1 + NSW_MAX_GROUPS))
struct mac_set {
	uint32_t	n_macs, n_ip4;
	uint8_t		macs[MAC_SET_MAX][6];
	uint8_t		ip4[SW_MAX_PORTS * NSW_MAX_ADDRS][4];
};

/* The uplink, behind one interface whatever the backend. */
struct uplink;
struct uplink_ops {
	const char	*name;
	/* Called once by the data thread before it uses the uplink; may be NULL. */
	void		(*thread_init)(struct uplink *);
	/* Take up to n frames; each handed to deliver(); returns count or -errno. */
	int		(*rx)(struct uplink *, unsigned n,
			    void (*deliver)(void *ctx, const uint8_t *, uint32_t),
			    void *ctx);
	/*
	 * Queue one frame for the wire (copied); 0 or -errno.  A non-NULL
	 * smac is stamped over the copy's source address (see fwd.c).
	 */
	int		(*tx)(struct uplink *, const uint8_t *, uint32_t,
			    const uint8_t *smac);
	/* Push queued frames out; 0 or -errno. */
	int		(*flush)(struct uplink *);
	/* A descriptor to sleep on, or -1 (then the loop polls with a timeout). */
	int		(*fd)(struct uplink *);
	/* The frames stacks want from the wire (AF_XDP filter); may be NULL. */
	int		(*filter)(struct uplink *, const struct mac_set *);
	void		(*close)(struct uplink *);
};
struct uplink {
	const struct uplink_ops	*ops;
	void			*priv;
	uint32_t		 mtu;		/* the link's, as the backend found it */
	uint32_t		 mtu_max;	/* the largest the backend carries */
	struct sw_counters	 c;
};

/* Fault injection on one direction. */
struct fault {
	double		drop, dup, reorder, corrupt;
	uint64_t	delay_ns;
};

/* A frame on its way through the fault injector. */
struct fault_entry {
	uint64_t	due;		/* CLOCK_MONOTONIC ns */
	uint32_t	src_id;		/* port id, 0 for the uplink */
	uint16_t	len;
	uint8_t		data[NSW_FRAME_MAX];
};

struct fault_q {
	struct fault		 cfg;
	bool			 on;
	uint64_t		 rng;
	struct fault_entry	*e;		/* FIFO */
	uint32_t		 head, tail;
	struct fault_entry	 held;		/* reordered: goes after the next */
	bool			 have_held;
};

struct sw {
	struct port_set		*ports;		/* RCU-protected */
	struct uplink		*up;		/* NULL for "none" */
	int			 efd_switch;	/* wakes the data thread */
	uint32_t		 nbufs;		/* per pool per port */
	uint32_t		 mtu;		/* the most a port may have */
	uint64_t		 spin_ns;
	struct fault_q		 fault_in;	/* frames from the wire */
	struct fault_q		 fault_out;	/* frames from the stacks */
	_Atomic bool		 stop;
};

/* port.c */
struct port	*port_create(struct sw *, const uint8_t mac[6], const char *,
		    uint32_t mtu, int sock, pid_t pid, int *err);
int		 port_send_attached(struct port *, int efd_switch);
void		 port_destroy(struct port *);
void		 counters_read(const struct sw_counters *, struct nsw_counters *);

/* portset.c */
struct port_set	*port_set_with(const struct port_set *, struct port *);
struct port_set	*port_set_without(const struct port_set *, const struct port *);
struct port_set	*port_set_copy(const struct port_set *);
struct port	*port_set_lookup(const struct port_set *, const uint8_t mac[6]);

/* fwd.c */
void		*fwd_main(void *);

/* ctl.c */
int		 ctl_listen(const char *path);
int		 ctl_serve(struct sw *, int lsock);
int		 ctl_stats(const char *path);

/* fault.c */
int		 fault_parse(struct fault *, const char *, char *, size_t);
int		 fault_init(struct fault_q *, const struct fault *, uint64_t seed);
bool		 fault_full(const struct fault_q *);
bool		 fault_pending(const struct fault_q *);
void		 fault_admit(struct fault_q *, struct sw_counters *, uint32_t,
		    const uint8_t *smac, const uint8_t *, uint32_t,
		    uint64_t now);
const struct fault_entry *fault_peek(struct fault_q *, uint64_t now);
void		 fault_pop(struct fault_q *);

/* priv.c */
int		 priv_check(const char *spec, char *err, size_t errlen);
void		 priv_drop(bool keep_admin);

/* uplink.c */
struct uplink	*uplink_open(const char *spec, const char *xdp_obj,
		    unsigned mtu, char *err, size_t errlen);
unsigned	 uplink_mtu(const struct uplink *, unsigned want);
void		 uplink_refilter(struct uplink *, const struct port_set *);

#endif /* MEMBRANE_SWITCH_PVT_H */
