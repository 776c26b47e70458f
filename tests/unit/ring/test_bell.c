/* test_bell.c: doorbells: kicks, waits, no lost wake-ups, quiet when idle. */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring_test.h"

/*
 * Ping-pong: round trips until both this many have been made and the two
 * consumers have slept this many times between them.
 */
#define PINGPONG_SLEEPS		1000000u
#define PINGPONG_MAX_TRIPS	4000000u
/* Racy variant: items, and the consumer's spin budget. */
#define RACY_ITEMS		200000u
#define RACY_SPIN_NS		5000u
/* How soon an item must be taken; a lost wake-up costs TEST_WAIT_MS. */
#define RACY_TAKE_NS		1000000000u

/* True if the eventfd has a wake-up pending. */
static bool
efd_readable(int efd)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* Readiness that never comes. */
static int
never_ready(void *arg)
{
	return 0;
}

/* Answer *(int *)arg, counting the calls in arg[1]. */
static int
answer(void *arg)
{
	int *a = arg;

	a[1]++;
	return a[0];
}

/* A bell in a fresh region, attached with a fresh eventfd. */
static void
bell_setup(struct ion_region *reg, struct ion_bell *b, uint64_t spin_ns)
{
	ck_assert_int_eq(ion_region_create(reg, "bell", 4096), 0);
	ion_bell_format(reg->base);
	ck_assert_int_eq(ion_bell_attach(b, reg->base, reg->size,
	    test_eventfd(), spin_ns), 0);
}

/* Close the eventfd and unmap. */
static void
bell_teardown(struct ion_region *reg, struct ion_bell *b)
{
	close(b->efd);
	ion_region_unmap(reg);
}

START_TEST(test_bell_attach)
{
	struct ion_region	 reg;
	struct ion_bell		 b;
	unsigned char		*mem;
	int			 efd = test_eventfd();

	ck_assert_int_eq(ion_region_create(&reg, "bell", 4096), 0);
	mem = reg.base;
	/* Unformatted memory is not a bell. */
	ck_assert_int_eq(ion_bell_attach(&b, mem, reg.size, efd, 0), -EPROTO);
	ion_bell_format((struct ion_bell_shm *)mem);
	ck_assert_uint_eq(((struct ion_bell_shm *)mem)->magic, ION_BELL_MAGIC);
	ck_assert_int_eq(ion_bell_attach(&b, NULL, reg.size, efd, 0), -EINVAL);
	ck_assert_int_eq(b.efd, -1);
	ck_assert_int_eq(ion_bell_attach(&b, mem, sizeof(struct ion_bell_shm) -
	    1, efd, 0), -EINVAL);
	ck_assert_int_eq(ion_bell_attach(&b, mem, reg.size, -1, 0), -EINVAL);
	ck_assert_int_eq(ion_bell_attach(&b, mem + 64, reg.size - 64, efd, 0),
	    -EINVAL);
	ck_assert_int_eq(ion_bell_attach(&b, mem, sizeof(struct ion_bell_shm),
	    efd, 1234), 0);
	ck_assert_ptr_eq(b.shm, (void *)mem);
	ck_assert_int_eq(b.efd, efd);
	ck_assert_uint_eq(b.spin_ns, 1234);
	/* A foreign magic, even a ring's. */
	((struct ion_bell_shm *)mem)->magic = ION_RING_MAGIC;
	ck_assert_int_eq(ion_bell_attach(&b, mem, reg.size, efd, 0), -EPROTO);
	close(efd);
	ion_region_unmap(&reg);
}
END_TEST

/* The producer writes the eventfd only for an armed consumer. */
START_TEST(test_bell_ring_kick)
{
	struct ion_region	reg;
	struct ion_bell		b;
	uint64_t		max = 0xfffffffffffffffeull;

	bell_setup(&reg, &b, 0);
	ck_assert_int_eq(ion_bell_ring(&b), 0);
	ck_assert(!efd_readable(b.efd));
	ck_assert_uint_eq(atomic_load(&b.shm->rings), 0);

	ion_bell_arm(&b);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeping), 1);
	ck_assert_int_eq(ion_bell_ring(&b), 1);
	ck_assert(efd_readable(b.efd));
	ck_assert_uint_eq(atomic_load(&b.shm->rings), 1);
	ck_assert_int_eq(ion_bell_ring(&b), 1);
	ck_assert_uint_eq(atomic_load(&b.shm->rings), 2);
	ck_assert_int_eq(ion_bell_drain(&b), 0);
	ck_assert(!efd_readable(b.efd));
	/* Draining an empty eventfd is not an error. */
	ck_assert_int_eq(ion_bell_drain(&b), 0);
	ion_bell_disarm(&b);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeping), 0);
	ck_assert_int_eq(ion_bell_ring(&b), 0);
	ck_assert(!efd_readable(b.efd));

	/* An unconditional kick; a counter at its ceiling still wakes. */
	ck_assert_int_eq(ion_bell_kick(&b), 1);
	ck_assert(efd_readable(b.efd));
	ck_assert_int_eq(ion_bell_drain(&b), 0);
	ck_assert_int_eq(write(b.efd, &max, sizeof(max)), sizeof(max));
	ck_assert_int_eq(ion_bell_kick(&b), 1);
	ck_assert(efd_readable(b.efd));
	ck_assert_int_eq(ion_bell_drain(&b), 0);
	ck_assert(!efd_readable(b.efd));

	/* A dead eventfd is the kernel's error. */
	close(b.efd);
	ck_assert_int_eq(ion_bell_kick(&b), -EBADF);
	ck_assert_int_eq(ion_bell_drain(&b), -EBADF);
	ion_region_unmap(&reg);
}
END_TEST

START_TEST(test_bell_wait_basic)
{
	struct ion_region	reg;
	struct ion_bell		b;
	int			a[2];
	uint64_t		t0, el;

	bell_setup(&reg, &b, ION_BELL_SPIN_NS_DEFAULT);
	/* Ready at once: its answer, no sleep. */
	a[0] = 7;
	a[1] = 0;
	ck_assert_int_eq(ion_bell_wait(&b, answer, a, 1000), 7);
	ck_assert_int_eq(a[1], 1);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeps), 0);
	/* ready()'s own error comes back as it is. */
	a[0] = -EPROTO;
	ck_assert_int_eq(ion_bell_wait(&b, answer, a, 1000), -EPROTO);
	/* A zero timeout polls once. */
	t0 = test_now_ns();
	ck_assert_int_eq(ion_bell_wait(&b, never_ready, NULL, 0), 0);
	ck_assert_uint_lt(test_now_ns() - t0, 100000000u);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeps), 0);

	/* Nothing comes: 0 after the timeout, and it did sleep. */
	t0 = test_now_ns();
	ck_assert_int_eq(ion_bell_wait(&b, never_ready, NULL, 50), 0);
	el = test_now_ns() - t0;
	ck_assert_uint_ge(el, 50000000u);
	ck_assert_uint_lt(el, 2000000000u);
	ck_assert_uint_ge(atomic_load(&b.shm->sleeps), 1);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeping), 0);

	/*
	 * A stale kick (one that raced a disarm) wakes the next wait at
	 * once; the wait finds nothing, drains it, sleeps again and still
	 * honours its timeout.
	 */
	ion_bell_arm(&b);
	ck_assert_int_eq(ion_bell_ring(&b), 1);
	ion_bell_disarm(&b);
	ck_assert(efd_readable(b.efd));
	t0 = test_now_ns();
	ck_assert_int_eq(ion_bell_wait(&b, never_ready, NULL, 50), 0);
	ck_assert_uint_ge(test_now_ns() - t0, 50000000u);
	ck_assert(!efd_readable(b.efd));
	ck_assert_uint_eq(atomic_load(&b.shm->sleeping), 0);
	bell_teardown(&reg, &b);
}
END_TEST

/* SIGALRM handler: only there to interrupt poll. */
static void
on_alarm(int sig)
{
}

/* A signal ends the wait with -EINTR and leaves the bell disarmed. */
START_TEST(test_bell_wait_eintr)
{
	struct ion_region	reg;
	struct ion_bell		b;
	struct sigaction	sa;
	struct itimerval	it;
	uint64_t		t0;

	bell_setup(&reg, &b, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 50000;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = test_now_ns();
	ck_assert_int_eq(ion_bell_wait(&b, never_ready, NULL, TEST_WAIT_MS),
	    -EINTR);
	ck_assert_uint_lt(test_now_ns() - t0, 2000000000u);
	ck_assert_uint_eq(atomic_load(&b.shm->sleeping), 0);
	bell_teardown(&reg, &b);
}
END_TEST

/* Peer: wait a while, then enqueue one item and ring. */
static int
late_producer(struct party *p, void *arg)
{
	struct chan	*c = arg;
	struct chan_end	 e;
	uint64_t	 v = 42;
	struct timespec	 ts = { 0, 30000000 };

	PARTY_CHECK(p, chan_attach(c, &e, ION_PRODUCER, false, 0) == 0);
	nanosleep(&ts, NULL);
	PARTY_CHECK(p, ion_ring_enqueue_bulk(&e.ring, &v, 1) == 1);
	PARTY_CHECK(p, ion_bell_ring(&e.data) == 1);
	return 0;
}

/* A sleeping consumer is woken by the other party's ring. */
START_TEST(test_bell_wake)
{
	struct chan	c;
	struct chan_end	e;
	struct party	peer;
	uint64_t	t0, el, v = 0;

	chan_create(&c, 64, 8);
	ck_assert_int_eq(chan_attach(&c, &e, ION_CONSUMER, false,
	    ION_BELL_SPIN_NS_DEFAULT), 0);
	t0 = test_now_ns();
	party_start_peer(&peer, late_producer, &c);
	ck_assert_int_eq(ion_bell_wait(&e.data, test_ring_ready, &e.ring,
	    TEST_WAIT_MS), 1);
	el = test_now_ns() - t0;
	ck_assert_int_eq(ion_ring_dequeue_bulk(&e.ring, &v, 1), 1);
	ck_assert_uint_eq(v, 42);
	party_join(&peer);
	ck_assert_uint_ge(el, 30000000u);
	ck_assert_uint_lt(el, 2000000000u);
	ck_assert_uint_ge(atomic_load(&e.data.shm->sleeps), 1);
	ck_assert_uint_eq(atomic_load(&e.data.shm->rings), 1);
	ck_assert_uint_eq(atomic_load(&e.data.shm->sleeping), 0);
	chan_destroy(&c);
}
END_TEST

struct pingpong {
	struct chan	ab;	/* ping: this side to the peer */
	struct chan	ba;	/* pong: back */
};

/* Peer: return every item on ab over ba, until the end mark. */
static int
pong(struct party *p, void *arg)
{
	struct pingpong	*pp = arg;
	struct chan_end	 in, out;
	uint64_t	 v, want = 0;
	int		 rc;

	PARTY_CHECK(p, chan_attach(&pp->ab, &in, ION_CONSUMER, false, 0) == 0);
	PARTY_CHECK(p, chan_attach(&pp->ba, &out, ION_PRODUCER, false, 0) == 0);
	for (;;) {
		rc = ion_bell_wait(&in.data, test_ring_ready, &in.ring,
		    TEST_WAIT_MS);
		PARTY_CHECK_MSG(p, rc == 1, "pong: wait for item %llu: %d "
		    "(0 is a lost wake-up)", (unsigned long long)want, rc);
		rc = ion_ring_dequeue_bulk(&in.ring, &v, 1);
		PARTY_CHECK_MSG(p, rc == 1, "dequeue: %d", rc);
		if (v == UINT64_MAX)
			break;
		PARTY_CHECK_MSG(p, v == want, "got %llu, want %llu",
		    (unsigned long long)v, (unsigned long long)want);
		want++;
		PARTY_CHECK(p, ion_ring_enqueue_bulk(&out.ring, &v, 1) == 1);
		PARTY_CHECK(p, ion_bell_ring(&out.data) >= 0);
	}
	p->rep.val[0] = want;
	p->rep.val[1] = test_thread_nvcsw();
	return 0;
}

/*
 * A million sleeps and wake-ups, none lost: each side waits with no spin
 * budget for the other's answer, and a wait that times out fails the
 * test.  Both parties share one CPU, so a wake-up is a plain context
 * switch, cheaper than a cross-CPU one (here some 4 against 8 us a round
 * trip), and a waiter mostly sees its answer only by sleeping until the
 * other side has run.
 */
START_TEST(test_bell_pingpong)
{
	struct pingpong	 pp;
	struct chan_end	 out, in;
	struct party	 peer;
	uint64_t	 trips, sleeps = 0, t0, v, end = UINT64_MAX, nvcsw;
	int		 rc;

	test_pin_one_cpu();
	nvcsw = test_thread_nvcsw();
	chan_create(&pp.ab, 64, 8);
	chan_create(&pp.ba, 64, 8);
	ck_assert_int_eq(chan_attach(&pp.ab, &out, ION_PRODUCER, false, 0), 0);
	ck_assert_int_eq(chan_attach(&pp.ba, &in, ION_CONSUMER, false, 0), 0);
	party_start_peer(&peer, pong, &pp);
	t0 = test_now_ns();
	for (trips = 0; trips < PINGPONG_MAX_TRIPS; trips++) {
		if (trips % 1024 == 0) {
			sleeps = atomic_load(&in.data.shm->sleeps) +
			    atomic_load(&out.data.shm->sleeps);
			if (trips >= PINGPONG_SLEEPS &&
			    sleeps >= PINGPONG_SLEEPS)
				break;
		}
		rc = ion_ring_enqueue_bulk(&out.ring, &trips, 1);
		PEER_ASSERT(&peer, rc == 1);
		PEER_ASSERT(&peer, ion_bell_ring(&out.data) >= 0);
		rc = ion_bell_wait(&in.data, test_ring_ready, &in.ring,
		    TEST_WAIT_MS);
		PEER_ASSERT_MSG(&peer, rc == 1, "ping: wait for answer %llu: "
		    "%d (0 is a lost wake-up)", (unsigned long long)trips, rc);
		PEER_ASSERT(&peer, ion_ring_dequeue_bulk(&in.ring, &v, 1) == 1);
		PEER_ASSERT_MSG(&peer, v == trips, "answer %llu to ping %llu",
		    (unsigned long long)v, (unsigned long long)trips);
	}
	ck_assert_int_eq(ion_ring_enqueue_bulk(&out.ring, &end, 1), 1);
	ck_assert_int_ge(ion_bell_ring(&out.data), 0);
	nvcsw = test_thread_nvcsw() - nvcsw;
	party_join(&peer);
	ck_assert_uint_eq(peer.rep.val[0], trips);
	sleeps = atomic_load(&in.data.shm->sleeps) +
	    atomic_load(&out.data.shm->sleeps);
	fprintf(stderr, "bell ping-pong: %llu round trips, %llu sleeps "
	    "(%llu + %llu), %llu rings, %llu + %llu voluntary switches, "
	    "%.1f s\n", (unsigned long long)trips,
	    (unsigned long long)sleeps,
	    (unsigned long long)atomic_load(&out.data.shm->sleeps),
	    (unsigned long long)atomic_load(&in.data.shm->sleeps),
	    (unsigned long long)(atomic_load(&out.data.shm->rings) +
	    atomic_load(&in.data.shm->rings)),
	    (unsigned long long)peer.rep.val[1], (unsigned long long)nvcsw,
	    (double)(test_now_ns() - t0) / 1e9);
	ck_assert_uint_ge(sleeps, PINGPONG_SLEEPS);
	/*
	 * And they did block: a counted sleep whose poll returned at once
	 * (a stale kick) would not show up as a voluntary context switch.
	 */
	ck_assert_uint_ge(nvcsw + peer.rep.val[1], PINGPONG_SLEEPS / 10 * 9);
	chan_destroy(&pp.ab);
	chan_destroy(&pp.ba);
}
END_TEST

/* Busy-wait about ns nanoseconds (short: no need to yield). */
static void
spin_ns(uint64_t ns)
{
	uint64_t t0 = test_now_ns();

	while (test_now_ns() - t0 < ns)
		test_cpu_relax();
}

/*
 * Peer: RACY_ITEMS items one at a time, each after a random short delay
 * counted from when the consumer took the one before, so that it lands
 * while the consumer spins, arms, re-checks or sleeps.  Each must then be
 * taken promptly: a consumer that missed its wake-up would sleep on with
 * the item until its own timeout.
 */
static int
racy_producer(struct party *p, void *arg)
{
	struct chan	*c = arg;
	struct chan_end	 e;
	struct test_rng	 g;
	unsigned	 spins = 0;
	uint64_t	 t0;
	int64_t		 space;

	test_rng_seed(&g, 77);
	PARTY_CHECK(p, chan_attach(c, &e, ION_PRODUCER, false, 0) == 0);
	for (uint64_t i = 0; i < RACY_ITEMS; i++) {
		uint64_t r = test_rand(&g);

		/* Mostly about the spin budget, sometimes well past it. */
		if (r % 16 == 0)
			spin_ns(r % 40000);
		else
			spin_ns(r % (2 * RACY_SPIN_NS));
		PARTY_CHECK(p, ion_ring_enqueue_bulk(&e.ring, &i, 1) == 1);
		PARTY_CHECK(p, ion_bell_ring(&e.data) >= 0);
		t0 = test_now_ns();
		while ((space = ion_ring_space(&e.ring)) != e.ring.count) {
			PARTY_CHECK_MSG(p, space >= 0, "space: %lld",
			    (long long)space);
			PARTY_CHECK_MSG(p, test_now_ns() - t0 < RACY_TAKE_NS,
			    "item %llu not taken in %u ms: a lost wake-up",
			    (unsigned long long)i, RACY_TAKE_NS / 1000000);
			test_relax(&spins);
		}
	}
	return 0;
}

/*
 * Enqueues land at random moments against a consumer that spins briefly,
 * then arms and re-checks: before, inside and after the arm/re-check
 * window.  Every item arrives, in order, each promptly.  With use_arm set
 * the consumer drives the bell by hand (arm, re-check, poll, drain,
 * disarm), as an epoll loop would.
 */
static void
racy(bool use_arm)
{
	struct chan	 c;
	struct chan_end	 e;
	struct party	 peer;
	uint64_t	 buf[64], got = 0, nvcsw;
	int		 rc;

	nvcsw = test_thread_nvcsw();
	chan_create(&c, 1024, 8);
	ck_assert_int_eq(chan_attach(&c, &e, ION_CONSUMER, false,
	    RACY_SPIN_NS), 0);
	party_start_peer(&peer, racy_producer, &c);
	while (got < RACY_ITEMS) {
		rc = ion_ring_dequeue_burst(&e.ring, buf, 64);
		PEER_ASSERT(&peer, rc >= 0);
		for (int i = 0; i < rc; i++)
			PEER_ASSERT_MSG(&peer, buf[i] == got + (uint64_t)i,
			    "item %llu is %llu", (unsigned long long)(got + i),
			    (unsigned long long)buf[i]);
		got += (uint64_t)rc;
		if (rc > 0 || got == RACY_ITEMS)
			continue;
		if (!use_arm) {
			rc = ion_bell_wait(&e.data, test_ring_ready, &e.ring,
			    TEST_WAIT_MS);
			PEER_ASSERT_MSG(&peer, rc == 1,
			    "wait after %llu items: %d",
			    (unsigned long long)got, rc);
		} else {
			struct pollfd pfd = { .fd = e.data.efd,
			    .events = POLLIN };

			ion_bell_arm(&e.data);
			if (ion_ring_count(&e.ring) > 0) {
				ion_bell_disarm(&e.data);
				continue;
			}
			atomic_fetch_add(&e.data.shm->sleeps, 1);
			rc = poll(&pfd, 1, TEST_WAIT_MS);
			PEER_ASSERT_MSG(&peer, rc == 1,
			    "poll after %llu items: %d",
			    (unsigned long long)got, rc);
			PEER_ASSERT(&peer, ion_bell_drain(&e.data) == 0);
			ion_bell_disarm(&e.data);
		}
	}
	nvcsw = test_thread_nvcsw() - nvcsw;
	party_join(&peer);
	ck_assert_int_eq(ion_ring_count(&e.ring), 0);
	fprintf(stderr, "bell racy%s: %llu items, %llu sleeps, %llu rings, "
	    "%llu blocked\n", use_arm ? " (arm)" : "", (unsigned long long)got,
	    (unsigned long long)atomic_load(&e.data.shm->sleeps),
	    (unsigned long long)atomic_load(&e.data.shm->rings),
	    (unsigned long long)nvcsw);
	/* The sleep path was taken, not only the spin. */
	ck_assert_uint_ge(atomic_load(&e.data.shm->sleeps), RACY_ITEMS / 100);
	chan_destroy(&c);
}

START_TEST(test_bell_racy)
{
	racy(false);
}
END_TEST

START_TEST(test_bell_racy_arm)
{
	racy(true);
}
END_TEST

/* A consumer waiting on an idle ring sleeps: under 1% of a CPU. */
START_TEST(test_bell_idle)
{
	struct chan	c;
	struct chan_end	e;
	uint64_t	cpu0, t0, cpu, el;

	chan_create(&c, 64, 8);
	ck_assert_int_eq(chan_attach(&c, &e, ION_CONSUMER, false,
	    ION_BELL_SPIN_NS_DEFAULT), 0);
	cpu0 = test_thread_cpu_ns();
	t0 = test_now_ns();
	ck_assert_int_eq(ion_bell_wait(&e.data, test_ring_ready, &e.ring,
	    1000), 0);
	el = test_now_ns() - t0;
	cpu = test_thread_cpu_ns() - cpu0;
	fprintf(stderr, "bell idle: %.1f ms CPU in %.1f ms\n",
	    (double)cpu / 1e6, (double)el / 1e6);
	ck_assert_uint_ge(el, 1000000000u);
	ck_assert_uint_lt(el, 3000000000u);
	ck_assert_msg(cpu < 10000000u, "idle wait used %llu us of CPU",
	    (unsigned long long)(cpu / 1000));
	chan_destroy(&c);
}
END_TEST

/* The bell suite. */
Suite *
test_bell_suite(void)
{
	Suite	*s = suite_create("bell");
	TCase	*tc = tcase_create("bell");
	TCase	*tc_load = tcase_create("bell-load");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bell_attach);
	tcase_add_test(tc, test_bell_ring_kick);
	tcase_add_test(tc, test_bell_wait_basic);
	tcase_add_test(tc, test_bell_wait_eintr);
	tcase_add_test(tc, test_bell_wake);
	tcase_add_test(tc, test_bell_idle);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tc_load, RING_TEST_TSAN ? 300 : 120);
	tcase_add_test(tc_load, test_bell_pingpong);
	tcase_add_test(tc_load, test_bell_racy);
	tcase_add_test(tc_load, test_bell_racy_arm);
	suite_add_tcase(s, tc_load);
	return s;
}
