/* cgroup_v2.c: placeholder, being written. */
#include "config.h"
