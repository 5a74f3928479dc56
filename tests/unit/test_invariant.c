/* base/invariant.h: what ASSERT, ALWAYS and NEVER do in this build. Each
 * failing check runs in a child process, which must die of SIGABRT in a
 * checked build (TESSERA_ASSERTS) and live on elsewhere. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/invariant.h"
#include "unit_test.h"

static int evaluated;

static bool count_and_return(bool v)
{
	evaluated++;
	return v;
}

/* Runs fn in a child: true if the child was killed by SIGABRT. */
static bool aborts(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* The abort message is expected: keep the test log clean. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void assert_false(void) { ASSERT(1 + 1 == 3); }
static void always_false(void) { if (!ALWAYS(false)) _exit(0); }
static void never_true(void) { if (NEVER(true)) _exit(0); }

#ifdef TESSERA_ASSERTS
static const bool checked = true;
#else
static const bool checked = false;
#endif

TEST(test_failed_checks_abort_exactly_in_checked_builds)
{
	EXPECT_EQ_INT(aborts(assert_false), checked);
	EXPECT_EQ_INT(aborts(always_false), checked);
	EXPECT_EQ_INT(aborts(never_true), checked);
}

TEST(test_always_and_never_evaluate_and_return_their_condition_in_every_build)
{
	evaluated = 0;
	EXPECT_TRUE(ALWAYS(count_and_return(true)));
	EXPECT_TRUE(!NEVER(count_and_return(false)));
	EXPECT_EQ_INT(evaluated, 2);
}

TEST(test_assert_evaluates_its_condition_only_in_checked_builds)
{
	evaluated = 0;
	ASSERT(count_and_return(true));
	EXPECT_EQ_INT(evaluated, checked ? 1 : 0);
}

int main(void)
{
	printf("TESSERA_ASSERTS %s\n", checked ? "on" : "off");
	RUN(test_failed_checks_abort_exactly_in_checked_builds);
	RUN(test_always_and_never_evaluate_and_return_their_condition_in_every_build);
	RUN(test_assert_evaluates_its_condition_only_in_checked_builds);
	return unit_summary();
}
