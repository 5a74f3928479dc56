/* The seeded fault plan behind the dpdk-fault-inject option. */
#include <string.h>

#include "fault_plan.h"
#include "unit_test.h"

TEST(test_fault_spec_parses_every_field_in_any_order)
{
	struct fault_plan fp;
	char err[128];
	EXPECT_EQ_INT(fault_plan_parse(&fp, "seed=42,corrupt=0.5,dup=1,reorder=10,loss=5", err, sizeof(err)), 0);
	EXPECT_TRUE(fp.loss == 5 && fp.reorder == 10 && fp.dup == 1 && fp.corrupt == 0.5);
	EXPECT_EQ_UINT(fp.seed, 42);
	EXPECT_TRUE(fp.enabled);
	EXPECT_EQ_INT(fault_plan_parse(&fp, "", err, sizeof(err)), 0);
	EXPECT_TRUE(!fp.enabled);
}

TEST(test_fault_spec_rejects_unknown_names_and_bad_values)
{
	struct fault_plan fp;
	char err[128];
	EXPECT_TRUE(fault_plan_parse(&fp, "jitter=5", err, sizeof(err)) < 0);
	EXPECT_TRUE(strstr(err, "jitter") != NULL);
	EXPECT_TRUE(fault_plan_parse(&fp, "loss=abc", err, sizeof(err)) < 0);
	EXPECT_TRUE(fault_plan_parse(&fp, "loss=101", err, sizeof(err)) < 0);
	EXPECT_TRUE(fault_plan_parse(&fp, "loss", err, sizeof(err)) < 0);
}

TEST(test_same_seed_replays_the_same_faults_and_rates_are_close_to_asked)
{
	struct fault_plan a, b, fa, fb;
	char err[128];
	fault_plan_parse(&a, "loss=5,reorder=10,dup=1,corrupt=0.5,seed=7", err, sizeof(err));
	fault_plan_parse(&b, "loss=5,reorder=10,dup=1,corrupt=0.5,seed=7", err, sizeof(err));
	fault_plan_fork(&fa, &a, 3);
	fault_plan_fork(&fb, &b, 3);
	unsigned drops = 0, reorders = 0, same = 1;
	for (int i = 0; i < 100000; i++) {
		unsigned x = fault_plan_next(&fa), y = fault_plan_next(&fb);
		same &= x == y;
		drops += !!(x & FAULT_DROP);
		reorders += !!(x & FAULT_REORDER);
	}
	EXPECT_TRUE(same);
	EXPECT_TRUE(drops > 4500 && drops < 5500);
	EXPECT_TRUE(reorders > 8500 && reorders < 10000); /* 10% of the frames not dropped */
}

TEST(test_other_streams_and_seeds_give_other_faults)
{
	struct fault_plan a, f0, f1;
	char err[128];
	fault_plan_parse(&a, "loss=50,seed=1", err, sizeof(err));
	fault_plan_fork(&f0, &a, 0);
	fault_plan_fork(&f1, &a, 1);
	unsigned differ = 0;
	for (int i = 0; i < 1000; i++)
		differ += fault_plan_next(&f0) != fault_plan_next(&f1);
	EXPECT_TRUE(differ > 300);
}

TEST(test_corruption_flips_exactly_one_bit_inside_the_frame)
{
	struct fault_plan a;
	char err[128];
	fault_plan_parse(&a, "corrupt=100,seed=9", err, sizeof(err));
	for (int i = 0; i < 1000; i++) {
		uint8_t mask;
		size_t at = fault_plan_corrupt_offset(&a, 60, &mask);
		EXPECT_TRUE(at < 60);
		EXPECT_TRUE(mask && !(mask & (mask - 1)));
	}
}

int main(void)
{
	RUN(test_fault_spec_parses_every_field_in_any_order);
	RUN(test_fault_spec_rejects_unknown_names_and_bad_values);
	RUN(test_same_seed_replays_the_same_faults_and_rates_are_close_to_asked);
	RUN(test_other_streams_and_seeds_give_other_faults);
	RUN(test_corruption_flips_exactly_one_bit_inside_the_frame);
	return unit_summary();
}
