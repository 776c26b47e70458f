/*
 * mbstack.h: what membrane-stack offers the apps of its membrane, and the
 * client side of it (libmbsclient), shared by libmembrane.so and the tests.
 *
 * An app connects to the stack's endpoint (a unix SOCK_SEQPACKET socket,
 * /run/membrane/NAME/stack.sock), which checks its uid with SO_PEERCRED,
 * and says hello; the stack answers with the app's own region (a sealed
 * memfd) and two eventfds.  Everything else crosses in the region:
 *
 *   ctl      app -> stack    requests (struct mbs_req), 64 bytes each
 *   cpl      stack -> app    completions (struct mbs_cpl), one per request
 *   kick     app -> stack    socket ids whose rings the app has touched
 *   socks[]  per socket: state and error (stack), kick flag (app)
 *   data     per socket: an rx and a tx stream ring
 *
 * Doorbells: the stack sleeps on "bell_stack" (the app rings it after ctl
 * and kick), the app on "bell_app" (the stack rings it after it posted a
 * completion, moved data or changed a socket's state for this app).
 *
 * TCP sockets carry bytes in their stream rings.  UDP sockets carry
 * records: struct mbs_dgram, then the payload, padded to 8 bytes.
 *
 * The stack trusts nothing in the region: it reads each field once,
 * validates it, and disconnects an app whose rings break.  The client
 * validates the geometry the stack hands it before it touches anything.
 *
 * Socket ids are handed out by the stack (SOCKET and ACCEPT completions);
 * an id is the app's to use until the CLOSE completion, after which it
 * must not touch the socket's rings again.  The stack formats a socket's
 * rings before it hands out the id; the app then attaches them (it is the
 * consumer of rx and the producer of tx).
 *
 * The rules of the road:
 *
 *  - Requests: the app enqueues a request on ctl and rings bell_stack; the
 *    stack answers every request with exactly one completion on cpl, in
 *    order, and takes a request only when cpl has room for its answer (an
 *    app that stops draining cpl only stalls itself).
 *
 *  - Kicks: after the app writes into a tx ring, and after it drains an rx
 *    ring whose rx_wait is 1, it kicks the socket: a full fence, then
 *    "if (exchange(kick, 1) == 0) enqueue the id on the kick ring", then
 *    ring bell_stack.  The stack dequeues an id, exchanges kick back to 0,
 *    fences, and only then looks at the rings, so a kick that races with
 *    its look is never lost.  An id is in the kick ring at most once, so
 *    the ring (max_socks slots) never overflows for an app that keeps the
 *    rule.
 *
 *  - Flow control: the stack moves received bytes into the rx ring as room
 *    appears and opens the TCP window by what it moved; what does not fit
 *    stays with the stack (at most one window) and rx_wait says so.  It
 *    takes from the tx ring only what TCP can queue now, and rings
 *    bell_app when it took something, so a writer waiting for room wakes.
 *
 *  - Readiness, from the app's side, without a round trip:
 *      readable  rx ring not empty, or state has RX_EOF, ERROR or RESET,
 *                or (listening) ACCEPTQ
 *      writable  CONNECTED and room in the tx ring, or ERROR or RESET
 *    RX_EOF is set only after the last byte before the FIN is in the ring,
 *    so "ring empty and RX_EOF" is the end of the stream.
 *
 *  - Datagrams: a UDP send reserves MBS_DGRAM_SPACE(len) in the tx ring
 *    and commits header and payload at once; the stack does the same on
 *    rx, and drops (and counts) a datagram the rx ring has no room for, as
 *    a full kernel receive buffer would.
 */
#ifndef MEMBRANE_MBSTACK_H
#define MEMBRANE_MBSTACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ion.h"

#define MBS_RUN_DIR		"/run/membrane"	/* RUN_DIR/NAME/stack.sock */
#define MBS_ENDPOINT_NAME	"stack.sock"
#define MBS_MAGIC		0x4d425341u	/* "MBSA" */
#define MBS_REGION_MAGIC	0x4d425352u	/* "MBSR" */
#define MBS_VERSION		1u

#define MBS_CTL_SLOTS		256u	/* requests in flight, at most */
#define MBS_MAX_SOCKS		65536u	/* sockets per app, at most */
#define MBS_BUF_MIN		(64u << 10)	/* a socket's ring, each way */
#define MBS_BUF_MAX		(64u << 20)
#define MBS_DGRAM_MAX		65535u	/* payload bytes in one datagram */
/*
 * An app waiting for the stack polls its doorbell this long before it
 * sleeps: a wake-up from the other CPU costs tens of microseconds, more
 * than the stack takes to answer a request or pass on a reply.
 */
#define MBS_APP_SPIN_NS		50000u
#define MBS_OPT_MAX		32u	/* bytes of a socket option's value */

/* ------------------------------------------------------------------ */
/* The endpoint: hello, welcome, statistics                            */

enum mbs_msg_type {
	MBS_MSG_HELLO = 1,	/* app -> stack: struct mbs_hello */
	MBS_MSG_WELCOME,	/* stack -> app: struct mbs_welcome + 3 fds */
	MBS_MSG_REFUSED,	/* stack -> app: struct mbs_refused */
	MBS_MSG_STATS,		/* anyone allowed -> stack: struct mbs_hdr */
	MBS_MSG_STATS_LINE,	/* stack -> asker: struct mbs_hdr + text */
	MBS_MSG_STATS_END,	/* stack -> asker: struct mbs_hdr */
};

struct mbs_hdr {
	uint32_t	magic;		/* MBS_MAGIC */
	uint16_t	version;	/* MBS_VERSION */
	uint16_t	type;		/* enum mbs_msg_type */
	uint32_t	len;		/* the whole message, header included */
	uint32_t	reserved;
};

struct mbs_hello {
	struct mbs_hdr	h;
	uint32_t	pid;		/* for the stack's logs and statistics */
	uint32_t	reserved;
	char		comm[16];	/* the program's name, NUL-terminated */
};

/* fds, in order: the region's memfd, bell_stack's and bell_app's eventfd. */
struct mbs_welcome {
	struct mbs_hdr	h;
	uint64_t	region_size;
	uint32_t	app_id;
	uint32_t	reserved;
};

struct mbs_refused {
	struct mbs_hdr	h;
	int32_t		err;		/* positive errno */
	char		reason[120];	/* NUL-terminated */
};

/* ------------------------------------------------------------------ */
/* The region                                                          */

struct mbs_region_hdr {
	uint32_t	magic;		/* MBS_REGION_MAGIC */
	uint32_t	version;
	uint64_t	size;		/* of the whole region */
	uint32_t	max_socks;
	uint32_t	buf_size;	/* bytes of each stream ring, 2^n */
	uint64_t	off_ctl;	/* descriptor ring, MBS_CTL_SLOTS x 64 */
	uint64_t	off_cpl;	/* descriptor ring, MBS_CTL_SLOTS x 64 */
	uint64_t	off_kick;	/* descriptor ring, max_socks x 4 */
	uint64_t	off_bell_stack;	/* struct ion_bell_shm */
	uint64_t	off_bell_app;	/* struct ion_bell_shm */
	uint64_t	off_socks;	/* struct mbs_sock_shm[max_socks] */
	uint64_t	off_data;	/* max_socks x sock_stride */
	uint64_t	sock_stride;	/* rx ring, then tx ring, each ring_len */
	uint64_t	ring_len;	/* ion_stream_memsize(buf_size), aligned */
};

/* Socket state, as the stack publishes it (mbs_sock_shm.state). */
#define MBS_S_OPEN	 0x0001u	/* the id is in use */
#define MBS_S_STREAM	 0x0002u	/* TCP (else UDP) */
#define MBS_S_CONNECTING 0x0004u
#define MBS_S_CONNECTED	 0x0008u	/* TCP established, UDP connected */
#define MBS_S_LISTENING	 0x0010u
#define MBS_S_ACCEPTQ	 0x0020u	/* a connection waits to be accepted */
#define MBS_S_RX_EOF	 0x0040u	/* peer's FIN: no bytes after the ring's */
#define MBS_S_TX_SHUT	 0x0080u	/* our side will send no more */
#define MBS_S_ERROR	 0x0100u	/* error holds a pending errno */
#define MBS_S_RESET	 0x0200u	/* the connection is gone (RST, abort) */
#define MBS_S_BOUND	 0x0400u

/*
 * One socket, 64 bytes.  state and error are written by the stack only,
 * kick by both (see mbs_kick), rx_wait by the stack only.
 */
struct mbs_sock_shm {
	_Atomic uint32_t state;		/* MBS_S_* */
	_Atomic int32_t	 error;		/* pending positive errno, or 0 */
	_Atomic uint32_t kick;		/* 1 while the id sits in the kick ring */
	_Atomic uint32_t rx_wait;	/* 1 while the stack holds bytes the
					   rx ring had no room for */
	uint32_t	 gen;		/* bumped at each use of the id */
	uint32_t	 reserved[11];
};

/* A datagram record in a UDP socket's rings. */
struct mbs_addr {
	uint16_t	family;		/* AF_INET, AF_INET6, or 0: none */
	uint16_t	port;		/* network byte order */
	uint32_t	scope_id;	/* IPv6 */
	uint8_t		addr[16];	/* IPv4 in the first 4 bytes */
};

struct mbs_dgram {
	uint32_t	len;		/* payload bytes that follow */
	uint32_t	flags;		/* 0 */
	struct mbs_addr	addr;		/* rx: the source; tx: the destination,
					   or family 0 for the connected peer */
};

#define MBS_DGRAM_ALIGN		8u
#define MBS_DGRAM_SPACE(len)	(sizeof(struct mbs_dgram) + \
	(((len) + MBS_DGRAM_ALIGN - 1) & ~(size_t)(MBS_DGRAM_ALIGN - 1)))

/* ------------------------------------------------------------------ */
/* Requests and completions                                            */

enum mbs_op {
	MBS_OP_SOCKET = 1,	/* u.socket -> sock */
	MBS_OP_BIND,		/* u.addr */
	MBS_OP_LISTEN,		/* u.val = backlog */
	MBS_OP_CONNECT,		/* u.addr -> 0 (UDP, or TCP already up) or
				   -EINPROGRESS; watch CONNECTED/ERROR */
	MBS_OP_ACCEPT,		/* -> sock = the new socket, u.addr = peer;
				   -EAGAIN if none waits */
	MBS_OP_SHUTDOWN,	/* u.val = SHUT_RD, SHUT_WR or SHUT_RDWR */
	MBS_OP_CLOSE,		/* the id is the stack's again */
	MBS_OP_GETSOCKNAME,	/* -> u.addr */
	MBS_OP_GETPEERNAME,	/* -> u.addr */
	MBS_OP_SETSOCKOPT,	/* u.opt */
	MBS_OP_GETSOCKOPT,	/* u.opt.level, name -> u.opt.len, val */
	MBS_OP_NOP,		/* a round trip, nothing more */
	MBS_OP_IFINFO,		/* -> u.ifinfo: the membrane's interface */
	MBS_OP_MAX
};

struct mbs_opt {
	int32_t		level;
	int32_t		name;
	uint32_t	len;
	uint8_t		val[MBS_OPT_MAX];
};

/* The membrane's interface, as the app's interface ioctls show it. */
struct mbs_ifinfo {
	char		name[16];	/* the membrane's name, NUL-terminated */
	uint8_t		mac[6];
	uint16_t	mtu;
	uint32_t	addr;		/* IPv4, network order; 0: none yet */
	uint32_t	mask;		/* network order */
	uint32_t	flags;		/* IFF_UP, IFF_RUNNING, ... */
	uint32_t	index;
};

struct mbs_req {
	uint16_t	op;		/* enum mbs_op */
	uint16_t	flags;		/* 0 */
	uint32_t	sock;		/* the socket's id (not for SOCKET) */
	uint64_t	tag;		/* echoed in the completion */
	union {
		struct {
			int32_t	family;		/* AF_INET, AF_INET6 */
			int32_t	type;		/* SOCK_STREAM, SOCK_DGRAM */
			int32_t	protocol;	/* 0 or the matching one */
		} socket;
		struct mbs_addr	addr;
		int32_t		val;
		struct mbs_opt	opt;
		uint8_t		raw[48];
	} u;
};

struct mbs_cpl {
	uint64_t	tag;		/* the request's */
	int32_t		result;		/* >= 0, or a negative errno */
	uint32_t	sock;		/* SOCKET, ACCEPT: the new id */
	union {
		struct mbs_addr	addr;
		struct mbs_opt	opt;
		struct mbs_ifinfo ifinfo;
		uint8_t		raw[48];
	} u;
};

_Static_assert(sizeof(struct mbs_req) == 64, "requests are 64 bytes");
_Static_assert(sizeof(struct mbs_cpl) == 64, "completions are 64 bytes");
_Static_assert(sizeof(struct mbs_sock_shm) == 64, "a socket is 64 bytes");
_Static_assert(sizeof(struct mbs_dgram) == 32, "a record header is 32 bytes");

/* ------------------------------------------------------------------ */
/* The client (libmbsclient): one app's view of its region             */

/* One socket, as the app holds it. */
struct mbs_sock {
	uint32_t		 id;
	struct mbs_sock_shm	*shm;
	struct ion_stream	 rx;	/* app is the consumer */
	struct ion_stream	 tx;	/* app is the producer */
};

struct mbs_client {
	int			 sock;		/* the endpoint connection */
	struct ion_region	 reg;
	struct mbs_region_hdr	 hdr;		/* private, validated copy */
	struct ion_ring		 ctl, cpl, kick;
	struct ion_bell		 bell_stack, bell_app;
	int			 efd_stack, efd_app;
	struct mbs_sock_shm	*socks;
	uint32_t		 app_id;
	uint64_t		 next_tag;
};

/* The endpoint of membrane NAME: RUN_DIR/NAME/stack.sock into buf. */
int	mbs_endpoint_path(char *buf, size_t len, const char *name);

/*
 * Connect to the endpoint at path, say hello, map the region.  On refusal
 * the stack's reason is copied to reason (if not NULL).
 * Returns 0 or -errno (-EACCES: the stack refused this uid).
 */
int	mbs_connect(struct mbs_client *c, const char *path, char *reason,
	    size_t reasonlen);
void	mbs_disconnect(struct mbs_client *c);

/*
 * Send a request and wait for its completion (single-threaded callers:
 * any completion that is not ours is an error).  req->tag is set here.
 * timeout_ms < 0 waits forever.  Returns the completion's result (>= 0 or
 * a negative errno), or -ETIMEDOUT / -EPROTO / -ECONNRESET (stack gone).
 */
int	mbs_call(struct mbs_client *c, struct mbs_req *req,
	    struct mbs_cpl *cpl, int timeout_ms);

/* Attach the rings of socket id (after SOCKET or ACCEPT); 0 or -errno. */
int	mbs_sock_attach(struct mbs_client *c, uint32_t id, struct mbs_sock *s);

/* Tell the stack that s's rings moved (see mbs_sock_shm.kick). */
int	mbs_kick(struct mbs_client *c, struct mbs_sock *s);

/*
 * Non-blocking data calls.  Stream: bytes; 0 from mbs_recv means no bytes
 * now (check mbs_sock_state for RX_EOF).  Datagram: one record each;
 * mbs_recvfrom returns the datagram's full length (it may exceed len: the
 * rest is dropped, as MSG_TRUNC reports).  -EAGAIN when nothing fits or
 * nothing waits, a negative errno for a broken socket.
 */
ssize_t	mbs_send(struct mbs_client *c, struct mbs_sock *s, const void *buf,
	    size_t len);
ssize_t	mbs_recv(struct mbs_client *c, struct mbs_sock *s, void *buf,
	    size_t len);
ssize_t	mbs_sendto(struct mbs_client *c, struct mbs_sock *s, const void *buf,
	    size_t len, const struct mbs_addr *to);
ssize_t	mbs_recvfrom(struct mbs_client *c, struct mbs_sock *s, void *buf,
	    size_t len, struct mbs_addr *from);

static inline uint32_t
mbs_sock_state(const struct mbs_sock *s)
{
	return atomic_load_explicit(&s->shm->state, memory_order_acquire);
}

/*
 * Wait on the app's doorbell until ready(arg) > 0, spinning first for the
 * bell's budget.  Returns ready's answer, 0 on timeout, or -errno.
 */
int	mbs_wait(struct mbs_client *c, int (*ready)(void *), void *arg,
	    int timeout_ms);

/* Ask the stack at path for its statistics and print them to out. */
int	mbs_stats(const char *path, FILE *out, char *reason, size_t reasonlen);

/* Conversions between struct mbs_addr and sockaddr; 0 or -EAFNOSUPPORT. */
struct sockaddr;
int	mbs_addr_from_sa(struct mbs_addr *a, const struct sockaddr *sa,
	    unsigned salen);
unsigned mbs_addr_to_sa(const struct mbs_addr *a, struct sockaddr *sa,
	    unsigned salen);

#endif /* MEMBRANE_MBSTACK_H */
