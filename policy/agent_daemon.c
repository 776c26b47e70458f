/* agent_daemon.c: placeholder, being written. */
#include "config.h"
