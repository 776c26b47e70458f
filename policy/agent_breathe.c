/* agent_breathe.c: placeholder, being written. */
#include "config.h"
