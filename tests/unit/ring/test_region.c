/* test_region.c: sealed memfd regions and descriptor passing. */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_test.h"

#define REGION_SIZE	(256 * 1024)

/* What the parent tells the child along with the region's descriptor. */
struct region_msg {
	char		tag[8];
	uint64_t	size;
};

/* True if fd is an open descriptor. */
static bool
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A memfd of size bytes with the given seals (none if 0). */
static int
memfd_sealed(size_t size, int seals)
{
	int fd;

	fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	if (seals != 0)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

START_TEST(test_region_create)
{
	struct ion_region	 reg;
	size_t			 pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char		*p;
	struct stat		 st;
	int			 seals, rc, err;

	ck_assert_int_eq(ion_region_create(&reg, "test", 1), 0);
	ck_assert_uint_eq(reg.size, pg);
	ion_region_unmap(&reg);
	ck_assert_int_eq(ion_region_create(&reg, NULL, pg + 1), 0);
	ck_assert_uint_eq(reg.size, 2 * pg);
	ck_assert_ptr_nonnull(reg.base);
	ck_assert_uint_eq((uintptr_t)reg.base % pg, 0);
	ck_assert_int_eq(fstat(reg.fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)reg.size);
	ck_assert_int_ne(fcntl(reg.fd, F_GETFD) & FD_CLOEXEC, 0);
	p = reg.base;
	for (size_t i = 0; i < reg.size; i++)
		TEST_ASSERT(p[i] == 0);

	/* Sealed: nobody holding the fd can resize it or change the seals. */
	seals = fcntl(reg.fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	rc = ftruncate(reg.fd, (off_t)pg);
	err = errno;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EPERM);
	rc = ftruncate(reg.fd, (off_t)(4 * pg));
	err = errno;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EPERM);
	rc = fcntl(reg.fd, F_ADD_SEALS, F_SEAL_WRITE);
	err = errno;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err, EPERM);

	/* The mapping is the file. */
	p[pg + 5] = 0x42;
	ck_assert_int_eq(pread(reg.fd, &p[0], 1, (off_t)pg + 5), 1);
	ck_assert_uint_eq(p[0], 0x42);

	ion_region_unmap(&reg);
	ck_assert_ptr_null(reg.base);
	ck_assert_uint_eq(reg.size, 0);
	ck_assert_int_eq(reg.fd, -1);
	ion_region_unmap(&reg);		/* twice is harmless */

	/* Sizes that cannot be. */
	ck_assert_int_eq(ion_region_create(&reg, "test", 0), -EINVAL);
	ck_assert_ptr_null(reg.base);
	ck_assert_int_eq(reg.fd, -1);
	ck_assert_int_eq(ion_region_create(&reg, "test", SIZE_MAX), -EINVAL);
	ck_assert_int_eq(ion_region_create(&reg, "test", SIZE_MAX - pg),
	    -EINVAL);
	ck_assert_ptr_null(reg.base);
}
END_TEST

/* Child: receive the region, map it, check the parent's half, fill ours. */
static int
region_child(struct party *p, void *arg)
{
	struct region_msg	 msg;
	struct ion_region	 reg;
	unsigned char		*b;
	int			 sock = *(int *)arg, fd = -1, ack = 1;
	unsigned		 nfds = 1;
	ssize_t			 n;

	n = ion_recv_fds(sock, &msg, sizeof(msg), &fd, &nfds);
	PARTY_CHECK_MSG(p, n == sizeof(msg), "ion_recv_fds: %zd", n);
	PARTY_CHECK(p, nfds == 1);
	PARTY_CHECK(p, memcmp(msg.tag, "region", 7) == 0);
	PARTY_CHECK(p, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	PARTY_CHECK(p, ion_region_map(&reg, fd) == 0);
	PARTY_CHECK(p, reg.fd == fd);
	PARTY_CHECK(p, reg.size == msg.size);
	b = reg.base;
	for (size_t i = 0; i < reg.size / 2; i++)
		PARTY_CHECK_MSG(p, b[i] == test_stream_byte(i),
		    "byte %zu: %#x", i, b[i]);
	for (size_t i = reg.size / 2; i < reg.size; i++)
		b[i] = test_stream_byte(i);
	ion_region_unmap(&reg);
	PARTY_CHECK(p, !fd_open(fd));
	PARTY_CHECK(p, ion_send_fds(sock, &ack, sizeof(ack), NULL, 0) == 0);
	return 0;
}

/* A region crosses to a child as a descriptor and is shared both ways. */
START_TEST(test_region_pass)
{
	struct ion_region	 reg;
	struct region_msg	 msg;
	struct party		 child;
	unsigned char		*b;
	int			 sv[2], ack = 0;
	unsigned		 nfds = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	/* Fork first: the child must map the region from the fd alone. */
	party_start(&child, PARTY_FORK, region_child, &sv[1]);
	ck_assert_int_eq(ion_region_create(&reg, "pass", REGION_SIZE), 0);
	b = reg.base;
	for (size_t i = 0; i < reg.size / 2; i++)
		b[i] = test_stream_byte(i);
	memset(&msg, 0, sizeof(msg));
	memcpy(msg.tag, "region", 7);
	msg.size = reg.size;
	ck_assert_int_eq(ion_send_fds(sv[0], &msg, sizeof(msg), &reg.fd, 1),
	    0);
	ck_assert_int_eq(ion_recv_fds(sv[0], &ack, sizeof(ack), NULL, &nfds),
	    sizeof(ack));
	ck_assert_int_eq(ack, 1);
	party_join(&child);
	for (size_t i = reg.size / 2; i < reg.size; i++)
		TEST_ASSERT_MSG(b[i] == test_stream_byte(i),
		    "byte %zu the child wrote reads %#x", i, b[i]);
	ion_region_unmap(&reg);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* ion_region_map refuses what could be truncated under it, or is no file. */
START_TEST(test_region_map_refuses)
{
	struct ion_region	 reg;
	size_t			 pg = (size_t)sysconf(_SC_PAGESIZE);
	int			 fd, sv[2], pfd[2];
	static const int	 bad_seals[] = {
		0, F_SEAL_SHRINK, F_SEAL_SEAL, F_SEAL_GROW | F_SEAL_SEAL,
		F_SEAL_SHRINK | F_SEAL_WRITE | F_SEAL_SEAL,
	};

	for (size_t i = 0; i < sizeof(bad_seals) / sizeof(bad_seals[0]); i++) {
		fd = memfd_sealed(pg, bad_seals[i]);
		ck_assert_msg(ion_region_map(&reg, fd) == -EPERM,
		    "seals %#x accepted", bad_seals[i]);
		/* A refused fd stays the caller's, the region stays empty. */
		ck_assert(fd_open(fd));
		ck_assert_ptr_null(reg.base);
		ck_assert_int_eq(reg.fd, -1);
		close(fd);
	}
	/* A memfd that cannot be sealed at all. */
	fd = memfd_create("test", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)pg), 0);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EPERM);
	close(fd);
	/* A plain file: it has no seals. */
	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)pg), 0);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EPERM);
	close(fd);
	/* Sealed but empty. */
	fd = memfd_sealed(0, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EINVAL);
	close(fd);

	/* Not regular files. */
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	ck_assert_int_eq(ion_region_map(&reg, pfd[0]), -EINVAL);
	ck_assert(fd_open(pfd[0]));
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	ck_assert_int_eq(ion_region_map(&reg, sv[0]), -EINVAL);
	close(sv[0]);
	close(sv[1]);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EINVAL);
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EINVAL);
	/* Not descriptors. */
	close(fd);
	ck_assert_int_eq(ion_region_map(&reg, fd), -EBADF);
	ck_assert_int_eq(ion_region_map(&reg, -1), -EBADF);
	ck_assert_ptr_null(reg.base);

	/* The seals that matter, and nothing more, are enough. */
	fd = memfd_sealed(3 * pg + 17, F_SEAL_SHRINK | F_SEAL_SEAL);
	ck_assert_int_eq(ion_region_map(&reg, fd), 0);
	ck_assert_uint_eq(reg.size, 3 * pg + 17);
	ck_assert_int_eq(reg.fd, fd);
	((unsigned char *)reg.base)[3 * pg + 16] = 1;
	ion_region_unmap(&reg);
	ck_assert(!fd_open(fd));
}
END_TEST

START_TEST(test_region_at)
{
	struct ion_region	 reg, zero;
	unsigned char		*b;
	uint64_t		 sz;

	ck_assert_int_eq(ion_region_create(&reg, "at", 8192), 0);
	b = reg.base;
	sz = reg.size;
	ck_assert_ptr_eq(ion_region_at(&reg, 0, 0), b);
	ck_assert_ptr_eq(ion_region_at(&reg, 0, sz), b);
	ck_assert_ptr_eq(ion_region_at(&reg, 100, 28), b + 100);
	/* Exactly to the end, and an empty range at the end. */
	ck_assert_ptr_eq(ion_region_at(&reg, sz - 1, 1), b + sz - 1);
	ck_assert_ptr_eq(ion_region_at(&reg, sz - 64, 64), b + sz - 64);
	ck_assert_ptr_eq(ion_region_at(&reg, sz, 0), b + sz);
	/* One byte past. */
	ck_assert_ptr_null(ion_region_at(&reg, 0, sz + 1));
	ck_assert_ptr_null(ion_region_at(&reg, sz - 64, 65));
	ck_assert_ptr_null(ion_region_at(&reg, sz, 1));
	ck_assert_ptr_null(ion_region_at(&reg, sz + 1, 0));
	/* off + len wraps around 2^64 to something small. */
	ck_assert_ptr_null(ion_region_at(&reg, 1, UINT64_MAX));
	ck_assert_ptr_null(ion_region_at(&reg, 64, UINT64_MAX - 63));
	ck_assert_ptr_null(ion_region_at(&reg, UINT64_MAX, 1));
	ck_assert_ptr_null(ion_region_at(&reg, UINT64_MAX - 7, 16));
	ck_assert_ptr_null(ion_region_at(&reg, (uint64_t)1 << 63,
	    (uint64_t)1 << 63));
	ck_assert_ptr_null(ion_region_at(&reg, UINT64_MAX, 0));
	ion_region_unmap(&reg);
	/* A region with nothing mapped has no bytes at all. */
	memset(&zero, 0, sizeof(zero));
	zero.fd = -1;
	ck_assert_ptr_null(ion_region_at(&zero, 0, 0));
	ck_assert_ptr_null(ion_region_at(&zero, 0, 1));
}
END_TEST

START_TEST(test_fds_pass)
{
	int		 sv[2], fds[ION_MAX_FDS], got[ION_MAX_FDS + 1];
	char		 buf[32];
	struct stat	 a, b;
	unsigned	 nfds;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	for (int i = 0; i < ION_MAX_FDS; i++)
		fds[i] = memfd_sealed(4096, 0);

	/* Two descriptors and some bytes. */
	ck_assert_int_eq(ion_send_fds(sv[0], "hello", 5, fds, 2), 0);
	nfds = 4;
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds), 5);
	ck_assert_str_eq(buf, "hello");
	ck_assert_uint_eq(nfds, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_ne(got[i], fds[i]);
		ck_assert_int_ne(fcntl(got[i], F_GETFD) & FD_CLOEXEC, 0);
		ck_assert_int_eq(fstat(fds[i], &a), 0);
		ck_assert_int_eq(fstat(got[i], &b), 0);
		ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
		close(got[i]);
	}

	/* The most one message may carry. */
	ck_assert_int_eq(ion_send_fds(sv[0], "x", 1, fds, ION_MAX_FDS), 0);
	nfds = ION_MAX_FDS;
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds), 1);
	ck_assert_uint_eq(nfds, ION_MAX_FDS);
	for (int i = 0; i < ION_MAX_FDS; i++) {
		ck_assert_int_eq(fstat(fds[i], &a), 0);
		ck_assert_int_eq(fstat(got[i], &b), 0);
		ck_assert(a.st_ino == b.st_ino);
		close(got[i]);
	}

	/* Bytes alone: no descriptors come out. */
	ck_assert_int_eq(ion_send_fds(sv[0], "y", 1, NULL, 0), 0);
	nfds = 3;
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds), 1);
	ck_assert_uint_eq(nfds, 0);

	/* Arguments ion_send_fds refuses. */
	ck_assert_int_eq(ion_send_fds(sv[0], "z", 1, fds, ION_MAX_FDS + 1),
	    -EINVAL);
	ck_assert_int_eq(ion_send_fds(sv[0], "z", 0, fds, 1), -EINVAL);
	/* The kernel's errors, unchanged. */
	ck_assert_int_eq(ion_send_fds(sv[0], "z", 1, (int[]){ -1 }, 1),
	    -EBADF);
	nfds = 0;
	ck_assert_int_eq(ion_recv_fds(fds[0], buf, sizeof(buf), NULL, &nfds),
	    -ENOTSOCK);

	/* The peer hangs up: end of file, then EPIPE and no SIGPIPE. */
	close(sv[0]);
	nfds = 1;
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds), 0);
	ck_assert_uint_eq(nfds, 0);
	ck_assert_int_eq(ion_send_fds(sv[1], "z", 1, fds, 1), -EPIPE);
	close(sv[1]);
	for (int i = 0; i < ION_MAX_FDS; i++)
		close(fds[i]);
}
END_TEST

/* Send nsend descriptors in one message, bypassing ion_send_fds's limit. */
static void
send_raw(int sock, const int *fds, unsigned nsend)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 64)];
	} cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	char		 byte = 'r';

	ck_assert_uint_le(nsend, 64);
	memset(&msg, 0, sizeof(msg));
	memset(&cmsg, 0, sizeof(cmsg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nsend);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nsend);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nsend);
	ck_assert_int_eq(sendmsg(sock, &msg, 0), 1);
}

/*
 * A message with more descriptors than the receiver takes is refused and
 * leaves none of them behind: the table is as it was, and the numbers the
 * kernel would have handed out next are still free.
 */
START_TEST(test_fds_too_many)
{
	int		 sv[2], fds[40], got[ION_MAX_FDS], before, probe[4];
	char		 buf[32];
	unsigned	 nfds;
	static const struct {
		unsigned	send, accept;
	} cases[] = {
		{ 1, 0 }, { 3, 2 }, { 16, 15 }, { 17, 16 }, { 40, 16 },
		{ 40, 100 },
	};

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	for (int i = 0; i < 40; i++) {
		fds[i] = dup(sv[0]);
		ck_assert_int_ge(fds[i], 0);
	}
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		send_raw(sv[0], fds, cases[k].send);
		/* The lowest free numbers: where received fds would land. */
		for (int i = 0; i < 4; i++) {
			probe[i] = dup(sv[0]);
			ck_assert_int_ge(probe[i], 0);
		}
		for (int i = 0; i < 4; i++)
			close(probe[i]);
		before = test_count_fds();
		nfds = cases[k].accept;
		ck_assert_msg(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds)
		    == -EMSGSIZE, "%u fds to a receiver of %u not refused",
		    cases[k].send, cases[k].accept);
		ck_assert_uint_eq(nfds, 0);
		ck_assert_int_eq(test_count_fds(), before);
		for (int i = 0; i < 4; i++)
			ck_assert_msg(!fd_open(probe[i]),
			    "fd %d leaked", probe[i]);
	}
	/* The socket still works: the next message comes through whole. */
	ck_assert_int_eq(ion_send_fds(sv[0], "ok", 2, fds, 2), 0);
	nfds = 2;
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, sizeof(buf), got, &nfds), 2);
	ck_assert_uint_eq(nfds, 2);
	close(got[0]);
	close(got[1]);

	/* A message longer than the buffer is refused the same way. */
	before = test_count_fds();
	ck_assert_int_eq(ion_send_fds(sv[0], "too long", 8, fds, 3), 0);
	nfds = 3;
	ck_assert_int_eq(ion_recv_fds(sv[1], buf, 4, got, &nfds), -EMSGSIZE);
	ck_assert_uint_eq(nfds, 0);
	ck_assert_int_eq(test_count_fds(), before);

	for (int i = 0; i < 40; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* The region suite. */
Suite *
test_region_suite(void)
{
	Suite	*s = suite_create("region");
	TCase	*tc = tcase_create("region");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_region_create);
	tcase_add_test(tc, test_region_pass);
	tcase_add_test(tc, test_region_map_refuses);
	tcase_add_test(tc, test_region_at);
	tcase_add_test(tc, test_fds_pass);
	tcase_add_test(tc, test_fds_too_many);
	suite_add_tcase(s, tc);
	return s;
}
