/* uplink_dpdk.c: a DPDK port as the uplink (a NIC or any vdev). */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "log.h"
#include "uplink_pvt.h"

#define DU_MAX_ARGS	64
#define DU_RING		1024
#define DU_MBUFS	8191
#define DU_BURST	64

struct du {
	uint16_t		 port;
	struct rte_mempool	*pool;
	struct rte_mbuf		*txq[DU_BURST];
	unsigned		 ntx;
};

static void
du_thread_init(struct uplink *up)
{
	(void)up;
	/* An lcore id gives this thread its own mempool cache. */
	if (rte_thread_register() != 0)
		log_warnx("dpdk: rte_thread_register: %s",
		    rte_strerror(rte_errno));
}

static int
du_rx(struct uplink *up, unsigned max,
    void (*deliver)(void *, const uint8_t *, uint32_t), void *ctx)
{
	struct du	*d = up->priv;
	struct rte_mbuf	*b[DU_BURST];
	uint8_t		 lin[RTE_ETHER_MAX_JUMBO_FRAME_LEN];
	uint16_t	 n, i;

	if (max > DU_BURST)
		max = DU_BURST;
	n = rte_eth_rx_burst(d->port, 0, b, (uint16_t)max);
	for (i = 0; i < n; i++) {
		uint32_t	 len = rte_pktmbuf_pkt_len(b[i]);
		const uint8_t	*f;

		CNT_ADD(up->c.tx_frames, 1);
		CNT_ADD(up->c.tx_bytes, len);
		if (len > sizeof(lin)) {
			CNT_ADD(up->c.drop_oversize, 1);
			continue;
		}
		/* Chained mbufs are copied out into one piece. */
		f = rte_pktmbuf_read(b[i], 0, len, lin);
		if (f != NULL)
			deliver(ctx, f, len);
	}
	if (n > 0)
		rte_pktmbuf_free_bulk(b, n);
	return n;
}

static int
du_flush(struct uplink *up)
{
	struct du	*d = up->priv;
	uint16_t	 sent;

	if (d->ntx == 0)
		return 0;
	sent = rte_eth_tx_burst(d->port, 0, d->txq, (uint16_t)d->ntx);
	if (sent < d->ntx) {
		CNT_ADD(up->c.drop_full, d->ntx - sent);
		rte_pktmbuf_free_bulk(d->txq + sent, d->ntx - sent);
	}
	d->ntx = 0;
	return 0;
}

static int
du_tx(struct uplink *up, const uint8_t *f, uint32_t len, const uint8_t *smac)
{
	struct du	*d = up->priv;
	struct rte_mbuf	*m;
	char		*p;

	if ((m = rte_pktmbuf_alloc(d->pool)) == NULL)
		return -ENOBUFS;
	if ((p = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	memcpy(p, f, len);
	if (smac != NULL)
		memcpy(p + 6, smac, 6);
	d->txq[d->ntx++] = m;
	if (d->ntx == DU_BURST)
		du_flush(up);
	return 0;
}

static int
du_fd(struct uplink *up)
{
	(void)up;
	return -1;	/* polled */
}

static void
du_close(struct uplink *up)
{
	struct du *d = up->priv;

	du_flush(up);
	rte_eth_dev_stop(d->port);
	rte_eth_dev_close(d->port);
	rte_eal_cleanup();
	free(d);
	free(up);
}

static const struct uplink_ops du_ops = {
	.name = "dpdk",
	.thread_init = du_thread_init,
	.rx = du_rx,
	.tx = du_tx,
	.flush = du_flush,
	.fd = du_fd,
	.filter = NULL,		/* the port is ours: promiscuous */
	.close = du_close,
};

/* Split the EAL arguments at white space into argv (modifies buf). */
static int
du_split(char *buf, char **argv, int max)
{
	int	 argc = 0;
	char	*save = NULL, *tok;

	argv[argc++] = (char *)"membrane-switch";
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (argc >= max - 1)
			return -1;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

struct uplink *
uplink_dpdk_open(const char *arg, unsigned mtu, char *err, size_t errlen)
{
	struct rte_eth_conf	 conf;
	struct rte_eth_dev_info	 info;
	struct uplink		*up = NULL;
	struct du		*d = NULL;
	char			*buf = NULL, *argv[DU_MAX_ARGS];
	const char		*step;
	cpu_set_t		 cpus;
	uint16_t		 port, nports = 0;
	int			 argc, rc;

	buf = strdup(arg);
	if (buf == NULL || (argc = du_split(buf, argv, DU_MAX_ARGS)) < 0) {
		snprintf(err, errlen, "dpdk: too many EAL arguments");
		goto fail;
	}
	/* EAL pins the calling thread; the switch places its own threads. */
	sched_getaffinity(0, sizeof(cpus), &cpus);
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(err, errlen, "dpdk: EAL initialisation failed: %s "
		    "(arguments: %s)", rte_strerror(rte_errno), arg);
		goto fail;
	}
	sched_setaffinity(0, sizeof(cpus), &cpus);
	RTE_ETH_FOREACH_DEV(port)
		nports++;
	if (nports != 1) {
		snprintf(err, errlen, "dpdk: %u ports found; give EAL "
		    "arguments that leave exactly one (e.g. --no-pci "
		    "--vdev=net_af_packet0,iface=IFACE)", nports);
		goto fail_eal;
	}
	port = 0;
	RTE_ETH_FOREACH_DEV(port)
		break;
	up = calloc(1, sizeof(*up));
	d = calloc(1, sizeof(*d));
	if (up == NULL || d == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail_eal;
	}
	d->port = port;
	memset(&info, 0, sizeof(info));
	if ((rc = rte_eth_dev_info_get(port, &info)) != 0) {
		snprintf(err, errlen, "dpdk: port %u: %s", port,
		    rte_strerror(-rc));
		goto fail_eal;
	}
	{
		uint16_t m;

		up->mtu = rte_eth_dev_get_mtu(port, &m) == 0 ? m :
		    NSW_MTU_DEFAULT;
	}
	/* What the driver carries: its MTU limit, and its frame limit. */
	up->mtu_max = info.max_mtu < NSW_MTU_MAX ? info.max_mtu : NSW_MTU_MAX;
	if (info.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN &&
	    info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN <
	    up->mtu_max)
		up->mtu_max = info.max_rx_pktlen - RTE_ETHER_HDR_LEN -
		    RTE_ETHER_CRC_LEN;
	if (mtu > up->mtu_max) {
		snprintf(err, errlen, "--mtu %u: the DPDK port (%s) carries at "
		    "most %u", mtu, info.driver_name != NULL ?
		    info.driver_name : "?", up->mtu_max);
		goto fail_eal;
	}
	/*
	 * A port reports its driver's default MTU, not the interface's;
	 * asking for more, within the limit above, sets the port's MTU, as
	 * any DPDK application does, and the driver may still say no.
	 */
	if (mtu > up->mtu) {
		if ((rc = rte_eth_dev_set_mtu(port, (uint16_t)mtu)) != 0) {
			snprintf(err, errlen, "--mtu %u: the DPDK port's MTU is "
			    "%u and its driver (%s) refuses %u: %s", mtu,
			    up->mtu, info.driver_name != NULL ?
			    info.driver_name : "?", mtu, rte_strerror(-rc));
			goto fail_eal;
		}
		up->mtu = mtu;
	}
	/* Every frame in one mbuf: room for the largest the switch passes. */
	if (mtu == 0)
		mtu = up->mtu < up->mtu_max ? up->mtu : up->mtu_max;
	d->pool = rte_pktmbuf_pool_create("membrane_uplink", DU_MBUFS, 256, 0,
	    RTE_PKTMBUF_HEADROOM + NSW_BUF_FOR_MTU(mtu), (int)rte_socket_id());
	if (d->pool == NULL) {
		snprintf(err, errlen, "dpdk: mbuf pool: %s",
		    rte_strerror(rte_errno));
		goto fail_eal;
	}
	memset(&conf, 0, sizeof(conf));
	step = "configuring it";
	if ((rc = rte_eth_dev_configure(port, 1, 1, &conf)) != 0)
		goto fail_port;
	step = "its receive queue";
	if ((rc = rte_eth_rx_queue_setup(port, 0, DU_RING,
	    (unsigned)rte_eth_dev_socket_id(port), NULL, d->pool)) != 0)
		goto fail_port;
	step = "its transmit queue";
	if ((rc = rte_eth_tx_queue_setup(port, 0, DU_RING,
	    (unsigned)rte_eth_dev_socket_id(port), NULL)) != 0)
		goto fail_port;
	step = "starting it";
	if ((rc = rte_eth_dev_start(port)) != 0)
		goto fail_port;
	/* The switch owns the port: it must see every stack's MAC. */
	(void)rte_eth_promiscuous_enable(port);
	up->ops = &du_ops;
	up->priv = d;
	log_info("dpdk uplink: port %u, driver %s", port, info.driver_name);
	free(buf);
	return up;
fail_port:
	/*
	 * A driver that wants larger receive buffers than the MTU needs
	 * (net_af_packet with a framesz above 2048) says so in its own log
	 * line and fails with ENOMEM.
	 */
	snprintf(err, errlen, "dpdk: port %u (%s): %s: %s%s", port,
	    info.driver_name != NULL ? info.driver_name : "?", step,
	    rte_strerror(-rc), rc == -ENOMEM && strcmp(step,
	    "its receive queue") == 0 ? " (the driver's frames do not fit "
	    "buffers sized for the MTU; see its message above, and give "
	    "it smaller frames, e.g. net_af_packet's framesz=2048)" : "");
fail_eal:
	rte_eal_cleanup();
fail:
	free(d);
	free(up);
	free(buf);
	return NULL;
}
