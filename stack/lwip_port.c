/* lwip_port.c: what lwIP asks of its platform: time, randomness, diagnostics. */
#include "config.h"

#include <sys/random.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
