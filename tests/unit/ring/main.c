/* main.c: runs the ION ring suites, and the helpers they share. */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring_test.h"

/* Monotonic clock in nanoseconds. */
uint64_t
test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread, user plus system, in nanoseconds. */
uint64_t
test_thread_cpu_ns(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_THREAD, &ru), 0);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000000000u + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* Voluntary context switches of the calling thread (times it blocked). */
uint64_t
test_thread_nvcsw(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_nvcsw;
}

/* Pin the calling thread to one CPU it is allowed on. */
void
test_pin_one_cpu(void)
{
	cpu_set_t	set, one;
	int		cpu;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	/* Stay where we run now if allowed, else take the first allowed. */
	cpu = sched_getcpu();
	if (cpu < 0 || !CPU_ISSET(cpu, &set)) {
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &set))
				break;
	}
	ck_assert_int_lt(cpu, CPU_SETSIZE);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
}

/* Count the open descriptors of this process. */
int
test_count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/* A non-blocking close-on-exec eventfd, or fail the test. */
int
test_eventfd(void)
{
	int fd;

	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* One step of a polite spin: pause, and yield every 64th time. */
void
test_relax(unsigned *spins)
{
	/*
	 * Two cores, shared: a waiter that never yields can starve the very
	 * party it waits for.
	 */
	if (++*spins % 64 == 0)
		sched_yield();
	else
		test_cpu_relax();
}

/* Readiness for ion_bell_wait: the descriptor ring has items. */
int
test_ring_ready(void *ring)
{
	int64_t n = ion_ring_count(ring);

	return n > 0 ? 1 : (int)n;
}

/* Readiness: the descriptor ring has free slots. */
int
test_ring_room(void *ring)
{
	int64_t n = ion_ring_space(ring);

	return n > 0 ? 1 : (int)n;
}

/* Readiness: the stream has bytes to read. */
int
test_stream_ready(void *stream)
{
	ssize_t n = ion_stream_count(stream);

	return n > 0 ? 1 : (int)n;
}

/* Readiness: the stream has room to write. */
int
test_stream_room(void *stream)
{
	ssize_t n = ion_stream_space(stream);

	return n > 0 ? 1 : (int)n;
}

/* ------------------------------------------------------------------ */
/* Second parties                                                      */

/* Record the party's first failure; returns -1. */
int
party_fail(struct party *p, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (p->rep.failed)
		return -1;
	p->rep.failed = 1;
	n = snprintf(p->rep.msg, sizeof(p->rep.msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(p->rep.msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(p->rep.msg + n, sizeof(p->rep.msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Thread body: run the party's function. */
static void *
party_thread(void *arg)
{
	struct party *p = arg;

	if (p->fn(p, p->arg) != 0 && !p->rep.failed)
		party_fail(p, __FILE__, __LINE__, "returned non-zero");
	return NULL;
}

/* Start fn(p, arg) in a forked child or a thread. */
void
party_start(struct party *p, bool threaded,
    int (*fn)(struct party *, void *), void *arg)
{
	pid_t	parent = getpid();
	int	fds[2];

	memset(&p->rep, 0, sizeof(p->rep));
	p->fn = fn;
	p->arg = arg;
	p->threaded = threaded;
	p->pid = -1;
	p->pipe = -1;
	if (threaded) {
		ck_assert_int_eq(pthread_create(&p->thread, NULL, party_thread,
		    p), 0);
		return;
	}
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		close(fds[0]);
		/* Do not outlive a test that failed and went away. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		party_thread(p);
		/* One write under PIPE_BUF: atomic, and the pipe holds it. */
		if (write(fds[1], &p->rep, sizeof(p->rep)) != sizeof(p->rep))
			_exit(98);
		_exit(0);
	}
	close(fds[1]);
	p->pipe = fds[0];
}

/* Start a party sharing our memory: a child, or a thread under TSan. */
void
party_start_peer(struct party *p, int (*fn)(struct party *, void *),
    void *arg)
{
	party_start(p, RING_TEST_TSAN ? PARTY_THREAD : PARTY_FORK, fn, arg);
}

/*
 * Wait for the party to end, for ever if wait_ns is 0, else at most that
 * long before a forked one is killed (a thread cannot be; its own waits
 * are bounded).  Returns 0 if it passed, else -1 with the reason in msg.
 */
static int
party_reap(struct party *p, uint64_t wait_ns, char *msg, size_t len)
{
	uint64_t	t0 = test_now_ns();
	pid_t		pid;
	int		status;
	ssize_t		n;

	if (p->threaded) {
		if ((errno = pthread_join(p->thread, NULL)) != 0) {
			snprintf(msg, len, "pthread_join: %s", strerror(errno));
			return -1;
		}
		if (p->rep.failed) {
			snprintf(msg, len, "peer thread: %s", p->rep.msg);
			return -1;
		}
		return 0;
	}
	for (;;) {
		pid = waitpid(p->pid, &status, wait_ns == 0 ? 0 : WNOHANG);
		if (pid == p->pid)
			break;
		if (pid < 0 && errno != EINTR) {
			snprintf(msg, len, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (pid == 0 && test_now_ns() - t0 > wait_ns)
			kill(p->pid, SIGKILL);
		else if (pid == 0)
			usleep(1000);
	}
	n = read(p->pipe, &p->rep, sizeof(p->rep));
	close(p->pipe);
	p->pipe = -1;
	if (n == sizeof(p->rep) && p->rep.failed) {
		snprintf(msg, len, "child: %s", p->rep.msg);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(msg, len, "child killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(msg, len, "child exited with status %d",
		    WEXITSTATUS(status));
		return -1;
	}
	if (n != sizeof(p->rep)) {
		snprintf(msg, len, "child sent no report");
		return -1;
	}
	return 0;
}

/* Wait for the party and fail the test unless it passed and exited cleanly. */
void
party_join(struct party *p)
{
	char msg[sizeof(p->rep.msg) + 64];

	if (party_reap(p, 0, msg, sizeof(msg)) != 0)
		ck_abort_msg("%s", msg);
}

/* Fail the test from our side of a running party, reporting on it too. */
void
party_abort(struct party *p, const char *file, int line, const char *fmt,
    ...)
{
	char	ours[256], theirs[sizeof(p->rep.msg) + 64];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ours, sizeof(ours), fmt, ap);
	va_end(ap);
	if (party_reap(p, 2000000000u, theirs, sizeof(theirs)) == 0)
		snprintf(theirs, sizeof(theirs), "passed");
	ck_abort_msg("%s:%d: %s (and the peer: %s)", file, line, ours, theirs);
}

/* ------------------------------------------------------------------ */
/* Channels                                                            */

#define CHAN_BELL_SIZE	((sizeof(struct ion_bell_shm) + ION_INDEX_ALIGN - 1) & \
	~(size_t)(ION_INDEX_ALIGN - 1))

/* Create a region holding two bells and a ring, with their eventfds. */
void
chan_create(struct chan *c, uint32_t count, uint32_t slot_size)
{
	unsigned char	*base;
	size_t		 need;

	need = slot_size == 0 ? ion_stream_memsize(count) :
	    ion_ring_memsize(count, slot_size);
	ck_assert_uint_ne(need, 0);
	ck_assert_int_eq(ion_region_create(&c->reg, "chan",
	    2 * CHAN_BELL_SIZE + need), 0);
	base = c->reg.base;
	c->data_bell = base;
	c->space_bell = base + CHAN_BELL_SIZE;
	c->ring = base + 2 * CHAN_BELL_SIZE;
	c->ring_len = c->reg.size - 2 * CHAN_BELL_SIZE;
	ion_bell_format(c->data_bell);
	ion_bell_format(c->space_bell);
	if (slot_size == 0)
		ck_assert_int_eq(ion_stream_format(c->ring, c->ring_len, count),
		    0);
	else
		ck_assert_int_eq(ion_ring_format(c->ring, c->ring_len, count,
		    slot_size), 0);
	c->data_efd = test_eventfd();
	c->space_efd = test_eventfd();
}

/* Close the eventfds and unmap the region. */
void
chan_destroy(struct chan *c)
{
	close(c->data_efd);
	close(c->space_efd);
	ion_region_unmap(&c->reg);
}

/* Attach one side to the ring and both bells; 0 or -errno. */
int
chan_attach(struct chan *c, struct chan_end *e, enum ion_role role,
    bool stream, uint64_t spin_ns)
{
	int rc;

	memset(e, 0, sizeof(*e));
	if (stream)
		rc = ion_stream_attach(&e->stream, c->ring, c->ring_len, role);
	else
		rc = ion_ring_attach(&e->ring, c->ring, c->ring_len, role);
	if (rc != 0)
		return rc;
	if ((rc = ion_bell_attach(&e->data, c->data_bell, CHAN_BELL_SIZE,
	    c->data_efd, spin_ns)) != 0)
		return rc;
	return ion_bell_attach(&e->space, c->space_bell, CHAN_BELL_SIZE,
	    c->space_efd, spin_ns);
}

/* Run every suite; exit non-zero if any test failed. */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(test_ring_suite());
	srunner_add_suite(sr, test_stream_suite());
	srunner_add_suite(sr, test_region_suite());
	srunner_add_suite(sr, test_bell_suite());
	srunner_add_suite(sr, test_hostile_suite());
	srunner_add_suite(sr, test_stress_suite());
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
