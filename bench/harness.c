/* harness.c: what every contender shares: CPUs, peers, memory, figures. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ion.h"
#include "bench_pvt.h"

/* Buffers the consumers copy into escape here, so no copy is elided. */
void * volatile harness_sink;

/* This thread's run-queue wait when it left the barrier. */
static _Thread_local uint64_t harness_wait0;

/*
 * Nanoseconds the calling thread has spent runnable but waiting for its
 * CPU (another task had it): the second field of its schedstat.  0 where
 * the kernel keeps no such count.
 */
static uint64_t
harness_wait(void)
{
	char		 buf[128], *p;
	ssize_t		 n;
	int		 fd;

	if ((fd = open("/proc/thread-self/schedstat", O_RDONLY |
	    O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	strtoull(buf, &p, 10);
	return strtoull(p, NULL, 10);
}

/* Print "ring: what: reason" and exit 1; err is a negative errno or 0. */
void
harness_fatal(int err, const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("ring: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err != 0)
		fprintf(stderr, ": %s", strerror(-err));
	fputc('\n', stderr);
	exit(1);
}

/* Cache-line aligned, zeroed (so touched) private memory; never fails. */
void *
harness_alloc(size_t len)
{
	void	*p;

	len = (len + BENCH_LINE - 1) & ~(size_t)(BENCH_LINE - 1);
	if ((p = aligned_alloc(BENCH_LINE, len)) == NULL)
		harness_fatal(-ENOMEM, "%zu bytes", len);
	memset(p, 0, len);
	return p;
}

/* Check that both CPUs the benchmark pins to are ours: 0, -EXDEV or -errno. */
int
harness_cpus_check(void)
{
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	if (!CPU_ISSET(BENCH_CPU_MAIN, &set) ||
	    !CPU_ISSET(BENCH_CPU_PEER, &set))
		return -EXDEV;
	return 0;
}

/* Pin the calling thread to one CPU; 0 or -errno. */
int
harness_pin(int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* SIGALRM: a measurement hung; the forked peer dies with us (PDEATHSIG). */
static void
harness_alarm(int sig)
{
	static const char msg[] = "ring: a measurement hung, giving up\n";
	ssize_t	 n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(1);
}

/* Arm (or with 0, disarm) a watchdog of ns plus a generous margin. */
void
harness_watchdog(uint64_t ns)
{
	signal(SIGALRM, harness_alarm);
	alarm(ns == 0 ? 0 : (unsigned)(ns / 1000000000u) + 30);
}

/*
 * Map a fresh sealed memfd region of len bytes, the memory every contender
 * uses, so that all three run on the same kind of pages (shmem, 4 KiB, no
 * transparent huge pages).  Returns its base; fatal on failure.
 */
void *
harness_shm(struct ion_region *reg, size_t len)
{
	int	err;

	if ((err = ion_region_create(reg, "bench-ring", len)) != 0)
		harness_fatal(err, "ion_region_create (%zu bytes)", len);
	return reg->base;
}

/* Thread entry for a peer that is a thread. */
static void *
harness_thread(void *arg)
{
	struct harness_peer	*p = arg;

	p->fn(p->arg);
	return NULL;
}

/*
 * Start fn(arg) on the peer CPU, in a thread or in a forked process that
 * dies with us.  Returns 0 or -errno.
 */
int
harness_peer_start(struct harness_peer *p, bool process,
    struct bench_ctl *ctl, void (*fn)(void *), void *arg)
{
	pthread_attr_t	 attr;
	cpu_set_t	 set;
	pid_t		 parent = getpid();
	int		 err;

	memset(p, 0, sizeof(*p));
	p->fn = fn;
	p->arg = arg;
	p->ctl = ctl;
	p->process = process;
	p->pid = -1;
	if (!process) {
		CPU_ZERO(&set);
		CPU_SET(BENCH_CPU_PEER, &set);
		if ((err = pthread_attr_init(&attr)) != 0)
			return -err;
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (err == 0)
			err = pthread_create(&p->thread, &attr, harness_thread,
			    p);
		pthread_attr_destroy(&attr);
		return -err;
	}
	fflush(NULL);
	if ((p->pid = fork()) < 0)
		return -errno;
	if (p->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		if ((err = harness_pin(BENCH_CPU_PEER)) != 0)
			harness_peer_fail(ctl, err, "pinning the peer process");
		else
			fn(arg);
		_exit(0);
	}
	return 0;
}

/* Wait for the peer to end; fatal if it failed or died. */
void
harness_peer_join(struct harness_peer *p)
{
	int	status, err;

	if (!p->process) {
		if ((err = pthread_join(p->thread, NULL)) != 0)
			harness_fatal(-err, "pthread_join");
	} else {
		while (waitpid(p->pid, &status, 0) < 0) {
			if (errno != EINTR)
				harness_fatal(-errno, "waitpid");
		}
		if (WIFSIGNALED(status))
			harness_fatal(0, "peer process killed by signal %d",
			    WTERMSIG(status));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			harness_fatal(0, "peer process exited with %d",
			    WEXITSTATUS(status));
	}
	if (p->ctl->err != 0)
		harness_fatal(p->ctl->err, "peer: %s", p->ctl->why);
}

/* Peer: report a failure (what failed, -errno) and give up the barrier. */
void
harness_peer_fail(struct bench_ctl *ctl, int err, const char *what)
{
	snprintf(ctl->why, sizeof(ctl->why), "%s", what);
	harness_peer_done(ctl, 0, 0, err != 0 ? err : -EPROTO);
}

/* Peer: publish what it counted; err is 0 or the ring's -errno. */
void
harness_peer_done(struct bench_ctl *ctl, uint64_t got, uint64_t bad, int err)
{
	ctl->got = got;
	ctl->bad = bad;
	ctl->err = err;
	ctl->wait = harness_wait() - harness_wait0;
	if (err != 0 && ctl->why[0] == '\0')
		snprintf(ctl->why, sizeof(ctl->why), "ring operation");
	/* Release pairs with the acquire loads of done on the main side. */
	atomic_store_explicit(&ctl->done, 1, memory_order_release);
}

/* Main side, in a long wait: fatal if the peer has given up. */
void
harness_peer_check(struct bench_ctl *ctl)
{
	/* Acquire pairs with the release store in harness_peer_done. */
	if (atomic_load_explicit(&ctl->done, memory_order_acquire) != 0 &&
	    ctl->err != 0)
		harness_fatal(ctl->err, "peer: %s", ctl->why);
}

/*
 * Both sides: wait for the other, so that neither times start-up.  The main
 * side also watches for a peer that failed before reaching it.  Each side
 * notes how long it has waited for its CPU so far.
 */
void
harness_barrier(struct bench_ctl *ctl)
{
	uint32_t spins = 0;

	/* Both are read-modify-writes on one counter: no ordering needed. */
	atomic_fetch_add_explicit(&ctl->ready, 1, memory_order_relaxed);
	while (atomic_load_explicit(&ctl->ready, memory_order_relaxed) < 2) {
		if ((++spins & 1023) == 0)
			harness_peer_check(ctl);
		harness_pause();
	}
	harness_wait0 = harness_wait();
}

/*
 * Main side: announce that sent messages were all, wait for the peer to
 * take the last one and return the time it was seen done.
 */
uint64_t
harness_finish(struct bench_ctl *ctl, uint64_t sent)
{
	uint32_t spins = 0;

	ctl->sent = sent;
	/* Release: sent is visible to whoever sees stop (harness_drained). */
	atomic_store_explicit(&ctl->stop, 1, memory_order_release);
	while (atomic_load_explicit(&ctl->done, memory_order_acquire) == 0) {
		if ((++spins & (BENCH_CHECK_SPINS - 1)) == 0)
			harness_peer_check(ctl);
		harness_pause();
	}
	return harness_now();
}

/* Fill a throughput result: what the peer got, unit bytes each. */
void
harness_tput(struct bench_ctl *ctl, uint64_t sent, uint64_t t0, uint64_t t1,
    uint64_t unit, struct bench_result *res)
{
	memset(res, 0, sizeof(*res));
	res->lost_ns = harness_wait() - harness_wait0 + ctl->wait;
	res->count = ctl->got;
	res->bad = ctl->bad + (ctl->got != sent);
	res->rate = t1 > t0 ? (double)ctl->got * (double)unit * 1e9 /
	    (double)(t1 - t0) : 0;
}

/* The smallest bin at or below which lies the fraction q of n samples. */
static double
harness_pct(const uint32_t *bins, uint64_t n, double q)
{
	uint64_t	 want = (uint64_t)((double)n * q), seen = 0;
	uint32_t	 i;

	if (want == 0)
		want = 1;
	for (i = 0; i < BENCH_LAT_BINS; i++) {
		seen += bins[i];
		if (seen >= want)
			return i;
	}
	return BENCH_LAT_BINS - 1;
}

/* Fill a latency result from a histogram of n round trips. */
void
harness_lat(struct bench_ctl *ctl, const uint32_t *bins, uint64_t n,
    struct bench_result *res)
{
	memset(res, 0, sizeof(*res));
	res->lost_ns = harness_wait() - harness_wait0 + ctl->wait;
	res->count = n;
	res->p50_ns = harness_pct(bins, n, 0.50);
	res->p99_ns = harness_pct(bins, n, 0.99);
}

/* Copy len bytes into two segments, starting off bytes in; returns len. */
size_t
harness_iov_in(const struct iovec *iov, size_t off, const void *src,
    size_t len)
{
	const unsigned char	*s = src;
	size_t			 n = 0;

	if (off < iov[0].iov_len) {
		n = iov[0].iov_len - off < len ? iov[0].iov_len - off : len;
		memcpy((unsigned char *)iov[0].iov_base + off, s, n);
		off = 0;
	} else
		off -= iov[0].iov_len;
	if (n < len)
		memcpy((unsigned char *)iov[1].iov_base + off, s + n, len - n);
	return len;
}

/* Copy len bytes out of two segments, starting off bytes in; returns len. */
size_t
harness_iov_out(void *dst, const struct iovec *iov, size_t off, size_t len)
{
	unsigned char	*d = dst;
	size_t		 n = 0;

	if (off < iov[0].iov_len) {
		n = iov[0].iov_len - off < len ? iov[0].iov_len - off : len;
		memcpy(d, (const unsigned char *)iov[0].iov_base + off, n);
		off = 0;
	} else
		off -= iov[0].iov_len;
	if (n < len)
		memcpy(d + n, (const unsigned char *)iov[1].iov_base + off,
		    len - n);
	return len;
}
