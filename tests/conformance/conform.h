/*
 * conform.h: the socket-API conformance suite's shared declarations.
 *
 * conform calls the socket API over loopback (127.0.0.1 and ::1 only) and
 * prints, one line per observation, what came back: results and errno
 * names, never descriptor numbers, ephemeral ports, pointers, timings or
 * the kernel's tunables.  tests/integration/preload_conform.sh runs it
 * once against the kernel and once through libmembrane.so and compares
 * the two outputs case by case.
 *
 * Every case runs in a child process of its own (a hang or a crash is
 * reported and the next case runs); only the case's main thread prints.
 * Helper threads record what they saw and the main thread prints it after
 * joining them, so the order of lines never depends on scheduling.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* SO_RCVTIMEO and SO_SNDTIMEO of the helpers' sockets: no blocking call
 * a case makes waits longer than this. */
#define CONFORM_TIMEO_MS 5000
/* The runner kills a case that is still running after this long. */
#define CONFORM_CASE_MS 15000

struct conform_case {
	const char *name;
	void (*run)(void);
};
#define CONFORM_END { NULL, NULL }

/* The cases, one table per file, each ended by CONFORM_END. */
extern const struct conform_case case_sock[];
extern const struct conform_case case_opt[];
extern const struct conform_case case_errno[];
extern const struct conform_case case_tcp[];
extern const struct conform_case case_udp[];
extern const struct conform_case case_fd[];
extern const struct conform_case case_wait[];
extern const struct conform_case case_poll[];
extern const struct conform_case case_epoll[];
extern const struct conform_case case_block[];
extern const struct conform_case case_thread[];
extern const struct conform_case case_data[];

/* say.c: the output.  Strings returned by say_* live in a small ring of
 * static buffers: use them in the next say(), from the main thread. */
extern int say_verbose;
void say_begin(const char *name);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void say_v(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long say_rc_(const char *what, long r);
int say_fd_(const char *what, int fd);
long say_data_(const char *what, long r, const void *buf);
const char *say_rcs(long r, int err);
const char *say_errno(int err);
const char *say_signal(int sig);
const char *say_poll(int revents);
const char *say_epoll(uint32_t events);
const char *say_fl(int flags);
const char *say_addr(const struct sockaddr *sa, socklen_t len);
const char *say_bytes(const void *buf, long n);
const char *say_yes(bool b);

/* "WHAT -> RESULT": the result of EXPR, or -1 and the errno's name. */
#define SAY_RC(what, expr) say_rc_((what), (errno = 0, (long)(expr)))
/* The same for a call that returns a descriptor: "fd", never its number. */
#define SAY_FD(what, expr) say_fd_((what), (errno = 0, (int)(expr)))
/* The same for a read into BUF: the count and the bytes, quoted. */
#define SAY_DATA(what, expr, buf) \
	say_data_((what), (errno = 0, (long)(expr)), (buf))

/* net.c: sockets over loopback, for the cases' set-up.  A helper that
 * fails says so ("setup: ...") and returns -1. */
void net_loop(int family, int port, struct sockaddr_storage *ss,
    socklen_t *len);
int net_sa_port(const struct sockaddr_storage *ss);
int net_port(int fd);
int net_peer_port(int fd);
void net_timeo(int fd, int ms);
void net_nonblock(int fd, bool on);
int net_sockerr(int fd);
int net_listener(int family);
int net_connect(int family, int port);
int net_pair(int family, int *c, int *s);
int net_udp(int family);
int net_free_port(int family, int type, int *holder);
int net_closed_fd(void);
bool net_wait(int fd, short events, int ms);
bool net_settle(int fd, int bytes, int ms);
bool net_wait_rst(int fd, int ms);
long net_send_all(int fd, const void *buf, size_t n);
long net_recv_all(int fd, void *buf, size_t n);

/* sig.c: signals and the interval timer. */
void sig_catch(int sig, bool restart);
void sig_default(int sig);
int sig_count(int sig);
void sig_timer(int ms);
void sig_block(int sig, bool block);

/* bg.c: background threads and the clock. */
struct bg {
	pthread_t tid;
	int delay_ms;
	void (*fn)(void *);
	void *arg;
	bool running;
};
void bg_start(struct bg *b, int delay_ms, void (*fn)(void *), void *arg);
void bg_join(struct bg *b);
double bg_now(void);
void bg_sleep(int ms);

/* pat.c: reproducible bytes and their checksum. */
#define PAT_SUM0 UINT64_C(0xcbf29ce484222325)
void pat_fill(uint64_t *state, void *buf, size_t n);
uint64_t pat_sum(uint64_t sum, const void *buf, size_t n);

#endif
