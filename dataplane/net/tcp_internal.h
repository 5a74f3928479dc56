/* Shared by tcp_conn.c, tcp_input.c and tcp_output.c; not for other layers. */
#ifndef TESSERA_TCP_INTERNAL_H
#define TESSERA_TCP_INTERNAL_H

#include "tcp.h"

#define TCP_DEFAULT_MSS 536         /* RFC 9293 3.7.1: without the option */
#define TCP_OUR_MSS 1460            /* Ethernet MTU 1500 - 40 */
#define TCP_RECEIVE_WINDOW 65535    /* without window scaling */
/* With window scaling (RFC 7323), offered when the peer's SYN does: what
 * may wait in the out-of-order queue, and the shift that announces it. */
#define TCP_RECEIVE_WINDOW_SCALED (512 * 1024)
#define TCP_OUR_WSCALE 4
#define TCP_MAX_WSCALE 14           /* RFC 7323 2.3 */
#define TCP_RTO_INITIAL_MS 1000     /* RFC 6298 2.1 */
#define TCP_RTO_MIN_MS 200          /* Linux's floor; RFC 6298 suggests 1 s */
#define TCP_RTO_MAX_MS 60000
#define TCP_MAX_RETRIES 8
/* 2*MSL. RFC 9293 takes MSL as 2 minutes; on a LAN appliance whose peers
 * choose fresh ports this only has to outlast stray segments. */
#define TCP_TIME_WAIT_MS 2000
/* Half-open connections kept per shard before SYNs get cookies instead. */
#define TCP_SYN_BACKLOG 256

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
void tcp_ooo_clear(struct tcb *t);
void tcp_sndq_consume(struct tcb *t, size_t n);
void tcp_retransmit_timeout(struct timer *tm, void *arg);
void tcp_time_wait_timeout(struct timer *tm, void *arg);
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

/* tcp_output.c */
void tcp_send_syn_ack_stateless(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
				uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t iss,
				uint32_t ack, uint16_t mss);
void tcp_output(struct tcb *t);
void tcp_send_syn_ack(struct tcb *t);
void tcp_send_ack(struct tcb *t);
/* <SEQ=SND.NXT-1><ACK=RCV.NXT>: a segment the peer must answer. */
void tcp_send_keepalive(struct tcb *t);
/* Resend the segment at snd.una (fast retransmit). */
void tcp_retransmit_first(struct tcb *t);
void tcp_send_reset_for(struct tcb *t);
/* A reset in answer to a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_reset_reply(struct net_stack *ns, const uint8_t *rmac, uint32_t raddr,
			  uint32_t laddr, uint16_t rport, uint16_t lport, uint32_t seg_seq,
			  uint32_t seg_ack, uint8_t seg_flags, uint32_t seg_len);

#endif
