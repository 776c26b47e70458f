/* config_val.c: placeholder, being written. */
#include "config.h"
