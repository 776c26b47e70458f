/* agent_pvt.h: placeholder. */
