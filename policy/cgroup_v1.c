/* cgroup_v1.c: placeholder, being written. */
#include "config.h"
