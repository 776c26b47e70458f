/*
 * app.c: the apps' side of the stack: the endpoint (a unix socket that
 * checks who connects), one shared region per app, and the turn of the
 * loop that drains each app's request and kick rings.
 *
 * An app is trusted with nothing.  Its region is ours to lay out and its
 * rings are read through the ring library, which validates every index;
 * a ring found broken, a malformed hello or an unexpected message ends the
 * app (its sockets are reset), and no other app notices.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stack_pvt.h"

#define APP_BURST	32	/* requests or kicks taken at once */
#define APP_ALIGN	4096u

static size_t
align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Open the endpoint: done once, before the sandbox closes the file system. */
void
app_endpoint_open(struct stack *st)
{
	struct sockaddr_un	 sun;
	struct epoll_event	 ev;
	struct stat		 sb;
	char			 dir[sizeof(sun.sun_path)], *slash;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(st->cfg.endpoint) >= sizeof(sun.sun_path))
		fatalx("endpoint %s: the path is too long", st->cfg.endpoint);
	strcpy(sun.sun_path, st->cfg.endpoint);
	strcpy(dir, st->cfg.endpoint);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(MBS_RUN_DIR, 0755);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			fatal("endpoint directory %s", dir);
	}
	/* A socket left by a stack that died is ours to replace. */
	if (lstat(sun.sun_path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode))
			fatalx("endpoint %s exists and is not a socket",
			    sun.sun_path);
		(void)unlink(sun.sun_path);
	}
	if ((st->endpoint = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		fatal("socket");
	if (bind(st->endpoint, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fatal("endpoint %s", sun.sun_path);
	/* Anyone may connect; SO_PEERCRED decides who stays. */
	if (chmod(sun.sun_path, 0666) < 0 || listen(st->endpoint, 128) < 0)
		fatal("endpoint %s", sun.sun_path);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EV_MAKE(EV_ENDPOINT, 0);
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->endpoint, &ev) < 0)
		fatal("epoll_ctl");
}

static void
app_hdr(struct mbs_hdr *h, uint16_t type, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = MBS_MAGIC;
	h->version = MBS_VERSION;
	h->type = type;
	h->len = (uint32_t)len;
}

static void
app_refuse(int s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
app_refuse(int s, int err, const char *fmt, ...)
{
	struct mbs_refused	r;
	va_list			ap;

	memset(&r, 0, sizeof(r));
	app_hdr(&r.h, MBS_MSG_REFUSED, sizeof(r));
	r.err = err;
	va_start(ap, fmt);
	vsnprintf(r.reason, sizeof(r.reason), fmt, ap);
	va_end(ap);
	(void)send(s, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
app_free(struct app *a)
{
	struct stack *st = a->st;

	st->apps[a->idx] = NULL;
	st->napps--;
	if (a->efd_stack >= 0)
		close(a->efd_stack);
	if (a->efd_app >= 0)
		close(a->efd_app);
	ion_region_unmap(&a->reg);
	free(a->ss);
	free(a->free_ids);
	free(a);
}

/* A new connection on the endpoint: check who it is, wait for its hello. */
void
app_accept(struct stack *st)
{
	struct epoll_event	ev;
	struct ucred		cred;
	socklen_t		len;
	struct app		*a;
	unsigned		i, idx;
	int			s;

	while ((s = accept4(st->endpoint, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		len = sizeof(cred);
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(s);
			continue;
		}
		for (i = 0; i < st->cfg.n_allow_uid; i++)
			if (st->cfg.allow_uid[i] == cred.uid)
				break;
		if (i == st->cfg.n_allow_uid) {
			log_warnx("pid %ld (uid %u) may not use membrane %s",
			    (long)cred.pid, (unsigned)cred.uid, st->cfg.name);
			app_refuse(s, EACCES, "uid %u may not use membrane %s",
			    (unsigned)cred.uid, st->cfg.name);
			close(s);
			continue;
		}
		for (idx = 0; idx < STACK_MAX_APPS; idx++)
			if (st->apps[idx] == NULL)
				break;
		if (idx == STACK_MAX_APPS ||
		    (a = calloc(1, sizeof(*a))) == NULL) {
			app_refuse(s, EMFILE, "membrane %s serves %u apps "
			    "already", st->cfg.name, STACK_MAX_APPS);
			close(s);
			continue;
		}
		a->st = st;
		a->idx = idx;
		a->sock = s;
		a->efd_stack = a->efd_app = -1;
		a->reg.fd = -1;
		a->pid = cred.pid;
		a->uid = cred.uid;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u64 = EV_MAKE(EV_APP_SOCK, idx);
		if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, s, &ev) < 0) {
			close(s);
			free(a);
			continue;
		}
		st->apps[idx] = a;
		st->napps++;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
		log_warn("endpoint accept");
}

/* Lay out a's region and attach our sides of its rings; 0 or -errno. */
static int
app_region(struct app *a)
{
	struct stack		*st = a->st;
	struct mbs_region_hdr	*h = &a->hdr;
	size_t			 off, ctl_len, kick_len;
	unsigned char		*base;
	uint32_t		 i;
	int			 rc;

	memset(h, 0, sizeof(*h));
	h->magic = MBS_REGION_MAGIC;
	h->version = MBS_VERSION;
	h->max_socks = st->cfg.max_socks;
	h->buf_size = st->cfg.buf_size;
	ctl_len = align_up(ion_ring_memsize(MBS_CTL_SLOTS,
	    sizeof(struct mbs_req)), ION_INDEX_ALIGN);
	kick_len = align_up(ion_ring_memsize(h->max_socks, sizeof(uint32_t)),
	    ION_INDEX_ALIGN);
	off = align_up(sizeof(*h), ION_INDEX_ALIGN);
	h->off_ctl = off;
	off += ctl_len;
	h->off_cpl = off;
	off += ctl_len;
	h->off_kick = off;
	off += kick_len;
	h->off_bell_stack = off;
	off += align_up(sizeof(struct ion_bell_shm), ION_INDEX_ALIGN);
	h->off_bell_app = off;
	off += align_up(sizeof(struct ion_bell_shm), ION_INDEX_ALIGN);
	h->off_socks = off;
	off += (size_t)h->max_socks * sizeof(struct mbs_sock_shm);
	h->off_data = off = align_up(off, APP_ALIGN);
	h->ring_len = align_up(ion_stream_memsize(h->buf_size), APP_ALIGN);
	h->sock_stride = 2 * h->ring_len;
	off += (size_t)h->max_socks * h->sock_stride;
	h->size = off;

	if ((rc = ion_region_create(&a->reg, "membrane-app", off)) < 0)
		return rc;
	h->size = a->reg.size;
	base = a->reg.base;
	if ((rc = ion_ring_format(base + h->off_ctl, ctl_len, MBS_CTL_SLOTS,
	    sizeof(struct mbs_req))) < 0 ||
	    (rc = ion_ring_format(base + h->off_cpl, ctl_len, MBS_CTL_SLOTS,
	    sizeof(struct mbs_cpl))) < 0 ||
	    (rc = ion_ring_format(base + h->off_kick, kick_len, h->max_socks,
	    sizeof(uint32_t))) < 0)
		return rc;
	ion_bell_format((struct ion_bell_shm *)(void *)(base + h->off_bell_stack));
	ion_bell_format((struct ion_bell_shm *)(void *)(base + h->off_bell_app));
	memcpy(base, h, sizeof(*h));

	if ((a->efd_stack = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (a->efd_app = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	if ((rc = ion_ring_attach(&a->ctl, base + h->off_ctl, ctl_len,
	    ION_CONSUMER)) < 0 ||
	    (rc = ion_ring_attach(&a->cpl, base + h->off_cpl, ctl_len,
	    ION_PRODUCER)) < 0 ||
	    (rc = ion_ring_attach(&a->kick, base + h->off_kick, kick_len,
	    ION_CONSUMER)) < 0 ||
	    (rc = ion_bell_attach(&a->bell_stack, base + h->off_bell_stack,
	    sizeof(struct ion_bell_shm), a->efd_stack, 0)) < 0 ||
	    (rc = ion_bell_attach(&a->bell_app, base + h->off_bell_app,
	    sizeof(struct ion_bell_shm), a->efd_app, 0)) < 0)
		return rc;
	a->socks = (struct mbs_sock_shm *)(void *)(base + h->off_socks);
	if ((a->ss = calloc(h->max_socks, sizeof(*a->ss))) == NULL ||
	    (a->free_ids = calloc(h->max_socks, sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	/* Hand out low ids first: the top of the stack is id 0. */
	for (i = 0; i < h->max_socks; i++)
		a->free_ids[i] = h->max_socks - 1 - i;
	a->nfree = h->max_socks;
	return 0;
}

/* The hello: give the app its region, or refuse it. */
static void
app_hello(struct app *a, const struct mbs_hello *hello)
{
	struct stack		*st = a->st;
	struct mbs_welcome	 w;
	struct epoll_event	 ev;
	int			 fds[3], rc;

	memcpy(a->comm, hello->comm, sizeof(a->comm));
	a->comm[sizeof(a->comm) - 1] = '\0';
	if ((rc = app_region(a)) < 0) {
		log_warnx("app %u (pid %ld): no region: %s", a->id,
		    (long)a->pid, strerror(-rc));
		app_refuse(a->sock, -rc, "membrane %s: no region: %s",
		    st->cfg.name, strerror(-rc));
		app_disconnect(a, NULL, false);
		return;
	}
	memset(&w, 0, sizeof(w));
	app_hdr(&w.h, MBS_MSG_WELCOME, sizeof(w));
	w.region_size = a->reg.size;
	w.app_id = a->id = ++st->next_app_id;
	fds[0] = a->reg.fd;
	fds[1] = a->efd_stack;
	fds[2] = a->efd_app;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EV_MAKE(EV_APP_BELL, a->idx);
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, a->efd_stack, &ev) < 0 ||
	    (rc = ion_send_fds(a->sock, &w, sizeof(w), fds, 3)) < 0) {
		app_disconnect(a, "could not be welcomed", false);
		return;
	}
	log_info("app %u attached: pid %ld (%s), uid %u", a->id, (long)a->pid,
	    a->comm, (unsigned)a->uid);
}

struct stats_buf {
	int	sock;
	char	buf[4000];
	size_t	len;
	bool	lost;
};

static void
stats_flush(struct stats_buf *b)
{
	struct mbs_hdr	h;
	char		msg[sizeof(h) + sizeof(b->buf)];

	if (b->len == 0)
		return;
	app_hdr(&h, MBS_MSG_STATS_LINE, sizeof(h) + b->len);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), b->buf, b->len);
	if (send(b->sock, msg, sizeof(h) + b->len, MSG_NOSIGNAL |
	    MSG_DONTWAIT) < 0)
		b->lost = true;
	b->len = 0;
}

/* Lines are packed into messages of up to 4000 bytes, one per line break. */
static void
stats_line(void *arg, const char *line)
{
	struct stats_buf	*b = arg;
	size_t			 n = strlen(line);

	if (n >= sizeof(b->buf))
		n = sizeof(b->buf) - 1;
	if (b->len + n + 1 > sizeof(b->buf))
		stats_flush(b);
	if (b->len > 0)
		b->buf[b->len++] = '\n';
	memcpy(b->buf + b->len, line, n);
	b->len += n;
}

/* Answer a stats request: the stack, then each app and its sockets. */
static void
app_stats(struct stack *st, int s)
{
	struct stats_buf	 b;
	struct mbs_hdr		 h;
	char			 line[256];
	unsigned		 i;

	memset(&b, 0, sizeof(b));
	b.sock = s;
	snprintf(line, sizeof(line), "membrane %s: %u apps; frames rx %llu "
	    "tx %llu, drops rx %llu tx %llu", st->cfg.name, st->napps - 1,
	    (unsigned long long)st->rx_frames, (unsigned long long)st->tx_frames,
	    (unsigned long long)st->rx_drops, (unsigned long long)st->tx_drops);
	stats_line(&b, line);
	sock_health_stats(st, stats_line, &b);
	for (i = 0; i < STACK_MAX_APPS; i++) {
		struct app *a = st->apps[i];

		if (a == NULL || a->socks == NULL)
			continue;
		snprintf(line, sizeof(line), "app %u: pid %ld (%s) uid %u%s: "
		    "%u sockets, %llu requests, %llu kicks", a->id,
		    (long)a->pid, a->comm, (unsigned)a->uid,
		    a->dead ? " (gone)" : "", a->nopen,
		    (unsigned long long)a->requests,
		    (unsigned long long)a->kicks);
		stats_line(&b, line);
		sock_stats(a, stats_line, &b);
	}
	stats_flush(&b);
	app_hdr(&h, MBS_MSG_STATS_END, sizeof(h));
	(void)send(s, &h, sizeof(h), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Something on an app's endpoint connection. */
void
app_sock_event(struct stack *st, unsigned idx, uint32_t events)
{
	struct app	*a = idx < STACK_MAX_APPS ? st->apps[idx] : NULL;
	union {
		struct mbs_hdr		h;
		struct mbs_hello	hello;
		char			raw[512];
	}		 m;
	ssize_t		 n;

	if (a == NULL || a->dead)
		return;
	if (!(events & EPOLLIN)) {
		app_disconnect(a, "closed its endpoint connection", true);
		return;
	}
	n = recv(a->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		app_disconnect(a, n == 0 ? NULL : "endpoint error", true);
		return;
	}
	if ((size_t)n < sizeof(m.h) || (size_t)n > sizeof(m) ||
	    m.h.magic != MBS_MAGIC || m.h.len != (size_t)n) {
		app_refuse(a->sock, EPROTO, "malformed message");
		app_disconnect(a, "sent a malformed message", false);
		return;
	}
	if (m.h.version != MBS_VERSION) {
		app_refuse(a->sock, EPROTONOSUPPORT, "protocol version %u; "
		    "membrane-stack speaks %u", m.h.version, MBS_VERSION);
		app_disconnect(a, "speaks another protocol version", false);
		return;
	}
	if (a->socks == NULL && m.h.type == MBS_MSG_HELLO &&
	    (size_t)n == sizeof(m.hello)) {
		app_hello(a, &m.hello);
		return;
	}
	if (a->socks == NULL && m.h.type == MBS_MSG_STATS &&
	    (size_t)n == sizeof(m.h)) {
		app_stats(st, a->sock);
		app_disconnect(a, NULL, true);
		return;
	}
	app_refuse(a->sock, EPROTO, "unexpected message %u", m.h.type);
	app_disconnect(a, "sent an unexpected message", false);
}

/*
 * End an app: no more requests; its sockets are closed as a process exit
 * closes them (graceful) or reset (an app that broke its region, whose
 * rings cannot be trusted any more).  The region goes when the last
 * socket does.
 */
void
app_disconnect(struct app *a, const char *why, bool graceful)
{
	struct stack *st = a->st;

	if (a->dead)
		return;
	a->dead = true;
	if (why != NULL)
		log_warnx("app %u (pid %ld, %s): %s%s", a->id, (long)a->pid,
		    a->comm, why, graceful ? "" : "; disconnected");
	else if (a->socks != NULL)
		log_info("app %u (pid %ld, %s) detached", a->id, (long)a->pid,
		    a->comm);
	(void)epoll_ctl(st->epfd, EPOLL_CTL_DEL, a->sock, NULL);
	close(a->sock);
	a->sock = -1;
	if (a->efd_stack >= 0)
		(void)epoll_ctl(st->epfd, EPOLL_CTL_DEL, a->efd_stack, NULL);
	if (a->socks != NULL)
		sock_app_gone(a, graceful);
	/* Freed at the end of the turn, once no socket holds the region. */
}

struct mbs_sock_shm *
app_shm(struct app *a, uint32_t id)
{
	return &a->socks[id];
}

/* Where socket id's rx (tx = 0) or tx ring lives. */
void *
app_ring_mem(struct app *a, uint32_t id, int tx, size_t *len)
{
	*len = a->hdr.ring_len;
	return (unsigned char *)a->reg.base + a->hdr.off_data +
	    (size_t)id * a->hdr.sock_stride + (tx ? a->hdr.ring_len : 0);
}

/* sock.c is done with id: it may be handed out again. */
void
app_sock_gone(struct app *a, uint32_t id)
{
	a->ss[id] = NULL;
	a->free_ids[a->nfree++] = id;
	a->nopen--;
}

void
app_mark(struct app *a)
{
	a->dirty = true;
}

/* Drain one app's kicks and requests; returns the work done, or -errno. */
static int
app_poll_one(struct app *a)
{
	struct mbs_req	req[APP_BURST];
	struct mbs_cpl	cpl[APP_BURST];
	uint32_t	ids[APP_BURST];
	int		n, i, work = 0, rc;
	int64_t		room;

	while ((n = ion_ring_dequeue_burst(&a->kick, ids, APP_BURST)) > 0) {
		for (i = 0; i < n; i++) {
			if (ids[i] >= a->hdr.max_socks)
				return -EPROTO;
			/*
			 * K1: clear the flag, then fence before we look at the
			 * rings: a kick the app makes after this sees 0 and
			 * queues the id again; one made before is covered by
			 * the look we are about to take.
			 */
			atomic_exchange_explicit(&a->socks[ids[i]].kick, 0,
			    memory_order_seq_cst);
			atomic_thread_fence(memory_order_seq_cst);
			if ((rc = sock_kick(a, ids[i])) < 0)
				return rc;
		}
		a->kicks += (unsigned)n;
		work += n;
		if (n < APP_BURST)
			break;
	}
	if (n < 0)
		return n;
	for (;;) {
		if ((room = ion_ring_space(&a->cpl)) < 0)
			return (int)room;
		if (room == 0)
			break;
		n = ion_ring_dequeue_burst(&a->ctl, req,
		    room < APP_BURST ? (unsigned)room : APP_BURST);
		if (n <= 0) {
			if (n < 0)
				return n;
			break;
		}
		for (i = 0; i < n; i++) {
			memset(&cpl[i], 0, sizeof(cpl[i]));
			cpl[i].tag = req[i].tag;
			sock_request(a, &req[i], &cpl[i]);
			if (a->dead)	/* the request broke the app */
				return 0;
		}
		if ((rc = ion_ring_enqueue_bulk(&a->cpl, cpl, (unsigned)n)) < 0)
			return rc;
		a->requests += (unsigned)n;
		a->dirty = true;
		work += n;
	}
	return work;
}

/* One turn over every app's rings; returns the work done. */
int
app_poll(struct stack *st)
{
	unsigned	i;
	int		n, work = 0;

	for (i = 0; i < STACK_MAX_APPS && st->napps > 0; i++) {
		struct app *a = st->apps[i];

		if (a == NULL || a->dead || a->socks == NULL)
			continue;
		if ((n = app_poll_one(a)) < 0) {
			app_disconnect(a, "corrupted its rings", false);
			continue;
		}
		work += n;
	}
	return work;
}

/* End of a turn: wake the apps we did something for; free the finished. */
void
app_flush(struct stack *st)
{
	unsigned i;

	for (i = 0; i < STACK_MAX_APPS && st->napps > 0; i++) {
		struct app *a = st->apps[i];

		if (a == NULL)
			continue;
		if (a->broken && !a->dead)
			app_disconnect(a, "corrupted a socket's ring", false);
		if (a->dirty && !a->dead)
			(void)ion_bell_ring(&a->bell_app);
		a->dirty = false;
		if (a->dead && a->nopen == 0)
			app_free(a);
	}
}

/* Before sleeping: arm every app's bell; true if work came in meanwhile. */
bool
app_arm(struct stack *st)
{
	unsigned	i;
	bool		work = false;

	for (i = 0; i < STACK_MAX_APPS && st->napps > 0; i++) {
		struct app *a = st->apps[i];

		if (a == NULL || a->dead || a->socks == NULL)
			continue;
		ion_bell_arm(&a->bell_stack);
		if (ion_ring_count(&a->kick) != 0 ||
		    (ion_ring_count(&a->ctl) != 0 && ion_ring_space(&a->cpl) != 0))
			work = true;
	}
	return work;
}

void
app_disarm(struct stack *st)
{
	unsigned i;

	for (i = 0; i < STACK_MAX_APPS && st->napps > 0; i++) {
		struct app *a = st->apps[i];

		if (a == NULL || a->dead || a->socks == NULL)
			continue;
		ion_bell_disarm(&a->bell_stack);
		(void)ion_bell_drain(&a->bell_stack);
	}
}
