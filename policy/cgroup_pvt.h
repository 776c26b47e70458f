/* cgroup_pvt.h: placeholder. */
