/*
 * membrane.c: the `membrane` command.  `check` works alone; every other
 * verb is a request to membrane-agent over its control socket, which
 * parses the words, so that the agent is the one place that knows them.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static const char usage_text[] =
"usage: membrane [-s SOCKET] VERB [ARGS...]\n"
"\n"
"  check -c FILE             validate a config without starting anything\n"
"  run [OPTIONS] -- CMD...   run CMD under a profile, in the foreground;\n"
"                            its exit status is membrane's\n"
"  create NAME [OPTIONS] -- CMD...\n"
"                            start CMD as a supervised service NAME\n"
"  list [--json]             services and daemons\n"
"  inspect NAME [--json]     namespaces, cgroup usage against limits,\n"
"                            capabilities, seccomp, membrane counters\n"
"  stretch NAME [--memory SIZE] [--cpu CPU] [--pids N] --duration D\n"
"                            raise limits toward the hard ones for D\n"
"  contract NAME [--memory SIZE] [--cpu CPU] [--pids N] [--hard]\n"
"                            tighten limits (none given: back to the\n"
"                            profile's; --hard: the hard contraction)\n"
"  rupture NAME --fail-closed|--fail-open|--fail-loud\n"
"                            force a membrane failure\n"
"  transition NAME --from PROFILE --to PROFILE\n"
"                            apply another profile to a running service\n"
"  stop NAME                 stop a service\n"
"  reload                    read the agent's config file again: new\n"
"                            services start, changed ones restart,\n"
"                            removed ones stop (as SIGHUP does)\n"
"\n"
"  OPTIONS of run and create: --profile P (default photon), --membrane M,\n"
"  --user U, --env KEY=VALUE (repeatable), --name NAME (run)\n"
"  CPU: a share of one CPU (50%), \"QUOTA PERIOD\" in microseconds, or max\n"
"\n"
"  -s, --socket PATH   the agent's control socket (default "
    POL_CTL_PATH ";\n"
"                      or $MEMBRANE_AGENT_SOCKET)\n"
"  -h, --help          this text\n"
"  -V, --version       the version\n";

static int	ctl_sock = -1;
static volatile sig_atomic_t pending_sig;

static void
usage(FILE *f, int status)
{
	fputs(usage_text, f);
	exit(status);
}

/* membrane check -c FILE: 0 when the config and every profile resolve. */
static int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pol_config	*cfg;
	const char		*path = NULL;
	char			 err[POL_ERR_MAX];
	int			 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'h':
			printf("usage: membrane check -c FILE\n");
			return 0;
		default:
			fprintf(stderr, "usage: membrane check -c FILE\n");
			return 2;
		}
	}
	if (path == NULL && optind < argc)
		path = argv[optind++];
	if (path == NULL || optind != argc) {
		fprintf(stderr, "usage: membrane check -c FILE\n");
		return 2;
	}
	if (pol_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "membrane: %s\n", err);
		return 1;
	}
	if (pol_config_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "membrane: %s\n", err);
		pol_config_free(cfg);
		return 1;
	}
	printf("%s: ok (%zu profiles, %zu membranes, %zu services)\n", path,
	    cfg->nprofiles, cfg->nmembranes, cfg->nservices);
	pol_config_free(cfg);
	return 0;
}

static void
on_signal(int sig)
{
	pending_sig = sig;
}

/* Connect to the agent; exits with a reason if it is not there. */
static void
dial(const char *path)
{
	struct sockaddr_un	sun;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "membrane: %s: path too long\n", path);
		exit(1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((ctl_sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(ctl_sock, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "membrane: cannot reach the agent at %s: %s "
		    "(is membrane-agent running?)\n", path, strerror(errno));
		exit(1);
	}
}

/* Send the words; relay the agent's output until it says done. */
static int
request(int argc, char **argv)
{
	char			*body, *p;
	size_t			 len = 0;
	int			 i, rc, fds[3] = { 0, 1, 2 }, status = 1;
	int			 run = strcmp(argv[0], "run") == 0;
	enum pol_ctl_type	 type;
	ssize_t			 n;
	struct sigaction	 sa;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > POL_CTL_MAX - sizeof(struct pol_ctl_hdr)) {
		fprintf(stderr, "membrane: the command line is too long\n");
		return 1;
	}
	if ((body = malloc(POL_CTL_MAX)) == NULL) {
		perror("membrane");
		return 1;
	}
	for (p = body, i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		memcpy(p, argv[i], l);
		p += l;
	}
	/* run: the program gets our terminal and pipes, not the agent's. */
	if ((rc = pol_ctl_send(ctl_sock, POL_CTL_REQUEST, body, len,
	    run ? fds : NULL, run ? 3 : 0)) < 0) {
		fprintf(stderr, "membrane: sending to the agent: %s\n",
		    strerror(-rc));
		free(body);
		return 1;
	}
	if (run) {
		/* Signals are the program's: the agent forwards them. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
	for (;;) {
		if (pending_sig != 0) {
			int32_t sig = pending_sig;

			pending_sig = 0;
			(void)pol_ctl_send(ctl_sock, POL_CTL_SIGNAL, &sig,
			    sizeof(sig), NULL, 0);
		}
		n = pol_ctl_recv(ctl_sock, &type, body, POL_CTL_MAX, NULL,
		    NULL);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "membrane: the agent %s\n",
			    n == -ECONNRESET ? "closed the connection" :
			    strerror((int)-n));
			break;
		}
		if (type == POL_CTL_OUTPUT)
			fwrite(body, 1, (size_t)n, stdout);
		else if (type == POL_CTL_ERROR)
			fprintf(stderr, "membrane: %s", body);
		else if (type == POL_CTL_DONE && n == sizeof(int32_t)) {
			int32_t s;

			memcpy(&s, body, sizeof(s));
			status = s;
			break;
		} else {
			fprintf(stderr, "membrane: unexpected message %d from "
			    "the agent\n", (int)type);
			break;
		}
	}
	fflush(stdout);
	free(body);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const verbs[] = { "run", "create", "list",
	    "inspect", "stretch", "contract", "rupture", "transition", "stop",
	    "reload", NULL };
	const char	*path = getenv("MEMBRANE_AGENT_SOCKET");
	int		 ch, i;

	/* "+": options after the verb are the verb's. */
	while ((ch = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'h': usage(stdout, 0); break;
		case 'V':
			printf("membrane %s\n", PACKAGE_VERSION);
			return 0;
		default: usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(stderr, 2);
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[0], "help") == 0)
		usage(stdout, 0);
	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(argv[0], verbs[i]) == 0)
			break;
	if (verbs[i] == NULL) {
		fprintf(stderr, "membrane: unknown command \"%s\" (see "
		    "membrane --help)\n", argv[0]);
		return 2;
	}
	dial(path != NULL && path[0] != '\0' ? path : POL_CTL_PATH);
	return request(argc, argv);
}
