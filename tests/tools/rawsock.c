/*
 * rawsock: make a kernel AF_INET socket with syscall(), past any
 * LD_PRELOAD library, to show whether the sandbox lets the program reach
 * the kernel's network itself (--high: with the family's upper bits
 * set).  Prints "rawsock: ok" and exits 0 when the
 * socket was made, else "rawsock: REASON" and exits 1.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/syscall.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	long	fd, family = AF_INET;

	/*
	 * --high: bits above the int the kernel reads, as a filter that
	 * compares all 64 would let through.
	 */
	if (argc > 1 && strcmp(argv[1], "--high") == 0)
		family |= 1L << 32;
	fd = syscall(SYS_socket, family, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("rawsock: %s\n", strerror(errno));
		/* Now: a sanitizer's exit-time check may end us unflushed. */
		fflush(stdout);
		return 1;
	}
	printf("rawsock: ok\n");
	close((int)fd);
	return 0;
}
