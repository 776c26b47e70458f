/*
 * pat.c: reproducible pseudo-random bytes (xorshift64*) and a checksum
 * (FNV-1a, 64 bits) to compare what was sent with what arrived.
 */
#include "config.h"

#include <string.h>

#include "conform.h"

/* Fills N bytes from the generator at *STATE, and advances it. */
void pat_fill(uint64_t *state, void *buf, size_t n)
{
	unsigned char *p = buf;
	uint64_t x = *state ? *state : 1;

	while (n > 0) {
		uint64_t v;
		size_t k = n < 8 ? n : 8;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		v = x * UINT64_C(2685821657736338717);
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	*state = x;
}

/* SUM extended over N bytes (start from PAT_SUM0). */
uint64_t pat_sum(uint64_t sum, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		sum ^= p[i];
		sum *= UINT64_C(0x100000001b3);
	}
	return sum;
}
