/* libFuzzer target: the TCP input path of dataplane/net/, one peer talking
 * to the stack through net_input() on a fake clock.
 *
 * The input is a script of actions. Most are segments from the peer, on
 * one of two connections: flags, options and payload from the input, and
 * sequence and acknowledgement numbers near what the connection expects
 * (the script says how near), so that the handshake, data, SACK, the FIN
 * states and their edge cases are all reachable; some are TCP headers of
 * raw bytes. The others move the clock (timers run), or make the layer
 * above send, close, or stop and resume reading. Checksums are computed
 * for the peer (a bit of the script corrupts one), so nothing is dropped
 * at the door unless the script asks for it.
 *
 * After each action:
 *   - every frame the stack sent is well-formed: Ethernet to the peer,
 *     IPv4 and TCP checksums right, lengths consistent, no more payload
 *     than the peer's MSS;
 *   - each connection's state holds together: snd.una <= snd.nxt <=
 *     snd.max; the send queue within its buffer and limit; the out-of-order
 *     queue sorted, above rcv.nxt, its byte and segment counts right; the SACK
 *     scoreboard sorted and disjoint;
 *   - the layer above has received exactly the bytes from the peer's
 *     first sequence number up to rcv.nxt (the FIN not counted);
 * and at the end tcp_layer_fini() frees everything (LeakSanitizer).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "fuzz_input.h"
#include "net_stack.h"
#include "../unit/net_test_hosts.h"
#include "tcp.h"
#include "tcp_internal.h"
#include "tcp_seq.h"
#include "wire_format.h"

#define LISTEN_PORT 6379
#define NCONN 2
#define PEER_PORT_BASE 40000
#define START_MS 1000000
#define MAX_ACTIONS 256

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tcp_input: %s\n", what);
		abort(); /* libFuzzer keeps the input that got here */
	}
}


static uint32_t next_u32(struct input *in)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | next_byte(in);
	return v;
}


/* ---- the peer's view of each connection and the layer above it ------------ */

struct conn {
	uint16_t port;             /* the peer's */
	uint32_t peer_isn;         /* the seq of the peer's last SYN */
	uint32_t peer_nxt;         /* the peer's next in-order seq */
	uint32_t our_nxt;          /* one past the highest seq we sent */
	uint32_t our_tsval;        /* the latest TSval we sent */
	/* The layer above: the stack's handle on this connection. */
	struct tcb *tcb;
	bool attached;
	uint64_t delivered;        /* bytes received upward */
	uint64_t offered;          /* bytes the layer above queued */
};

static struct conn conns[NCONN];
static struct net_stack ns;

static struct conn *conn_of_port(uint16_t port)
{
	for (int i = 0; i < NCONN; i++)
		if (conns[i].port == port)
			return &conns[i];
	return NULL;
}

static void *up_accepted(void *ctx, struct tcb *t)
{
	(void)ctx;
	struct conn *c = conn_of_port(ntohs(t->rport));
	check(c != NULL, "a connection from a port the peer never used");
	c->tcb = t;
	c->attached = true;
	c->delivered = 0;
	c->offered = 0;
	return c;
}

static void up_received(void *ctx, void *upper, uint8_t *data, size_t len)
{
	(void)ctx;
	(void)data;
	struct conn *c = upper;
	c->delivered += len;
}

static void up_writable(void *ctx, void *upper)
{
	(void)ctx;
	(void)upper;
}

static void up_closed(void *ctx, void *upper)
{
	(void)ctx;
	struct conn *c = upper;
	c->tcb = NULL;
	c->attached = false;
}

/* The engine's way: CLOSE-WAIT keeps the connection until the layer above
 * has answered and closes (an action of the script does). */
static void up_peer_closed(void *ctx, void *upper)
{
	(void)ctx;
	(void)upper;
}

static const struct tcp_upcalls upcalls = {
	.accepted = up_accepted, .received = up_received, .writable = up_writable,
	.closed = up_closed, .peer_closed = up_peer_closed,
};

/* ---- what the stack sends: checked as it leaves --------------------------- */

#define TX_FRAMES 4096
#define TX_CAP 1600
static uint8_t tx_buf[TX_FRAMES][TX_CAP];
static unsigned tx_nalloc;

static uint8_t *tx_alloc(void *ctx, size_t len, void **handle)
{
	(void)ctx;
	if (tx_nalloc == TX_FRAMES || len > TX_CAP)
		return NULL;
	*handle = tx_buf[tx_nalloc];
	return tx_buf[tx_nalloc++];
}

static void check_tcp_frame(const uint8_t *ip, size_t ip_len)
{
	const uint8_t *tcp = ip + IPV4_HDR_LEN;
	size_t tcp_len = ip_len - IPV4_HDR_LEN;
	check(tcp_len >= TCP_HDR_LEN, "a TCP segment shorter than its header");
	size_t hlen = (size_t)(tcp[12] >> 4) * 4;
	check(hlen >= TCP_HDR_LEN && hlen <= tcp_len, "a TCP header length out of range");
	uint32_t sum = checksum_pseudo_header(ip_addr_get(ip + 12), ip_addr_get(ip + 16), IP_PROTO_TCP,
					      (uint16_t)tcp_len);
	check(checksum_finish(checksum_partial(tcp, tcp_len, sum)) == 0, "a bad TCP checksum");
	check(be16_get(tcp) == LISTEN_PORT, "a segment from another port than ours");
	struct conn *c = conn_of_port(be16_get(tcp + 2));
	if (!c)
		return; /* a reset for a port the script made up */
	uint8_t flags = tcp[13];
	uint32_t seq = be32_get(tcp + 4);
	size_t payload = tcp_len - hlen;
	struct tcb *t = tcp_lookup(&ns, ip4(10, 0, 0, 2), htons(c->port), ip4(10, 0, 0, 1), htons(LISTEN_PORT));
	check(!t || payload <= t->snd.mss, "more payload than the peer's MSS");
	uint32_t end = seq + (uint32_t)payload + ((flags & TCP_FLAG_SYN) ? 1 : 0) +
		       ((flags & TCP_FLAG_FIN) ? 1 : 0);
	if ((flags & TCP_FLAG_SYN) || seq_gt(end, c->our_nxt))
		c->our_nxt = end;
	/* Learn our TSval, to echo it back. */
	for (size_t o = TCP_HDR_LEN; o < hlen;) {
		uint8_t kind = tcp[o];
		if (kind == TCP_OPT_END)
			break;
		if (kind == TCP_OPT_NOP) {
			o++;
			continue;
		}
		check(o + 1 < hlen && tcp[o + 1] >= 2 && o + tcp[o + 1] <= hlen,
		      "a malformed option in a segment we sent");
		if (kind == TCP_OPT_TIMESTAMPS && tcp[o + 1] == 10)
			c->our_tsval = be32_get(tcp + o + 2);
		o += tcp[o + 1];
	}
}

static void tx_send(void *ctx, void *handle, size_t len)
{
	(void)ctx;
	const uint8_t *f = handle;
	check(len >= ETH_HDR_LEN + IPV4_HDR_LEN && len <= TX_CAP, "a frame of a bad length");
	check(memcmp(f, peer_mac, 6) == 0 || be16_get(f + 12) == ETH_TYPE_ARP,
	      "a frame to another MAC than the peer's");
	if (be16_get(f + 12) != ETH_TYPE_IPV4)
		return;
	const uint8_t *ip = f + ETH_HDR_LEN;
	check(ip[0] == 0x45, "an IPv4 header with options or another version");
	check(checksum(ip, IPV4_HDR_LEN) == 0, "a bad IPv4 header checksum");
	size_t ip_len = be16_get(ip + 2);
	check(ip_len <= len - ETH_HDR_LEN, "an IPv4 total length beyond the frame");
	if (ip[9] == IP_PROTO_TCP)
		check_tcp_frame(ip, ip_len);
}

static const struct net_tx_ops tx_ops = { .alloc = tx_alloc, .send = tx_send };

/* ---- the peer's segments ---------------------------------------------------- */

static size_t build_segment(uint8_t *f, const struct conn *c, uint8_t flags, uint32_t seq,
			    uint32_t ack, uint16_t win, const uint8_t *opt, size_t opt_len,
			    const uint8_t *data, size_t data_len, bool bad_csum)
{
	uint8_t *ip = f + ETH_HDR_LEN, *tcp = ip + IPV4_HDR_LEN;
	size_t tcp_len = TCP_HDR_LEN + opt_len + data_len;
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	be16_put(f + 12, ETH_TYPE_IPV4);
	memset(ip, 0, IPV4_HDR_LEN);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(IPV4_HDR_LEN + tcp_len));
	be16_put(ip + 6, IPV4_FLAG_DF);
	ip[8] = 64;
	ip[9] = IP_PROTO_TCP;
	ip_addr_put(ip + 12, ip4(10, 0, 0, 2));
	ip_addr_put(ip + 16, ip4(10, 0, 0, 1));
	be16_put(ip + 10, checksum(ip, IPV4_HDR_LEN));
	memset(tcp, 0, TCP_HDR_LEN);
	be16_put(tcp, c->port);
	be16_put(tcp + 2, LISTEN_PORT);
	be32_put(tcp + 4, seq);
	be32_put(tcp + 8, ack);
	tcp[12] = (uint8_t)((TCP_HDR_LEN + opt_len) / 4 << 4);
	tcp[13] = flags;
	be16_put(tcp + 14, win);
	if (opt_len)
		memcpy(tcp + TCP_HDR_LEN, opt, opt_len);
	if (data_len)
		memcpy(tcp + TCP_HDR_LEN + opt_len, data, data_len);
	uint32_t sum = checksum_pseudo_header(ip_addr_get(ip + 12), ip_addr_get(ip + 16), IP_PROTO_TCP,
					      (uint16_t)tcp_len);
	uint16_t csum = checksum_finish(checksum_partial(tcp, tcp_len, sum));
	be16_put(tcp + 16, bad_csum ? csum ^ 0x0100 : csum);
	return ETH_HDR_LEN + IPV4_HDR_LEN + tcp_len;
}

/* Options the script chooses, each well-formed (raw segments cover the
 * malformed ones); padded to a multiple of 4. */
static size_t build_options(struct input *in, const struct conn *c, uint8_t *o)
{
	uint8_t which = next_byte(in);
	size_t n = 0;
	if (which & 1) {
		o[n++] = TCP_OPT_MSS;
		o[n++] = 4;
		uint16_t mss = (uint16_t)(next_byte(in) << 4);
		be16_put(o + n, mss);
		n += 2;
	}
	if (which & 2) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_WSCALE;
		o[n++] = 3;
		o[n++] = next_byte(in) % 16;
	}
	if (which & 4) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK_PERMITTED;
		o[n++] = 2;
	}
	if (which & 8) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_TIMESTAMPS;
		o[n++] = 10;
		be32_put(o + n, (uint32_t)(ns.now_ms + (int8_t)next_byte(in)));
		be32_put(o + n + 4, (which & 16) ? next_u32(in) : c->our_tsval);
		n += 8;
	}
	if ((which & 32) && n <= 40 - 12) {
		/* SACK blocks near what we sent. */
		unsigned blocks = 1 + next_byte(in) % 3, room = (unsigned)(40 - n - 4) / 8;
		if (blocks > room)
			blocks = room;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * blocks);
		for (unsigned b = 0; b < blocks; b++, n += 8) {
			uint32_t start = c->our_nxt - (uint32_t)next_byte(in) * 64;
			be32_put(o + n, start);
			be32_put(o + n + 4, start + (uint32_t)next_byte(in) * 16);
		}
	}
	while (n % 4)
		o[n++] = TCP_OPT_NOP;
	return n;
}

/* A sequence number the script picks: where the connection is, a little
 * off, the peer's ISN, or anything. */
static uint32_t pick_seq(struct input *in, uint32_t expected, uint32_t isn)
{
	uint8_t how = next_byte(in);
	switch (how & 3) {
	case 0:
		return expected;
	case 1:
		return expected + (uint32_t)(int32_t)(int8_t)next_byte(in) * ((how & 4) ? 64 : 1);
	case 2:
		return isn;
	default:
		return next_u32(in);
	}
}

static void peer_segment(struct input *in, struct conn *c)
{
	uint8_t flags = next_byte(in);
	if (flags & TCP_FLAG_SYN && !c->attached) {
		c->peer_isn = next_u32(in);
		c->peer_nxt = c->peer_isn;
	}
	uint32_t seq = pick_seq(in, c->peer_nxt, c->peer_isn);
	uint32_t ack = pick_seq(in, c->our_nxt, c->our_nxt - 1);
	uint16_t win = (uint16_t)(next_byte(in) << 8 | next_byte(in));
	uint8_t opt[40];
	size_t opt_len = build_options(in, c, opt);
	uint8_t shape = next_byte(in);
	size_t data_len = shape & 0x3f;
	if (shape & 0x40)
		data_len *= 23; /* up to 1,449 bytes: full segments */
	if (data_len > 1460 - opt_len)
		data_len = 1460 - opt_len;
	static uint8_t data[1500];
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(seq + i);
	uint8_t f[ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN + 40 + 1500];
	size_t n = build_segment(f, c, flags, seq, ack, win, opt, opt_len, data, data_len,
				 (shape & 0x80) && (flags & 1));
	if (seq == c->peer_nxt)
		c->peer_nxt += (uint32_t)data_len + ((flags & TCP_FLAG_SYN) ? 1 : 0) +
			       ((flags & TCP_FLAG_FIN) ? 1 : 0);
	net_input(&ns, f, n);
}

/* A TCP header of raw bytes (any flags, offset and options), with the
 * connection's ports and a right checksum. */
static void raw_segment(struct input *in, struct conn *c)
{
	size_t len = next_byte(in) % 80;
	if (len > in->left)
		len = in->left;
	uint8_t f[ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN + 80];
	size_t n = build_segment(f, c, 0, 0, 0, 0, NULL, 0, in->p, len, false);
	in->p += len;
	in->left -= len;
	uint8_t *tcp = f + ETH_HDR_LEN + IPV4_HDR_LEN;
	if (len >= TCP_HDR_LEN) {
		/* The header is the script's: move it over ours, keep the ports. */
		memmove(tcp, tcp + TCP_HDR_LEN, len);
		n -= TCP_HDR_LEN;
		be16_put(f + ETH_HDR_LEN + 2, (uint16_t)(IPV4_HDR_LEN + len));
		be16_put(f + ETH_HDR_LEN + 10, 0);
		be16_put(f + ETH_HDR_LEN + 10, checksum(f + ETH_HDR_LEN, IPV4_HDR_LEN));
		be16_put(tcp, c->port);
		be16_put(tcp + 2, LISTEN_PORT);
		be16_put(tcp + 16, 0);
		uint32_t sum = checksum_pseudo_header(ip4(10, 0, 0, 2), ip4(10, 0, 0, 1), IP_PROTO_TCP,
						      (uint16_t)len);
		be16_put(tcp + 16, checksum_finish(checksum_partial(tcp, len, sum)));
	}
	net_input(&ns, f, n);
}

/* ---- the layer above -------------------------------------------------------- */

static void upper_action(struct input *in, struct conn *c)
{
	uint8_t what = next_byte(in);
	if (!c->attached)
		return;
	switch (what & 3) {
	case 0: {
		static uint8_t bytes[256 * 64];
		size_t n = (size_t)next_byte(in) * 64;
		size_t took = tcp_send(c->tcb, bytes, n);
		check(took <= n, "tcp_send took more than offered");
		c->offered += took;
		break;
	}
	case 1:
		/* The stack forgets the layer above here: no upcall follows. */
		tcp_close(c->tcb);
		c->tcb = NULL;
		c->attached = false;
		break;
	case 2:
		tcp_set_receiving(c->tcb, false);
		break;
	default:
		tcp_set_receiving(c->tcb, true);
		break;
	}
}

/* ---- invariants ------------------------------------------------------------- */

static void check_connection(struct conn *c)
{
	struct tcb *t = tcp_lookup(&ns, ip4(10, 0, 0, 2), htons(c->port), ip4(10, 0, 0, 1), htons(LISTEN_PORT));
	check(!c->attached || t == c->tcb, "the layer above holds a connection the stack lost");
	if (!t)
		return;
	check(seq_leq(t->snd.una, t->snd.nxt) && seq_leq(t->snd.nxt, t->snd.max),
	      "snd.una <= snd.nxt <= snd.max does not hold");
	check(t->sndq_head + t->sndq_len <= t->sndq_cap, "the send queue overruns its buffer");
	check(t->sndq_len <= TCP_SNDQ_LIMIT, "the send queue is over its limit");
	size_t ooo = 0;
	unsigned segments = 0;
	for (struct ooo_segment *s = t->ooo; s; s = s->next) {
		check(seq_gt(s->seq, t->rcv.nxt), "an out-of-order segment at or below rcv.nxt");
		/* Overlaps are kept as sent (tcp_input.c): sorted is the rule. */
		check(!s->next || seq_leq(s->seq, s->next->seq), "out-of-order segments not sorted");
		ooo += s->len;
		segments++;
	}
	check(ooo == t->ooo_bytes, "ooo_bytes differs from the out-of-order queue");
	check(segments == t->ooo_count && segments <= TCP_OOO_MAX_SEGMENTS,
	      "the out-of-order queue's segment count is wrong or over its bound");
	check(t->nsacked <= TCP_SACK_SCOREBOARD, "the SACK scoreboard overflows");
	for (unsigned i = 0; i < t->nsacked; i++) {
		check(seq_lt(t->sacked[i].start, t->sacked[i].end), "an empty SACKed range");
		check(i == 0 || seq_lt(t->sacked[i - 1].end, t->sacked[i].start) ||
			      t->sacked[i - 1].end == t->sacked[i].start,
		      "SACKed ranges not sorted and disjoint");
	}
	if (c->attached) {
		bool fin_in = t->state & (TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK | TCP_TIME_WAIT);
		uint32_t in_order = t->rcv.nxt - t->rcv.irs - 1 - (fin_in ? 1 : 0);
		check(c->delivered == in_order, "bytes delivered upward differ from rcv.nxt");
	}
}

/* FUZZ_TCP_TRACE=1 in the environment: each action and what it left, on
 * stderr, to read a crash input by. */
static bool trace;

static void trace_step(unsigned step, uint8_t op)
{
	static const char *const names[] = { "segment", "segment", "segment", "segment",
					     "clock", "upper", "raw segment", "no flush" };
	fprintf(stderr, "%3u %-11s conn %u (now +%llu ms)\n", step, names[op & 7], (op >> 4) % NCONN,
		(unsigned long long)(ns.now_ms - START_MS));
	for (int i = 0; i < NCONN; i++) {
		struct conn *c = &conns[i];
		struct tcb *t = tcp_lookup(&ns, ip4(10, 0, 0, 2), htons(c->port), ip4(10, 0, 0, 1),
					   htons(LISTEN_PORT));
		if (!t)
			continue;
		fprintf(stderr, "      conn %d: state %#x rcv.nxt-irs %u delivered %llu ooo %zu "
			"snd una/nxt/max %u/%u/%u wnd %u\n", i, t->state, t->rcv.nxt - t->rcv.irs,
			(unsigned long long)c->delivered, t->ooo_bytes, t->snd.una - t->snd.iss,
			t->snd.nxt - t->snd.iss, t->snd.max - t->snd.iss, t->snd.wnd);
	}
}

/* ---- one run -------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct input in = { data, size };
	uint8_t setup = next_byte(&in);
	trace = getenv("FUZZ_TCP_TRACE") != NULL;

	struct net_config cfg = { .ip = ip4(10, 0, 0, 1), .netmask = ip4(255, 255, 255, 0) };
	memcpy(cfg.mac, our_mac, 6);
	tx_nalloc = 0;
	memset(conns, 0, sizeof(conns));
	for (int i = 0; i < NCONN; i++) {
		conns[i].port = (uint16_t)(PEER_PORT_BASE + i);
	}
	check(net_stack_init(&ns, &cfg, &tx_ops, NULL, START_MS) == 0, "net_stack_init");
	check(tcp_layer_init(&ns.tcp, LISTEN_PORT, &upcalls, NULL, 0x5eed) == 0, "tcp_layer_init");
	ns.tcp.keepalive_ms = (setup & 1) ? 2000 : 0;

	for (unsigned step = 0; step < MAX_ACTIONS && in.left; step++) {
		uint8_t op = next_byte(&in);
		struct conn *c = &conns[(op >> 4) % NCONN];
		switch (op & 7) {
		case 0: case 1: case 2: case 3:
			peer_segment(&in, c);
			break;
		case 4:
			/* Up to 12.75 s a step: the wheel turns tick by tick. */
			net_tick(&ns, ns.now_ms + (uint64_t)next_byte(&in) * ((op & 8) ? 50 : 10));
			break;
		case 5:
			upper_action(&in, c);
			break;
		case 6:
			raw_segment(&in, c);
			break;
		default:
			break; /* more in this loop iteration: no flush yet */
		}
		if ((op & 7) != 7)
			tcp_flush(&ns);
		tx_nalloc = 0;
		if (trace)
			trace_step(step, op);
		for (int i = 0; i < NCONN; i++)
			check_connection(&conns[i]);
	}
	tcp_layer_fini(&ns);
	net_stack_fini(&ns);
	return 0;
}
