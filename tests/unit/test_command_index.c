/* The name index behind command_lookup: synthetic names far beyond today's
 * table, case folding, near misses, and the real table through
 * command_lookup. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/command_table.h"
#include "commands/command_index.h"
#include "unit_test.h"

#define NAMES 1000
#define NAME_MAX_LEN 32

/* Varied lengths (3..16 letters), a few bytes a command name could hold
 * besides letters, then the number to keep names distinct and a '.' so that
 * no name is a prefix of another. */
static void synthetic_name(char *out, unsigned i)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz|-_";
	unsigned x = i * 2654435761u + 12345u;
	unsigned letters = 3 + i % 14;
	size_t n = 0;
	for (unsigned k = 0; k < letters; k++) {
		out[n++] = alphabet[x % (sizeof(alphabet) - 1)];
		x = x * 1103515245u + 12345u;
	}
	snprintf(out + n, NAME_MAX_LEN - n, "%u.", i);
}

static void to_upper(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i]; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 0x20) : src[i];
	dst[i] = '\0';
}

/* Every other letter upper case, starting with the second. */
static void to_mixed(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i]; i++)
		dst[i] = (i % 2 && src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 0x20) : src[i];
	dst[i] = '\0';
}

static char names[NAMES][NAME_MAX_LEN];
static struct command_index_slot slots[COMMAND_INDEX_SLOTS(NAMES)];
static struct command_index ix;

static bool build_synthetic(void)
{
	for (unsigned i = 0; i < NAMES; i++)
		synthetic_name(names[i], i);
	command_index_init(&ix, slots, sizeof(slots) / sizeof(slots[0]));
	for (unsigned i = 0; i < NAMES; i++)
		if (!command_index_add(&ix, names[i], (int)i))
			return false;
	return true;
}

static int find(const char *s)
{
	return command_index_find(&ix, s, strlen(s));
}

TEST(test_slots_power_of_two_at_least_twice)
{
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(1), 2);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(2), 4);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(3), 8);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(64), 128);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(65), 256);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(128), 256);
	EXPECT_EQ_UINT(COMMAND_INDEX_SLOTS(NAMES), 2048);
	for (unsigned n = 1; n < 5000; n++) {
		unsigned s = COMMAND_INDEX_SLOTS(n);
		EXPECT_TRUE((s & (s - 1)) == 0 && s >= 2 * n && s < 4 * n);
	}
}

TEST(test_every_name_found_any_case)
{
	REQUIRE_TRUE(build_synthetic());
	EXPECT_EQ_UINT(ix.count, NAMES);
	char buf[NAME_MAX_LEN];
	for (unsigned i = 0; i < NAMES; i++) {
		EXPECT_EQ_INT(find(names[i]), i);
		to_upper(buf, names[i]);
		EXPECT_EQ_INT(find(buf), i);
		to_mixed(buf, names[i]);
		EXPECT_EQ_INT(find(buf), i);
	}
}

TEST(test_absent_names_not_found)
{
	REQUIRE_TRUE(build_synthetic());
	char buf[NAME_MAX_LEN + 2];
	EXPECT_EQ_INT(command_index_find(&ix, "", 0), -1);
	EXPECT_EQ_INT(command_index_find(&ix, names[0], 0), -1);
	for (unsigned i = 0; i < NAMES; i++) {
		size_t len = strlen(names[i]);
		/* Every proper prefix, none of them a name (they lack its '.'). */
		for (size_t k = 1; k < len; k++)
			EXPECT_EQ_INT(command_index_find(&ix, names[i], k), -1);
		snprintf(buf, sizeof(buf), "%sx", names[i]);
		EXPECT_EQ_INT(find(buf), -1);
		/* Same length, last byte changed. */
		memcpy(buf, names[i], len + 1);
		buf[len - 1] = '#';
		EXPECT_EQ_INT(find(buf), -1);
	}
	/* Longer than any name in the index: refused before it is hashed. */
	char long_name[4096];
	memset(long_name, 'a', sizeof(long_name));
	EXPECT_EQ_INT(command_index_find(&ix, long_name, sizeof(long_name)), -1);
	EXPECT_EQ_INT(find("\xc3\xa9t\xc3\xa9"), -1);
}

/* Folding is ASCII only: bytes outside A-Z match themselves exactly. */
TEST(test_folds_ascii_letters_only)
{
	static struct command_index_slot s[COMMAND_INDEX_SLOTS(4)];
	struct command_index small;
	command_index_init(&small, s, sizeof(s) / sizeof(s[0]));
	EXPECT_TRUE(command_index_add(&small, "a[b", 0));
	EXPECT_TRUE(command_index_add(&small, "caf\xc3\xa9", 1));
	EXPECT_EQ_INT(command_index_find(&small, "A[B", 3), 0);
	EXPECT_EQ_INT(command_index_find(&small, "a{b", 3), -1);     /* '[' | 0x20 */
	EXPECT_EQ_INT(command_index_find(&small, "A{B", 3), -1);
	EXPECT_EQ_INT(command_index_find(&small, "CAF\xc3\xa9", 5), 1);
	EXPECT_EQ_INT(command_index_find(&small, "caf\xc3\x89", 5), -1);
}

TEST(test_add_refuses)
{
	static struct command_index_slot s[COMMAND_INDEX_SLOTS(2)];
	struct command_index small;
	command_index_init(&small, s, sizeof(s) / sizeof(s[0]));
	EXPECT_TRUE(!command_index_add(&small, "", 0));
	EXPECT_TRUE(!command_index_add(&small, "Get", 0));
	EXPECT_TRUE(!command_index_add(&small, "get", -1));
	EXPECT_TRUE(command_index_add(&small, "get", 0));
	EXPECT_TRUE(!command_index_add(&small, "get", 1));
	EXPECT_TRUE(command_index_add(&small, "set", 1));
	EXPECT_TRUE(!command_index_add(&small, "del", 2));   /* would be over half full */
	EXPECT_EQ_UINT(small.count, 2);
	EXPECT_EQ_INT(command_index_find(&small, "GET", 3), 0);
	EXPECT_EQ_INT(command_index_find(&small, "SET", 3), 1);
	EXPECT_EQ_INT(command_index_find(&small, "DEL", 3), -1);
}

/* Fewer than two slots, or a count that is not a power of two, must still
 * give a working (if smaller) index, never a broken mask. */
TEST(test_odd_slot_counts)
{
	struct command_index_slot s[6];
	struct command_index small;
	command_index_init(&small, s, 0);
	EXPECT_TRUE(!command_index_add(&small, "get", 0));
	EXPECT_EQ_INT(command_index_find(&small, "get", 3), -1);
	command_index_init(&small, s, 1);
	EXPECT_TRUE(!command_index_add(&small, "get", 0));
	command_index_init(&small, s, 6);
	EXPECT_EQ_UINT(small.mask, 3);
	EXPECT_TRUE(command_index_add(&small, "get", 0));
	EXPECT_TRUE(command_index_add(&small, "set", 1));
	EXPECT_TRUE(!command_index_add(&small, "del", 2));
	EXPECT_EQ_INT(command_index_find(&small, "set", 3), 1);
}

/* Every size from 1 to 3000 names, each filled to its limit, so that long
 * probe runs and wrap-around at the last slot are exercised. */
TEST(test_full_indexes_of_many_sizes)
{
	static struct command_index_slot s[COMMAND_INDEX_SLOTS(4096)];
	static char n[4096 + 1][NAME_MAX_LEN];   /* up to 4096 fit, one more is absent */
	for (unsigned i = 0; i < 4096 + 1; i++)
		synthetic_name(n[i], i + NAMES);
	for (unsigned count = 1; count <= 3000; count += count < 64 ? 1 : 97) {
		struct command_index x;
		command_index_init(&x, s, COMMAND_INDEX_SLOTS(count));
		unsigned fits = (x.mask + 1) / 2;
		for (unsigned i = 0; i < fits; i++)
			EXPECT_TRUE(command_index_add(&x, n[i], (int)i));
		for (unsigned i = 0; i < fits; i++)
			EXPECT_EQ_INT(command_index_find(&x, n[i], strlen(n[i])), i);
		EXPECT_EQ_INT(command_index_find(&x, n[fits], strlen(n[fits])), -1);
	}
}

TEST(test_real_table_upper_case)
{
	char err[256];
	REQUIRE_TRUE(command_table_init(err, sizeof(err)) == 0);
	char buf[64];
	REQUIRE_TRUE(command_count() > 0);
	for (int i = 0; i < command_count(); i++) {
		const struct command *cmd = command_at(i);
		size_t len = strlen(cmd->name);
		REQUIRE_TRUE(len < sizeof(buf));
		to_upper(buf, cmd->name);
		EXPECT_TRUE(command_lookup(buf, len) == cmd);
		EXPECT_TRUE(command_lookup(cmd->name, len) == cmd);
		EXPECT_TRUE(command_lookup(buf, len - 1) != cmd);
	}
	EXPECT_TRUE(command_lookup("", 0) == NULL);
	EXPECT_TRUE(command_lookup("GETT", 4) == NULL);
	EXPECT_TRUE(command_lookup("GE", 2) == NULL);
	/* Built again, as a second init would: the same answers. */
	REQUIRE_TRUE(command_table_init(err, sizeof(err)) == 0);
	const struct command *get = command_lookup("Get", 3);
	REQUIRE_TRUE(get != NULL);
	EXPECT_TRUE(strcmp(get->name, "get") == 0);
}

int main(void)
{
	RUN(test_slots_power_of_two_at_least_twice);
	RUN(test_every_name_found_any_case);
	RUN(test_absent_names_not_found);
	RUN(test_folds_ascii_letters_only);
	RUN(test_add_refuses);
	RUN(test_odd_slot_counts);
	RUN(test_full_indexes_of_many_sizes);
	RUN(test_real_table_upper_case);
	return unit_summary();
}
