/*
 * agent_ctl.c: the control socket.  Root only (peer credentials); each
 * message is size- and version-checked by pol_ctl_recv before a word of
 * it is used; a client that sends garbage is told why and dropped.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "agent_pvt.h"

#define CTL_MAX_WORDS	512

int
ctl_listen(void)
{
	struct sockaddr_un	sun;
	struct stat		sb;
	int			fd, probe;

	if (strlen(agent.ctl_path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: path too long for a socket", agent.ctl_path);
		return -ENAMETOOLONG;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, agent.ctl_path);
	/* A socket nobody answers on is a dead agent's: take it over. */
	if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) >= 0) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_warnx("%s: another agent is running",
			    agent.ctl_path);
			return -EADDRINUSE;
		}
		close(probe);
	}
	(void)unlink(agent.ctl_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(agent.ctl_path, 0600) < 0 || listen(fd, 16) < 0) {
		log_warn("control socket %s", agent.ctl_path);
		return -errno;
	}
	agent.lfd = fd;
	if (stat(agent.ctl_path, &sb) == 0)
		agent.ctl_ino = sb.st_ino;
	agent.listen_ev.kind = EV_LISTEN;
	return agent_watch(fd, &agent.listen_ev);
}

void
ctl_accept(void)
{
	struct client	*c;
	struct ucred	 cr;
	struct timeval	 tv = { 2, 0 };
	socklen_t	 len = sizeof(cr);
	int		 fd;

	while ((fd = accept4(agent.lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			log_warnx("control: uid %u refused (root only)",
			    (unsigned)cr.uid);
			close(fd);
			continue;
		}
		/* A client that stops reading cannot stall the agent. */
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			fatal("calloc");
		c->fd = fd;
		c->ev.kind = EV_CLIENT;
		c->ev.obj = c;
		if (agent_watch(fd, &c->ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = agent.clients;
		agent.clients = c;
	}
}

void
ctl_client_close(struct client *c)
{
	struct client **pp;

	for (pp = &agent.clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->run != NULL) {
		/* Nobody waits for it any more: a run ends with its client. */
		c->run->client = NULL;
		svc_stop(c->run, "its `membrane run` went away");
		c->run = NULL;
	}
	agent_unwatch(c->fd);
	close(c->fd);
	free(c);
}

/* At exit: every client goes (their runs were stopped already). */
void
ctl_close_all(void)
{
	while (agent.clients != NULL)
		ctl_client_close(agent.clients);
	if (agent.lfd > 0)
		close(agent.lfd);
}

/* Remove the socket file if it is still ours (an agent may follow us). */
void
ctl_unlink(void)
{
	struct stat sb;

	if (stat(agent.ctl_path, &sb) == 0 && sb.st_ino == agent.ctl_ino)
		(void)unlink(agent.ctl_path);
}

static void
ctl_text(struct client *c, enum pol_ctl_type type, const char *fmt,
    va_list ap)
{
	char	*s = NULL;
	size_t	 len, off, chunk = POL_CTL_MAX - sizeof(struct pol_ctl_hdr);
	int	 n;

	if ((n = vasprintf(&s, fmt, ap)) < 0)
		fatal("vasprintf");
	len = (size_t)n;
	for (off = 0; off < len; off += chunk)
		if (pol_ctl_send(c->fd, type, s + off, len - off < chunk ?
		    len - off : chunk, NULL, 0) < 0)
			break;
	free(s);
}

void
ctl_out(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_text(c, POL_CTL_OUTPUT, fmt, ap);
	va_end(ap);
}

void
ctl_err(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_text(c, POL_CTL_ERROR, fmt, ap);
	va_end(ap);
}

void
ctl_done(struct client *c, int status)
{
	int32_t s = status;

	(void)pol_ctl_send(c->fd, POL_CTL_DONE, &s, sizeof(s), NULL, 0);
}

/* A `run` ended: its status is the client's, and the service goes. */
void
ctl_run_ended(struct svc *s)
{
	if (s->client != NULL) {
		ctl_done(s->client, s->status);
		s->client->run = NULL;
		s->client = NULL;
	}
	svc_free(s);
}

void
ctl_client_event(struct client *c)
{
	static char		 body[POL_CTL_MAX];
	char			*words[CTL_MAX_WORDS + 1];
	enum pol_ctl_type	 type;
	int			 fds[3], nfds = 0, n, rc, i;
	ssize_t			 len;

	len = pol_ctl_recv(c->fd, &type, body, sizeof(body), fds, &nfds);
	if (len == -EAGAIN)
		return;
	if (len < 0) {
		if (len == -EPROTO) {
			log_warnx("control: a malformed message: dropped the "
			    "client");
			ctl_err(c, "malformed message (protocol version %d)\n",
			    POL_CTL_VERSION);
		}
		ctl_client_close(c);
		return;
	}
	if (type == POL_CTL_SIGNAL) {
		int32_t sig;

		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (len != sizeof(sig) || c->run == NULL)
			return;
		memcpy(&sig, body, sizeof(sig));
		if (sig > 0 && sig < 65 && c->run->pid > 0)
			kill(c->run->pid, sig);
		return;
	}
	if (type != POL_CTL_REQUEST || c->run != NULL ||
	    (n = pol_ctl_words(body, (size_t)len, words, CTL_MAX_WORDS)) < 1) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		ctl_err(c, "unexpected message\n");
		ctl_done(c, 2);
		return;
	}
	words[n] = NULL;	/* argv-like: a command's words end in NULL */
	rc = ops_dispatch(c, n, words, fds, nfds);
	/* run keeps the descriptors it uses; every other verb closes them. */
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (rc >= 0)
		ctl_done(c, rc);
}
