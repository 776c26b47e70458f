/*
 * conn.c: the connection to the membrane's stack.
 *
 * Made on the first membrane socket.  Which membrane: MEMBRANE_SOCKET
 * names the endpoint, MEMBRANE=NAME the membrane (its endpoint under
 * /run/membrane), and with neither the only membrane on the bus is used.
 * When none can be reached, every membrane socket call fails with ENETDOWN
 * and the reason is said once on stderr.  A stack that goes away leaves its
 * sockets in error (the region stays mapped until they are closed); the
 * next socket connects afresh.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload_pvt.h"

#define CONN_BUS_DIR	MBS_RUN_DIR "/bus/net"

static pthread_mutex_t	 conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_conn	*conn_cur;
static bool		 conn_said;

/* The endpoint to use, or -errno with the reason in why. */
static int
conn_endpoint(char *buf, size_t len, char *why, size_t whylen)
{
	const char	*p, *bus;
	char		 only[256];
	struct dirent	*de;
	DIR		*d;
	unsigned	 n = 0;
	int		 rc;

	if ((p = getenv("MEMBRANE_SOCKET")) != NULL && p[0] != '\0') {
		if (strlen(p) >= len) {
			snprintf(why, whylen, "MEMBRANE_SOCKET is too long");
			return -ENAMETOOLONG;
		}
		strcpy(buf, p);
		return 0;
	}
	if ((p = getenv("MEMBRANE")) != NULL && p[0] != '\0') {
		if (strchr(p, '/') != NULL || strcmp(p, ".") == 0 ||
		    strcmp(p, "..") == 0) {
			snprintf(why, whylen, "MEMBRANE=%s is not a membrane's "
			    "name", p);
			return -EINVAL;
		}
		if ((rc = mbs_endpoint_path(buf, len, p)) < 0)
			snprintf(why, whylen, "MEMBRANE=%s: %s", p,
			    strerror(-rc));
		return rc;
	}
	bus = (p = getenv("MEMBRANE_BUS")) != NULL && p[0] != '\0' ? p :
	    CONN_BUS_DIR;
	if ((d = opendir(bus)) == NULL) {
		snprintf(why, whylen, "no membrane is running (%s: %s); set "
		    "MEMBRANE=NAME or MEMBRANE_SOCKET=PATH", bus,
		    strerror(errno));
		return -ENETDOWN;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (de->d_type != DT_REG &&
		    de->d_type != DT_UNKNOWN))
			continue;
		if (n++ == 0)
			snprintf(only, sizeof(only), "%s", de->d_name);
	}
	closedir(d);
	if (n != 1) {
		if (n == 0)
			snprintf(why, whylen, "no membrane is running (none in "
			    "%s); set MEMBRANE=NAME or MEMBRANE_SOCKET=PATH",
			    bus);
		else
			snprintf(why, whylen, "%u membranes are running (in "
			    "%s); choose one with MEMBRANE=NAME", n, bus);
		return -ENETDOWN;
	}
	if ((rc = mbs_endpoint_path(buf, len, only)) < 0)
		snprintf(why, whylen, "membrane %s: %s", only, strerror(-rc));
	return rc;
}

static void
conn_say(const char *what)
{
	char	line[512];
	int	n;

	if (conn_said)
		return;
	conn_said = true;
	n = snprintf(line, sizeof(line), "libmembrane: %s\n", what);
	if (n > 0)
		(void)!pl_real.write(2, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

struct pl_conn *
conn_get(int *err)
{
	struct pl_conn	*cn;
	char		 path[256], why[300], reason[160];
	int		 rc;

	pthread_mutex_lock(&conn_lock);
	if ((cn = conn_cur) != NULL && !conn_dead(cn)) {
		pthread_mutex_unlock(&conn_lock);
		return cn;
	}
	why[0] = '\0';
	if ((rc = conn_endpoint(path, sizeof(path), why, sizeof(why))) < 0)
		goto fail;
	if ((cn = calloc(1, sizeof(*cn))) == NULL) {
		rc = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	if ((rc = mbs_connect(&cn->c, path, reason, sizeof(reason))) < 0) {
		snprintf(why, sizeof(why), "cannot reach the membrane at %s: "
		    "%s%s%s", path, strerror(-rc), reason[0] ? ": " : "",
		    reason);
		free(cn);
		goto fail;
	}
	cn->c.sock = fdtab_hide(cn->c.sock);
	cn->c.efd_stack = cn->c.bell_stack.efd = fdtab_hide(cn->c.efd_stack);
	cn->c.efd_app = cn->c.bell_app.efd = fdtab_hide(cn->c.efd_app);
	cn->c.reg.fd = fdtab_hide(cn->c.reg.fd);
	pthread_mutex_init(&cn->ctl_lock, NULL);
	pthread_mutex_init(&cn->kick_lock, NULL);
	/* The old one stays: its sockets still point into its region. */
	conn_cur = cn;
	conn_said = false;
	pthread_mutex_unlock(&conn_lock);
	PL_DEBUG("attached to %s as app %u", path, cn->c.app_id);
	return cn;
fail:
	conn_say(why);
	pthread_mutex_unlock(&conn_lock);
	PL_DEBUG("no membrane: %s", why);
	*err = -ENETDOWN;
	return NULL;
}

bool
conn_check_dead(struct pl_conn *cn)
{
	struct pollfd pfd;

	if (conn_dead(cn))
		return true;
	pfd.fd = cn->c.sock;
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (pl_real.poll(&pfd, 1, 0) > 0 &&
	    (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
		atomic_store_explicit(&cn->dead, true, memory_order_relaxed);
	return conn_dead(cn);
}

static int
conn_cpl_ready(void *arg)
{
	struct pl_conn	*cn = arg;
	int64_t		 n;

	if (conn_dead(cn))
		return -ECONNRESET;
	n = ion_ring_count(&cn->c.cpl);
	if (n != 0)
		return n < 0 ? -EPROTO : 1;
	return 0;
}

/* Under ctl_lock: a broken exchange; the stack is as good as gone. */
static int
conn_lost(struct pl_conn *cn)
{
	atomic_store_explicit(&cn->dead, true, memory_order_relaxed);
	return -ECONNRESET;
}

/*
 * Under ctl_lock: wait for the next completion and take it.  Returns 1,
 * or -ECONNRESET when the stack is gone.  Signals do not cut the wait:
 * a request in flight is answered.
 */
static int
conn_next(struct pl_conn *cn, struct mbs_cpl *cpl)
{
	int rc;

	for (;;) {
		rc = wait_until(cn, conn_cpl_ready, cn, PL_FOREVER, NULL, 0,
		    NULL, false);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return rc == -ENOMEM ? rc : conn_lost(cn);
		if (rc == 0) {
			if (conn_check_dead(cn))
				return -ECONNRESET;
			continue;
		}
		if (ion_ring_dequeue_bulk(&cn->c.cpl, cpl, 1) != 1)
			return conn_lost(cn);
		return 1;
	}
}

/* Under ctl_lock: send req (its tag set here) and ring the stack. */
static int
conn_send(struct pl_conn *cn, struct mbs_req *req)
{
	req->tag = ++cn->c.next_tag;
	/* Room is certain: at most owed + 1 requests are ever in flight. */
	if (ion_ring_enqueue_bulk(&cn->c.ctl, req, 1) < 0)
		return conn_lost(cn);
	(void)ion_bell_ring(&cn->c.bell_stack);
	return 0;
}

int
conn_call(struct pl_conn *cn, struct mbs_req *req, struct mbs_cpl *cpl)
{
	int rc;

	pthread_mutex_lock(&cn->ctl_lock);
	if (conn_dead(cn)) {
		rc = -ECONNRESET;
		goto out;
	}
	if ((rc = conn_send(cn, req)) < 0)
		goto out;
	for (;;) {
		if ((rc = conn_next(cn, cpl)) < 0)
			goto out;
		if (cpl->tag == req->tag)
			break;
		/*
		 * In order, one per request: before ours come only those of
		 * posted requests; anything else is a stack that lost its way.
		 */
		if (cn->owed == 0 || cpl->tag > req->tag || cpl->tag == 0) {
			rc = conn_lost(cn);
			goto out;
		}
		cn->owed--;
	}
	rc = cpl->result;
	if (rc > 0 || rc < -4095)
		rc = rc > 0 ? rc : -EPROTO;
out:
	pthread_mutex_unlock(&cn->ctl_lock);
	return rc;
}

void
conn_post(struct pl_conn *cn, struct mbs_req *req)
{
	struct mbs_cpl cpl;

	pthread_mutex_lock(&cn->ctl_lock);
	/* Take the answers already there; never let them fill the ring. */
	while (cn->owed > 0 && !conn_dead(cn) &&
	    (ion_ring_count(&cn->c.cpl) > 0 || cn->owed >= MBS_CTL_SLOTS / 2)) {
		if (conn_next(cn, &cpl) < 0)
			break;
		cn->owed--;
	}
	if (!conn_dead(cn) && conn_send(cn, req) == 0)
		cn->owed++;
	pthread_mutex_unlock(&cn->ctl_lock);
}

int
conn_kick(struct pl_conn *cn, struct mbs_sock *s)
{
	uint32_t	id[2] = { s->id, 0 };
	int		rc = 0;

	/*
	 * K2 of mbstack.h: the fence orders our ring writes (or the drain)
	 * before the flag's exchange; the stack exchanges the flag back and
	 * fences before it looks at the rings, so a kick is never lost.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_exchange_explicit(&s->shm->kick, 1,
	    memory_order_seq_cst) == 0) {
		/* The kick ring has one producer: this lock makes it so. */
		pthread_mutex_lock(&cn->kick_lock);
		rc = ion_ring_enqueue_bulk(&cn->c.kick, id, 1);
		pthread_mutex_unlock(&cn->kick_lock);
		if (rc < 0)
			return rc;
	}
	rc = ion_bell_ring(&cn->c.bell_stack);
	return rc < 0 ? rc : 0;
}
