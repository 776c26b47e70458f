/* ctl.c: the control socket: attach, detach, addresses, listing. */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _LGPL_SOURCE
#include <urcu-qsbr.h>

#include "log.h"
#include "switch_pvt.h"

#define CTL_MAX_CLIENTS	(SW_MAX_PORTS + 16)
#define CTL_BAD_LIMIT	8	/* malformed messages before we hang up */

struct client {
	int		 sock;
	pid_t		 pid;
	uid_t		 uid;
	struct port	*port;
	unsigned	 bad;
};

static struct client	 clients[CTL_MAX_CLIENTS];
static unsigned		 nclients;
static uint32_t		 next_port_id = 1;

/* Make path's directory, then bind and listen; returns the socket or -1. */
int
ctl_listen(const char *path)
{
	struct sockaddr_un	 sun;
	char			 dir[sizeof(sun.sun_path)];
	char			*slash;
	int			 s, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: control socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		/* mkdir -p, one level at a time. */
		for (char *c = dir + 1; *c != '\0'; c++) {
			if (*c != '/')
				continue;
			*c = '\0';
			(void)mkdir(dir, 0755);
			*c = '/';
		}
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			log_warn("mkdir %s", dir);
			return -1;
		}
	}
	/* A socket file nobody answers on is a leftover; one that answers is a live switch. */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_warnx("%s: another switch is already listening here",
			    path);
			return -1;
		}
		close(probe);
	}
	(void)unlink(path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		log_warn("socket");
		return -1;
	}
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("bind %s", path);
		close(s);
		return -1;
	}
	(void)chmod(path, 0660);
	if (listen(s, 64) < 0) {
		log_warn("listen %s", path);
		close(s);
		return -1;
	}
	return s;
}

/* Answer with an error and its reason. */
static void
ctl_error(int sock, uint32_t seq, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void
ctl_error(int sock, uint32_t seq, int err, const char *fmt, ...)
{
	struct nsw_error	m;
	va_list			ap;

	memset(&m, 0, sizeof(m));
	nsw_hdr_init(&m.hdr, NSW_MSG_ERROR, sizeof(m), seq);
	m.err = err;
	va_start(ap, fmt);
	vsnprintf(m.reason, sizeof(m.reason), fmt, ap);
	va_end(ap);
	(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
ctl_simple(int sock, enum nsw_msg_type type, uint32_t seq)
{
	struct nsw_hdr h;

	nsw_hdr_init(&h, type, sizeof(h), seq);
	(void)send(sock, &h, sizeof(h), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static const char *
ctl_mac(const uint8_t m[6])
{
	static char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
	    m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* Publish a new port set and retire the old one once no reader holds it. */
static void
ctl_publish(struct sw *sw, struct port_set *next)
{
	struct port_set *old = rcu_xchg_pointer(&sw->ports, next);
	uint64_t one = 1;

	uplink_refilter(sw->up, next);
	/* Wake the data thread so it sees the change and re-arms its bells. */
	(void)write(sw->efd_switch, &one, sizeof(one));
	synchronize_rcu();
	free(old);
}

/* Detach c's port: unpublish, wait for the data thread, free. */
static void
ctl_detach(struct sw *sw, struct client *c, const char *why)
{
	struct port_set	*next;
	struct port	*p = c->port;

	if (p == NULL)
		return;
	log_info("port %u (%s, %s) detached: %s", p->id, p->name,
	    ctl_mac(p->mac), why);
	while ((next = port_set_without(sw->ports, p)) == NULL)
		usleep(1000);
	ctl_publish(sw, next);
	p->sock = -1;		/* the client owns it */
	port_destroy(p);
	c->port = NULL;
}

static void
ctl_drop_client(struct sw *sw, unsigned i, const char *why)
{
	ctl_detach(sw, &clients[i], why);
	close(clients[i].sock);
	clients[i] = clients[--nclients];
}

static int
ctl_attach(struct sw *sw, struct client *c, const struct nsw_attach *m)
{
	struct port_set	*next;
	struct port	*p;
	char		 name[NSW_NAME_MAX];
	unsigned	 i, mtu;
	int		 err;

	if (c->port != NULL) {
		ctl_error(c->sock, m->hdr.seq, EISCONN,
		    "this connection is already port %u", c->port->id);
		return -1;
	}
	memcpy(name, m->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	for (i = 0; name[i] != '\0'; i++)
		if (!isprint((unsigned char)name[i]))
			name[i] = '?';
	if ((m->mac[0] & 1) || memcmp(m->mac, "\0\0\0\0\0\0", 6) == 0) {
		ctl_error(c->sock, m->hdr.seq, EINVAL,
		    "%s is not a unicast MAC address", ctl_mac(m->mac));
		return -1;
	}
	if ((p = port_set_lookup(sw->ports, m->mac)) != NULL) {
		ctl_error(c->sock, m->hdr.seq, EADDRINUSE,
		    "MAC %s is already attached as port %u (%s)",
		    ctl_mac(m->mac), p->id, p->name);
		return -1;
	}
	mtu = m->mtu != 0 ? m->mtu : sw->mtu;
	if (mtu < NSW_MTU_MIN || mtu > sw->mtu) {
		ctl_error(c->sock, m->hdr.seq, EMSGSIZE, "MTU %u is not from "
		    "%u to the switch's %u", mtu, NSW_MTU_MIN, sw->mtu);
		return -1;
	}
	if (sw->ports->n >= SW_MAX_PORTS) {
		ctl_error(c->sock, m->hdr.seq, ENOSPC,
		    "the switch has its maximum of %d ports", SW_MAX_PORTS);
		return -1;
	}
	if ((p = port_create(sw, m->mac, name, mtu, c->sock, c->pid,
	    &err)) == NULL) {
		ctl_error(c->sock, m->hdr.seq, -err, "cannot create the port: %s",
		    strerror(-err));
		return -1;
	}
	p->id = next_port_id++;
	if ((err = port_send_attached(p, sw->efd_switch)) != 0) {
		log_warnx("port %u: sending the region: %s", p->id,
		    strerror(-err));
		p->sock = -1;
		port_destroy(p);
		return -1;
	}
	if ((next = port_set_with(sw->ports, p)) == NULL) {
		p->sock = -1;
		port_destroy(p);
		return -1;
	}
	c->port = p;
	ctl_publish(sw, next);
	log_info("port %u (%s, %s) attached by pid %ld, MTU %u", p->id,
	    p->name, ctl_mac(p->mac), (long)c->pid, p->mtu);
	return 0;
}

static void
ctl_list(struct sw *sw, int sock, uint32_t seq)
{
	struct nsw_port_info	 m;
	struct port_set		*set = sw->ports;
	uint32_t		 i;

	if (sw->up != NULL) {
		memset(&m, 0, sizeof(m));
		nsw_hdr_init(&m.hdr, NSW_MSG_PORT, sizeof(m), seq);
		snprintf(m.name, sizeof(m.name), "uplink:%s",
		    sw->up->ops->name);
		counters_read(&sw->up->c, &m.c);
		(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	}
	for (i = 0; i < set->n; i++) {
		struct port *p = set->p[i];

		memset(&m, 0, sizeof(m));
		nsw_hdr_init(&m.hdr, NSW_MSG_PORT, sizeof(m), seq);
		m.port_id = p->id;
		m.pid = (uint32_t)p->pid;
		memcpy(m.mac, p->mac, 6);
		memcpy(m.name, p->name, sizeof(m.name));
		counters_read(&p->c, &m.c);
		(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	}
	ctl_simple(sock, NSW_MSG_END, seq);
}

/* Read and act on one message from client i; -1 when it must go. */
static int
ctl_message(struct sw *sw, unsigned i)
{
	struct client	*c = &clients[i];
	union {
		struct nsw_hdr		h;
		struct nsw_attach	attach;
		struct nsw_addrs	addrs;
		char			buf[1024];
	} m;
	ssize_t		 n;
	int		 err;

	n = recv(c->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	if ((size_t)n > sizeof(m)) {
		err = -EMSGSIZE;
		goto bad;
	}
	if ((err = nsw_hdr_check(&m, (size_t)n, 0, 0)) != 0)
		goto bad;
	switch (m.h.type) {
	case NSW_MSG_ATTACH:
		if ((err = nsw_hdr_check(&m, (size_t)n, NSW_MSG_ATTACH,
		    sizeof(m.attach))) != 0)
			goto bad;
		(void)ctl_attach(sw, c, &m.attach);
		return 0;
	case NSW_MSG_ADDRS:
		if ((err = nsw_hdr_check(&m, (size_t)n, NSW_MSG_ADDRS,
		    sizeof(m.addrs))) != 0)
			goto bad;
		if (c->port == NULL) {
			ctl_error(c->sock, m.h.seq, ENOTCONN,
			    "ADDRS before ATTACH");
			return 0;
		}
		if (m.addrs.n_ip4 > NSW_MAX_ADDRS ||
		    m.addrs.n_ip6 > NSW_MAX_ADDRS ||
		    m.addrs.n_groups > NSW_MAX_GROUPS) {
			ctl_error(c->sock, m.h.seq, EINVAL,
			    "too many addresses or groups");
			return 0;
		}
		{
			struct port_set *next;

			c->port->addrs = m.addrs;
			while ((next = port_set_copy(sw->ports)) == NULL)
				usleep(1000);
			ctl_publish(sw, next);
		}
		ctl_simple(c->sock, NSW_MSG_OK, m.h.seq);
		return 0;
	case NSW_MSG_DETACH:
		if ((err = nsw_hdr_check(&m, (size_t)n, NSW_MSG_DETACH,
		    sizeof(m.h))) != 0)
			goto bad;
		ctl_detach(sw, c, "asked to");
		ctl_simple(c->sock, NSW_MSG_OK, m.h.seq);
		return 0;
	case NSW_MSG_LIST:
		if ((err = nsw_hdr_check(&m, (size_t)n, NSW_MSG_LIST,
		    sizeof(m.h))) != 0)
			goto bad;
		ctl_list(sw, c->sock, m.h.seq);
		return 0;
	default:
		err = -EPROTO;
		goto bad;
	}
bad:
	log_warnx("pid %ld: malformed control message (%zd bytes): %s",
	    (long)c->pid, n, strerror(-err));
	ctl_error(c->sock, (size_t)n >= sizeof(m.h) ? m.h.seq : 0, -err,
	    "malformed control message: %s", strerror(-err));
	return ++c->bad >= CTL_BAD_LIMIT ? -1 : 0;
}

static void
ctl_accept(int lsock)
{
	struct ucred	cred;
	socklen_t	len = sizeof(cred);
	int		s;

	s = accept4(lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s < 0)
		return;
	if (nclients >= CTL_MAX_CLIENTS) {
		log_warnx("too many control connections; refusing one");
		close(s);
		return;
	}
	memset(&clients[nclients], 0, sizeof(clients[nclients]));
	clients[nclients].sock = s;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		clients[nclients].pid = cred.pid;
		clients[nclients].uid = cred.uid;
	}
	nclients++;
}

/* Serve the control socket until SIGINT or SIGTERM; returns 0. */
int
ctl_serve(struct sw *sw, int lsock)
{
	struct pollfd	pfd[CTL_MAX_CLIENTS + 2];
	sigset_t	mask;
	int		sfd;
	unsigned	i;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		fatal("signalfd");
	for (;;) {
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = lsock;
		pfd[1].events = POLLIN;
		for (i = 0; i < nclients; i++) {
			pfd[i + 2].fd = clients[i].sock;
			pfd[i + 2].events = POLLIN;
		}
		/* A second is short enough to reap ports the data thread doomed. */
		if (poll(pfd, nclients + 2, 1000) < 0 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGHUP) {
				log_info("signal %u: stopping", si.ssi_signo);
				break;
			}
		}
		for (i = nclients; i-- > 0;) {
			short re = pfd[i + 2].revents;

			if (i + 2 >= nclients + 2 || pfd[i + 2].fd != clients[i].sock)
				continue;
			if (re & POLLIN) {
				if (ctl_message(sw, i) < 0)
					ctl_drop_client(sw, i, "connection closed");
			} else if (re & (POLLHUP | POLLERR))
				ctl_drop_client(sw, i, "connection closed");
		}
		for (i = nclients; i-- > 0;)
			if (clients[i].port != NULL &&
			    atomic_load(&clients[i].port->doomed))
				ctl_drop_client(sw, i,
				    "it corrupted its rings or sent bad descriptors");
		if (pfd[1].revents & POLLIN)
			ctl_accept(lsock);
	}
	while (nclients > 0)
		ctl_drop_client(sw, nclients - 1, "the switch is stopping");
	close(sfd);
	return 0;
}

/* membrane-switch --stats: print every port's counters. */
int
ctl_stats(const char *path)
{
	struct sockaddr_un	sun;
	struct nsw_hdr		req;
	union {
		struct nsw_hdr		h;
		struct nsw_port_info	p;
	} m;
	ssize_t			n;
	int			s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "membrane-switch: %s: %s (is the switch running?)\n",
		    path, strerror(errno));
		return 1;
	}
	nsw_hdr_init(&req, NSW_MSG_LIST, sizeof(req), 7);
	if (send(s, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
		fprintf(stderr, "membrane-switch: send: %s\n", strerror(errno));
		return 1;
	}
	printf("%-4s %-17s %-20s %10s %12s %10s %12s %8s %6s %6s %6s %6s "
	    "%6s %6s %6s %6s\n",
	    "port", "mac", "name", "rx-frames", "rx-bytes", "tx-frames",
	    "tx-bytes", "full", "spoof", "oversz", "baddsc", "nodest",
	    "f-drop", "f-dup", "f-reor", "f-corr");
	for (;;) {
		n = recv(s, &m, sizeof(m), 0);
		if (n <= 0) {
			fprintf(stderr, "membrane-switch: the switch hung up\n");
			return 1;
		}
		if (nsw_hdr_check(&m, (size_t)n, NSW_MSG_END, sizeof(m.h)) == 0)
			break;
		if (nsw_hdr_check(&m, (size_t)n, NSW_MSG_PORT, sizeof(m.p)) != 0) {
			fprintf(stderr, "membrane-switch: malformed answer\n");
			return 1;
		}
		m.p.name[sizeof(m.p.name) - 1] = '\0';
		printf("%-4u %-17s %-20s %10llu %12llu %10llu %12llu %8llu "
		    "%6llu %6llu %6llu %6llu %6llu %6llu %6llu %6llu\n",
		    m.p.port_id, m.p.port_id == 0 ? "-" : ctl_mac(m.p.mac),
		    m.p.name,
		    (unsigned long long)m.p.c.rx_frames,
		    (unsigned long long)m.p.c.rx_bytes,
		    (unsigned long long)m.p.c.tx_frames,
		    (unsigned long long)m.p.c.tx_bytes,
		    (unsigned long long)m.p.c.drop_full,
		    (unsigned long long)m.p.c.drop_spoof,
		    (unsigned long long)m.p.c.drop_oversize,
		    (unsigned long long)m.p.c.drop_baddesc,
		    (unsigned long long)m.p.c.drop_nodest,
		    (unsigned long long)m.p.c.fault_drop,
		    (unsigned long long)m.p.c.fault_dup,
		    (unsigned long long)m.p.c.fault_reorder,
		    (unsigned long long)m.p.c.fault_corrupt);
	}
	close(s);
	return 0;
}
