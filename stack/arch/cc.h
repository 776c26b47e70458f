/* arch/cc.h: lwIP's platform glue for a Linux userspace process. */
#ifndef MEMBRANE_LWIP_ARCH_CC_H
#define MEMBRANE_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <endian.h>	/* BYTE_ORDER, as lwIP's arch.h expects */

#define LWIP_TIMEVAL_PRIVATE	0

/* The stack's event loop provides these (stack/lwip_port.c). */
uint32_t	stack_lwip_rand(void);
void		stack_lwip_diag(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		stack_lwip_assert(const char *msg, const char *file, int line)
		    __attribute__((noreturn));

#define LWIP_RAND()		stack_lwip_rand()
#define LWIP_PLATFORM_DIAG(x)	do { stack_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)	stack_lwip_assert((x), __FILE__, __LINE__)

#endif /* MEMBRANE_LWIP_ARCH_CC_H */
