/*
 * sockload: a plain sockets program that counts its own calls, for
 * measuring what a socket library costs in system calls.
 *
 *   sockload send ADDR PORT BYTES CHUNK   connect, send BYTES in CHUNKs
 *   sockload recv PORT CHUNK              accept one, receive until EOF
 *
 * Prints "calls N bytes B sha256-free checksum C" on stdout: N is the
 * number of send() or recv() calls made, C a simple sum of what moved.
 * Exit status 0 on success.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "sockload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long long
num(const char *s)
{
	char			*end;
	unsigned long long	 v = strtoull(s, &end, 0);

	if (*end != '\0' || v == 0) {
		fprintf(stderr, "sockload: bad number %s\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	unsigned long long	 calls = 0, moved = 0, sum = 0, total, i;
	unsigned char		*buf;
	size_t			 chunk;
	ssize_t			 n;
	int			 s, c, one = 1;

	if (argc == 6 && strcmp(argv[1], "send") == 0) {
		total = num(argv[4]);
		chunk = (size_t)num(argv[5]);
		if ((buf = malloc(chunk)) == NULL)
			die("malloc");
		for (i = 0; i < chunk; i++)
			buf[i] = (unsigned char)(i * 7 + 1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)num(argv[3]));
		if (inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
			fprintf(stderr, "sockload: bad address %s\n", argv[2]);
			return 2;
		}
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket");
		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			die("connect");
		while (moved < total) {
			size_t want = total - moved < chunk ? total - moved :
			    chunk;

			n = send(s, buf, want, 0);
			calls++;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("send");
			}
			for (i = 0; i < (unsigned long long)n; i++)
				sum += buf[i];
			moved += (unsigned long long)n;
		}
		if (shutdown(s, SHUT_WR) < 0)
			die("shutdown");
		/* Wait for the peer's end, so every byte is through. */
		while ((n = recv(s, buf, chunk, 0)) > 0)
			;
		close(s);
	} else if (argc == 4 && strcmp(argv[1], "recv") == 0) {
		chunk = (size_t)num(argv[3]);
		if ((buf = malloc(chunk)) == NULL)
			die("malloc");
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)num(argv[2]));
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket");
		(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    listen(s, 1) < 0)
			die("listen");
		printf("listening\n");
		fflush(stdout);
		if ((c = accept(s, NULL, NULL)) < 0)
			die("accept");
		for (;;) {
			n = recv(c, buf, chunk, 0);
			calls++;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("recv");
			}
			if (n == 0)
				break;
			for (i = 0; i < (unsigned long long)n; i++)
				sum += buf[i];
			moved += (unsigned long long)n;
		}
		close(c);
		close(s);
	} else {
		fprintf(stderr, "usage: sockload send ADDR PORT BYTES CHUNK\n"
		    "       sockload recv PORT CHUNK\n");
		return 2;
	}
	free(buf);
	printf("calls %llu bytes %llu sum %llu\n", calls, moved, sum);
	return fflush(stdout) == 0 ? 0 : 1;
}
