/*
 * seccomp.c: a launched program's system call filter (libseccomp) and the
 * agent's answer to its notifications.
 *
 * A call a profile denies is a security event: the filter hands it to the
 * agent (SCMP_ACT_NOTIFY), which counts it and refuses it through
 * pol_seccomp_answer: EACCES for socket() and socketpair() (what a policy
 * refusal of a socket looks like, as under an LSM), EPERM for the rest.
 * clone3 fails with ENOSYS at once and is no event: glibc then falls back
 * to clone, whose flags the filter can read.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/syscall.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "launch_pvt.h"

/* What default-restrict refuses outright, whatever the arguments. */
static const char *const restrict_deny[] = {
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "move_mount", "fsmount", "fsopen", "fsconfig",
	"fspick", "open_tree", "mount_setattr", "pivot_root",
	"bpf", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"reboot", "swapon", "swapoff", "unshare", "setns",
	"perf_event_open", "userfaultfd", "open_by_handle_at",
	"keyctl", "add_key", "request_key", "io_uring_setup",
	NULL
};

/* What permissive still refuses: ways out of the host, or to break it. */
static const char *const permissive_deny[] = {
	"kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"reboot", "swapon", "swapoff",
	NULL
};

/* Socket families only the membrane may give the program. */
static const int restrict_families[] = { AF_INET, AF_INET6, AF_PACKET };

/* Namespace flags clone() may not carry (CLONE_NEWTIME is CSIGNAL's). */
static const unsigned long restrict_clone_ns[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET
};

/* Add "action for name" (args optional); a call this arch lacks is fine. */
static int
seccomp_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned nargs, const struct scmp_arg_cmp *args, char *err,
    size_t errlen)
{
	int	nr, rc;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return 0;
	if ((rc = seccomp_rule_add_array(ctx, action, nr, nargs, args)) != 0) {
		snprintf(err, errlen, "seccomp rule for %s: %s", name,
		    strerror(-rc));
		return rc;
	}
	return 0;
}

/* The rules of default-restrict; 0 or -errno. */
static int
seccomp_restrict(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	struct scmp_arg_cmp	a;
	size_t			i;
	int			rc;

	for (i = 0; restrict_deny[i] != NULL; i++)
		if ((rc = seccomp_rule(ctx, SCMP_ACT_NOTIFY, restrict_deny[i],
		    0, NULL, err, errlen)) != 0)
			return rc;
	for (i = 0; i < sizeof(restrict_families) /
	    sizeof(restrict_families[0]); i++) {
		/*
		 * The kernel reads an int: compare the low 32 bits alone, or
		 * a high bit set in the 64-bit register would slip past
		 * (SCMP_A0_32 only casts the datum; the mask does it).
		 */
		a = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL,
		    (scmp_datum_t)restrict_families[i]);
		if ((rc = seccomp_rule(ctx, SCMP_ACT_NOTIFY, "socket", 1, &a,
		    err, errlen)) != 0 ||
		    (rc = seccomp_rule(ctx, SCMP_ACT_NOTIFY, "socketpair", 1,
		    &a, err, errlen)) != 0)
			return rc;
	}
	/* One rule per flag: libseccomp compares masked equality only. */
	for (i = 0; i < sizeof(restrict_clone_ns) /
	    sizeof(restrict_clone_ns[0]); i++) {
		a = SCMP_A0(SCMP_CMP_MASKED_EQ, restrict_clone_ns[i],
		    restrict_clone_ns[i]);
		if ((rc = seccomp_rule(ctx, SCMP_ACT_NOTIFY, "clone", 1, &a,
		    err, errlen)) != 0)
			return rc;
	}
	return seccomp_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL,
	    err, errlen);
}

/*
 * The rules of a policy file: "allow NAME", "deny NAME" (a security
 * event, refused with EPERM), "errno NAME [ERRNO]" (refused at once, not
 * counted; ENOSYS unless a number is given), "default allow|deny" (deny:
 * EPERM, not counted: libseccomp cannot notify by default); # comments.
 * The filter is made once the default is known, hence two passes.
 */
static int
seccomp_file(const char *path, scmp_filter_ctx *out, char *err,
    size_t errlen)
{
	FILE		*f;
	char		 buf[256], verb[32], name[64], extra[32];
	uint32_t	 def = SCMP_ACT_ALLOW, act;
	int		 pass, line, n, e, rc = 0;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "seccomp policy %s: %s", path,
		    strerror(errno));
		return rc;
	}
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		rewind(f);
		line = 0;
		if (pass == 1 && (*out = seccomp_init(def)) == NULL) {
			rc = -ENOMEM;
			snprintf(err, errlen, "seccomp_init: out of memory");
			break;
		}
		while (rc == 0 && fgets(buf, sizeof(buf), f) != NULL) {
			line++;
			buf[strcspn(buf, "#\n")] = '\0';
			extra[0] = '\0';
			n = sscanf(buf, "%31s %63s %31s", verb, name, extra);
			if (n <= 0)
				continue;
			rc = -EINVAL;
			if (n < 2) {
				snprintf(err, errlen, "%s:%d: \"%s\" needs a "
				    "system call name", path, line, verb);
				break;
			}
			if (strcmp(verb, "default") == 0) {
				if (n == 3 || (strcmp(name, "allow") != 0 &&
				    strcmp(name, "deny") != 0)) {
					snprintf(err, errlen, "%s:%d: default "
					    "is allow or deny", path, line);
					break;
				}
				def = strcmp(name, "allow") == 0 ?
				    SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM);
				rc = 0;
				continue;
			}
			if (strcmp(verb, "allow") == 0 && n == 2)
				act = SCMP_ACT_ALLOW;
			else if (strcmp(verb, "deny") == 0 && n == 2)
				act = SCMP_ACT_NOTIFY;
			else if (strcmp(verb, "errno") == 0) {
				e = ENOSYS;
				if (n == 3 && (!isdigit((unsigned char)
				    extra[0]) || (e = atoi(extra)) <= 0 ||
				    e > 4095)) {
					snprintf(err, errlen, "%s:%d: \"%s\" "
					    "is not an errno number", path,
					    line, extra);
					break;
				}
				act = SCMP_ACT_ERRNO((uint32_t)e);
			} else {
				snprintf(err, errlen, "%s:%d: \"%s\": expected "
				    "allow NAME, deny NAME, errno NAME [N] or "
				    "default allow|deny", path, line, buf);
				break;
			}
			if (seccomp_syscall_resolve_name(name) ==
			    __NR_SCMP_ERROR) {
				snprintf(err, errlen, "%s:%d: \"%s\" is not a "
				    "system call", path, line, name);
				break;
			}
			rc = 0;
			if (pass == 1 && act != def && (rc = seccomp_rule(*out,
			    act, name, 0, NULL, err, errlen)) != 0) {
				snprintf(err, errlen, "%s:%d: %s: %s", path,
				    line, name, strerror(-rc));
				break;
			}
		}
	}
	fclose(f);
	if (rc != 0 && *out != NULL) {
		seccomp_release(*out);
		*out = NULL;
	}
	return rc;
}

/* Load the filter spec names in this process; 0 or -errno. */
int
pol_seccomp_load(const struct pol_spec *spec, int *notify_fd, char *err,
    size_t errlen)
{
	scmp_filter_ctx	 ctx = NULL;
	const char	*const *deny;
	size_t		 i;
	int		 rc = 0;

	*notify_fd = -1;
	switch (spec->seccomp) {
	case POL_SC_NONE:
		return 0;
	case POL_SC_DEFAULT_RESTRICT:
	case POL_SC_PERMISSIVE:
		if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
			snprintf(err, errlen, "seccomp_init: out of memory");
			return -ENOMEM;
		}
		if (spec->seccomp == POL_SC_DEFAULT_RESTRICT)
			rc = seccomp_restrict(ctx, err, errlen);
		else
			for (deny = permissive_deny, i = 0;
			    rc == 0 && deny[i] != NULL; i++)
				rc = seccomp_rule(ctx, SCMP_ACT_NOTIFY,
				    deny[i], 0, NULL, err, errlen);
		break;
	case POL_SC_FILE:
		rc = seccomp_file(spec->seccomp_file, &ctx, err, errlen);
		break;
	default:
		snprintf(err, errlen, "seccomp: unknown mode %d",
		    (int)spec->seccomp);
		return -EINVAL;
	}
	if (rc != 0)
		goto out;
	/* no_new_privs is ours to set (launch_caps_nnp), before this. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0) {
		snprintf(err, errlen, "seccomp: %s", strerror(-rc));
		goto out;
	}
	if ((rc = seccomp_load(ctx)) != 0) {
		snprintf(err, errlen, "load the seccomp filter: %s",
		    strerror(-rc));
		goto out;
	}
	/* -EINVAL here: the filter has no notifying rule. */
	if ((rc = seccomp_notify_fd(ctx)) >= 0)
		*notify_fd = rc;
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

/* The errno a denied call gets: see the top of this file. */
static int
seccomp_errno(int nr)
{
	if (nr == seccomp_syscall_resolve_name("socket") ||
	    nr == seccomp_syscall_resolve_name("socketpair"))
		return EACCES;
	return EPERM;
}

/*
 * glibc makes one kind of inet socket for itself, out of the preload's
 * reach (its internal calls are bound inside libc): a datagram socket
 * with SOCK_CLOEXEC, for getaddrinfo's probe of source addresses, the
 * resolver's queries and if_nametoindex's ioctls.  It copes with the
 * refusal; counting it would make every name lookup a security event.
 */
static bool
seccomp_glibc_own(const struct seccomp_notif *req)
{
	uint64_t type = req->data.args[1] & ~(uint64_t)SOCK_NONBLOCK;

	return req->data.nr == seccomp_syscall_resolve_name("socket") &&
	    (req->data.args[0] == AF_INET || req->data.args[0] == AF_INET6) &&
	    type == (SOCK_DGRAM | SOCK_CLOEXEC) && req->data.args[2] == 0;
}

int
pol_seccomp_answer(int notify_fd, int *nr, pid_t *pid)
{
	struct seccomp_notif		*req = NULL;
	struct seccomp_notif_resp	*resp = NULL;
	struct pollfd			 pfd;
	int				 rc;

	/*
	 * NOTIF_RECV blocks while nothing is pending, and a listener whose
	 * filtered processes are all gone polls as hung up, never readable.
	 */
	pfd.fd = notify_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) < 0)
		return -errno;
	if (!(pfd.revents & POLLIN))
		return pfd.revents & (POLLHUP | POLLERR | POLLNVAL) ? -EPIPE :
		    -EAGAIN;
	if ((rc = seccomp_notify_alloc(&req, &resp)) != 0)
		return rc;
	/*
	 * libseccomp says -ECANCELED for any failed ioctl, a caller killed
	 * meanwhile (ENOENT) among them; a hung-up listener polled so above.
	 */
	if ((rc = seccomp_notify_receive(notify_fd, req)) != 0) {
		rc = rc == -ECANCELED ? -ENOENT : rc;
		goto out;
	}
	*nr = req->data.nr;
	*pid = (pid_t)req->pid;
	resp->id = req->id;
	resp->val = 0;
	resp->error = -seccomp_errno(req->data.nr);
	resp->flags = 0;
	/* The caller may be gone, or its pid reused, since we read it. */
	if (seccomp_notify_id_valid(notify_fd, req->id) != 0) {
		rc = -ENOENT;
		goto out;
	}
	if ((rc = seccomp_notify_respond(notify_fd, resp)) == 0 &&
	    seccomp_glibc_own(req))
		rc = 1;
	else if (rc == -ECANCELED)
		rc = -ENOENT;
out:
	seccomp_notify_free(req, resp);
	return rc;
}

const char *
pol_syscall_name(int nr)
{
	static char	 name[64];
	char		*s;

	if ((s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr)) ==
	    NULL)
		return NULL;
	snprintf(name, sizeof(name), "%s", s);
	free(s);
	return name;
}
