/* stack_pvt.h: membrane-stack's own structures; not for other parts. */
#ifndef MEMBRANE_STACK_PVT_H
#define MEMBRANE_STACK_PVT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "mbstack.h"
#include "netswitch.h"

#define STACK_NAME_MAX	32
#define STACK_MAX_APPS	256	/* apps attached at once */

/* What an epoll event is about: the low byte; the rest is an index. */
enum { EV_SIGNAL = 1, EV_BELL, EV_SWITCH, EV_ENDPOINT, EV_APP_SOCK,
    EV_APP_BELL };
#define EV_MAKE(type, idx)	((uint64_t)(type) | ((uint64_t)(idx) << 8))

struct stack_cfg {
	char		 name[STACK_NAME_MAX];
	const char	*switch_path;
	uint8_t		 mac[6];
	bool		 dhcp;
	ip4_addr_t	 addr, mask, gw;
	ip_addr_t	 dns[3];
	ip6_addr_t	 addr6;		/* static, if addr6_static */
	bool		 addr6_static;
	unsigned	 ndns;
	uint16_t	 mtu;
	const char	*bus_dir;	/* /run/membrane/bus/net */
	const char	*user;		/* the engine's, default nobody */
	bool		 sandbox_test;	/* try what the sandbox forbids */
	char		 endpoint[108];	/* the apps' unix socket */
	uid_t		 allow_uid[16];	/* who may attach */
	unsigned	 n_allow_uid;
	uint32_t	 max_socks;	/* per app, 2^n */
	uint32_t	 buf_size;	/* each socket ring, 2^n */
	uint64_t	 spin_ns;	/* busy-poll after work */
};

struct app;

/* One socket of an app: lwIP's pcb and our side of its rings. */
struct ssock {
	struct app		*app;
	uint32_t		 id;
	int			 family;	/* AF_INET, AF_INET6 */
	bool			 tcp;		/* else UDP */
	union {
		struct tcp_pcb	*tcp;
		struct udp_pcb	*udp;
	}			 pcb;		/* NULL once lwIP let it go */
	struct ion_stream	 rx;		/* we produce */
	struct ion_stream	 tx;		/* we consume */
	uint32_t		 state;		/* what we last published */
	/* Received, not yet in the rx ring: pbuf chains, oldest first. */
	struct pbuf		**rxq;
	unsigned		 rxq_n, rxq_cap;
	uint16_t		 rxq_off;	/* consumed from rxq[0] */
	bool			 closing;	/* the app closed; we finish */
	bool			 connect_failed; /* may connect again */
	bool			 closed;	/* tcp_close() done; bytes lent */
	uint32_t		 tx_lent;	/* tx ring bytes lwIP holds */
	bool			 shut_wr, shut_rd, fin_sent, fin_rcvd;
	bool			 accept_pending; /* not yet the app's */
	bool			 nodelay, v6only, reuse, broadcast;
	bool			 linger_on;
	int			 linger_secs;
	int			 rcvbuf, sndbuf;	/* as set, before doubling */
	int			 syncnt;
	/* Keep-alive times (s) and count set by the app, 0: lwIP's; kept
	   here for a listener, whose pcb has no room for them. */
	int			 keep_idle, keep_intvl, keep_cnt;
	/* A listener's queue of accepted ids the app has not taken. */
	uint32_t		*acq;
	unsigned		 acq_head, acq_n, acq_cap, backlog;
	/* Statistics. */
	uint64_t		 bytes_in, bytes_out, dgrams_in, dgrams_out;
	uint64_t		 drops, rtx, resets;
	uint8_t			 last_nrtx;
};

/* One app attached to the endpoint, and its region. */
struct app {
	struct stack		*st;
	unsigned		 idx;		/* in stack.apps */
	uint32_t		 id;
	pid_t			 pid;
	uid_t			 uid;
	char			 comm[16];
	int			 sock;		/* the endpoint connection */
	int			 efd_stack, efd_app;
	struct ion_region	 reg;
	struct mbs_region_hdr	 hdr;		/* ours; the region's is not trusted */
	struct ion_ring		 ctl, cpl, kick;
	struct ion_bell		 bell_stack, bell_app;
	struct mbs_sock_shm	*socks;
	struct ssock		**ss;		/* by id */
	uint32_t		*free_ids;	/* a stack of unused ids */
	uint32_t		 nfree;
	uint32_t		 nopen;		/* ids not yet free */
	bool			 dead;		/* no more requests, sockets closing */
	bool			 dirty;		/* ring bell_app at the end of the turn */
	bool			 broken;	/* a ring of it failed in a callback */
	uint64_t		 requests, kicks;
};

struct stack {
	struct stack_cfg	 cfg;
	struct nsw_port		 port;
	bool			 attached;
	struct netif		 netif;
	int			 epfd;
	unsigned		 tx_pending;	/* frames sent, not flushed */
	struct {
		uint8_t		 mac[6];
		unsigned	 refs;
	}			 groups[NSW_MAX_GROUPS];	/* joined */
	uint64_t		 rx_frames, tx_frames, rx_drops, tx_drops;
	int			 endpoint;	/* listening unix socket */
	struct app		*apps[STACK_MAX_APPS];
	unsigned		 napps;
	uint32_t		 next_app_id;
	unsigned		 busy;		/* turns with app work pending */
	time_t			 lease_acked;	/* the last DHCP ack, or 0 */
	uint16_t		 lease_used;	/* lwIP's lease clock then */
	unsigned		 lease_acks;
};

/* netif.c: lwIP's network interface over the switch port. */
err_t	 stack_netif_init(struct netif *);
int	 stack_netif_poll(struct stack *);
void	 stack_netif_flush(struct stack *);
/* timewait.c: a SYN beyond a TIME-WAIT connection's retires it first. */
void	 stack_timewait_syn(const void *frame, size_t len);
void	 stack_netif_addrs(struct stack *);

/* lwip_port.c */
void	 stack_lwip_seed(void);

/* priv.c: the monitor outside the sandbox. */
enum { PRIV_SWITCH = 1, PRIV_BUS_PUT, PRIV_BUS_DEL };
extern pid_t priv_monitor_pid;	/* the stack's main process */
void	 priv_start(const struct stack_cfg *);
int	 priv_switch_connect(void);
int	 priv_bus_publish(const char *, size_t);
void	 priv_bus_remove(void);

/* sandbox.c */
void	 sandbox_enter(const char *user);
void	 sandbox_selftest(void);

/* app.c: the apps' endpoint, their regions and rings. */
void	 app_endpoint_open(struct stack *);
void	 app_accept(struct stack *);
void	 app_sock_event(struct stack *, unsigned idx, uint32_t events);
int	 app_poll(struct stack *);
void	 app_flush(struct stack *);
bool	 app_arm(struct stack *);
void	 app_disarm(struct stack *);
void	 app_mark(struct app *);
void	 app_sock_gone(struct app *, uint32_t id);
struct mbs_sock_shm *app_shm(struct app *, uint32_t id);
void	*app_ring_mem(struct app *, uint32_t id, int tx, size_t *len);
void	 app_disconnect(struct app *, const char *why, bool graceful);

/* sock.c: the socket service over lwIP's raw API. */
void	 sock_request(struct app *, const struct mbs_req *, struct mbs_cpl *);
int	 sock_kick(struct app *, uint32_t id);
void	 sock_app_gone(struct app *, bool graceful);
void	 sock_stats(struct app *, void (*line)(void *, const char *), void *);
void	 sock_health_stats(const struct stack *,
	     void (*line)(void *, const char *), void *);

/* sock_opt.c: socket options. */
int	 sock_setopt(struct ssock *, const struct mbs_opt *);
int	 sock_getopt(struct ssock *, struct mbs_opt *);
/* An accepted socket takes its listener's options, as the kernel's. */
void	 sock_opt_inherit(struct ssock *ss, const struct ssock *ls);
/* The options ss holds, onto a new pcb of its own (a retried connect). */
void	 sock_opt_apply(struct ssock *ss);
void	 sock_publish(struct ssock *, uint32_t set, uint32_t clear);
void	 sock_set_error(struct ssock *, int err);

/* bus.c */
int	 bus_publish(const struct stack *);
void	 bus_remove(const struct stack *);
void	 bus_lease_watch(struct stack *);

/* loop.c */
int	 loop_run(struct stack *);
int	 loop_attach(struct stack *);

#endif /* MEMBRANE_STACK_PVT_H */
