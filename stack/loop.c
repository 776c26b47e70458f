/* loop.c: the one event loop: switch port, lwIP timers, signals. */
#include "config.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "log.h"
#include "stack_pvt.h"

#define LOOP_REATTACH_MS	500
#define LOOP_QUIET_MS		100	/* the longest sleep past TCP's tick */

static uint64_t
loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Attach to the switch and watch the port; 0 or -errno. */
int
loop_attach(struct stack *st)
{
	struct epoll_event	ev;
	char			reason[160];
	int			rc;

	reason[0] = '\0';
	if ((rc = priv_switch_connect()) >= 0)
		rc = nsw_port_attach_sock(&st->port, rc, st->cfg.mac,
		    st->cfg.name, st->cfg.mtu, reason, sizeof(reason));
	if (rc < 0) {
		/* An MTU the switch cannot carry stays so: say why and stop. */
		if (rc == -EMSGSIZE && reason[0] != '\0')
			fatalx("switch %s refused us: %s", st->cfg.switch_path,
			    reason);
		if (reason[0] != '\0')
			log_warnx("switch %s refused us: %s",
			    st->cfg.switch_path, reason);
		return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EV_MAKE(EV_BELL, 0);
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->port.efd_stack, &ev) < 0)
		fatal("epoll_ctl");
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u64 = EV_MAKE(EV_SWITCH, 0);
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->port.sock, &ev) < 0)
		fatal("epoll_ctl");
	st->attached = true;
	/* Our MTU is the one the switch granted (ours, or its own). */
	st->netif.mtu = (u16_t)st->port.mtu;
#if LWIP_IPV6 && LWIP_ND6_ALLOW_RA_UPDATES
	st->netif.mtu6 = (u16_t)st->port.mtu;
#endif
	log_info("attached to %s as port %u, MTU %u", st->cfg.switch_path,
	    st->port.port_id, st->port.mtu);
	stack_netif_addrs(st);
	return 0;
}

/* The switch went away: keep lwIP and its sockets, try again later. */
static void
loop_detach(struct stack *st)
{
	(void)epoll_ctl(st->epfd, EPOLL_CTL_DEL, st->port.efd_stack, NULL);
	(void)epoll_ctl(st->epfd, EPOLL_CTL_DEL, st->port.sock, NULL);
	nsw_port_detach(&st->port);
	st->attached = false;
	log_warnx("lost the switch; re-attaching every %d ms", LOOP_REATTACH_MS);
}

/* Called by lwIP when an address of the interface changes (v4 or v6). */
static void
loop_status(struct netif *nif, netif_nsc_reason_t reason,
    const netif_ext_callback_args_t *args)
{
	struct stack	*st = nif->state;
	int		 rc;

	(void)reason;
	(void)args;
	if ((rc = bus_publish(st)) < 0)
		log_warnx("bus: %s", strerror(-rc));
	stack_netif_addrs(st);
}

/*
 * lwIP's TCP clock ticks every TCP_TMR_INTERVAL while any connection is
 * open, and each tick would wake us.  When every connection is quiet (no
 * bytes unacknowledged or unsent, no ACK owed, no window probe), a tick
 * only counts time: we sleep up to LOOP_QUIET_MS instead and, on waking,
 * give lwIP the ticks it missed before anything else runs.
 */
static bool
loop_tcp_quiet(void)
{
	const struct tcp_pcb *p;

	for (p = tcp_active_pcbs; p != NULL; p = p->next) {
		if (p->state != ESTABLISHED && p->state != CLOSE_WAIT &&
		    p->state != FIN_WAIT_2)
			return false;
		if (p->unacked != NULL || p->unsent != NULL ||
		    p->refused_data != NULL || p->persist_backoff != 0 ||
		    (p->flags & (TF_ACK_DELAY | TF_ACK_NOW)) != 0)
			return false;
#if TCP_QUEUE_OOSEQ
		if (p->ooseq != NULL)
			return false;
#endif
	}
	return true;
}

/* After a quiet sleep of ms: the ticks lwIP missed (its own timer, now
 * overdue, runs once more in sys_check_timeouts). */
static void
loop_tcp_catch_up(uint32_t ms)
{
	uint32_t n = ms / TCP_TMR_INTERVAL;

	while (n-- > 1)
		tcp_tmr();
}

int
loop_run(struct stack *st)
{
	struct epoll_event	ev[32];
	sigset_t		mask;
	uint64_t		last_work = loop_now_ns();
	uint32_t		next_attach = 0, quiet_since = 0;
	bool			quiet;
	int			sfd, n, i, timeout;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		fatal("signalfd");
	memset(ev, 0, sizeof(ev));
	ev[0].events = EPOLLIN;
	ev[0].data.u64 = EV_MAKE(EV_SIGNAL, 0);
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, sfd, &ev[0]) < 0)
		fatal("epoll_ctl");
	{
		static netif_ext_callback_t cb;

		netif_add_ext_callback(&cb, loop_status);
	}
	loop_status(&st->netif, LWIP_NSC_NONE, NULL);

	for (;;) {
		int work = stack_netif_poll(st);

		if (work < 0) {
			loop_detach(st);
			work = 0;
		}
		work += app_poll(st);
		netif_poll_all();	/* the loopback interface */
		sys_check_timeouts();
		if (st->cfg.dhcp)
			bus_lease_watch(st);
		stack_netif_flush(st);
		app_flush(st);
		if (!st->attached && sys_now() - next_attach < 0x80000000u) {
			if (loop_attach(st) < 0)
				next_attach = sys_now() + LOOP_REATTACH_MS;
		}
		/*
		 * Spin a little after work: a wake-up from another CPU costs
		 * tens of microseconds, more than a request/response takes.
		 */
		if (work > 0) {
			last_work = loop_now_ns();
			continue;
		}
		if (loop_now_ns() - last_work < st->cfg.spin_ns) {
			/* Spinning, let whatever shares this CPU run first. */
			sched_yield();
			continue;
		}
		/* Sleep: arm the doorbell, look once more, then block. */
		timeout = (int)sys_timeouts_sleeptime();
		if (timeout < 0 || sys_timeouts_sleeptime() == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
			timeout = -1;
		quiet = false;
		if (timeout >= 0 && timeout < LOOP_QUIET_MS &&
		    (tcp_active_pcbs != NULL || tcp_tw_pcbs != NULL) &&
		    loop_tcp_quiet()) {
			timeout = LOOP_QUIET_MS;
			quiet = true;
		}
		if (!st->attached && (timeout < 0 || timeout > LOOP_REATTACH_MS))
			timeout = LOOP_REATTACH_MS;
		if (st->attached)
			ion_bell_arm(&st->port.bell_stack);
		if (app_arm(st) ||
		    (st->attached && ion_ring_count(&st->port.rx) != 0)) {
			if (st->attached)
				ion_bell_disarm(&st->port.bell_stack);
			app_disarm(st);
			continue;
		}
		quiet_since = sys_now();
		n = epoll_wait(st->epfd, ev, 32, timeout);
		if (quiet)
			loop_tcp_catch_up(sys_now() - quiet_since);
		if (st->attached) {
			ion_bell_disarm(&st->port.bell_stack);
			(void)ion_bell_drain(&st->port.bell_stack);
		}
		app_disarm(st);
		/*
		 * A doorbell's wake-up spins after it, as work does: more
		 * tends to follow.  A timer's (n == 0) sleeps again at once.
		 */
		if (n > 0)
			last_work = loop_now_ns();
		for (i = 0; i < n; i++) {
			uint32_t	type = (uint32_t)(ev[i].data.u64 & 0xff);
			unsigned	idx = (unsigned)(ev[i].data.u64 >> 8);

			if (type == EV_ENDPOINT) {
				app_accept(st);
			} else if (type == EV_APP_SOCK) {
				app_sock_event(st, idx, ev[i].events);
			} else if (type == EV_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGPIPE) {
					log_info("signal %u: stopping",
					    si.ssi_signo);
					close(sfd);
					return 0;
				}
			} else if (type == EV_SWITCH && st->attached &&
			    (ev[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				loop_detach(st);
		}
	}
}
