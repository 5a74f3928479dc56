/* test_net_timer_wheel.c - the per-shard hashed timing wheel
 * (dataplane/net/timer_wheel.h): never early, at most a tick late, in
 * order, callbacks that re-arm or cancel, far-future timers. */
#include "timer_wheel.h"
#include "unit_test.h"

#include <errno.h>
#include <stdlib.h>

#define TICK 10
#define REVOLUTION ((uint64_t)TW_SLOTS * TICK)

/* Each fired timer appends its tag and the wheel's clock. */
static int fired_tag[64];
static uint64_t fired_at[64];
static unsigned nfired;

struct tagged {
	struct timer t;
	int tag;
};

static void record(struct timer *t, void *arg)
{
	struct timer_wheel *tw = arg;
	struct tagged *x = (struct tagged *)t;

	if (nfired < 64) {
		fired_tag[nfired] = x->tag;
		fired_at[nfired] = tw->now_ms;
	}
	nfired++;
}

static void reset_record(void)
{
	nfired = 0;
	memset(fired_tag, 0, sizeof(fired_tag));
}

static void tagged_init(struct tagged *x, struct timer_wheel *tw, int tag)
{
	timer_init(&x->t, record, tw);
	x->tag = tag;
}

/* Advance one millisecond at a time, as a busy poll loop would. */
static void advance_ms_by_ms(struct timer_wheel *tw, uint64_t to)
{
	for (uint64_t now = tw->now_ms + 1; now <= to; now++)
		timer_wheel_advance(tw, now);
}

TEST(test_timer_wheel_init_rejects_zero_tick)
{
	struct timer_wheel tw;

	EXPECT_EQ_INT(timer_wheel_init(&tw, 0, 0), -EINVAL);
	EXPECT_EQ_INT(timer_wheel_init(&tw, 12345, TICK), 0);
	EXPECT_EQ_UINT(timer_wheel_next_ms(&tw), UINT64_MAX);
}

TEST(test_timer_fires_at_tick_boundary_not_before_expiry)
{
	static struct timer_wheel tw;
	struct tagged a, b;

	timer_wheel_init(&tw, 1000, TICK);
	reset_record();
	tagged_init(&a, &tw, 1);
	tagged_init(&b, &tw, 2);
	timer_arm(&tw, &a.t, 100);     /* 1100: on a boundary */
	timer_arm(&tw, &b.t, 105);     /* 1105: runs at 1110 */
	EXPECT_TRUE(timer_armed(&a.t));
	advance_ms_by_ms(&tw, 1099);
	EXPECT_EQ_UINT(nfired, 0);
	timer_wheel_advance(&tw, 1100);
	EXPECT_EQ_UINT(nfired, 1);
	EXPECT_EQ_INT(fired_tag[0], 1);
	EXPECT_TRUE(!timer_armed(&a.t));
	advance_ms_by_ms(&tw, 1109);
	EXPECT_EQ_UINT(nfired, 1);
	timer_wheel_advance(&tw, 1110);
	EXPECT_EQ_UINT(nfired, 2);
	EXPECT_EQ_UINT(fired_at[1], 1110);
}

TEST(test_timer_with_zero_delay_runs_at_next_tick)
{
	static struct timer_wheel tw;
	struct tagged a;

	timer_wheel_init(&tw, 1000, TICK);
	reset_record();
	tagged_init(&a, &tw, 1);
	timer_arm(&tw, &a.t, 0);
	timer_wheel_advance(&tw, 1000);        /* same instant: nothing */
	EXPECT_EQ_UINT(nfired, 0);
	timer_wheel_advance(&tw, 1010);
	EXPECT_EQ_UINT(nfired, 1);
	/* An absolute expiry in the past behaves the same. */
	timer_arm_at(&tw, &a.t, 5);
	timer_wheel_advance(&tw, 1019);
	EXPECT_EQ_UINT(nfired, 1);
	timer_wheel_advance(&tw, 1020);
	EXPECT_EQ_UINT(nfired, 2);
}

TEST(test_timers_fire_in_expiry_order_within_one_advance)
{
	static struct timer_wheel tw;
	struct tagged x[6];
	const uint64_t delay[6] = { 300, 20, 150, 20, 1000, 5 };

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	for (int i = 0; i < 6; i++) {
		tagged_init(&x[i], &tw, i);
		timer_arm(&tw, &x[i].t, delay[i]);
	}
	timer_wheel_advance(&tw, 5000);
	EXPECT_EQ_UINT(nfired, 6);
	/* By tick; 1 and 3 share one and keep their arming order. */
	const int want[6] = { 5, 1, 3, 2, 0, 4 };
	for (int i = 0; i < 6; i++)
		EXPECT_EQ_INT(fired_tag[i], want[i]);
}

TEST(test_timer_cancel_stops_it_and_leaves_slot_neighbours)
{
	static struct timer_wheel tw;
	struct tagged x[3];

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	for (int i = 0; i < 3; i++) {
		tagged_init(&x[i], &tw, i);
		timer_arm(&tw, &x[i].t, 50);   /* one slot: a list of three */
	}
	timer_cancel(&x[1].t);                 /* from the middle */
	EXPECT_TRUE(!timer_armed(&x[1].t));
	timer_cancel(&x[1].t);                 /* twice: a no-op */
	timer_wheel_advance(&tw, 50);
	EXPECT_EQ_UINT(nfired, 2);
	EXPECT_EQ_INT(fired_tag[0], 0);
	EXPECT_EQ_INT(fired_tag[1], 2);
}

TEST(test_timer_cancel_of_unarmed_or_fired_timer_is_a_no_op)
{
	static struct timer_wheel tw;
	struct tagged a;
	struct timer zeroed;

	memset(&zeroed, 0, sizeof(zeroed));
	timer_cancel(&zeroed);                 /* never armed, zero-filled */
	EXPECT_TRUE(!timer_armed(&zeroed));
	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	tagged_init(&a, &tw, 7);
	timer_cancel(&a.t);                    /* initialised, never armed */
	timer_arm(&tw, &a.t, 10);
	timer_wheel_advance(&tw, 10);
	EXPECT_EQ_UINT(nfired, 1);
	timer_cancel(&a.t);                    /* already fired */
	timer_wheel_advance(&tw, 20 * REVOLUTION);
	EXPECT_EQ_UINT(nfired, 1);
}

TEST(test_timer_rearm_moves_it)
{
	static struct timer_wheel tw;
	struct tagged a;

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	tagged_init(&a, &tw, 1);
	timer_arm(&tw, &a.t, 50);
	timer_arm(&tw, &a.t, 500);             /* armed again: moved, not doubled */
	timer_wheel_advance(&tw, 490);
	EXPECT_EQ_UINT(nfired, 0);
	timer_wheel_advance(&tw, 500);
	EXPECT_EQ_UINT(nfired, 1);
	timer_wheel_advance(&tw, 10000);
	EXPECT_EQ_UINT(nfired, 1);
}

/* A periodic timer: re-arms itself from its callback. */
static unsigned periodic_runs;
static uint64_t periodic_at[8];

static void periodic(struct timer *t, void *arg)
{
	struct timer_wheel *tw = arg;

	if (periodic_runs < 8)
		periodic_at[periodic_runs] = tw->now_ms;
	if (++periodic_runs < 5)
		timer_arm(tw, t, 100);
}

TEST(test_timer_rearmed_from_its_own_callback_runs_again)
{
	static struct timer_wheel tw;
	struct timer t;

	timer_wheel_init(&tw, 0, TICK);
	timer_init(&t, periodic, &tw);
	periodic_runs = 0;
	timer_arm(&tw, &t, 100);
	advance_ms_by_ms(&tw, 1000);
	EXPECT_EQ_UINT(periodic_runs, 5);
	for (unsigned i = 0; i < 5; i++)
		EXPECT_EQ_UINT(periodic_at[i], 100 * (i + 1));
	EXPECT_TRUE(!timer_armed(&t));
}

/* A callback with delay 0, re-arming forever: advance must still return. */
static unsigned eager_runs;

static void eager(struct timer *t, void *arg)
{
	eager_runs++;
	timer_arm(arg, t, 0);
}

TEST(test_timer_rearmed_with_zero_delay_from_callback_terminates)
{
	static struct timer_wheel tw;
	struct timer t;

	timer_wheel_init(&tw, 0, TICK);
	timer_init(&t, eager, &tw);
	eager_runs = 0;
	timer_arm(&tw, &t, 0);
	/* Ticks 1..10. The run at tick 1 re-arms for "now", which is already
	 * 100 (delays count from the advance's clock): tick 10, one more run
	 * in this advance, and that one's re-arm goes to tick 11. */
	timer_wheel_advance(&tw, 100);
	EXPECT_EQ_UINT(eager_runs, 2);
	timer_wheel_advance(&tw, 110);
	EXPECT_EQ_UINT(eager_runs, 3);
	timer_cancel(&t);
}

/* A callback that cancels a timer due in the same slot, and one that arms
 * another into the slot being run. */
static struct tagged victim, late;
static struct timer_wheel cb_tw;

static void canceller(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	timer_cancel(&victim.t);
	timer_arm(&cb_tw, &late.t, REVOLUTION); /* same slot, next revolution */
	record(t, &cb_tw);
}

TEST(test_timer_callback_may_cancel_a_timer_of_the_same_slot)
{
	struct tagged first;

	timer_wheel_init(&cb_tw, 0, TICK);
	reset_record();
	tagged_init(&first, &cb_tw, 1);
	first.t.fn = canceller;
	tagged_init(&victim, &cb_tw, 2);
	tagged_init(&late, &cb_tw, 3);
	timer_arm(&cb_tw, &first.t, 30);
	timer_arm(&cb_tw, &victim.t, 30);
	timer_wheel_advance(&cb_tw, 30);
	EXPECT_EQ_UINT(nfired, 1);
	EXPECT_TRUE(!timer_armed(&victim.t));
	EXPECT_TRUE(timer_armed(&late.t));
	timer_wheel_advance(&cb_tw, 30 + REVOLUTION - 1);
	EXPECT_EQ_UINT(nfired, 1);
	timer_wheel_advance(&cb_tw, 30 + REVOLUTION);
	EXPECT_EQ_UINT(nfired, 2);
	EXPECT_EQ_INT(fired_tag[1], 3);
}

/* A callback that frees its own timer's memory. */
static unsigned freed_runs;

static void free_self(struct timer *t, void *arg)
{
	(void)arg;
	freed_runs++;
	free(t);
}

TEST(test_timer_callback_may_free_its_timer)
{
	static struct timer_wheel tw;

	timer_wheel_init(&tw, 0, TICK);
	freed_runs = 0;
	for (int i = 0; i < 4; i++) {
		struct timer *t = malloc(sizeof(*t));

		REQUIRE_TRUE(t != NULL);
		timer_init(t, free_self, NULL);
		timer_arm(&tw, t, 40);
	}
	timer_wheel_advance(&tw, 40);            /* ASan catches a use after free */
	EXPECT_EQ_UINT(freed_runs, 4);
}

TEST(test_timer_far_future_waits_whole_revolutions)
{
	static struct timer_wheel tw;
	struct tagged far, near;
	const uint64_t delay = 3 * REVOLUTION + 70;   /* shares near's slot */

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	tagged_init(&far, &tw, 1);
	tagged_init(&near, &tw, 2);
	timer_arm(&tw, &far.t, delay);
	timer_arm(&tw, &near.t, 70);
	for (uint64_t now = TICK; now < delay; now += TICK) {
		timer_wheel_advance(&tw, now);
		if (nfired > 1)
			break;
	}
	EXPECT_EQ_UINT(nfired, 1);
	EXPECT_EQ_INT(fired_tag[0], 2);
	EXPECT_TRUE(timer_armed(&far.t));
	timer_wheel_advance(&tw, delay);
	EXPECT_EQ_UINT(nfired, 2);
	EXPECT_EQ_UINT(fired_at[1], delay);
}

TEST(test_timer_keepalive_hours_away_does_not_fire_early)
{
	static struct timer_wheel tw;
	struct tagged ka;
	const uint64_t two_hours = 2 * 3600 * 1000;

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	tagged_init(&ka, &tw, 1);
	timer_arm(&tw, &ka.t, two_hours);
	/* In steps of 7 s (over a revolution each): whole slots are skipped. */
	for (uint64_t now = 7000; now < two_hours; now += 7000)
		timer_wheel_advance(&tw, now);
	EXPECT_EQ_UINT(nfired, 0);
	timer_wheel_advance(&tw, two_hours);
	EXPECT_EQ_UINT(nfired, 1);
}

TEST(test_timer_wheel_advance_more_than_a_revolution_late_runs_all_due)
{
	static struct timer_wheel tw;
	struct tagged x[5];
	const uint64_t delay[5] = { 10, 2500, 5110, 5130, 9000 };

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	for (int i = 0; i < 5; i++) {
		tagged_init(&x[i], &tw, i);
		timer_arm(&tw, &x[i].t, delay[i]);
	}
	timer_wheel_advance(&tw, 8000);        /* 800 ticks at once */
	EXPECT_EQ_UINT(nfired, 4);
	EXPECT_TRUE(timer_armed(&x[4].t));
	timer_wheel_advance(&tw, 8990);
	EXPECT_EQ_UINT(nfired, 4);
	timer_wheel_advance(&tw, 9000);
	EXPECT_EQ_UINT(nfired, 5);
}

TEST(test_timer_wheel_ignores_clock_going_back)
{
	static struct timer_wheel tw;
	struct tagged a;

	timer_wheel_init(&tw, 1000, TICK);
	reset_record();
	tagged_init(&a, &tw, 1);
	timer_arm(&tw, &a.t, 50);
	timer_wheel_advance(&tw, 500);
	EXPECT_EQ_UINT(tw.now_ms, 1000);
	timer_wheel_advance(&tw, 1049);
	EXPECT_EQ_UINT(nfired, 0);
	timer_wheel_advance(&tw, 1050);
	EXPECT_EQ_UINT(nfired, 1);
}

TEST(test_timer_wheel_next_ms_is_a_lower_bound)
{
	static struct timer_wheel tw;
	struct tagged a, b;

	timer_wheel_init(&tw, 0, TICK);
	reset_record();
	tagged_init(&a, &tw, 1);
	tagged_init(&b, &tw, 2);
	timer_arm(&tw, &a.t, 255);
	timer_arm(&tw, &b.t, 1000);
	EXPECT_EQ_UINT(timer_wheel_next_ms(&tw), 260);
	timer_cancel(&a.t);
	EXPECT_EQ_UINT(timer_wheel_next_ms(&tw), 1000);
	timer_cancel(&b.t);
	EXPECT_EQ_UINT(timer_wheel_next_ms(&tw), UINT64_MAX);
}

/* Many timers, random delays (up to several revolutions), random advance
 * steps, a third cancelled: each runs once, never early, at most a tick
 * late (plus the advance step). */
#define MANY 20000

struct checked {
	struct timer t;
	uint64_t due;
	unsigned runs;
	int late;
};

static struct timer_wheel many_tw;

static void checked_fn(struct timer *t, void *arg)
{
	struct checked *c = (struct checked *)t;

	(void)arg;
	c->runs++;
	if (many_tw.now_ms < c->due)
		c->late = -1;                   /* early: a failure */
	else
		c->late = (int)(many_tw.now_ms - c->due);
}

TEST(test_timer_wheel_many_timers_each_run_once_on_time)
{
	static struct checked c[MANY];
	uint64_t now = 777, last_step = 0;
	unsigned cancelled = 0;
	int worst = 0;

	srand(42);
	timer_wheel_init(&many_tw, now, TICK);
	for (int i = 0; i < MANY; i++) {
		uint64_t d = (uint64_t)rand() % (4 * REVOLUTION);

		timer_init(&c[i].t, checked_fn, NULL);
		c[i].due = now + d;
		c[i].runs = 0;
		timer_arm(&many_tw, &c[i].t, d);
	}
	for (int i = 0; i < MANY; i += 3) {
		timer_cancel(&c[i].t);
		cancelled++;
	}
	while (now < 5 * REVOLUTION) {
		last_step = 1 + (uint64_t)rand() % 25;
		now += last_step;
		timer_wheel_advance(&many_tw, now);
	}
	for (int i = 0; i < MANY; i++) {
		if (i % 3 == 0) {
			EXPECT_EQ_UINT(c[i].runs, 0);
			continue;
		}
		EXPECT_EQ_UINT(c[i].runs, 1);
		EXPECT_TRUE(c[i].late >= 0);
		if (c[i].late > worst)
			worst = c[i].late;
	}
	/* A tick of rounding plus one advance step (at most 25 ms). */
	EXPECT_TRUE(worst < TICK + 25);
	EXPECT_EQ_UINT(cancelled, (MANY + 2) / 3);
	EXPECT_EQ_UINT(timer_wheel_next_ms(&many_tw), UINT64_MAX);
}

int main(void)
{
	RUN(test_timer_wheel_init_rejects_zero_tick);
	RUN(test_timer_fires_at_tick_boundary_not_before_expiry);
	RUN(test_timer_with_zero_delay_runs_at_next_tick);
	RUN(test_timers_fire_in_expiry_order_within_one_advance);
	RUN(test_timer_cancel_stops_it_and_leaves_slot_neighbours);
	RUN(test_timer_cancel_of_unarmed_or_fired_timer_is_a_no_op);
	RUN(test_timer_rearm_moves_it);
	RUN(test_timer_rearmed_from_its_own_callback_runs_again);
	RUN(test_timer_rearmed_with_zero_delay_from_callback_terminates);
	RUN(test_timer_callback_may_cancel_a_timer_of_the_same_slot);
	RUN(test_timer_callback_may_free_its_timer);
	RUN(test_timer_far_future_waits_whole_revolutions);
	RUN(test_timer_keepalive_hours_away_does_not_fire_early);
	RUN(test_timer_wheel_advance_more_than_a_revolution_late_runs_all_due);
	RUN(test_timer_wheel_ignores_clock_going_back);
	RUN(test_timer_wheel_next_ms_is_a_lower_bound);
	RUN(test_timer_wheel_many_timers_each_run_once_on_time);
	return unit_summary();
}
