/* real.c: the libc functions underneath the ones the library interposes. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload_pvt.h"

struct pl_real pl_real;

#define REAL(name)							\
	do {								\
		if (pl_real.name == NULL)				\
			*(void **)&pl_real.name = dlsym(RTLD_NEXT, #name); \
	} while (0)

/* Without these the program cannot run at all: say so and stop. */
static void
real_need(void *p, const char *name)
{
	static const char msg[] = "libmembrane: libc lacks ";

	if (p != NULL)
		return;
	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, name, __builtin_strlen(name));
	(void)!write(2, "\n", 1);
	abort();
}

void
real_init(void)
{
	REAL(socket); REAL(socketpair); REAL(connect); REAL(bind);
	REAL(listen); REAL(accept); REAL(accept4); REAL(send);
	REAL(sendto); REAL(sendmsg); REAL(sendmmsg); REAL(recv);
	REAL(recvfrom); REAL(recvmsg); REAL(recvmmsg); REAL(read);
	REAL(write); REAL(readv); REAL(writev); REAL(sendfile);
	REAL(sendfile64); REAL(close); REAL(close_range); REAL(closefrom);
	REAL(shutdown); REAL(dup); REAL(dup2); REAL(dup3); REAL(fcntl);
	REAL(fcntl64); REAL(ioctl); REAL(setsockopt); REAL(getsockopt);
	REAL(getsockname); REAL(getpeername); REAL(poll); REAL(ppoll);
	REAL(select); REAL(pselect); REAL(epoll_create);
	REAL(epoll_create1); REAL(epoll_ctl); REAL(epoll_wait);
	REAL(epoll_pwait); REAL(epoll_pwait2); REAL(sigaction);
	REAL(getaddrinfo); REAL(getnameinfo);

	real_need(pl_real.socket, "socket");
	real_need(pl_real.close, "close");
	real_need(pl_real.read, "read");
	real_need(pl_real.write, "write");
	real_need(pl_real.fcntl, "fcntl");
	real_need(pl_real.ppoll, "ppoll");
	real_need(pl_real.dup3, "dup3");
	real_need(pl_real.epoll_ctl, "epoll_ctl");
	real_need(pl_real.sigaction, "sigaction");
	real_need(pl_real.getaddrinfo, "getaddrinfo");
	real_need(pl_real.getnameinfo, "getnameinfo");
}
