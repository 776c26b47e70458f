/*
 * preload_pvt.h: the inside of libmembrane.so.
 *
 * The library keeps, for each descriptor number the program holds, what
 * that number is to the membrane: nothing (a kernel file, the common case,
 * one load to find out), a membrane socket, or an epoll instance that may
 * watch membrane sockets.  Every membrane socket is backed by a real kernel
 * descriptor (an unbound AF_UNIX socket), so its number is the kernel's own
 * and dup, close-on-exec and FD_SETSIZE behave as for any socket.
 *
 *   real.c     the libc functions underneath (dlsym RTLD_NEXT)
 *   fdtab.c    descriptor number -> object, references
 *   conn.c     the connection to the membrane's stack, requests, kicks
 *   wait.c     blocking: many threads on one doorbell, signals, deadlines
 *   signal.c   sigaction wrapped, to tell an SA_RESTART handler from not
 *   sock.c     socket, bind, listen, connect, accept, shutdown, close
 *   sockopt.c  setsockopt, getsockopt, the options kept here
 *   io.c       send and receive, every variant
 *   poll.c     readiness of one socket; poll, ppoll, select, pselect
 *   epoll.c    epoll instances over kernel and membrane descriptors
 *   ctl.c      fcntl, ioctl, dup, dup2, dup3
 *   api.c      the exported entry points
 *
 * Locking, outermost first: fdtab_lock (write: changes to the table;
 * read: taking a reference), an epoll instance's lock, a socket's rx or tx
 * lock, conn->ctl_lock, conn->kick_lock, the waiters' lock.  No lock is
 * held while a call sleeps, except ctl_lock across a request's round trip
 * (the stack answers every request without blocking) and a stream send's
 * tx lock while it waits for room (so concurrent sends stay whole).
 */
#ifndef MEMBRANE_PRELOAD_PVT_H
#define MEMBRANE_PRELOAD_PVT_H

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mbstack.h"

#define PL_EXPORT	__attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* real.c                                                              */

struct mmsghdr;
struct pl_real {
	int	(*socket)(int, int, int);
	int	(*socketpair)(int, int, int, int[2]);
	int	(*connect)(int, const struct sockaddr *, socklen_t);
	int	(*bind)(int, const struct sockaddr *, socklen_t);
	int	(*listen)(int, int);
	int	(*accept)(int, struct sockaddr *, socklen_t *);
	int	(*accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t	(*send)(int, const void *, size_t, int);
	ssize_t	(*sendto)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t);
	ssize_t	(*sendmsg)(int, const struct msghdr *, int);
	int	(*sendmmsg)(int, struct mmsghdr *, unsigned, int);
	ssize_t	(*recv)(int, void *, size_t, int);
	ssize_t	(*recvfrom)(int, void *, size_t, int, struct sockaddr *,
		    socklen_t *);
	ssize_t	(*recvmsg)(int, struct msghdr *, int);
	int	(*recvmmsg)(int, struct mmsghdr *, unsigned, int,
		    struct timespec *);
	ssize_t	(*read)(int, void *, size_t);
	ssize_t	(*write)(int, const void *, size_t);
	ssize_t	(*readv)(int, const struct iovec *, int);
	ssize_t	(*writev)(int, const struct iovec *, int);
	ssize_t	(*sendfile)(int, int, off_t *, size_t);
	ssize_t	(*sendfile64)(int, int, off_t *, size_t);
	int	(*close)(int);
	int	(*close_range)(unsigned, unsigned, int);
	void	(*closefrom)(int);
	int	(*shutdown)(int, int);
	int	(*dup)(int);
	int	(*dup2)(int, int);
	int	(*dup3)(int, int, int);
	int	(*fcntl)(int, int, ...);
	int	(*fcntl64)(int, int, ...);
	int	(*ioctl)(int, unsigned long, ...);
	int	(*setsockopt)(int, int, int, const void *, socklen_t);
	int	(*getsockopt)(int, int, int, void *, socklen_t *);
	int	(*getsockname)(int, struct sockaddr *, socklen_t *);
	int	(*getpeername)(int, struct sockaddr *, socklen_t *);
	int	(*poll)(struct pollfd *, nfds_t, int);
	int	(*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		    const sigset_t *);
	int	(*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int	(*pselect)(int, fd_set *, fd_set *, fd_set *,
		    const struct timespec *, const sigset_t *);
	int	(*epoll_create)(int);
	int	(*epoll_create1)(int);
	int	(*epoll_ctl)(int, int, int, struct epoll_event *);
	int	(*epoll_wait)(int, struct epoll_event *, int, int);
	int	(*epoll_pwait)(int, struct epoll_event *, int, int,
		    const sigset_t *);
	int	(*epoll_pwait2)(int, struct epoll_event *, int,
		    const struct timespec *, const sigset_t *);
	int	(*sigaction)(int, const struct sigaction *, struct sigaction *);
	int	(*getaddrinfo)(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **);
	int	(*getnameinfo)(const struct sockaddr *, socklen_t, char *,
		    socklen_t, char *, socklen_t, int);
};

extern struct pl_real	pl_real;

/* Resolve every pointer of pl_real; safe to call more than once. */
void	real_init(void);

/* ------------------------------------------------------------------ */
/* fdtab.c: objects behind descriptor numbers                          */

enum pl_kind {
	PL_SOCK = 1,
	PL_EPOLL,
};

/*
 * What a descriptor number refers to.  ref counts the descriptors that
 * name the object plus the calls in progress on it; nfds counts the
 * descriptors alone (the kernel's "open file description" is closed when
 * it reaches 0, the object freed when ref does).
 */
struct pl_obj {
	_Atomic int		 ref;
	_Atomic int		 nfds;
	int			 kind;		/* enum pl_kind */
	_Atomic int		 flags;		/* file status: O_NONBLOCK */
	void			(*release)(struct pl_obj *);	/* ref -> 0 */
	void			(*last_close)(struct pl_obj *);	/* nfds -> 0 */
};

/* Is any membrane object in the table?  (Nothing to look up if not.) */
extern _Atomic bool	pl_active;
/* Was a membrane socket ever made?  (Until then epoll is the kernel's.) */
extern _Atomic bool	pl_sock_seen;

int	fdtab_init(void);
/* Move one of the library's own descriptors out of the program's way. */
int	fdtab_hide(int fd);
/* The object behind fd, with a reference, or NULL (a kernel descriptor). */
struct pl_obj *fdtab_get(int fd);
void	obj_put(struct pl_obj *o);
/* Make fd name o (a new descriptor for it); 0 or -errno. */
int	fdtab_install(int fd, struct pl_obj *o);
/*
 * Close fd: remove it from the table, then close the kernel descriptor
 * (in that order, under the table's lock, so that a number the kernel
 * hands out again is never mistaken for ours).  Returns close's result.
 */
int	fdtab_close(int fd);
/* dup2/dup3/F_DUPFD through the table: the kernel call, then the entry. */
int	fdtab_dup(int oldfd, int newfd, int flags, int how);
#define PL_DUP		0	/* dup(oldfd) */
#define PL_DUP2		1	/* dup2(oldfd, newfd) */
#define PL_DUP3		2	/* dup3(oldfd, newfd, flags) */
#define PL_DUPFD	3	/* fcntl(oldfd, F_DUPFD[_CLOEXEC], newfd) */
/* close_range/closefrom: drop every entry in [lo, hi] first. */
int	fdtab_close_range(unsigned lo, unsigned hi, int flags);

/* ------------------------------------------------------------------ */
/* conn.c: the stack                                                   */

struct pl_conn {
	struct mbs_client	 c;
	pthread_mutex_t		 ctl_lock;	/* ctl producer, cpl consumer */
	pthread_mutex_t		 kick_lock;	/* kick ring producer */
	_Atomic bool		 dead;		/* the stack went away */
	uint32_t		 owed;		/* completions of posted requests
						   not yet taken (ctl_lock) */
};

/*
 * The connection new sockets use, made on first need; NULL with errno-like
 * *err (-ENETDOWN) when no membrane can be reached (said once on stderr).
 */
struct pl_conn *conn_get(int *err);
/* One request's round trip; the completion's result or -errno. */
int	conn_call(struct pl_conn *cn, struct mbs_req *req, struct mbs_cpl *cpl);
/*
 * A request whose answer nobody waits for (CLOSE: it cannot fail): sent,
 * and its completion taken later, by whichever call comes next.
 */
void	conn_post(struct pl_conn *cn, struct mbs_req *req);
/* Tell the stack a socket's rings moved (thread-safe mbs_kick). */
int	conn_kick(struct pl_conn *cn, struct mbs_sock *s);
/* Check whether the stack hung up; marks cn dead.  true if dead. */
bool	conn_check_dead(struct pl_conn *cn);
static inline bool
conn_dead(struct pl_conn *cn)
{
	return atomic_load_explicit(&cn->dead, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* wait.c                                                              */

#define PL_FOREVER	UINT64_MAX

uint64_t wait_now_ns(void);
/* A deadline timeout_ms from now (< 0: PL_FOREVER). */
uint64_t wait_deadline_ms(int timeout_ms);
/* ppoll's timeout for a deadline (filled in ts); NULL for none. */
struct timespec *wait_ts(uint64_t deadline, struct timespec *ts);

/*
 * Block until ready(arg) > 0, the deadline passes, one of extra (kernel
 * descriptors, revents filled) shows an event, or a signal: returns
 * ready's answer, 0 (timeout or an extra event: look at extra), -EINTR
 * (a signal whose handler has no SA_RESTART, or any signal when intr_any),
 * or another -errno.  cn may be NULL (no membrane in the wait).  sigmask,
 * if not NULL, is in force while blocked (ppoll's).  The spin budget is
 * spent first, unless the deadline is now.
 */
int	wait_until(struct pl_conn *cn, int (*ready)(void *), void *arg,
	    uint64_t deadline, struct pollfd *extra, unsigned nextra,
	    const sigset_t *sigmask, bool intr_any);
/* Wake every thread sleeping in wait_until (a local state change). */
void	wait_wake_all(void);
extern uint64_t	pl_spin_ns;

/* ------------------------------------------------------------------ */
/* signal.c                                                            */

/* Interrupts seen by this thread from handlers without SA_RESTART. */
uint64_t sig_intr_count(void);

/* ------------------------------------------------------------------ */
/* sock.c, sockopt.c, io.c                                             */

struct pl_sock {
	struct pl_obj		 o;
	struct pl_conn		*cn;
	struct mbs_sock		 s;
	int			 family;	/* AF_INET, AF_INET6 */
	int			 type;		/* SOCK_STREAM, SOCK_DGRAM */
	pthread_mutex_t		 rx_lock, tx_lock;
	_Atomic bool		 shut_rd, shut_wr;	/* said here */
	_Atomic bool		 err_taken;	/* reported the stack's error */
	_Atomic bool		 connect_seen;	/* a connect() was made */
	_Atomic bool		 conn_reported;	/* its outcome was reported */
	int			 rcvtimeo_ms;	/* 0: none */
	int			 sndtimeo_ms;
	int			 rcvlowat;
	/* Options the stack does not hold, kept to be read back. */
	int			 ip_tos, ipv6_tclass, tcp_cork, tcp_quickack;
	int			 tcp_defer_accept, tcp_user_timeout;
	uint32_t		 tx_need;	/* a datagram waits for this room */
};

/*
 * Readiness looks at a ring from any thread, without its lock: both
 * indices straight from shared memory (the handle's cached copies belong
 * to the thread that holds the lock).  The acquire pairs with the stack's
 * release of prod (rx) and cons (tx); a peer that wrote nonsense only
 * makes the answer wrong, and the locked call that follows finds out.
 */
static inline uint32_t
ring_avail(const struct ion_stream *s)
{
	uint32_t prod = atomic_load_explicit(&s->r.shm->prod,
	    memory_order_acquire);
	uint32_t cons = atomic_load_explicit(&s->r.shm->cons,
	    memory_order_relaxed);

	return prod - cons > s->r.count ? s->r.count : prod - cons;
}

static inline uint32_t
ring_room(const struct ion_stream *s)
{
	uint32_t cons = atomic_load_explicit(&s->r.shm->cons,
	    memory_order_acquire);
	uint32_t prod = atomic_load_explicit(&s->r.shm->prod,
	    memory_order_relaxed);

	return prod - cons > s->r.count ? 0 : s->r.count - (prod - cons);
}

static inline struct pl_sock *
sock_of(struct pl_obj *o)
{
	return o != NULL && o->kind == PL_SOCK ? (struct pl_sock *)o : NULL;
}

int	sock_socket(int domain, int type, int protocol);
int	sock_bind(struct pl_sock *ps, const struct sockaddr *sa, socklen_t len);
int	sock_listen(struct pl_sock *ps, int backlog);
int	sock_connect(struct pl_sock *ps, const struct sockaddr *sa,
	    socklen_t len);
int	sock_accept(struct pl_sock *ps, struct sockaddr *sa, socklen_t *len,
	    int flags);
int	sock_shutdown(struct pl_sock *ps, int how);
int	sock_name(struct pl_sock *ps, struct sockaddr *sa, socklen_t *len,
	    bool peer);
/* The stack's pending error, reported once (as SO_ERROR clears it). */
int	sock_take_error(struct pl_sock *ps);

int	sockopt_set(struct pl_sock *ps, int level, int name, const void *val,
	    socklen_t len);
int	sockopt_get(struct pl_sock *ps, int level, int name, void *val,
	    socklen_t *len);

ssize_t	io_send(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
	    int flags, const struct sockaddr *to, socklen_t tolen);
/* io_recv's flag for read(2)/readv(2): nothing asked returns 0 at once. */
#define MSG_PL_READ	0x10000000	/* no MSG_ flag; removed from callers' */
ssize_t	io_recv(struct pl_sock *ps, const struct iovec *iov, int iovcnt,
	    int flags, struct sockaddr *from, socklen_t *fromlen,
	    int *msg_flags);
ssize_t	io_sendfile(struct pl_sock *ps, int in_fd, off_t *offset,
	    size_t count);
/* Bytes waiting to be read (FIONREAD) and not yet taken (SIOCOUTQ). */
int	io_inq(struct pl_sock *ps);
int	io_outq(struct pl_sock *ps);

/* ------------------------------------------------------------------ */
/* poll.c, epoll.c                                                     */

/* The socket's readiness now, as the kernel's poll reports it (POLL*). */
uint32_t poll_sock(struct pl_sock *ps);
int	poll_poll(struct pollfd *fds, nfds_t n, uint64_t deadline,
	    const sigset_t *mask);
int	poll_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
	    uint64_t deadline, const sigset_t *mask, struct timeval *tv);

struct pl_epoll;
int	epoll_new(int kfd);
int	epoll_ctl_obj(struct pl_obj *ep, int fd, int op, struct epoll_event *ev);
#define EPOLL_KERNEL	(-0x10000)	/* wait on the kernel's instance */
int	epoll_wait_obj(struct pl_obj *ep, int epfd, struct epoll_event *evs,
	    int max, uint64_t deadline, const sigset_t *mask);
/*
 * Readiness of an epoll instance, as poll sees it (POLLIN or 0): its
 * membrane items, and with epfd >= 0 its kernel part too (a system call;
 * callers that already watch epfd pass -1).
 */
uint32_t epoll_poll(struct pl_obj *ep, int epfd);
/* A kernel descriptor was added to (or deleted from) an instance. */
void	epoll_kernel_count(struct pl_obj *ep, int op);
/* A socket's last descriptor closed: forget it in every instance. */
void	epoll_forget(struct pl_obj *o);

/* ------------------------------------------------------------------ */
/* ctl.c                                                               */

long	ctl_fcntl(struct pl_obj *o, int fd, int cmd, long arg);
long	ctl_ioctl(struct pl_obj *o, int fd, unsigned long req, void *arg);

/* ------------------------------------------------------------------ */
/* Logging (MEMBRANE_DEBUG=1 or a file name)                           */

void	pl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int	pl_debug_on;
#define PL_DEBUG(...)	do { if (pl_debug_on) pl_debug(__VA_ARGS__); } while (0)

/* errno helpers: -1 and errno from a negative errno, else the value. */
static inline long
pl_ret(long rc)
{
	extern int *__errno_location(void);

	if (rc < 0) {
		*__errno_location() = (int)-rc;
		return -1;
	}
	return rc;
}

#endif /* MEMBRANE_PRELOAD_PVT_H */
