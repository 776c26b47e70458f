/* agent_stats.c: placeholder, being written. */
#include "config.h"
