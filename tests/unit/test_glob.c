/* Glob matching against Redis 7.0's KEYS semantics. The `cases` table was
 * produced by asking redis-server 7.0.15 which of these keys KEYS <pattern>
 * returns, so every row is the oracle's answer, quirks included. */
#include <stdbool.h>
#include <string.h>

#include "base/glob.h"
#include "unit_test.h"

struct glob_case {
	const char *pat;
	size_t plen;
	const char *str;
	size_t slen;
	bool match;
};

static const struct glob_case cases[] = {
	{ "h\?llo", 5, "hello", 5, true },
	{ "h\?llo", 5, "hllo", 4, false },
	{ "h*llo", 5, "hllo", 4, true },
	{ "h*llo", 5, "heeeello", 8, true },
	{ "h[ae]llo", 8, "hello", 5, true },
	{ "h[ae]llo", 8, "hillo", 5, false },
	{ "h[^e]llo", 8, "hallo", 5, true },
	{ "h[^e]llo", 8, "hello", 5, false },
	{ "h[a-b]llo", 9, "hbllo", 5, true },
	{ "h[a-b]llo", 9, "hcllo", 5, false },
	{ "h[b-a]llo", 9, "hallo", 5, true },
	{ "h\\*llo", 6, "h*llo", 5, true },
	{ "h\\*llo", 6, "hxllo", 5, false },
	{ "*", 1, "a", 1, true },
	{ "**", 2, "", 0, false },
	{ "*", 1, "", 0, false },  /* KEYS/SCAN special-case "*"; the matcher alone does not */
	{ "", 0, "", 0, true },
	{ "", 0, "a", 1, false },
	{ "a*", 2, "a", 1, true },
	{ "*a", 2, "ba", 2, true },
	{ "*a*", 3, "xxaxx", 5, true },
	{ "a*b*c", 5, "aXbYc", 5, true },
	{ "a*b*c", 5, "aXbY", 4, false },
	{ "[abc", 4, "a", 1, true },
	{ "[abc", 4, "d", 1, false },
	{ "[", 1, "[", 1, false },
	{ "[^", 2, "x", 1, true },
	{ "[]", 2, "]", 1, false },
	{ "[]]", 3, "]", 1, false },
	{ "[a-]", 4, "]", 1, true },
	{ "[a-]x", 5, "bx", 2, false },
	{ "[\\]]", 4, "]", 1, true },
	{ "[\\", 2, "\\", 1, true },
	{ "\\", 1, "\\", 1, true },
	{ "a\\", 2, "a\\", 2, true },
	{ "[!a]", 4, "b", 1, false },
	{ "[A-Z]", 5, "a", 1, false },
	{ "HELLO", 5, "hello", 5, false },
	{ "\?", 1, "", 0, false },
	{ "\?\?", 2, "a", 1, false },
	{ "*\?", 2, "a", 1, true },
	{ "[\xc8""-z]", 5, "a", 1, true },
	{ "[a-\xc8""]", 5, "b", 1, false },
	{ "[\xc8""-\xc9""]", 5, "\xc8""", 1, true },
	{ "a*", 2, "a\x00""b", 3, true },
	{ "a\?b", 3, "a\x00""b", 3, true },
	{ "*\\", 2, "x\\", 2, true },
	{ "[-a]", 4, "-", 1, true },
	{ "[a-c-e]", 7, "d", 1, false },
	{ "x[]y", 4, "x]y", 3, false },
	{ "[^]a]", 5, "a", 1, false },
	{ "*x", 2, "xxx", 3, true },
	{ "a**", 3, "a", 1, true },
	{ "a*\?*", 4, "a", 1, false },
	{ "a*\?*", 4, "ab", 2, true },
};

TEST(test_oracle_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct glob_case *c = &cases[i];
		bool got = glob_match(c->pat, c->plen, c->str, c->slen, false);
		if (got != c->match)
			printf("  case %zu: pattern \"%.*s\"\n", i, (int)c->plen, c->pat);
		EXPECT_EQ_INT(got, c->match);
	}
}

static bool m(const char *pat, const char *str, bool nocase)
{
	return glob_match(pat, strlen(pat), str, strlen(str), nocase);
}

TEST(test_nocase)
{
	EXPECT_TRUE(m("HELLO", "hello", true));
	EXPECT_TRUE(m("h?LLO", "Hello", true));
	EXPECT_TRUE(m("[A-Z]", "a", true));
	EXPECT_TRUE(m("[a-z]", "Q", true));
	EXPECT_TRUE(m("[Q]", "q", true));
	EXPECT_TRUE(!m("h[^E]llo", "hello", true));
	/* An escaped byte inside a class stays case-sensitive, as in Redis. */
	EXPECT_TRUE(!m("[\\A]", "a", true));
	EXPECT_TRUE(m("\\A", "a", true));
	EXPECT_TRUE(!m("HELLO", "hello", false));
}

/* Redis gives up on patterns whose stars nest more than 1000 deep. */
static bool nested(const char *unit, int n, char fill, int slen)
{
	static char pat[8192], str[8192];
	size_t ul = strlen(unit), pl = 0;
	for (int i = 0; i < n; i++, pl += ul)
		memcpy(pat + pl, unit, ul);
	memset(str, fill, (size_t)slen);
	return glob_match(pat, pl, str, (size_t)slen, false);
}

TEST(test_nesting_limit)
{
	EXPECT_TRUE(nested("a*", 1001, 'a', 2000));
	EXPECT_TRUE(!nested("a*", 1002, 'a', 2000));
	EXPECT_TRUE(nested("*a", 1000, 'a', 2000));
	EXPECT_TRUE(!nested("*a", 1002, 'a', 2000));
}

/* Exponential backtracking would take ages on this; the give-up rule makes
 * it linear. */
TEST(test_pathological_is_fast)
{
	static char str[4096];
	memset(str, 'a', sizeof(str));
	const char *pat = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	EXPECT_TRUE(!glob_match(pat, strlen(pat), str, sizeof(str), false));
}

TEST(test_binary_safe)
{
	EXPECT_TRUE(glob_match("a\0*", 3, "a\0xyz", 5, false));
	EXPECT_TRUE(!glob_match("a\0*", 3, "a\1xyz", 5, false));
	/* A pattern that stops short of a NUL must not read past its length. */
	EXPECT_TRUE(glob_match("ab", 1, "a", 1, false));
}

int main(void)
{
	RUN(test_oracle_table);
	RUN(test_nocase);
	RUN(test_nesting_limit);
	RUN(test_pathological_is_fast);
	RUN(test_binary_safe);
	return unit_summary();
}
