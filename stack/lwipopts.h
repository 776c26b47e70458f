/*
 * lwipopts.h: how membrane-stack configures lwIP (compile time).
 *
 * One single-threaded event loop owns lwIP (NO_SYS=1): the raw API only, no
 * lwIP threads, sockets or netconn.  Windows are large and scaled so that
 * one connection can fill a fast path; memory comes from the C heap, since
 * the stack serves many apps with very different needs.
 */
#ifndef MEMBRANE_LWIPOPTS_H
#define MEMBRANE_LWIPOPTS_H

#define NO_SYS				1
#define SYS_LIGHTWEIGHT_PROT		0
#define LWIP_SOCKET			0
#define LWIP_NETCONN			0
#define LWIP_NETIF_API			0

/* Memory: the heap, not fixed pools, so a busy app cannot starve another. */
#define MEM_LIBC_MALLOC			1
#define MEMP_MEM_MALLOC			1
#define MEM_ALIGNMENT			8
#define MEMP_NUM_TCP_PCB		4096
#define MEMP_NUM_TCP_PCB_LISTEN		1024
#define MEMP_NUM_UDP_PCB		1024
#define MEMP_NUM_TCP_SEG		65536
#define PBUF_POOL_SIZE			4096
/* A 1500-byte frame in one pool pbuf; a jumbo one takes a chain of them. */
#define PBUF_POOL_BUFSIZE		LWIP_MEM_ALIGN_SIZE(1500 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

/* Protocols. */
#define LWIP_IPV4			1
#define LWIP_IPV6			1
#define LWIP_ARP			1
#define LWIP_ETHERNET			1
#define LWIP_ICMP			1
#define LWIP_RAW			0
#define LWIP_UDP			1
#define LWIP_TCP			1
#define LWIP_DHCP			1
#define LWIP_DHCP_CHECK_LINK_UP		1
#define LWIP_DNS			1
#define DNS_MAX_SERVERS			3
#define LWIP_IGMP			1
#define LWIP_IPV6_MLD			1
#define LWIP_IPV6_AUTOCONFIG		1
#define LWIP_IPV6_DHCP6			0
#define LWIP_ICMP6			1
#define LWIP_IPV6_FRAG			1
#define IPV6_FRAG_COPYHEADER		1	/* 64-bit pointers do not fit the header */
#define IP_REASSEMBLY			1
#define IP_FRAG				1
/* The largest datagram (64 KiB, 45 fragments) reassembles, a few at once. */
#define IP_REASS_MAX_PBUFS		256
#define MEMP_NUM_REASSDATA		16
#define MEMP_NUM_FRAG_PBUF		256
#define LWIP_BROADCAST_PING		0
#define LWIP_NETIF_STATUS_CALLBACK	1
#define LWIP_NETIF_LINK_CALLBACK	1
#define LWIP_NETIF_EXT_STATUS_CALLBACK	1
#define LWIP_NETIF_HOSTNAME		1
#define LWIP_SO_RCVBUF			0
#define SO_REUSE			1
#define LWIP_TCP_KEEPALIVE		1
#define LWIP_CHECKSUM_ON_COPY		1
/* lwip_port.c: a checksum that adds eight bytes a turn, not two. */
#define LWIP_CHKSUM			mb_chksum
unsigned short mb_chksum(const void *data, int len);
/* 127.0.0.1 and ::1 are the stack's own, served by lwIP's loopback. */
#define LWIP_HAVE_LOOPIF		1
#define LWIP_NETIF_LOOPBACK		1
#define LWIP_LOOPBACK_MAX_PBUFS		0
/* Frames wait for ARP and neighbour discovery instead of being dropped. */
#define ARP_QUEUEING			1
#define MEMP_NUM_ARP_QUEUE		256
#define LWIP_ND6_QUEUEING		1
#define MEMP_NUM_ND6_QUEUE		256

/*
 * TCP: segments as large as a 9000-byte MTU allows (lwIP offers and uses
 * what the interface's MTU and the peer's MSS let through: 1460 on a
 * 1500-byte link), scaled windows of up to 3 MiB.  The queue is counted
 * in 1460-byte segments, so that a 1500-byte link still fills its window.
 */
#define TCP_MSS				8960
#define TCP_CALCULATE_EFF_SEND_MSS	1
#define LWIP_WND_SCALE			1
#define TCP_RCV_SCALE			7
#define TCP_WND				(2048 * 1460)
#define TCP_SND_BUF			(2048 * 1460)
#define TCP_SND_QUEUELEN		((4 * TCP_SND_BUF) / 1460)
#define TCP_SNDLOWAT			28672	/* a u16, 4 MSS below its end */
#define TCP_QUEUE_OOSEQ			1
#define TCP_OOSEQ_MAX_BYTES		(4 * 1024 * 1024)
#define TCP_LISTEN_BACKLOG		1
#define TCP_DEFAULT_LISTEN_BACKLOG	128
#define LWIP_TCP_TIMESTAMPS		0
#define LWIP_TCP_SACK_OUT		1
/*
 * lwIP's TCP clocks tick at TCP_TMR_INTERVAL (delayed ACKs) and twice that
 * (retransmission, in whole ticks, at least three).  Its default, 250 ms,
 * makes every loss that fast retransmit misses cost 1.5 s on a path whose
 * round trip is 0.1 ms; at 10 ms it costs 60 ms.  The timer runs only while
 * a connection is open (lwIP stops it otherwise), and the loop sleeps
 * through its ticks while every connection is quiet (loop.c).
 */
#define TCP_TMR_INTERVAL		10

/* icmperr.c: ICMP port unreachable reaches connected UDP sockets. */
struct pbuf;
struct netif;
int stack_icmp_hook4(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_INPUT(p, inp)	stack_icmp_hook4((p), (inp))

/* Statistics feed the per-app counters and the agent's trust signals. */
#define LWIP_STATS			1
#define LWIP_STATS_DISPLAY		0
#define MIB2_STATS			0

#define LWIP_PROVIDE_ERRNO		0
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1	/* libc's htons() */
#define LWIP_ERRNO_STDINCLUDE		1

#endif /* MEMBRANE_LWIPOPTS_H */
