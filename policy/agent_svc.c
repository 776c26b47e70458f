/* agent_svc.c: placeholder, being written. */
#include "config.h"
