/* lwip_port.c: what lwIP asks of its platform: time, randomness, diagnostics. */
#include "config.h"

#include <sys/random.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwip/arch.h"
#include "lwip/sys.h"

#include "log.h"
#include "stack_pvt.h"

static uint64_t rand_state;

/* Seed the generator once, before any sandbox takes getrandom away. */
void
stack_lwip_seed(void)
{
	if (getrandom(&rand_state, sizeof(rand_state), 0) !=
	    sizeof(rand_state))
		fatal("getrandom");
	rand_state |= 1;
}

/* xorshift64*: TCP initial sequence numbers, DHCP xids, DNS ids, ports. */
uint32_t
stack_lwip_rand(void)
{
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return (uint32_t)((rand_state * 2685821657736338717ull) >> 32);
}

u32_t
sys_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

void
stack_lwip_diag(const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	if (log_getverbose() < 2)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("lwip: %s", msg);
}

void
stack_lwip_assert(const char *msg, const char *file, int line)
{
	fatalx("lwIP assertion failed: %s (%s:%d)", msg, file, line);
}

/*
 * The Internet checksum (RFC 1071), as lwIP's LWIP_CHKSUM: the one's
 * complement sum of the data in memory order, not inverted.  lwIP's own
 * loops over 16-bit words; this one adds 32-bit words into a 64-bit
 * accumulator, eight bytes a turn, and folds once at the end.  Unaligned
 * loads are fine on the machines the stack runs on, and summing in memory
 * order makes the start's alignment irrelevant.
 */
u16_t
mb_chksum(const void *data, int len)
{
	const unsigned char	*p = data;
	uint64_t		 sum = 0;
	uint32_t		 w, w2;
	size_t			 n = len > 0 ? (size_t)len : 0;

	while (n >= 16) {
		uint64_t a, b;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		sum += (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) +
		    (b >> 32);
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		n -= 2;
	}
	if (n == 1)
		sum += *p;	/* the low byte of a last, half-filled word */
	/* Fold 64 -> 32 -> 16 bits, end-around carries included. */
	w = (uint32_t)(sum & 0xffffffffu);
	w2 = (uint32_t)(sum >> 32);
	sum = (uint64_t)w + w2;
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (u16_t)sum;
}
