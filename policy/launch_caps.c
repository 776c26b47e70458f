/* launch_caps.c: placeholder, being written. */
#include "config.h"
