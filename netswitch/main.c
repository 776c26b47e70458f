/* main.c: membrane-switch: flags, privileges, the two threads. */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _LGPL_SOURCE
#include <urcu-qsbr.h>

#include "log.h"
#include "switch_pvt.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: membrane-switch --uplink SPEC [--ctl PATH] [options]\n"
"       membrane-switch --stats [--ctl PATH]\n"
"\n"
"  -u, --uplink SPEC     none | af_xdp:IFACE[:QUEUE] | dpdk:EAL-ARGS\n"
"  -c, --ctl PATH        control socket (default " NSW_CTL_PATH_DEFAULT ")\n"
"  -b, --bufs N          frame buffers per direction per port (default 1024)\n"
"  -s, --spin-us N       busy-poll this long before sleeping (default 50)\n"
"  -m, --mtu N           the largest MTU a port may have, 576 to 9000\n"
"                        (default: the uplink's; 1500 without one)\n"
"      --xdp-prog FILE   the XDP object for af_xdp (default " MEMBRANE_XDP_OBJ ")\n"
"      --fault-in SPEC   faults on frames from the wire: drop=P,dup=P,\n"
"                        reorder=P,corrupt=P,delay=MS (P from 0 to 1)\n"
"      --fault-out SPEC  the same on frames from the stacks\n"
"      --fault-seed N    seed of the fault injector (reproducible runs)\n"
"      --stats           print the ports and counters of a running switch\n"
"  -v, --verbose         log more (repeat for more)\n"
"  -h, --help            this text\n"
"  -V, --version         the version\n");
}

/* Parse a whole number in [lo, hi]; exits with a reason otherwise. */
static unsigned long
parse_num(const char *flag, const char *s, unsigned long lo, unsigned long hi)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "membrane-switch: %s: \"%s\" is not a number "
		    "from %lu to %lu\n", flag, s, lo, hi);
		exit(2);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "uplink",	required_argument,	NULL, 'u' },
		{ "ctl",	required_argument,	NULL, 'c' },
		{ "bufs",	required_argument,	NULL, 'b' },
		{ "spin-us",	required_argument,	NULL, 's' },
		{ "mtu",	required_argument,	NULL, 'm' },
		{ "stats",	no_argument,		NULL, 'S' },
		{ "xdp-prog",	required_argument,	NULL, 'X' },
		{ "fault-in",	required_argument,	NULL, 'I' },
		{ "fault-out",	required_argument,	NULL, 'O' },
		{ "fault-seed",	required_argument,	NULL, 'R' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sw	 sw;
	const char	*ctl = NSW_CTL_PATH_DEFAULT, *spec = NULL;
	const char	*xdp_obj = MEMBRANE_XDP_OBJ;
	struct fault	 fin, fout;
	uint64_t	 seed = 0;
	char		 err[256];
	pthread_t	 fwd;
	sigset_t	 mask;
	unsigned	 mtu = 0;
	int		 ch, stats = 0, verbose = 0, lsock, rc;

	memset(&sw, 0, sizeof(sw));
	memset(&fin, 0, sizeof(fin));
	memset(&fout, 0, sizeof(fout));
	sw.nbufs = 1024;
	sw.spin_ns = 50000;
	while ((ch = getopt_long(argc, argv, "u:c:b:s:m:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': spec = optarg; break;
		case 'c': ctl = optarg; break;
		case 'b':
			sw.nbufs = (uint32_t)parse_num("--bufs", optarg, 64,
			    NSW_RING_SLOTS);
			if (sw.nbufs & (sw.nbufs - 1)) {
				fprintf(stderr, "membrane-switch: --bufs: %u "
				    "is not a power of two\n", sw.nbufs);
				return 2;
			}
			break;
		case 's':
			sw.spin_ns = parse_num("--spin-us", optarg, 0,
			    1000000) * 1000;
			break;
		case 'm':
			mtu = (unsigned)parse_num("--mtu", optarg, NSW_MTU_MIN,
			    NSW_MTU_MAX);
			break;
		case 'S': stats = 1; break;
		case 'X': xdp_obj = optarg; break;
		case 'I':
		case 'O':
			if (fault_parse(ch == 'I' ? &fin : &fout, optarg, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "membrane-switch: --fault-%s: %s\n",
				    ch == 'I' ? "in" : "out", err);
				return 2;
			}
			break;
		case 'R':
			seed = parse_num("--fault-seed", optarg, 1, ULONG_MAX);
			break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("membrane-switch %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "membrane-switch: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	if (stats)
		return ctl_stats(ctl);
	if (spec == NULL) {
		fprintf(stderr, "membrane-switch: --uplink is required "
		    "(none, af_xdp:IFACE or dpdk:EAL-ARGS)\n");
		return 2;
	}
	log_init("membrane-switch", 1, verbose);

	/* 1. Acquire: the uplink first, while we hold the privileges. */
	if (priv_check(spec, err, sizeof(err)) != 0)
		fatalx("%s", err);
	sw.up = uplink_open(spec, xdp_obj, mtu, err, sizeof(err));
	if (sw.up == NULL && err[0] != '\0')
		fatalx("%s", err);
	sw.mtu = uplink_mtu(sw.up, mtu);
	if (fault_init(&sw.fault_in, &fin, seed) != 0 ||
	    fault_init(&sw.fault_out, &fout, seed + 1) != 0)
		fatalx("fault injection: out of memory");
	if (sw.fault_in.on || sw.fault_out.on)
		log_info("fault injection on: in drop=%g dup=%g reorder=%g "
		    "corrupt=%g delay=%llums; out drop=%g dup=%g reorder=%g "
		    "corrupt=%g delay=%llums", fin.drop, fin.dup, fin.reorder,
		    fin.corrupt, (unsigned long long)(fin.delay_ns / 1000000),
		    fout.drop, fout.dup, fout.reorder, fout.corrupt,
		    (unsigned long long)(fout.delay_ns / 1000000));
	if ((sw.efd_switch = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		fatal("eventfd");
	if ((sw.ports = calloc(1, sizeof(*sw.ports))) == NULL)
		fatal("calloc");
	if ((lsock = ctl_listen(ctl)) < 0)
		fatalx("cannot listen on %s", ctl);

	/* 2. Drop what we no longer need, before any peer can talk to us. */
	priv_drop(sw.up != NULL && strcmp(sw.up->ops->name, "af_xdp") == 0);

	/* 3. Signals go to the control thread's signalfd only. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	/* The control thread is the only writer of the port set: no RCU reader. */
	if ((rc = pthread_create(&fwd, NULL, fwd_main, &sw)) != 0) {
		errno = rc;
		fatal("pthread_create");
	}
	log_info("up: uplink %s, MTU %u, control socket %s", spec, sw.mtu,
	    ctl);
	ctl_serve(&sw, lsock);

	atomic_store(&sw.stop, true);
	{
		uint64_t one = 1;
		(void)write(sw.efd_switch, &one, sizeof(one));
	}
	pthread_join(fwd, NULL);
	if (sw.up != NULL)
		sw.up->ops->close(sw.up);
	close(lsock);
	(void)unlink(ctl);
	free(sw.ports);
	return 0;
}
