/*
 * xdp_filter.bpf.c: membrane-switch's XDP program for the AF_XDP uplink.
 *
 * Redirects to the switch's AF_XDP socket exactly the frames the attached
 * stacks need, and passes everything else to the kernel untouched:
 *   - unicast to a port's MAC;
 *   - ARP whose target address is a stack's IPv4 address;
 *   - DHCP replies (UDP to port 68) whose client hardware address is a
 *     port's MAC, broadcast ones included;
 *   - multicast to a group a stack joined (IPv6 solicited-node included).
 * The switch fills the maps as stacks attach and tell their addresses.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct mac_key {
	__u8	addr[6];
	__u16	pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* Port MACs and joined multicast MACs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct mac_key);
	__type(value, __u32);
} macs SEC(".maps");

/* The stacks' IPv4 addresses, network order. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} ip4s SEC(".maps");

/* Frames redirected and passed, for the switch's counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct arp_ipv4 {
	__be16	htype, ptype;
	__u8	hlen, plen;
	__be16	op;
	__u8	sha[6];
	__u8	spa[4];
	__u8	tha[6];
	__u8	tpa[4];
} __attribute__((packed));

static __always_inline int
count(int redirected)
{
	__u32	 k = redirected ? 0 : 1;
	__u64	*v = bpf_map_lookup_elem(&verdicts, &k);

	if (v)
		*v += 1;
	return 0;
}

static __always_inline int
is_ours(const __u8 *mac)
{
	struct mac_key k = { .pad = 0 };

	__builtin_memcpy(k.addr, mac, 6);
	return bpf_map_lookup_elem(&macs, &k) != 0;
}

static __always_inline int
is_broadcast(const __u8 *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

static __always_inline int
redirect(struct xdp_md *ctx)
{
	count(1);
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int
membrane_xdp(struct xdp_md *ctx)
{
	void		*data = (void *)(long)ctx->data;
	void		*end = (void *)(long)ctx->data_end;
	struct ethhdr	*eth = data;
	__u16		 proto;

	if ((void *)(eth + 1) > end)
		goto pass;
	/* Unicast to a port, or a multicast group a stack joined. */
	if (!is_broadcast(eth->h_dest)) {
		if (is_ours(eth->h_dest))
			return redirect(ctx);
		goto pass;
	}
	/* Broadcast: ARP for a stack's address, DHCP for a port's MAC. */
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_ARP) {
		struct arp_ipv4 *arp = (void *)(eth + 1);
		__u32 tpa;

		if ((void *)(arp + 1) > end)
			goto pass;
		if (arp->ptype != bpf_htons(ETH_P_IP) || arp->plen != 4)
			goto pass;
		__builtin_memcpy(&tpa, arp->tpa, 4);
		if (bpf_map_lookup_elem(&ip4s, &tpa))
			return redirect(ctx);
		goto pass;
	}
	if (proto == ETH_P_IP) {
		struct iphdr	*ip = (void *)(eth + 1);
		struct udphdr	*udp;
		__u8		*chaddr;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP ||
		    ip->ihl != 5)
			goto pass;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end || udp->dest != bpf_htons(68))
			goto pass;
		/* BOOTP: op, htype, hlen, hops, xid(4), secs, flags, 4 addrs, chaddr. */
		chaddr = (__u8 *)(udp + 1) + 28;
		if ((void *)(chaddr + 6) > end)
			goto pass;
		if (is_ours(chaddr))
			return redirect(ctx);
	}
pass:
	count(0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
