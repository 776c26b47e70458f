/* launch_pvt.h: the launcher's steps, shared by launch*.c and seccomp.c. */
#ifndef MEMBRANE_LAUNCH_PVT_H
#define MEMBRANE_LAUNCH_PVT_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/*
 * Messages on the launch socket (SOCK_SEQPACKET, one per datagram)
 * between pol_launch and the processes it starts.
 */
enum launch_msg_type {
	LAUNCH_GO = 1,		/* P->C: cgroup joined, go on */
	LAUNCH_USERNS,		/* C->P: user ns made, write its maps */
	LAUNCH_MAPPED,		/* P->C: maps written */
	LAUNCH_NOTIFY,		/* C->P: the seccomp listener (SCM_RIGHTS) */
	LAUNCH_ERROR		/* C->P: a step failed: error, text */
};

struct launch_msg {
	int	type;
	int	error;			/* positive errno, LAUNCH_ERROR */
	char	text[POL_ERR_MAX];
};

/*
 * launch_fs.c: in a new mount namespace, still privileged on the host,
 * build the program's filesystem view and enter it.  0 or -errno, err
 * naming the step.
 */
int	launch_fs_setup(const struct pol_launch *l, int newpid, int newnet,
	    char *err, size_t errlen);
/* Create l->state_dir's upper/, work/ and root/ (in the parent). */
int	launch_fs_prepare(const struct pol_launch *l, char *err,
	    size_t errlen);

/* launch_caps.c: bounding, inheritable, permitted, effective, ambient. */
int	launch_caps_bound(uint64_t keep, char *err, size_t errlen);
int	launch_caps_set(uint64_t keep, uint64_t ambient, char *err,
	    size_t errlen);
/* Every capability and the bounding set gone, no_new_privs (init). */
int	launch_caps_drop_all(char *err, size_t errlen);
int	launch_caps_nnp(char *err, size_t errlen);

/*
 * seccomp.c: load spec's filter in the calling process; *notify_fd is
 * the listener (or -1 when the filter notifies nothing).
 */
int	pol_seccomp_load(const struct pol_spec *spec, int *notify_fd,
	    char *err, size_t errlen);

#endif /* MEMBRANE_LAUNCH_PVT_H */
