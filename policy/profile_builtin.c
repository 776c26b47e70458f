/* profile_builtin.c: placeholder, being written. */
#include "config.h"
