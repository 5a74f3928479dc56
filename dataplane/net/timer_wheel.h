/* A hashed timing wheel, one per shard (Varghese and Lauck's scheme 6):
 * arming and cancelling are O(1), and advancing the clock costs one slot
 * visit per elapsed tick (at most TW_SLOTS per call) plus the timers in the
 * visited slots.
 *
 * LAYOUT
 *
 *   slots[TW_SLOTS]: each a circular doubly linked list whose head is a
 *   sentinel struct timer; a timer due at tick E sits in slot E % TW_SLOTS.
 *
 *          slots[0]  slots[1]  ...  slots[E % 512]  ...  slots[511]
 *                                    |
 *                                    sentinel <-> t1 <-> t2 <-> (sentinel)
 *
 * Ticks are tick_ms long (10 ms in the stack: TCP's 200 ms minimum RTO is
 * 20 ticks), so one revolution of 512 slots spans 5.12 s. A timer further
 * out (TIME-WAIT, keepalive) shares a slot with nearer ones: each timer
 * keeps its absolute expiry and a slot visit runs only those whose expiry
 * has passed, leaving the others for a later revolution (one look per
 * revolution: a 2-hour keepalive is looked at ~1400 times).
 *
 * GUARANTEES
 *
 *   - Never early, at most a tick late: a timer's tick is its expiry
 *     rounded up to a tick boundary, and it runs in the first
 *     timer_wheel_advance() whose now_ms reaches that boundary.
 *   - Order: timers run in order of their tick; within a tick, in the
 *     order they were armed. (When advance is called more than a
 *     revolution late, the order across revolutions is lost; every due
 *     timer still runs.)
 *   - A callback may arm, re-arm or cancel any timer, itself included, and
 *     may free its own timer's memory: the wheel does not touch a timer
 *     after calling it. Inside a callback the clock already reads the
 *     advance's now_ms, and delays count from there. A timer armed from a
 *     callback gets a tick after the one being processed (it still runs in
 *     the same advance if that tick is due), so advance always terminates.
 *
 * The wheel holds no memory beyond its struct and is not movable after
 * timer_wheel_init() (the sentinels point at themselves). Single-threaded:
 * the shard's thread only.
 */
#ifndef TESSERA_NET_TIMER_WHEEL_H
#define TESSERA_NET_TIMER_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TW_SLOTS 512             /* power of two */

struct timer;
typedef void timer_fn(struct timer *t, void *arg);

/* Embedded in its owner (a tcb, the stack). Disarmed when next == NULL: a
 * zero-filled timer is a valid disarmed one, but give it a callback with
 * timer_init() before arming. */
struct timer {
	struct timer *next, *prev;   /* slot list; NULL when disarmed */
	uint64_t expires_ms;         /* absolute, on the wheel's clock */
	timer_fn *fn;
	void *arg;
};

struct timer_wheel {
	uint64_t now_ms;             /* the clock as of the last advance */
	uint64_t tick;               /* last tick processed: now_ms / tick_ms */
	uint32_t tick_ms;
	struct timer slots[TW_SLOTS]; /* sentinels: only next/prev used */
};

/* Returns 0, or -EINVAL if tick_ms is 0. */
int timer_wheel_init(struct timer_wheel *tw, uint64_t now_ms, uint32_t tick_ms);

static inline void timer_init(struct timer *t, timer_fn *fn, void *arg)
{
	t->next = t->prev = NULL;
	t->expires_ms = 0;
	t->fn = fn;
	t->arg = arg;
}

static inline bool timer_armed(const struct timer *t)
{
	return t->next != NULL;
}

/* Run t->fn(t, t->arg) delay_ms after the wheel's clock (tw->now_ms, the
 * time of the last advance). Re-arming an armed timer moves it. */
void timer_arm(struct timer_wheel *tw, struct timer *t, uint64_t delay_ms);

/* The same with an absolute expiry; one in the past runs at the next tick. */
void timer_arm_at(struct timer_wheel *tw, struct timer *t, uint64_t expires_ms);

/* Disarm; a no-op on a disarmed timer (never armed, already run, already
 * cancelled). O(1): it needs no wheel pointer. */
static inline void timer_cancel(struct timer *t)
{
	if (!t->next)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Move the clock to now_ms and run every timer that is due. A clock that
 * goes backwards is ignored. */
void timer_wheel_advance(struct timer_wheel *tw, uint64_t now_ms);

/* A wake-up hint for a backend that sleeps: the time of the first tick
 * whose slot holds a timer, which is never later than the time the first
 * timer will run (it may be earlier: the timer in that slot may be a
 * revolution or more away). UINT64_MAX when nothing is armed. O(TW_SLOTS). */
uint64_t timer_wheel_next_ms(const struct timer_wheel *tw);

#endif
