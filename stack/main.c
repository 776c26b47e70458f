/* main.c: membrane-stack: flags, lwIP's start, the loop. */
#include "config.h"

#include <sys/epoll.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "netif/ethernet.h"

#include "log.h"
#include "stack_pvt.h"

#define BUS_DIR_DEFAULT	"/run/membrane/bus/net"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: membrane-stack --name NAME [--switch PATH] [--mac MAC]\n"
"                      [--address dhcp|CIDR [--gateway IP] [--dns IP,...]]\n"
"                      [--address6 auto|CIDR] [--allow-uid UID,...]\n"
"                      [--mtu N] [-v]\n"
"       membrane-stack --stats NAME | --stats --endpoint PATH\n"
"\n"
"  -n, --name NAME       the membrane's name (letters, digits, - and _)\n"
"  -s, --switch PATH     the switch's control socket (default " NSW_CTL_PATH_DEFAULT ")\n"
"  -m, --mac MAC         default: a locally administered MAC from the name\n"
"  -a, --address A       dhcp (default) or a static IPv4 address/prefix\n"
"  -g, --gateway IP      default route, with a static address\n"
"  -d, --dns IP,...      DNS servers (up to 3), with a static address\n"
"      --address6 A      auto (default: from router advertisements) or a\n"
"                        static IPv6 address/prefix, besides link-local\n"
"      --mtu N           576 to 9000 (default: the switch's)\n"
"      --bus DIR         where the state is published (default " BUS_DIR_DEFAULT ")\n"
"      --user USER       the sandboxed engine's user (default nobody)\n"
"      --endpoint PATH   the apps' socket (default " MBS_RUN_DIR "/NAME/" MBS_ENDPOINT_NAME ")\n"
"      --allow-uid U,... uids whose apps may attach (default: ours and root)\n"
"      --sock-buffer N   bytes of each socket ring, each way (default 256K)\n"
"      --max-sockets N   sockets per app, a power of two (default 4096)\n"
"      --spin-us N       busy-poll this long after work before sleeping\n"
"                        (default 50)\n"
"      --stats           print a running stack's statistics and exit\n"
"  -v, --verbose         log more (repeat for lwIP's own messages)\n"
"  -h, --help            this text\n");
}

/* A count, with an optional K, M or G suffix (powers of 1024). */
static uint64_t
parse_size(const char *s)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return UINT64_MAX;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	return *end == '\0' ? v : UINT64_MAX;
}

static void
bad(const char *what, const char *val, const char *why)
{
	fprintf(stderr, "membrane-stack: %s: \"%s\" %s\n", what, val, why);
	exit(2);
}

/* A stable locally administered unicast MAC derived from the name. */
static void
mac_from_name(const char *name, uint8_t mac[6])
{
	uint64_t h = 1469598103934665603ull;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 1099511628211ull;
	mac[0] = 0x02;		/* locally administered, unicast */
	mac[1] = 0x6d;		/* 'm' */
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static void
parse_cidr(struct stack_cfg *c, const char *s)
{
	char		 buf[64], *slash, *end;
	unsigned long	 prefix;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		bad("--address", s, "is too long");
	if ((slash = strchr(buf, '/')) == NULL)
		bad("--address", s, "needs a prefix length (e.g. 10.0.0.5/24)");
	*slash = '\0';
	if (!ip4addr_aton(buf, &c->addr))
		bad("--address", s, "is not an IPv4 address");
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == slash + 1 || prefix < 1 ||
	    prefix > 32)
		bad("--address", s, "has a prefix length that is not 1 to 32");
	ip4_addr_set_u32(&c->mask, prefix == 32 ? 0xffffffffu :
	    lwip_htonl(~(0xffffffffu >> prefix)));
	if (ip4_addr_isany_val(c->addr) || ip4_addr_ismulticast(&c->addr) ||
	    ip4_addr_isloopback(&c->addr) ||
	    ip4_addr_get_u32(&c->addr) == IPADDR_BROADCAST ||
	    (prefix < 31 && (ip4_addr_get_u32(&c->addr) &
	    ~ip4_addr_get_u32(&c->mask)) == 0) ||
	    (prefix < 31 && ip4_addr_get_u32(&c->addr) ==
	    (ip4_addr_get_u32(&c->addr) | ~ip4_addr_get_u32(&c->mask))))
		bad("--address", s, "cannot be a host's address");
	c->dhcp = false;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "name",	required_argument,	NULL, 'n' },
		{ "switch",	required_argument,	NULL, 's' },
		{ "mac",	required_argument,	NULL, 'm' },
		{ "address",	required_argument,	NULL, 'a' },
		{ "gateway",	required_argument,	NULL, 'g' },
		{ "dns",	required_argument,	NULL, 'd' },
		{ "mtu",	required_argument,	NULL, 'M' },
		{ "bus",	required_argument,	NULL, 'B' },
		{ "user",	required_argument,	NULL, 'u' },
		{ "sandbox-test", no_argument,		NULL, 'T' },
		{ "address6",	required_argument,	NULL, '6' },
		{ "endpoint",	required_argument,	NULL, 'E' },
		{ "allow-uid",	required_argument,	NULL, 'U' },
		{ "sock-buffer", required_argument,	NULL, 'S' },
		{ "max-sockets", required_argument,	NULL, 'X' },
		{ "spin-us",	required_argument,	NULL, 'P' },
		{ "stats",	no_argument,		NULL, 'Q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct stack	 st;
	struct stack_cfg *c = &st.cfg;
	const char	*gw = NULL, *dns = NULL, *p;
	int		 ch, verbose = 0, have_mac = 0, rc, stats = 0;
	const char	*endpoint = NULL, *allow = NULL;
	unsigned	 i;

	memset(&st, 0, sizeof(st));
	c->switch_path = NSW_CTL_PATH_DEFAULT;
	c->bus_dir = BUS_DIR_DEFAULT;
	c->dhcp = true;
	c->mtu = 0;	/* the switch's */
	c->user = "nobody";
	c->buf_size = 256u << 10;
	c->max_socks = 4096;
	c->spin_ns = 50000;
	while ((ch = getopt_long(argc, argv, "n:s:m:a:g:d:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(c->name))
				bad("--name", optarg, "must have 1 to 31 characters");
			if (!((optarg[0] >= 'a' && optarg[0] <= 'z') ||
			    (optarg[0] >= 'A' && optarg[0] <= 'Z') ||
			    (optarg[0] >= '0' && optarg[0] <= '9')))
				bad("--name", optarg, "must start with a letter or a digit");
			for (p = optarg; *p != '\0'; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
					bad("--name", optarg, "may hold only letters, digits, - and _");
			strcpy(c->name, optarg);
			break;
		case 's': c->switch_path = optarg; break;
		case 'm': {
			unsigned v[6];
			char tail;

			if (sscanf(optarg, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1],
			    &v[2], &v[3], &v[4], &v[5], &tail) != 6)
				bad("--mac", optarg, "is not a MAC address");
			for (i = 0; i < 6; i++) {
				if (v[i] > 255)
					bad("--mac", optarg, "is not a MAC address");
				c->mac[i] = (uint8_t)v[i];
			}
			if (c->mac[0] & 1)
				bad("--mac", optarg, "is a multicast address");
			have_mac = 1;
			break;
		}
		case 'a':
			if (strcmp(optarg, "dhcp") == 0)
				c->dhcp = true;
			else
				parse_cidr(c, optarg);
			break;
		case 'g': gw = optarg; break;
		case 'd': dns = optarg; break;
		case 'M': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || v < NSW_MTU_MIN || v > NSW_MTU_MAX)
				bad("--mtu", optarg, "is not from 576 to 9000");
			c->mtu = (uint16_t)v;
			break;
		}
		case 'B': c->bus_dir = optarg; break;
		case 'u': c->user = optarg; break;
		case 'T': c->sandbox_test = true; break;
		case '6':
			if (strcmp(optarg, "auto") == 0) {
				c->addr6_static = false;
				break;
			} else {
				char buf[64], *slash, *end;
				unsigned long pl;

				snprintf(buf, sizeof(buf), "%s", optarg);
				if ((slash = strchr(buf, '/')) == NULL)
					bad("--address6", optarg, "needs a prefix "
					    "length (e.g. fd00::5/64)");
				*slash = '\0';
				pl = strtoul(slash + 1, &end, 10);
				if (*end != '\0' || end == slash + 1 || pl < 1 ||
				    pl > 128)
					bad("--address6", optarg, "has a prefix "
					    "length that is not 1 to 128");
				if (!ip6addr_aton(buf, &c->addr6) ||
				    ip6_addr_isany(&c->addr6) ||
				    ip6_addr_ismulticast(&c->addr6) ||
				    ip6_addr_isloopback(&c->addr6))
					bad("--address6", optarg, "is not a "
					    "host's IPv6 address");
				c->addr6_static = true;
			}
			break;
		case 'E': endpoint = optarg; break;
		case 'U': allow = optarg; break;
		case 'S': {
			uint64_t v = parse_size(optarg);

			if (v < MBS_BUF_MIN || v > MBS_BUF_MAX || (v & (v - 1)))
				bad("--sock-buffer", optarg, "is not a power of "
				    "two from 64K to 64M");
			c->buf_size = (uint32_t)v;
			break;
		}
		case 'X': {
			uint64_t v = parse_size(optarg);

			if (v < 16 || v > MBS_MAX_SOCKS || (v & (v - 1)))
				bad("--max-sockets", optarg, "is not a power of "
				    "two from 16 to 65536");
			c->max_socks = (uint32_t)v;
			break;
		}
		case 'P': {
			uint64_t v = parse_size(optarg);

			if (v > 1000000)
				bad("--spin-us", optarg, "is not from 0 to 1000000");
			c->spin_ns = v * 1000;
			break;
		}
		case 'Q': stats = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (stats && c->name[0] == '\0' && endpoint == NULL && optind < argc)
		snprintf(c->name, sizeof(c->name), "%s", argv[optind++]);
	if (optind != argc)
		bad("argument", argv[optind], "is not expected");
	if (c->name[0] == '\0' && !(stats && endpoint != NULL)) {
		fprintf(stderr, "membrane-stack: --name is required\n");
		return 2;
	}
	if (endpoint != NULL) {
		if (snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint) >=
		    (int)sizeof(c->endpoint))
			bad("--endpoint", endpoint, "is too long for a unix socket");
	} else if (mbs_endpoint_path(c->endpoint, sizeof(c->endpoint),
	    c->name) < 0)
		bad("--name", c->name, "makes an endpoint path too long");
	if (stats) {
		char reason[160] = "";

		if ((rc = mbs_stats(c->endpoint, stdout, reason,
		    sizeof(reason))) < 0) {
			fprintf(stderr, "membrane-stack: %s: %s\n", c->endpoint,
			    reason[0] ? reason : strerror(-rc));
			return 1;
		}
		return 0;
	}
	c->allow_uid[c->n_allow_uid++] = getuid();
	if (getuid() != 0)
		c->allow_uid[c->n_allow_uid++] = 0;
	if (allow != NULL) {
		char buf[256], *tok, *save = NULL, *end;

		c->n_allow_uid = 0;
		snprintf(buf, sizeof(buf), "%s", allow);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			struct passwd	*pw;
			unsigned long	 u;

			if (c->n_allow_uid == 16)
				bad("--allow-uid", allow, "names more than 16 users");
			errno = 0;
			u = strtoul(tok, &end, 10);
			if (*end != '\0' || end == tok || errno != 0 ||
			    u > 0x7fffffff) {
				if ((pw = getpwnam(tok)) == NULL)
					bad("--allow-uid", tok, "is not a uid or "
					    "a user on this host");
				u = pw->pw_uid;
			}
			c->allow_uid[c->n_allow_uid++] = (uid_t)u;
		}
		if (c->n_allow_uid == 0)
			bad("--allow-uid", allow, "names nobody");
	}
	if (!have_mac)
		mac_from_name(c->name, c->mac);
	if (gw != NULL) {
		if (c->dhcp)
			bad("--gateway", gw, "goes with a static --address");
		if (!ip4addr_aton(gw, &c->gw))
			bad("--gateway", gw, "is not an IPv4 address");
		if (!ip4_addr_netcmp(&c->gw, &c->addr, &c->mask))
			bad("--gateway", gw, "is not on the address's network");
	}
	if (dns != NULL) {
		char buf[256], *tok, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", dns);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (c->ndns == 3)
				bad("--dns", dns, "names more than 3 servers");
			if (!ipaddr_aton(tok, &c->dns[c->ndns]))
				bad("--dns", tok, "is not an IP address");
			c->ndns++;
		}
	}

	log_init("membrane-stack", 1, verbose);
	if (getpwnam(c->user) == NULL && strspn(c->user, "0123456789") !=
	    strlen(c->user))
		bad("--user", c->user, "is not a user on this host");
	stack_lwip_seed();
	/* The monitor keeps what the sandbox takes away; we go on as the engine. */
	priv_start(c);
	if ((st.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");

	lwip_init();
	if (netif_add(&st.netif, &c->addr, &c->mask, &c->gw, &st,
	    stack_netif_init, ethernet_input) == NULL)
		fatalx("lwIP refused the interface");
	netif_set_default(&st.netif);
	for (i = 0; i < c->ndns; i++)
		dns_setserver((u8_t)i, &c->dns[i]);
	netif_create_ip6_linklocal_address(&st.netif, 1);
	if (c->addr6_static) {
		s8_t idx;

		if (netif_add_ip6_address(&st.netif, &c->addr6, &idx) != ERR_OK)
			fatalx("lwIP refused the IPv6 address");
		netif_ip6_addr_set_state(&st.netif, idx, IP6_ADDR_PREFERRED);
	} else {
		/* Addresses from the routers' advertisements (SLAAC). */
		netif_set_ip6_autoconfig_enabled(&st.netif, 1);
	}
	netif_set_up(&st.netif);
	netif_set_link_up(&st.netif);
	/* The switch may come up after us: wait for it, saying so once. */
	if (loop_attach(&st) < 0)
		log_warnx("no switch at %s yet; waiting for it", c->switch_path);
	/* After the attach, so the first DISCOVER is not lost. */
	if (c->dhcp && (rc = dhcp_start(&st.netif)) != ERR_OK)
		fatalx("DHCP would not start (lwIP error %d)", rc);
	app_endpoint_open(&st);
	sandbox_enter(c->user);
	if (c->sandbox_test)
		sandbox_selftest();
	log_info("%s: %02x:%02x:%02x:%02x:%02x:%02x, %s", c->name,
	    c->mac[0], c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5],
	    c->dhcp ? "address by DHCP" : "static address");
	rc = loop_run(&st);
	bus_remove(&st);
	if (st.attached)
		nsw_port_detach(&st.port);
	return rc;
}
