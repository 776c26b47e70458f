/* log.h: the one log API of Membrane's daemons (stderr or syslog). */
#ifndef MEMBRANE_LOG_H
#define MEMBRANE_LOG_H

#include <stdarg.h>

/* Start logging as name; to stderr when foreground, else syslog. */
void	log_init(const char *name, int foreground, int verbosity);
void	log_setverbose(int verbosity);
int	log_getverbose(void);

/* warn: with strerror(errno); warnx: without. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant or an unusable start-up: log and exit(1). */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* MEMBRANE_LOG_H */
