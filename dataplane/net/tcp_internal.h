/* Shared by tcp_conn.c, tcp_input.c and tcp_output.c; not for other layers. */
#ifndef TESSERA_TCP_INTERNAL_H
#define TESSERA_TCP_INTERNAL_H

#include "tcp.h"

#define TCP_DEFAULT_MSS 536         /* RFC 9293 3.7.1: without the option */
#define TCP_OUR_MSS 1460            /* Ethernet MTU 1500 - 40 */
/* The smallest MSS we accept from a peer (Linux's tcp_min_snd_mss): a
 * smaller one, or one our timestamp option would fill, would cut every
 * reply into segments of a few bytes each (CVE-2019-11479's attack). */
#define TCP_MIN_PEER_MSS 48
#define TCP_RECEIVE_WINDOW 65535    /* without window scaling */
/* With window scaling (RFC 7323), offered when the peer's SYN does: what
 * may wait in the out-of-order queue, and the shift that announces it. */
#define TCP_RECEIVE_WINDOW_SCALED (512 * 1024)
/* Segments waiting in the out-of-order queue, per connection: a window
 * of full segments is 363; tiny ones each cost a malloc and a step of the
 * sorted insert, and 512 KB of 1-byte segments would cost 25 MB and 10^11
 * steps. Past the bound a segment is dropped; the peer sends it again. */
#define TCP_OOO_MAX_SEGMENTS 512
#define TCP_OUR_WSCALE 4
#define TCP_MAX_WSCALE 14           /* RFC 7323 2.3 */
#define TCP_RTO_INITIAL_MS 1000     /* RFC 6298 2.1 */
#define TCP_RTO_MIN_MS 200          /* Linux's floor; RFC 6298 suggests 1 s */
#define TCP_RTO_MAX_MS 60000
#define TCP_MAX_RETRIES 8
/* A half-open connection gives up sooner, as Linux's tcp_synack_retries: an
 * old duplicate SYN (or a client that left) must not hold a slot for
 * minutes. 1+2+4+8+16 s of retransmissions, then 32 s of waiting. */
#define TCP_SYNACK_RETRIES 5
/* 2*MSL. RFC 9293 takes MSL as 2 minutes; on a LAN appliance whose peers
 * choose fresh ports this only has to outlast stray segments. */
#define TCP_TIME_WAIT_MS 2000
/* Half-open connections kept per shard before SYNs get cookies instead. */
#define TCP_SYN_BACKLOG 256
/* Linux's delayed-ACK minimum; RFC 9293 3.8.6.3 allows up to 500 ms. */
#define TCP_DELAYED_ACK_MS 40
/* RFC 5961 7: challenge ACKs per second (Linux's former default). */
#define TCP_CHALLENGE_ACK_LIMIT 1000
#define TCP_INITIAL_WINDOW_SEGMENTS 10   /* RFC 6928 */
#define TCP_SSTHRESH_INITIAL (64u << 20) /* "arbitrarily high" (RFC 5681 3.1) */
#define TCP_CWND_MAX (64u << 20)
#define TCP_TS_OPTION_LEN 12             /* NOP NOP kind len TSval TSecr */
/* PAWS: a TS.Recent older than 24 days is no longer trusted (RFC 7323 5.5). */
#define TCP_PAWS_IDLE_MS (24ull * 24 * 3600 * 1000)

#include "wire_format.h"

enum {
	TCP_FIN = TCP_FLAG_FIN, TCP_SYN = TCP_FLAG_SYN, TCP_RST = TCP_FLAG_RST,
	TCP_PSH = TCP_FLAG_PSH, TCP_ACK = TCP_FLAG_ACK,
};

struct tcb *tcp_lookup(struct net_stack *ns, uint32_t raddr, uint16_t rport, uint32_t laddr,
		       uint16_t lport);
struct tcb *tcp_create(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr, uint16_t rport,
		       uint32_t laddr, uint16_t lport);
/* Tell the upper layer (if still attached) and free the connection. */
void tcp_free(struct net_stack *ns, struct tcb *t);
void tcp_want_flush(struct tcb *t);
static inline uint8_t *tcp_sndq_data(const struct tcb *t)
{
	return t->sndq + t->sndq_head;
}
/* Payload bytes per segment: the peer's MSS less our fixed options. */
static inline uint32_t tcp_effective_mss(const struct tcb *t)
{
	return t->snd.mss - (t->ts_ok ? TCP_TS_OPTION_LEN : 0);
}
/* Our timestamp clock (RFC 7323 5.4): milliseconds, offset per connection. */
uint32_t tcp_ts_now(const struct tcb *t);
void tcp_ooo_clear(struct tcb *t);
void tcp_sndq_consume(struct tcb *t, size_t n);
void tcp_retransmit_timeout(struct timer *tm, void *arg);
void tcp_time_wait_timeout(struct timer *tm, void *arg);
void tcp_delayed_ack_timeout(struct timer *tm, void *arg);
void tcp_keepalive_timeout(struct timer *tm, void *arg);
/* The peer was heard from: restart the keepalive clock. */
void tcp_keepalive_reset(struct tcb *t);
/* Linux's defaults for what follows the idle time: a probe every 75 s,
 * 9 unanswered probes drop the connection. */
#define TCP_KEEPALIVE_INTERVAL_MS 75000
#define TCP_KEEPALIVE_PROBES 9

/* tcp_syn_cookie.c */
uint32_t syn_cookie_make(const struct tcp_layer *tl, uint32_t saddr, uint32_t daddr,
			 uint16_t sport, uint16_t dport, uint16_t mss, uint64_t now_ms);
/* The MSS a valid cookie encodes, or 0 if it is not one of ours (or too old). */
uint16_t syn_cookie_check(const struct tcp_layer *tl, uint32_t saddr, uint32_t daddr,
			  uint16_t sport, uint16_t dport, uint32_t cookie, uint64_t now_ms);

/* tcp_congestion.c: NewReno (RFC 5681, RFC 6582) and the SACK scoreboard */
void tcp_congestion_init(struct tcb *t);
/* New data acknowledged (ack beyond the old snd.una, already applied). */
void tcp_congestion_on_ack(struct tcb *t, uint32_t acked);
/* A duplicate ACK arrived while data is outstanding. */
void tcp_congestion_on_dupack(struct tcb *t);
void tcp_congestion_on_timeout(struct tcb *t);
/* What may be in flight now: the smaller of the peer's window and cwnd. */
uint32_t tcp_send_window(const struct tcb *t);
/* SACK blocks of an arriving ACK, [start, end) pairs, into the scoreboard. */
void tcp_sack_update(struct tcb *t, const struct seq_range *blocks, unsigned n);
/* Forget what snd.una has passed. */
void tcp_sack_trim(struct tcb *t);

/* tcp_output.c */
void tcp_send_syn_ack_stateless(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
				uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t iss,
				uint32_t ack, uint16_t mss);
void tcp_output(struct tcb *t);
void tcp_send_syn_ack(struct tcb *t);
void tcp_send_ack(struct tcb *t);
/* <SEQ=SND.NXT-1><ACK=RCV.NXT>: a segment the peer must answer. */
void tcp_send_keepalive(struct tcb *t);
/* Resend the first hole at or above `from` that the peer does not hold
 * (fast retransmit, partial ACKs); false if none was sent. */
bool tcp_retransmit_hole(struct tcb *t, uint32_t from);
void tcp_send_reset_for(struct tcb *t);
/* A reset in answer to a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_reset_reply(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
			  uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t seg_seq,
			  uint32_t seg_ack, uint8_t seg_flags, uint32_t seg_len);

#endif
