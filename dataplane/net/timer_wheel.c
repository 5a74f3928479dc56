/* The hashed timing wheel: see timer_wheel.h for the layout and the
 * guarantees. */
#include <errno.h>

#include "timer_wheel.h"

#define TW_MASK (TW_SLOTS - 1)
_Static_assert((TW_SLOTS & TW_MASK) == 0, "TW_SLOTS must be a power of two");

static void list_init(struct timer *head)
{
	head->next = head->prev = head;
}

static void list_add_tail(struct timer *head, struct timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

/* Move every timer of `from` (a sentinel) to the front of `to`, in order. */
static void list_splice_front(struct timer *from, struct timer *to)
{
	if (from->next == from)
		return;
	from->prev->next = to->next;
	to->next->prev = from->prev;
	to->next = from->next;
	from->next->prev = to;
	list_init(from);
}

int timer_wheel_init(struct timer_wheel *tw, uint64_t now_ms, uint32_t tick_ms)
{
	if (tick_ms == 0)
		return -EINVAL;
	tw->now_ms = now_ms;
	tw->tick_ms = tick_ms;
	tw->tick = now_ms / tick_ms;
	for (unsigned i = 0; i < TW_SLOTS; i++)
		list_init(&tw->slots[i]);
	return 0;
}

void timer_arm_at(struct timer_wheel *tw, struct timer *t, uint64_t expires_ms)
{
	uint64_t tick;

	timer_cancel(t);
	t->expires_ms = expires_ms;
	/* Round up, so that the tick's boundary is at or after the expiry. */
	tick = expires_ms / tw->tick_ms + (expires_ms % tw->tick_ms != 0);
	if (tick <= tw->tick)
		tick = tw->tick + 1;
	list_add_tail(&tw->slots[tick & TW_MASK], t);
}

void timer_arm(struct timer_wheel *tw, struct timer *t, uint64_t delay_ms)
{
	uint64_t expires = tw->now_ms + delay_ms;

	if (expires < tw->now_ms)           /* "never": saturate */
		expires = UINT64_MAX;
	timer_arm_at(tw, t, expires);
}

/* Run the timers of one slot whose tick has been reached; keep the rest
 * (later revolutions) in place, ahead of anything the callbacks add.
 *
 * The slot is first moved to a list on the stack, and timers are taken off
 * its front one at a time, so a callback may cancel or re-arm any timer,
 * including ones still waiting on that list, and may free its own. */
static void run_slot(struct timer_wheel *tw, struct timer *slot)
{
	uint64_t limit = tw->tick * tw->tick_ms;
	struct timer pending, keep;

	if (slot->next == slot)
		return;
	list_init(&pending);
	list_init(&keep);
	list_splice_front(slot, &pending);
	while (pending.next != &pending) {
		struct timer *t = pending.next;

		timer_cancel(t);
		if (t->expires_ms > limit) {
			list_add_tail(&keep, t);
			continue;
		}
		t->fn(t, t->arg);               /* t may be gone from here on */
	}
	list_splice_front(&keep, slot);
}

/* Visit the slots of the ticks since the last advance, in order. More than
 * a revolution behind, the first ticks are skipped: the last TW_SLOTS ticks
 * visit every slot once, and any timer whose tick has passed is found in
 * its slot then. */
void timer_wheel_advance(struct timer_wheel *tw, uint64_t now_ms)
{
	uint64_t target;

	if (now_ms < tw->now_ms)
		return;
	tw->now_ms = now_ms;
	target = now_ms / tw->tick_ms;
	if (target - tw->tick > TW_SLOTS)
		tw->tick = target - TW_SLOTS;
	while (tw->tick < target) {
		tw->tick++;
		run_slot(tw, &tw->slots[tw->tick & TW_MASK]);
	}
}

uint64_t timer_wheel_next_ms(const struct timer_wheel *tw)
{
	for (uint64_t tick = tw->tick + 1; tick <= tw->tick + TW_SLOTS; tick++) {
		const struct timer *slot = &tw->slots[tick & TW_MASK];

		if (slot->next != slot)
			return tick * tw->tick_ms;
	}
	return UINT64_MAX;
}
