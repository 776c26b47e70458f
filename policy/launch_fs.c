/* launch_fs.c: placeholder, being written. */
#include "config.h"
