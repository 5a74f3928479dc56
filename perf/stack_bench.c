/* stack_bench: the DPDK path without a NIC. Pre-built Ethernet frames that
 * carry pipelined RESP requests on an established TCP connection go straight
 * into one shard's receive path (net_input); the frames the stack transmits
 * are parsed only for their sequence numbers, which the next request frame
 * acknowledges, as a client would. What is timed is Ethernet -> IPv4 -> TCP
 * -> RESP -> engine -> TCP -> IPv4 -> Ethernet, per request.
 *
 *   build/perf/stack_bench [get|set] [pipeline] [requests]
 *
 * For instruction counts: valgrind --tool=callgrind build/perf/stack_bench get 1 100000
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "checksum.h"
#include "commands/command_table.h"
#include "ipv4.h"
#include "loop/engine_lifecycle.h"
#include "net_stack.h"
#include "shard/shard.h"
#include "tcp.h"
#include "tcp_clients.h"
#include "wire_format.h"

#define FRAME_CAP 65536

struct sink {
	uint8_t frame[FRAME_CAP];
	uint32_t server_nxt;       /* what the client has received up to */
	uint64_t reply_bytes;
	unsigned frames;
};

static uint8_t *sink_alloc(void *ctx, size_t len, void **handle)
{
	struct sink *s = ctx;
	*handle = s->frame;
	return len <= FRAME_CAP ? s->frame : NULL;
}

static void sink_send(void *ctx, void *handle, size_t len)
{
	struct sink *s = ctx;
	(void)handle;
	const uint8_t *tcp = s->frame + ETH_HDR_LEN + IPV4_HDR_LEN;
	size_t hlen = (size_t)(tcp[12] >> 4) * 4;
	uint32_t seq = be32_get(tcp + 4);
	size_t payload = len - ETH_HDR_LEN - IPV4_HDR_LEN - hlen;
	uint32_t end = seq + (uint32_t)payload + ((tcp[13] & TCP_FLAG_SYN) ? 1 : 0);
	/* The first frame (the SYN-ACK) sets it: the ISS may be anywhere in the
	 * 32-bit space, so a comparison with the initial 0 would be a coin toss. */
	if (s->frames == 0 || (int32_t)(end - s->server_nxt) > 0)
		s->server_nxt = end;
	s->reply_bytes += payload;
	s->frames++;
}

static const struct net_tx_ops sink_ops = { .alloc = sink_alloc, .send = sink_send };

static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 2 };

/* A client frame: Ethernet, IPv4, TCP (+ MSS option on a SYN), payload. */
static size_t build_frame(uint8_t *f, uint32_t saddr, uint32_t daddr, uint32_t seq, uint32_t ack,
			  uint8_t flags, const void *payload, size_t len)
{
	size_t opt = (flags & TCP_FLAG_SYN) ? 4 : 0;
	eth_hdr_fill((struct eth_hdr *)f, server_mac, client_mac, ETH_TYPE_IPV4);
	ipv4_hdr_fill((struct ipv4_hdr *)(f + ETH_HDR_LEN), saddr, daddr, IP_PROTO_TCP, 0,
		      (uint16_t)(TCP_HDR_LEN + opt + len));
	uint8_t *t = f + ETH_HDR_LEN + IPV4_HDR_LEN;
	be16_put(t, 40000);
	be16_put(t + 2, 6379);
	be32_put(t + 4, seq);
	be32_put(t + 8, ack);
	t[12] = (uint8_t)(((TCP_HDR_LEN + opt) / 4) << 4);
	t[13] = flags;
	be16_put(t + 14, 65535);
	be16_put(t + 16, 0);
	be16_put(t + 18, 0);
	if (opt) {
		t[20] = TCP_OPT_MSS;
		t[21] = 4;
		be16_put(t + 22, 1460);
	}
	memcpy(t + TCP_HDR_LEN + opt, payload, len);
	uint32_t sum = checksum_pseudo_header(saddr, daddr, IP_PROTO_TCP, (uint16_t)(TCP_HDR_LEN + opt + len));
	be16_put(t + 16, checksum_finish(checksum_partial(t, TCP_HDR_LEN + opt + len, sum)));
	return ETH_HDR_LEN + IPV4_HDR_LEN + TCP_HDR_LEN + opt + len;
}

static void step(struct net_stack *ns, struct shard *sh, uint8_t *frame, size_t len)
{
	shard_update_clock(sh);
	ns->now_ms = (uint64_t)sh->now_ms;
	net_input(ns, frame, len);
	tcp_clients_flush(sh);
	tcp_flush(ns);
}

static void noop_wake(struct engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "get";
	unsigned pipeline = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	unsigned long requests = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000000;
	if (pipeline == 0 || pipeline > 256 || (strcmp(cmd, "get") && strcmp(cmd, "set"))) {
		fprintf(stderr, "usage: stack_bench [get|set] [pipeline 1..256] [requests]\n");
		return 2;
	}
	char err[256];
	config_init();
	if (command_table_init(err, sizeof(err)) < 0)
		return 1;
	struct engine *eng = engine_create(1);
	eng->wake = noop_wake;
	struct shard *sh = eng->shards[0];
	shard_update_clock(sh);

	static struct sink sink;
	static struct net_stack ns;
	uint32_t server_ip = htonl(0x0a000001), client_ip = htonl(0x0a000002);
	struct net_config cfg = { .ip = server_ip, .netmask = htonl(0xffffff00) };
	memcpy(cfg.mac, server_mac, 6);
	if (net_stack_init(&ns, &cfg, &sink_ops, &sink, (uint64_t)sh->now_ms) < 0 ||
	    tcp_layer_init(&ns.tcp, 6379, &tcp_client_upcalls, sh, 1) < 0)
		return 1;

	static uint8_t frame[FRAME_CAP];
	uint32_t client_nxt = 1000;
	size_t len = build_frame(frame, client_ip, server_ip, client_nxt, 0, TCP_FLAG_SYN, "", 0);
	step(&ns, sh, frame, len);
	client_nxt++;
	len = build_frame(frame, client_ip, server_ip, client_nxt, sink.server_nxt, TCP_FLAG_ACK, "", 0);
	step(&ns, sh, frame, len);

	static const char set_req[] = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$32\r\n01234567890123456789012345678901\r\n";
	static const char get_req[] = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
	const char *one = strcmp(cmd, "get") ? set_req : get_req;
	size_t one_len = strlen(one);
	char payload[256 * sizeof(set_req)];
	for (unsigned i = 0; i < pipeline; i++)
		memcpy(payload + i * one_len, one, one_len);
	size_t payload_len = pipeline * one_len;

	/* The key exists for GET: */
	len = build_frame(frame, client_ip, server_ip, client_nxt, sink.server_nxt,
			  TCP_FLAG_ACK | TCP_FLAG_PSH, set_req, strlen(set_req));
	step(&ns, sh, frame, len);
	client_nxt += (uint32_t)strlen(set_req);

	unsigned long rounds = requests / pipeline;
	uint64_t bytes_before = sink.reply_bytes;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long r = 0; r < rounds; r++) {
		len = build_frame(frame, client_ip, server_ip, client_nxt, sink.server_nxt,
				  TCP_FLAG_ACK | TCP_FLAG_PSH, payload, payload_len);
		step(&ns, sh, frame, len);
		client_nxt += (uint32_t)payload_len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns_total = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	unsigned long done = rounds * pipeline;
	size_t reply_len = strcmp(cmd, "get") ? 5 : 39; /* "+OK\r\n", or "$32\r\n" + 32 bytes + CRLF */
	bool all_replied = sink.reply_bytes - bytes_before == done * reply_len;
	printf("stack_bench: %s pipeline %u: %lu requests, %.0f ns/request, %.2f M requests/s, "
	       "replies %s\n", cmd, pipeline, done, ns_total / (double)done,
	       (double)done / ns_total * 1e3, all_replied ? "complete" : "MISSING");
	tcp_layer_fini(&ns);
	net_stack_fini(&ns);
	engine_destroy(eng);
	config_free();
	return all_replied ? 0 : 1;
}
