/*
 * main.c: conform's runner.
 *
 *   conform [-v] [-l] [-n] [-t SECONDS] [CASE-PREFIX...]
 *
 * Runs every case (or those whose name starts with one of the prefixes),
 * each in a child process of its own, and ends with "conform: done".  A
 * case that is still running after CONFORM_CASE_MS is killed; one that
 * dies or exits non-zero is reported as a line of its own.  -v prints
 * details that are not compared (timings) to stderr; -l lists the cases;
 * -n runs the cases in this process (for a debugger); -t bounds the whole
 * run: once SECONDS have passed, the cases left are reported as not run
 * (so that an implementation that hangs in every case still ends).  Exit
 * status 0 when the run reached its end, 2 for bad usage.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

static const struct conform_case *const main_tables[] = {
	case_sock, case_opt, case_errno, case_tcp, case_udp, case_fd,
	case_wait, case_poll, case_epoll, case_block, case_thread, case_data,
};
#define MAIN_NTABLES (sizeof main_tables / sizeof main_tables[0])

/* Whether NAME is selected by the prefixes (all when there are none). */
static bool main_selected(const char *name, int n, char **prefixes)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Runs case C in this process. */
static void main_run_here(const struct conform_case *c)
{
	say_begin(c->name);
	c->run();
	fflush(stdout);
}

/* Runs case C in a child process, bounded by CONFORM_CASE_MS; says how
 * the child ended unless it exited 0. */
static void main_run_child(const struct conform_case *c)
{
	sigset_t chld, none;
	struct timespec left;
	double end;
	pid_t pid;
	int st;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigemptyset(&none);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("%s: RUNNER: fork failed\n", c->name);
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		setvbuf(stdout, NULL, _IOLBF, 0);
		main_run_here(c);
		exit(0);
	}
	end = bg_now() + CONFORM_CASE_MS;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		double ms = end - bg_now();

		if (w == pid)
			break;
		if (ms <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("%s: RUNNER: killed after %d s\n", c->name,
			    CONFORM_CASE_MS / 1000);
			return;
		}
		left.tv_sec = (time_t)(ms / 1000);
		left.tv_nsec = (long)((ms - (double)left.tv_sec * 1000) * 1e6);
		sigtimedwait(&chld, NULL, &left);
	}
	if (WIFSIGNALED(st))
		printf("%s: RUNNER: died of %s\n", c->name,
		    say_signal(WTERMSIG(st)));
	else if (WEXITSTATUS(st) != 0)
		printf("%s: RUNNER: exit status %d\n", c->name, WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
	bool list = false, here = false;
	double budget = 0, start = bg_now();
	sigset_t chld;
	int opt, matched = 0;

	while ((opt = getopt(argc, argv, "vlnt:")) != -1) {
		switch (opt) {
		case 'v': say_verbose = 1; break;
		case 'l': list = true; break;
		case 'n': here = true; break;
		case 't': budget = atof(optarg) * 1000; break;
		default:
			fprintf(stderr, "usage: conform [-v] [-l] [-n] [-t SECONDS] "
			    "[CASE-PREFIX...]\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	/* SIGCHLD stays blocked in the runner: sigtimedwait takes it. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	for (size_t t = 0; t < MAIN_NTABLES; t++) {
		for (const struct conform_case *c = main_tables[t]; c->name; c++) {
			if (!main_selected(c->name, argc, argv))
				continue;
			matched++;
			if (list)
				printf("%s\n", c->name);
			else if (budget > 0 && bg_now() - start > budget)
				printf("%s: RUNNER: not run, the run's %.0f s are spent\n",
				    c->name, budget / 1000);
			else if (here)
				main_run_here(c);
			else
				main_run_child(c);
		}
	}
	if (matched == 0 && argc > 0) {
		fprintf(stderr, "conform: no case starts with %s\n", argv[0]);
		return 2;
	}
	if (!list)
		printf("conform: done\n");
	return 0;
}
