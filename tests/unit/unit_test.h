/* unit_test.h - minimal header-only unit test harness.
 *
 * Usage:
 *   TEST(test_parse_empty) { EXPECT_EQ_INT(parse(""), -EINVAL); }
 *   int main(void) { RUN(test_parse_empty); return unit_summary(); }
 *
 * EXPECT_* report file:line and both values, mark the running test failed
 * and carry on, so one run shows every broken expectation.  REQUIRE_TRUE
 * is the exception: it returns from the test, for when continuing would
 * dereference garbage.  Everything goes to stdout so output stays ordered
 * under test runners that merge streams.  The last line printed by
 * unit_summary() is always exactly "<N> passed, <M> failed".
 */
#ifndef TESSERA_UNIT_TEST_H
#define TESSERA_UNIT_TEST_H

#include <stdio.h>
#include <string.h>

static int ut_cur_failed, ut_npassed, ut_nfailed;

#define TEST(name) static void name(void)

static inline void ut_fail_at(const char *file, int line)
{
	ut_cur_failed = 1;
	printf("  %s:%d: ", file, line);
}

static inline void ut_hexdump(const char *label, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i, shown = n < 32 ? n : 32;

	printf("    %s:", label);
	for (i = 0; i < shown; i++)
		printf(" %02x", b[i]);
	printf("%s\n", shown < n ? " ..." : "");
}

#define EXPECT_TRUE(cond) do {						\
	if (!(cond)) {							\
		ut_fail_at(__FILE__, __LINE__);				\
		printf("expected true: %s\n", #cond);			\
	}								\
} while (0)

#define REQUIRE_TRUE(cond) do {						\
	if (!(cond)) {							\
		ut_fail_at(__FILE__, __LINE__);				\
		printf("required: %s (test stopped)\n", #cond);		\
		return;							\
	}								\
} while (0)

#define EXPECT_EQ_INT(a, b) do {					\
	long long ut_a = (long long)(a), ut_b = (long long)(b);		\
	if (ut_a != ut_b) {						\
		ut_fail_at(__FILE__, __LINE__);				\
		printf("%s == %s: %lld != %lld\n", #a, #b, ut_a, ut_b);	\
	}								\
} while (0)

#define EXPECT_EQ_UINT(a, b) do {					\
	unsigned long long ut_a = (unsigned long long)(a);		\
	unsigned long long ut_b = (unsigned long long)(b);		\
	if (ut_a != ut_b) {						\
		ut_fail_at(__FILE__, __LINE__);				\
		printf("%s == %s: %llu (0x%llx) != %llu (0x%llx)\n",	\
		       #a, #b, ut_a, ut_a, ut_b, ut_b);			\
	}								\
} while (0)

/* Compares n bytes; a dump of each side's first 32 bytes follows. */
#define EXPECT_EQ_MEM(a, b, n) do {					\
	const void *ut_a = (a), *ut_b = (b);				\
	size_t ut_n = (size_t)(n);					\
	if (ut_n && memcmp(ut_a, ut_b, ut_n) != 0) {			\
		ut_fail_at(__FILE__, __LINE__);				\
		printf("%s == %s (%zu bytes)\n", #a, #b, ut_n);		\
		ut_hexdump(#a, ut_a, ut_n);				\
		ut_hexdump(#b, ut_b, ut_n);				\
	}								\
} while (0)

static inline void ut_run(const char *name, void (*fn)(void))
{
	ut_cur_failed = 0;
	fn();
	if (ut_cur_failed) {
		ut_nfailed++;
		printf("FAIL %s\n", name);
	} else {
		ut_npassed++;
	}
	fflush(stdout);
}

#define RUN(name) ut_run(#name, name)

static inline int unit_summary(void)
{
	printf("%d passed, %d failed\n", ut_npassed, ut_nfailed);
	return ut_nfailed > 0;
}

#endif /* TESSERA_UNIT_TEST_H */
