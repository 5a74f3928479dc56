/* A connection's life on a two-shard engine driven by hand, with no
 * threads and no dataplane: the engine's own calls (client_feed, the ring
 * drains, client_detach) in the order a backend makes them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "commands/command_table.h"
#include "loop/client_input.h"
#include "loop/engine_lifecycle.h"
#include "loop/shard_loop.h"
#include "request/client.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"
#include "unit_test.h"

static void no_wake(struct engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
}

static struct engine *two_shards(void)
{
	struct engine *eng = engine_create(2);
	if (eng)
		eng->wake = no_wake;
	return eng;
}

/* A key that shard `owner` holds, as "key:N". */
static void key_on(struct shard *sh, unsigned owner, char *key, size_t cap)
{
	for (unsigned i = 0;; i++) {
		snprintf(key, cap, "key:%u", i);
		if (key_shard(sh, key, strlen(key)) == owner)
			return;
	}
}

static void feed(struct client *c, const char *text)
{
	char buf[256];
	size_t n = strlen(text);
	memcpy(buf, text, n);
	client_feed(c, buf, n);
}

static bool on_dirty_list(const struct shard *sh, const struct client *c)
{
	for (unsigned i = 0; i < sh->ndirty; i++)
		if (sh->dirty[i] == c)
			return true;
	return false;
}

/* The remote part goes to shard 1, runs there, and comes back. */
static void round_trip(struct engine *eng)
{
	shard_flush_outbox(eng->shards[0]);
	shard_drain_rings(eng->shards[1]);
	shard_flush_outbox(eng->shards[1]);
	shard_drain_rings(eng->shards[0]);
}

TEST(test_cross_shard_get_reply_follows_ping_in_order)
{
	struct engine *eng = two_shards();
	REQUIRE_TRUE(eng);
	struct shard *sh = eng->shards[0];
	struct client *c = client_create(sh, NULL, -1, "a", "b");
	REQUIRE_TRUE(c);
	char key[32], cmd[128];
	key_on(sh, 1, key, sizeof(key));
	snprintf(cmd, sizeof(cmd), "SET %s v\r\nGET %s\r\nPING\r\n", key, key);
	feed(c, cmd);
	EXPECT_EQ_UINT(buf_live(&c->out), 0); /* SET waits on shard 1: nothing may leave */
	round_trip(eng);
	round_trip(eng);
	const char want[] = "+OK\r\n$1\r\nv\r\n+PONG\r\n";
	EXPECT_EQ_UINT(buf_live(&c->out), sizeof(want) - 1);
	EXPECT_EQ_MEM(buf_head(&c->out), want, sizeof(want) - 1);
	EXPECT_TRUE(on_dirty_list(sh, c));
	engine_destroy(eng);
}

/* The connection closes while a reply it already has waits to be sent and
 * a part is still out on another shard; the part's return frees the client.
 * The backend walks the dirty list after the rings: a freed client must not
 * be on it. */
TEST(test_client_detached_with_output_waiting_leaves_the_dirty_list_when_freed)
{
	struct engine *eng = two_shards();
	REQUIRE_TRUE(eng);
	struct shard *sh = eng->shards[0];
	struct client *c = client_create(sh, NULL, -1, "a", "b");
	REQUIRE_TRUE(c);
	char key[32], cmd[128];
	key_on(sh, 1, key, sizeof(key));
	snprintf(cmd, sizeof(cmd), "PING\r\nGET %s\r\n", key);
	feed(c, cmd);
	EXPECT_TRUE(on_dirty_list(sh, c)); /* +PONG is ready */
	EXPECT_EQ_INT(c->inflight, 1);
	client_detach(c);                  /* kept: GET is on shard 1 */
	EXPECT_EQ_UINT(sh->ndirty, 1);
	round_trip(eng);                   /* GET's reply frees the client */
	EXPECT_EQ_UINT(sh->ndirty, 0);
	EXPECT_TRUE(sh->clients == NULL);
	EXPECT_TRUE(sh->ready == NULL);
	engine_destroy(eng);
}

/* Pendings are pooled per shard: one taken from the pool must start clean,
 * not still linked to the pendings behind it in the pool. */
TEST(test_pooled_pending_reused_for_a_new_request_delivers_its_reply)
{
	struct engine *eng = two_shards();
	REQUIRE_TRUE(eng);
	struct shard *sh = eng->shards[0];
	struct client *c = client_create(sh, NULL, -1, "a", "b");
	REQUIRE_TRUE(c);
	char key[32], cmd[128];
	key_on(sh, 1, key, sizeof(key));
	snprintf(cmd, sizeof(cmd), "GET %s\r\nGET %s\r\n", key, key);
	feed(c, cmd);
	round_trip(eng); /* both pendings go back to the pool */
	buf_consume(&c->out, buf_live(&c->out));
	snprintf(cmd, sizeof(cmd), "GET %s\r\nPING\r\n", key);
	feed(c, cmd);
	round_trip(eng);
	const char want[] = "$-1\r\n+PONG\r\n";
	EXPECT_EQ_UINT(buf_live(&c->out), sizeof(want) - 1);
	EXPECT_EQ_MEM(buf_head(&c->out), want, sizeof(want) - 1);
	EXPECT_TRUE(c->pend_head == NULL);
	engine_destroy(eng);
}

/* Run a command through a table entry of our own, as rename-command would
 * give one: a handler must route with the entry it was given (ctx->cmd),
 * never look itself up by its usual name. */
static void run_as(struct client *c, const struct command *entry, int argc, struct arg *argv)
{
	struct cmd_ctx ctx = {
		.sh = c->sh, .client = c, .cmd = entry, .argc = argc, .argv = argv,
		.out = client_reply_buf(c), .resp = c->resp,
	};
	entry->handler(&ctx);
	client_mark_dirty(c);
}

static void expect_output(struct client *c, const char *want)
{
	EXPECT_EQ_UINT(buf_live(&c->out), strlen(want));
	EXPECT_EQ_MEM(buf_head(&c->out), want, strlen(want));
	buf_consume(&c->out, buf_live(&c->out));
}

TEST(test_renamed_msetnx_names_itself_in_its_arity_error)
{
	struct engine *eng = two_shards();
	REQUIRE_TRUE(eng);
	struct client *c = client_create(eng->shards[0], NULL, -1, "a", "b");
	REQUIRE_TRUE(c);
	struct command renamed = *command_lookup("msetnx", 6);
	renamed.name = "mnx";
	struct arg argv[] = { { "mnx", 3 }, { "k1", 2 }, { "v1", 2 }, { "k2", 2 } };
	run_as(c, &renamed, 4, argv);
	expect_output(c, "-ERR wrong number of arguments for 'mnx' command\r\n");
	engine_destroy(eng);
}

TEST(test_renamed_renamenx_moves_a_key_across_shards_and_answers_as_renamenx)
{
	struct engine *eng = two_shards();
	REQUIRE_TRUE(eng);
	struct shard *sh = eng->shards[0];
	struct client *c = client_create(sh, NULL, -1, "a", "b");
	REQUIRE_TRUE(c);
	char src[32], dst[32], cmd[128];
	key_on(sh, 0, src, sizeof(src));
	key_on(sh, 1, dst, sizeof(dst));
	snprintf(cmd, sizeof(cmd), "SET %s v\r\n", src);
	feed(c, cmd);
	expect_output(c, "+OK\r\n");
	struct command renamed = *command_lookup("renamenx", 8);
	renamed.name = "rnx";
	struct arg argv[] = { { "rnx", 3 }, { src, strlen(src) }, { dst, strlen(dst) } };
	run_as(c, &renamed, 3, argv);
	for (int i = 0; i < 3; i++) /* check both keys, take, put */
		round_trip(eng);
	expect_output(c, ":1\r\n");
	snprintf(cmd, sizeof(cmd), "EXISTS %s\r\nGET %s\r\n", src, dst);
	feed(c, cmd);
	round_trip(eng);
	expect_output(c, ":0\r\n$1\r\nv\r\n");
	engine_destroy(eng);
}

int main(void)
{
	config_init();
	command_table_init();
	RUN(test_cross_shard_get_reply_follows_ping_in_order);
	RUN(test_client_detached_with_output_waiting_leaves_the_dirty_list_when_freed);
	RUN(test_pooled_pending_reused_for_a_new_request_delivers_its_reply);
	RUN(test_renamed_msetnx_names_itself_in_its_arity_error);
	RUN(test_renamed_renamenx_moves_a_key_across_shards_and_answers_as_renamenx);
	return unit_summary();
}
