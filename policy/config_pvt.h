/* config_pvt.h: placeholder. */
