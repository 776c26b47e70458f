/* agent_ops.c: placeholder, being written. */
#include "config.h"
