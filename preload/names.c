/*
 * names.c: name resolution through the membrane.
 *
 * glibc's resolver sends its queries from sockets it makes inside libc,
 * which an LD_PRELOAD library never sees: in a namespace whose only way
 * out is the membrane, every lookup would fail.  getaddrinfo, getnameinfo,
 * gethostbyaddr and the gethostbyname family are therefore answered here,
 * by c-ares, whose sockets are made with socket() and so are membrane
 * sockets, and whose waiting is done with this library's poll().  c-ares
 * reads /etc/hosts first, then asks DNS: the servers in MEMBRANE_DNS if
 * set, else those the membrane's stack publishes on the bus (DHCP's, or
 * its --dns), else those of /etc/resolv.conf.  Numeric addresses and a
 * NULL node never need the network and go to libc.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "preload_pvt.h"

#define NAMES_BUS_DIR	MBS_RUN_DIR "/bus/net"
#define NAMES_CSV_MAX	256
#define NAMES_ADDRS_MAX	64	/* a hostent's addresses, at most */

static pthread_once_t	names_once = PTHREAD_ONCE_INIT;
static int		names_lib_rc = ARES_ENOTINITIALIZED;

static void
names_lib_init(void)
{
	names_lib_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

/* The bus file of the membrane this process uses, or -1. */
static int
names_bus_file(char *buf, size_t len)
{
	const char	*bus, *name;
	struct dirent	*de;
	DIR		*d;
	unsigned	 n = 0;
	char		 only[256] = "";

	bus = (bus = getenv("MEMBRANE_BUS")) != NULL && bus[0] != '\0' ? bus :
	    NAMES_BUS_DIR;
	if ((name = getenv("MEMBRANE")) != NULL && name[0] != '\0') {
		if (strchr(name, '/') != NULL)
			return -1;
		return snprintf(buf, len, "%s/%s", bus, name) < (int)len ? 0 :
		    -1;
	}
	if ((d = opendir(bus)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && n++ == 0)
			snprintf(only, sizeof(only), "%s", de->d_name);
	closedir(d);
	if (n != 1)
		return -1;
	return snprintf(buf, len, "%s/%s", bus, only) < (int)len ? 0 : -1;
}

/*
 * The "dns" list of the stack's bus record, as "a,b": the record is the
 * stack's own, one line of JSON whose strings hold no quotes.
 */
static void
names_bus_dns(char *csv, size_t len)
{
	char	 path[512], rec[2048], *p, *end;
	FILE	*f;
	size_t	 n, used = 0;

	csv[0] = '\0';
	if (names_bus_file(path, sizeof(path)) < 0 ||
	    (f = fopen(path, "re")) == NULL)
		return;
	n = fread(rec, 1, sizeof(rec) - 1, f);
	fclose(f);
	rec[n] = '\0';
	if ((p = strstr(rec, "\"dns\": [")) == NULL ||
	    (end = strchr(p, ']')) == NULL)
		return;
	*end = '\0';
	for (p += 8; (p = strchr(p, '"')) != NULL; ) {
		char *q = strchr(++p, '"');

		if (q == NULL || used + (size_t)(q - p) + 2 > len)
			break;
		used += (size_t)snprintf(csv + used, len - used, "%s%.*s",
		    used > 0 ? "," : "", (int)(q - p), p);
		p = q + 1;
	}
}

/*
 * How long to wait and how often to ask, as libc's resolver does: 5 s and
 * 2 attempts unless RES_OPTIONS says "timeout:N" or "attempts:N".
 * (c-ares would otherwise try 4 times, doubling a 5 s wait each time.)
 */
static void
names_timing(struct ares_options *o)
{
	const char	*p = getenv("RES_OPTIONS");
	long		 v;

	memset(o, 0, sizeof(*o));
	o->timeout = 5000;
	o->tries = 2;
	for (; p != NULL && *p != '\0'; p += strcspn(p, " \t")) {
		p += strspn(p, " \t");
		if (strncmp(p, "timeout:", 8) == 0 &&
		    (v = strtol(p + 8, NULL, 10)) >= 1 && v <= 30)
			o->timeout = (int)v * 1000;
		else if (strncmp(p, "attempts:", 9) == 0 &&
		    (v = strtol(p + 9, NULL, 10)) >= 1 && v <= 5)
			o->tries = (int)v;
	}
}

/* Say once on stderr that the DNS servers named by what cannot be used. */
static void
names_say_bad(const char *what, const char *csv)
{
	static atomic_bool	said;
	char			line[512];
	int			n;

	if (atomic_exchange(&said, true))
		return;
	n = snprintf(line, sizeof(line), "libmembrane: %s=%s is not a list "
	    "of DNS servers (address[:port],...): names cannot be looked "
	    "up\n", what, csv);
	if (n > 0)
		(void)!pl_real.write(2, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

/* A channel that asks the membrane's DNS servers; an ARES_ status. */
static int
names_channel(ares_channel *ch)
{
	const char		*env = getenv("MEMBRANE_DNS");
	struct ares_options	 o;
	char			 csv[NAMES_CSV_MAX];
	int			 rc;

	pthread_once(&names_once, names_lib_init);
	if (names_lib_rc != ARES_SUCCESS)
		return names_lib_rc;
	names_timing(&o);
	if ((rc = ares_init_options(ch, &o, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES)) != ARES_SUCCESS)
		return rc;
	if (env != NULL && env[0] != '\0')
		snprintf(csv, sizeof(csv), "%s", env);
	else
		names_bus_dns(csv, sizeof(csv));
	if (csv[0] != '\0' && (rc = ares_set_servers_csv(*ch, csv)) !=
	    ARES_SUCCESS) {
		ares_destroy(*ch);
		names_say_bad(env != NULL && env[0] != '\0' ? "MEMBRANE_DNS" :
		    "the bus record's dns", csv);
		return rc;
	}
	return ARES_SUCCESS;
}

/* Drive ch until *done: its query answered or given up. */
static void
names_run(ares_channel ch, const bool *done)
{
	while (!*done) {
		ares_socket_t	 s[ARES_GETSOCK_MAXNUM];
		struct pollfd	 pfd[ARES_GETSOCK_MAXNUM];
		struct timeval	 tv, *tvp;
		nfds_t		 n = 0;
		int		 bits, i, rc, ms;

		bits = ares_getsock(ch, s, ARES_GETSOCK_MAXNUM);
		for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			/* c-ares's own macros shift a signed 1 into the sign. */
			short ev = (short)(((unsigned)bits & 1u << i ? POLLIN :
			    0) | ((unsigned)bits & 1u << (i +
			    ARES_GETSOCK_MAXNUM) ? POLLOUT : 0));

			if (ev == 0)
				continue;
			pfd[n].fd = s[i];
			pfd[n].events = ev;
			pfd[n++].revents = 0;
		}
		if ((tvp = ares_timeout(ch, NULL, &tv)) == NULL && n == 0)
			return;		/* nothing left to wait for */
		/* c-ares always has a timeout while a query is pending. */
		ms = tvp == NULL ? -1 : (int)(tv.tv_sec * 1000 +
		    (tv.tv_usec + 999) / 1000);
		rc = poll(pfd, n, ms);	/* this library's: membrane sockets */
		if (rc < 0 && errno != EINTR)
			return;
		if (rc <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (i = 0; i < (int)n; i++)
			ares_process_fd(ch, pfd[i].revents & (POLLIN | POLLERR |
			    POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD,
			    pfd[i].revents & POLLOUT ? pfd[i].fd :
			    ARES_SOCKET_BAD);
	}
}

struct names_answer {
	bool			 done;
	int			 status;
	struct ares_addrinfo	*ai;
};

static void
names_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct names_answer *a = arg;

	(void)timeouts;
	a->status = status;
	a->ai = ai;
	a->done = true;
}

/* The EAI_ code for an ARES_ status. */
static int
names_eai(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:	return EAI_NONAME;
	case ARES_ENODATA:	return EAI_NODATA;
	case ARES_ENOMEM:	return EAI_MEMORY;
	case ARES_ESERVICE:	return EAI_SERVICE;
	case ARES_EBADFAMILY:	return EAI_FAMILY;
	case ARES_EBADFLAGS:	return EAI_BADFLAGS;
	case ARES_EBADNAME:	return EAI_NONAME;
	default:		return EAI_AGAIN;	/* timeouts, no server */
	}
}

/* Is s an address libc reads without asking anybody? */
static bool
names_numeric(const char *s)
{
	unsigned char b[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1 ||
	    strchr(s, '%') != NULL;	/* a scoped IPv6 address */
}

/* Is service a port number? */
static bool
names_is_number(const char *service)
{
	char *end;

	(void)strtoul(service, &end, 10);
	return service[0] != '\0' && *end == '\0' &&
	    !isspace((unsigned char)service[0]);
}

/*
 * The port of service (none: 0) for protocol proto ("tcp" or "udp"), in
 * network order; false if the service has no such protocol.
 */
static bool
names_port(const char *service, const char *proto, uint16_t *port)
{
	struct servent	se, *r = NULL;
	char		buf[1024];

	*port = 0;
	if (service == NULL)
		return true;
	if (names_is_number(service)) {
		/* libc keeps the low 16 bits of a number too large. */
		*port = htons((uint16_t)strtoul(service, NULL, 10));
		return true;
	}
	if (getservbyname_r(service, proto, &se, buf, sizeof(buf), &r) != 0 ||
	    r == NULL)
		return false;
	*port = (uint16_t)se.s_port;
	return true;
}

/* One result in one block, as libc's freeaddrinfo frees it. */
static struct addrinfo *
names_entry(const struct sockaddr *sa, int socktype, int protocol,
    uint16_t port)
{
	struct addrinfo	*e;
	size_t		 salen = sa->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);

	if ((e = calloc(1, sizeof(*e) + sizeof(struct sockaddr_in6))) == NULL)
		return NULL;
	e->ai_family = sa->sa_family;
	e->ai_socktype = socktype;
	e->ai_protocol = protocol;
	e->ai_addrlen = (socklen_t)salen;
	e->ai_addr = (struct sockaddr *)(e + 1);
	memcpy(e->ai_addr, sa, salen);
	if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)e->ai_addr)->sin6_port = port;
	else
		((struct sockaddr_in *)e->ai_addr)->sin_port = port;
	return e;
}

PL_EXPORT int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static const struct { int type, proto; const char *name; } kinds[] = {
		{ SOCK_STREAM, IPPROTO_TCP, "tcp" },
		{ SOCK_DGRAM, IPPROTO_UDP, "udp" },
		{ SOCK_RAW, 0, NULL },
	};
	struct ares_addrinfo_hints	 ah;
	struct names_answer		 ans = { false, ARES_ENOTFOUND, NULL };
	struct ares_addrinfo_node	*an;
	struct addrinfo			 h, *head = NULL, **tail = &head;
	ares_channel			 ch;
	uint16_t			 ports[3];
	bool				 want[3];
	int				 rc, k, allowed;

	if (pl_real.getaddrinfo == NULL)
		real_init();	/* before the library's constructor ran */
	if (node == NULL || names_numeric(node) || (hints != NULL &&
	    (hints->ai_flags & AI_NUMERICHOST)))
		return pl_real.getaddrinfo(node, service, hints, res);
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	allowed = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED |
	    AI_ALL | AI_ADDRCONFIG | AI_NUMERICSERV | AI_IDN |
	    AI_CANONIDN;
	if (h.ai_flags & ~allowed)
		return EAI_BADFLAGS;
	if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET &&
	    h.ai_family != AF_INET6)
		return EAI_FAMILY;
	if (h.ai_socktype != 0 && h.ai_socktype != SOCK_STREAM &&
	    h.ai_socktype != SOCK_DGRAM && h.ai_socktype != SOCK_RAW)
		return EAI_SOCKTYPE;
	/* Which socket types, on which ports: as libc answers, in its order. */
	if (service != NULL && (h.ai_flags & AI_NUMERICSERV) &&
	    !names_is_number(service))
		return EAI_NONAME;
	if (h.ai_socktype != 0 && h.ai_socktype != SOCK_RAW &&
	    h.ai_protocol != 0 && h.ai_protocol != (h.ai_socktype ==
	    SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return EAI_SOCKTYPE;
	for (k = 0; k < 3; k++) {
		/*
		 * A protocol asked for rules out the types that do not carry
		 * it, raw too unless raw is asked for (libc's table).
		 */
		want[k] = (h.ai_socktype == 0 || h.ai_socktype ==
		    kinds[k].type) && (h.ai_protocol == 0 ||
		    kinds[k].proto == h.ai_protocol ||
		    (kinds[k].proto == 0 && h.ai_socktype == SOCK_RAW));
		ports[k] = 0;
		if (!want[k])
			continue;
		if (kinds[k].name == NULL) {
			/*
			 * Raw, as libc has it: never with a service asked
			 * of a raw socket, else with none or a number.
			 */
			(void)names_port(service, "tcp", &ports[k]);
			want[k] = service == NULL || (h.ai_socktype == 0 &&
			    names_is_number(service));
			continue;
		}
		want[k] = names_port(service, kinds[k].name, &ports[k]);
	}
	if (!want[0] && !want[1] && !want[2])
		return EAI_SERVICE;

	if ((rc = names_channel(&ch)) != ARES_SUCCESS)
		return names_eai(rc);
	memset(&ah, 0, sizeof(ah));
	ah.ai_family = h.ai_family;
	/* DNS order, as the server gave it: no probing connections. */
	ah.ai_flags = ARES_AI_NOSORT |
	    (h.ai_flags & AI_CANONNAME ? ARES_AI_CANONNAME : 0) |
	    (h.ai_flags & AI_V4MAPPED ? ARES_AI_V4MAPPED : 0) |
	    (h.ai_flags & AI_ALL ? ARES_AI_ALL : 0);
	ares_getaddrinfo(ch, node, NULL, &ah, names_done, &ans);
	names_run(ch, &ans.done);
	ares_destroy(ch);
	if (ans.status != ARES_SUCCESS) {
		ares_freeaddrinfo(ans.ai);
		return names_eai(ans.status);
	}
	for (an = ans.ai != NULL ? ans.ai->nodes : NULL; an != NULL;
	    an = an->ai_next) {
		if (an->ai_addr == NULL || (an->ai_family != AF_INET &&
		    an->ai_family != AF_INET6))
			continue;
		for (k = 0; k < 3; k++) {
			struct addrinfo *e;

			if (!want[k])
				continue;
			e = names_entry(an->ai_addr, kinds[k].type,
			    h.ai_protocol != 0 ? h.ai_protocol :
			    kinds[k].proto, ports[k]);
			if (e == NULL) {
				ares_freeaddrinfo(ans.ai);
				freeaddrinfo(head);
				return EAI_MEMORY;
			}
			*tail = e;
			tail = &e->ai_next;
		}
	}
	if (head == NULL) {
		ares_freeaddrinfo(ans.ai);
		return EAI_NODATA;
	}
	if (h.ai_flags & AI_CANONNAME) {
		const char *cn = ans.ai->name != NULL ? ans.ai->name : node;
		const struct ares_addrinfo_cname *c;
		unsigned hops;

		/* Follow the CNAME chain to the name that holds the addresses. */
		for (hops = 0; hops < 16; hops++) {
			for (c = ans.ai->cnames; c != NULL; c = c->next)
				if (c->alias != NULL && c->name != NULL &&
				    strcasecmp(c->alias, cn) == 0)
					break;
			if (c == NULL)
				break;
			cn = c->name;
		}

		if ((head->ai_canonname = strdup(cn)) == NULL) {
			ares_freeaddrinfo(ans.ai);
			freeaddrinfo(head);
			return EAI_MEMORY;
		}
	}
	ares_freeaddrinfo(ans.ai);
	*res = head;
	return 0;
}

/* The h_errno for an EAI_ code; the _r functions' return value. */
static int
names_herr(int eai, int *h_errnop)
{
	*h_errnop = eai == EAI_NONAME ? HOST_NOT_FOUND : eai == EAI_NODATA ?
	    NO_DATA : eai == EAI_AGAIN ? TRY_AGAIN : NO_RECOVERY;
	return eai == EAI_MEMORY ? ENOMEM : 0;
}

/*
 * Lay out a hostent in buf: name, no aliases, the n addresses of af in
 * addrs.  Pointers first (aligned), then the addresses, then the name.
 */
static int
names_hostent(struct hostent *ret, char *buf, size_t buflen, int af,
    const char *name, const void *const *addrs, size_t n,
    struct hostent **result, int *h_errnop)
{
	size_t	 alen = af == AF_INET6 ? 16 : 4, i;
	char	*at, **list;

	if (buflen < (n + 2) * sizeof(char *) + n * alen + strlen(name) + 1 +
	    sizeof(char *)) {
		*h_errnop = NETDB_INTERNAL;
		return ERANGE;
	}
	at = buf + ((sizeof(char *) - (uintptr_t)buf % sizeof(char *)) %
	    sizeof(char *));
	list = (char **)(void *)at;
	at = (char *)(list + n + 2);
	for (i = 0; i < n; i++, at += alen)
		list[i] = memcpy(at, addrs[i], alen);
	list[n] = NULL;
	list[n + 1] = NULL;		/* the aliases: none */
	ret->h_addr_list = list;
	ret->h_aliases = list + n + 1;
	ret->h_name = strcpy(at, name);
	ret->h_addrtype = af;
	ret->h_length = (int)alen;
	*result = ret;
	return 0;
}

/*
 * gethostbyname2_r on top of getaddrinfo: the canonical name, no aliases,
 * the addresses of af, all in the caller's buffer.
 */
PL_EXPORT int
gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
    size_t buflen, struct hostent **result, int *h_errnop)
{
	struct addrinfo	 hints, *ai = NULL, *p;
	const void	*addrs[NAMES_ADDRS_MAX];
	size_t		 n = 0;
	int		 rc;

	*result = NULL;
	if (af != AF_INET && af != AF_INET6) {
		*h_errnop = NETDB_INTERNAL;
		return EAFNOSUPPORT;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = af;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	if ((rc = getaddrinfo(name, NULL, &hints, &ai)) != 0)
		return names_herr(rc, h_errnop);
	for (p = ai; p != NULL && n < NAMES_ADDRS_MAX; p = p->ai_next)
		addrs[n++] = af == AF_INET6 ?
		    (const void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr :
		    (const void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr;
	rc = names_hostent(ret, buf, buflen, af, ai->ai_canonname != NULL ?
	    ai->ai_canonname : name, addrs, n, result, h_errnop);
	freeaddrinfo(ai);
	return rc;
}

PL_EXPORT int
gethostbyname_r(const char *name, struct hostent *ret, char *buf,
    size_t buflen, struct hostent **result, int *h_errnop)
{
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result,
	    h_errnop);
}

/* The non-reentrant forms answer in this thread's buffer. */
static __thread struct hostent	names_he;
static __thread char		names_hebuf[4096];

/* What a non-reentrant form returns once its _r form has run. */
static struct hostent *
names_static(int rc, struct hostent *r, int herr)
{
	if (r == NULL) {
		h_errno = herr;
		if (rc != 0)
			errno = rc;
	}
	return r;
}

PL_EXPORT struct hostent *
gethostbyname2(const char *name, int af)
{
	struct hostent	*r = NULL;
	int		 rc, herr = 0;

	rc = gethostbyname2_r(name, af, &names_he, names_hebuf,
	    sizeof(names_hebuf), &r, &herr);
	return names_static(rc, r, herr);
}

PL_EXPORT struct hostent *
gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}

/* The answer to a reverse lookup. */
struct names_rev {
	bool	 done;
	int	 status;
	char	 name[NI_MAXHOST];
};

static void
names_rev_set(struct names_rev *r, int status, const char *name)
{
	r->status = status;
	if (status == ARES_SUCCESS && name != NULL)
		snprintf(r->name, sizeof(r->name), "%s", name);
	else if (status == ARES_SUCCESS)
		r->status = ARES_ENOTFOUND;
	r->done = true;
}

static void
names_rev_done(void *arg, int status, int timeouts, char *node, char *service)
{
	(void)timeouts;
	(void)service;
	names_rev_set(arg, status, node);
}

static void
names_rev_host(void *arg, int status, int timeouts, struct hostent *he)
{
	(void)timeouts;
	names_rev_set(arg, status, he != NULL ? he->h_name : NULL);
}

/*
 * getnameinfo: libc formats the service and the numeric address and checks
 * the arguments; the name of the address comes from /etc/hosts or a PTR
 * query through the membrane.
 */
PL_EXPORT int
getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
    socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	struct names_rev	 r = { false, ARES_ENOTFOUND, "" };
	ares_channel		 ch;
	int			 rc;

	if (pl_real.getnameinfo == NULL)
		real_init();	/* before the library's constructor ran */
	if (host == NULL || hostlen == 0 || (flags & NI_NUMERICHOST) ||
	    sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return pl_real.getnameinfo(sa, salen, host, hostlen, serv,
		    servlen, flags);
	rc = pl_real.getnameinfo(sa, salen, host, hostlen, serv, servlen,
	    (flags | NI_NUMERICHOST) & ~NI_NAMEREQD);
	if (rc != 0)
		return rc;
	if ((rc = names_channel(&ch)) == ARES_SUCCESS) {
		ares_getnameinfo(ch, sa, (ares_socklen_t)salen,
		    ARES_NI_LOOKUPHOST | ARES_NI_NAMEREQD |
		    (flags & NI_NOFQDN ? ARES_NI_NOFQDN : 0), names_rev_done,
		    &r);
		names_run(ch, &r.done);
		ares_destroy(ch);
		rc = r.status;
	}
	if (rc == ARES_SUCCESS) {
		if (strlen(r.name) >= hostlen)
			return EAI_OVERFLOW;
		memcpy(host, r.name, strlen(r.name) + 1);
		return 0;
	}
	/* No name: the number stands, unless a name was required. */
	if (!(flags & NI_NAMEREQD))
		return 0;
	return names_eai(rc) == EAI_AGAIN ? EAI_AGAIN : EAI_NONAME;
}

/* gethostbyaddr_r: the address's name (no aliases), in the caller's buffer. */
PL_EXPORT int
gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *ret,
    char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	struct names_rev	 r = { false, ARES_ENOTFOUND, "" };
	ares_channel		 ch;
	int			 rc;

	*result = NULL;
	if ((af != AF_INET && af != AF_INET6) || addr == NULL ||
	    len != (af == AF_INET6 ? 16u : 4u)) {
		*h_errnop = NETDB_INTERNAL;
		return EINVAL;
	}
	if ((rc = names_channel(&ch)) == ARES_SUCCESS) {
		ares_gethostbyaddr(ch, addr, (int)len, af, names_rev_host, &r);
		names_run(ch, &r.done);
		ares_destroy(ch);
		rc = r.status;
	}
	if (rc != ARES_SUCCESS)
		return names_herr(names_eai(rc), h_errnop);
	return names_hostent(ret, buf, buflen, af, r.name, &addr, 1, result,
	    h_errnop);
}

PL_EXPORT struct hostent *
gethostbyaddr(const void *addr, socklen_t len, int af)
{
	struct hostent	*r = NULL;
	int		 rc, herr = 0;

	rc = gethostbyaddr_r(addr, len, af, &names_he, names_hebuf,
	    sizeof(names_hebuf), &r, &herr);
	return names_static(rc, r, herr);
}
