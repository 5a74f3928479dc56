/* Wire layouts of every header the stack parses or builds: Ethernet II,
 * ARP for IPv4 over Ethernet, IPv4, ICMP echo and TCP.
 *
 * Each struct is the header byte for byte. Multi-byte fields are byte
 * arrays in network order, so a struct has alignment 1, may sit at any
 * offset in a frame, and cannot be read without converting: use be16_get()
 * / be32_get() and the per-field accessors below, one field at a time.
 * IPv4 addresses are the exception: the stack keeps them in network order
 * (struct net_config), so ip_addr_get()/ip_addr_put() copy without
 * converting. `packed` only documents the intent; the sizes are pinned by
 * _Static_assert.
 *
 * Callers check the length before casting a pointer into a frame.
 */
#ifndef TESSERA_NET_WIRE_FORMAT_H
#define TESSERA_NET_WIRE_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- byte order ----------------------------------------------------------- */

static inline uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An IPv4 address field, kept in network order. */
static inline uint32_t ip_addr_get(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

static inline void ip_addr_put(uint8_t *p, uint32_t a)
{
	memcpy(p, &a, 4);
}

/* ---- Ethernet II (IEEE 802.3, RFC 894) ---------------------------------------
 *
 *   OFFSET SIZE FIELD
 *        0    6 dst        destination MAC
 *        6    6 src        source MAC
 *       12    2 type       EtherType: 0x0800 IPv4, 0x0806 ARP; values below
 *                          0x0600 are 802.3 lengths, not types
 *       14      payload (46..1500 bytes; the sender pads to 60 bytes, so
 *               a frame may end with padding after the IP datagram)
 *
 * The 4-byte FCS is stripped by the NIC and never seen here.
 */
#define ETH_ALEN 6
#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60         /* without FCS */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint8_t type[2];
} __attribute__((packed));
_Static_assert(sizeof(struct eth_hdr) == ETH_HDR_LEN, "Ethernet header is 14 bytes");

static const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Bit 0 of the first octet: group (multicast or broadcast) address. */
static inline bool eth_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline uint16_t eth_type(const struct eth_hdr *e)
{
	return be16_get(e->type);
}

/* Fill in a header, field by field. */
static inline void eth_hdr_fill(struct eth_hdr *e, const uint8_t *dst, const uint8_t *src,
				uint16_t type)
{
	memcpy(e->dst, dst, ETH_ALEN);
	memcpy(e->src, src, ETH_ALEN);
	be16_put(e->type, type);
}

/* ---- ARP for IPv4 over Ethernet (RFC 826) -------------------------------------
 *
 *   OFFSET SIZE FIELD
 *        0    2 htype      hardware type: 1 (Ethernet)
 *        2    2 ptype      protocol type: 0x0800 (IPv4)
 *        4    1 hlen       hardware address length: 6
 *        5    1 plen       protocol address length: 4
 *        6    2 oper       1 request, 2 reply
 *        8    6 sha        sender hardware address
 *       14    4 spa        sender protocol address
 *       18    6 tha        target hardware address (ignored in a request)
 *       24    4 tpa        target protocol address
 *
 * RFC 826 allows other sizes; this stack accepts only the combination
 * above and drops anything else.
 */
#define ARP_LEN 28
#define ARP_HTYPE_ETHERNET 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_hdr {
	uint8_t htype[2];
	uint8_t ptype[2];
	uint8_t hlen;
	uint8_t plen;
	uint8_t oper[2];
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
} __attribute__((packed));
_Static_assert(sizeof(struct arp_hdr) == ARP_LEN, "ARP for IPv4 over Ethernet is 28 bytes");

/* ---- IPv4 (RFC 791 3.1) ----------------------------------------------------------
 *
 *   OFFSET SIZE FIELD
 *        0    1 ver_ihl    version (high 4 bits, 4) and IHL (low 4 bits:
 *                          header length in 32-bit words, 5..15)
 *        1    1 tos        DSCP (high 6 bits) and ECN (low 2), RFC 2474/3168
 *        2    2 total_len  header + data, bytes
 *        4    2 id         identification, for reassembly
 *        6    2 frag       flags (bit 15 reserved, 14 DF, 13 MF) and
 *                          fragment offset (low 13 bits, 8-byte units)
 *        8    1 ttl
 *        9    1 protocol   1 ICMP, 6 TCP, 17 UDP
 *       10    2 checksum   RFC 1071 over the header only
 *       12    4 saddr
 *       16    4 daddr
 *       20      options (IHL > 5), then data
 *
 * A datagram is a fragment when MF is set or the offset is non-zero; one
 * with DF set, MF clear and offset 0 is "atomic" (RFC 6864), and its id
 * carries no meaning.
 */
#define IPV4_HDR_LEN 20
#define IPV4_VERSION 4
#define IPV4_DEFAULT_TTL 64      /* RFC 1700's recommendation */
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6

struct ipv4_hdr {
	uint8_t ver_ihl;
	uint8_t tos;
	uint8_t total_len[2];
	uint8_t id[2];
	uint8_t frag[2];
	uint8_t ttl;
	uint8_t protocol;
	uint8_t checksum[2];
	uint8_t saddr[4];
	uint8_t daddr[4];
} __attribute__((packed));
_Static_assert(sizeof(struct ipv4_hdr) == IPV4_HDR_LEN, "IPv4 header without options is 20 bytes");

static inline unsigned ipv4_version(const struct ipv4_hdr *h)
{
	return h->ver_ihl >> 4;
}

/* Header length in bytes (IHL * 4). */
static inline unsigned ipv4_hdr_len(const struct ipv4_hdr *h)
{
	return (h->ver_ihl & 0x0f) * 4u;
}

static inline uint16_t ipv4_total_len(const struct ipv4_hdr *h)
{
	return be16_get(h->total_len);
}

static inline bool ipv4_is_fragment(const struct ipv4_hdr *h)
{
	return (be16_get(h->frag) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) != 0;
}

/* ---- ICMP echo (RFC 792) ---------------------------------------------------------
 *
 *   OFFSET SIZE FIELD
 *        0    1 type       8 echo request, 0 echo reply
 *        1    1 code       0
 *        2    2 checksum   RFC 1071 over the whole ICMP message
 *        4    2 id         identifier, echoed
 *        6    2 seq        sequence number, echoed
 *        8      data, echoed
 */
#define ICMP_ECHO_HDR_LEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

struct icmp_echo_hdr {
	uint8_t type;
	uint8_t code;
	uint8_t checksum[2];
	uint8_t id[2];
	uint8_t seq[2];
} __attribute__((packed));
_Static_assert(sizeof(struct icmp_echo_hdr) == ICMP_ECHO_HDR_LEN, "ICMP echo header is 8 bytes");

/* ---- TCP (RFC 9293 3.1) -------------------------------------------------------------
 *
 *   OFFSET SIZE FIELD
 *        0    2 sport      source port
 *        2    2 dport      destination port
 *        4    4 seq        sequence number
 *        8    4 ack        acknowledgment number (valid with ACK)
 *       12    1 doff       data offset (high 4 bits: header length in
 *                          32-bit words, 5..15); low 4 bits reserved
 *       13    1 flags      CWR ECE URG ACK PSH RST SYN FIN (bit 7..0)
 *       14    2 window     (scaled by the window scale option, RFC 7323)
 *       16    2 checksum   RFC 1071 over pseudo-header, header and data
 *       18    2 urg_ptr
 *       20      options (doff > 5), then data
 *
 * Options: kind 0 end of list, 1 no-operation (one byte each); every other
 * kind is followed by a length byte counting kind and length too.
 */
#define TCP_HDR_LEN 20
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
#define TCP_FLAG_ECE 0x40
#define TCP_FLAG_CWR 0x80
#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2             /* length 4, RFC 9293 3.2 */
#define TCP_OPT_WSCALE 3          /* length 3, RFC 7323 2 */
#define TCP_OPT_SACK_PERMITTED 4  /* length 2, RFC 2018 */
#define TCP_OPT_SACK 5            /* length 2 + 8n, RFC 2018 */
#define TCP_OPT_TIMESTAMPS 8      /* length 10, RFC 7323 3 */

struct tcp_hdr {
	uint8_t sport[2];
	uint8_t dport[2];
	uint8_t seq[4];
	uint8_t ack[4];
	uint8_t doff;
	uint8_t flags;
	uint8_t window[2];
	uint8_t checksum[2];
	uint8_t urg_ptr[2];
} __attribute__((packed));
_Static_assert(sizeof(struct tcp_hdr) == TCP_HDR_LEN, "TCP header without options is 20 bytes");

/* Header length in bytes (data offset * 4). */
static inline unsigned tcp_hdr_len(const struct tcp_hdr *t)
{
	return (t->doff >> 4) * 4u;
}

static inline void tcp_set_hdr_len(struct tcp_hdr *t, unsigned bytes)
{
	t->doff = (uint8_t)((bytes / 4) << 4);
}

#endif
