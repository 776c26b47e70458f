/* launch_pvt.h: placeholder. */
