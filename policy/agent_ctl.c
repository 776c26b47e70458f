/* agent_ctl.c: placeholder, being written. */
#include "config.h"
