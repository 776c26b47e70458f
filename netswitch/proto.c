/* proto.c: control message headers, built and checked the same way on both sides. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "netswitch.h"

void
nsw_hdr_init(struct nsw_hdr *hdr, enum nsw_msg_type type, uint32_t len,
    uint32_t seq)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = NSW_MAGIC;
	hdr->version = NSW_VERSION;
	hdr->type = (uint16_t)type;
	hdr->len = len;
	hdr->seq = seq;
}

/*
 * Check that buf (n bytes received) is a message of type and exactly len
 * bytes; type 0 accepts any known type whose length the caller checks.
 * Returns 0, -EBADMSG (shorter than a header), -EPROTO (bad magic,
 * version or type) or -EMSGSIZE (a length that does not match).
 */
int
nsw_hdr_check(const void *buf, size_t n, enum nsw_msg_type type, size_t len)
{
	struct nsw_hdr hdr;

	if (n < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != NSW_MAGIC || hdr.version != NSW_VERSION)
		return -EPROTO;
	if (hdr.type == 0 || hdr.type >= NSW_MSG_MAX)
		return -EPROTO;
	if (type != 0 && hdr.type != type)
		return -EPROTO;
	if (hdr.len != n || (len != 0 && n != len))
		return -EMSGSIZE;
	return 0;
}
