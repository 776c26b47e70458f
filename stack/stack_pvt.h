/* stack_pvt.h: membrane-stack's own structures; not for other parts. */
#ifndef MEMBRANE_STACK_PVT_H
#define MEMBRANE_STACK_PVT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"

#include "netswitch.h"

#define STACK_NAME_MAX	32

struct stack_cfg {
	char		 name[STACK_NAME_MAX];
	const char	*switch_path;
	uint8_t		 mac[6];
	bool		 dhcp;
	ip4_addr_t	 addr, mask, gw;
	ip_addr_t	 dns[3];
	unsigned	 ndns;
	uint16_t	 mtu;
	const char	*bus_dir;	/* /run/membrane/bus/net */
	const char	*user;		/* the engine's, default nobody */
	bool		 sandbox_test;	/* try what the sandbox forbids */
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
};

/* netif.c: lwIP's network interface over the switch port. */
err_t	 stack_netif_init(struct netif *);
int	 stack_netif_poll(struct stack *);
void	 stack_netif_flush(struct stack *);
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

/* bus.c */
int	 bus_publish(const struct stack *);
void	 bus_remove(const struct stack *);

/* loop.c */
int	 loop_run(struct stack *);
int	 loop_attach(struct stack *);

#endif /* MEMBRANE_STACK_PVT_H */
