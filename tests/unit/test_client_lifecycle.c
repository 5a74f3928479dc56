/* A connection's life on a two-shard engine driven by hand, with no
 * threads and no dataplane: the engine's own calls (client_feed, the ring
 * drains, client_detach) in the order a backend makes them. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "commands/command_table.h"
#include "loop/client_input.h"
#include "loop/client_output.h"
#include "loop/engine_lifecycle.h"
#include "loop/shard_loop.h"
#include "request/client.h"
#include "request/command.h"
#include "shard/shard.h"
#include "shard/shard_msg.h"
#include "unit_test.h"

/* Two shards, a client of shard 0, and a key of each shard. */
struct two_shards {
	struct engine *eng;
	struct shard *sh;        /* shard 0, the client's */
	struct client *c;
	char local_key[32];      /* owned by shard 0 */
	char remote_key[32];     /* owned by shard 1 */
};

static void no_wake(struct engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
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

static bool open_two_shards(struct two_shards *t)
{
	memset(t, 0, sizeof(*t));
	if (!(t->eng = engine_create(2)))
		return false;
	t->eng->wake = no_wake;
	t->sh = t->eng->shards[0];
	key_on(t->sh, 0, t->local_key, sizeof(t->local_key));
	key_on(t->sh, 1, t->remote_key, sizeof(t->remote_key));
	t->c = client_create(t->sh, NULL, -1, "a", "b");
	return t->c != NULL;
}

/* printf-style requests, fed as one chunk. */
static void feed(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void feed(struct client *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	client_feed(c, buf, (size_t)n);
}

/* The client's output is exactly `want`; then it is taken, as a send would. */
static void expect_output(struct client *c, const char *want)
{
	EXPECT_EQ_UINT(buf_live(&c->out), strlen(want));
	EXPECT_EQ_MEM(buf_head(&c->out), want, strlen(want));
	buf_consume(&c->out, buf_live(&c->out));
}

static bool on_dirty_list(const struct shard *sh, const struct client *c)
{
	for (unsigned i = 0; i < sh->ndirty; i++)
		if (sh->dirty[i] == c)
			return true;
	return false;
}

/* What shard 0 sent goes to shard 1, runs there, and comes back. */
static void round_trip(struct engine *eng)
{
	shard_flush_outbox(eng->shards[0]);
	shard_drain_rings(eng->shards[1]);
	shard_flush_outbox(eng->shards[1]);
	shard_drain_rings(eng->shards[0]);
}

TEST(test_cross_shard_replies_leave_in_request_order)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	feed(t.c, "SET %s v\r\nGET %s\r\nPING\r\n", t.remote_key, t.remote_key);
	EXPECT_EQ_UINT(buf_live(&t.c->out), 0); /* SET waits on shard 1: nothing may leave */
	round_trip(t.eng);
	round_trip(t.eng);
	EXPECT_TRUE(on_dirty_list(t.sh, t.c));
	expect_output(t.c, "+OK\r\n$1\r\nv\r\n+PONG\r\n");
	engine_destroy(t.eng);
}

/* The connection closes while a reply it already has waits to be sent and
 * a part is still out on another shard; the part's return frees the client.
 * The backend walks the dirty list after the rings: a freed client must not
 * be on it. */
TEST(test_client_detached_with_output_waiting_leaves_the_dirty_list_when_freed)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	feed(t.c, "PING\r\nGET %s\r\n", t.remote_key);
	EXPECT_TRUE(on_dirty_list(t.sh, t.c)); /* +PONG is ready */
	EXPECT_EQ_INT(t.c->inflight, 1);
	struct client *gone = t.c;
	client_detach(t.c);                    /* kept: GET is on shard 1 */
	EXPECT_TRUE(on_dirty_list(t.sh, gone));
	round_trip(t.eng);                     /* GET's reply frees the client */
	EXPECT_TRUE(!on_dirty_list(t.sh, gone)); /* compares pointers only */
	EXPECT_TRUE(t.sh->clients == NULL);
	EXPECT_TRUE(t.sh->ready == NULL);
	engine_destroy(t.eng);
}

/* A sink that records what a backend would send, and its closes. */
struct recorded {
	char sent[256];
	size_t len;
	int closes;
};

static bool record_send(void *backend, struct client *c)
{
	struct recorded *r = backend;
	size_t n = buf_live(&c->out);
	if (r->len + n < sizeof(r->sent)) {
		memcpy(r->sent + r->len, buf_head(&c->out), n);
		r->len += n;
	}
	buf_consume(&c->out, n);
	return true;
}

static void record_close(void *backend, struct client *c)
{
	struct recorded *r = backend;
	r->closes++;
	c->conn = NULL;
	client_detach(c);
}

/* QUIT right behind a GET served by another shard: the connection closes
 * after the GET's reply and QUIT's +OK are sent, not before. */
TEST(test_quit_behind_a_remote_get_closes_after_both_replies_are_sent)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	static int conn;
	t.c->conn = &conn;
	struct recorded r = { .len = 0 };
	struct output_sink sink = { .send = record_send, .close = record_close, .backend = &r };
	feed(t.c, "GET %s\r\nQUIT\r\n", t.remote_key);
	shard_flush_output(t.sh, &sink);
	EXPECT_EQ_INT(r.closes, 0);
	round_trip(t.eng);
	shard_flush_output(t.sh, &sink);
	EXPECT_EQ_UINT(r.len, 10);
	EXPECT_EQ_MEM(r.sent, "$-1\r\n+OK\r\n", 10);
	EXPECT_EQ_INT(r.closes, 1);
	engine_destroy(t.eng);
}

/* A client freed by a sink's close while the walk goes on: slots of the
 * dirty list that the walk already passed still name it, and a client
 * marked during the walk is still served in it. */
static struct client *bystander;

static bool send_and_mark_again(void *backend, struct client *c)
{
	record_send(backend, c);
	if (c != bystander) {
		client_mark_dirty(c);          /* a backend taking only part, say */
		client_mark_dirty(bystander);  /* an upcall for another connection */
	}
	return true;
}

TEST(test_client_freed_during_the_output_walk_is_skipped_and_others_are_served)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	static int conn_a, conn_b;
	t.c->conn = &conn_a;
	bystander = client_create(t.sh, &conn_b, -1, "c", "d");
	REQUIRE_TRUE(bystander);
	feed(t.c, "PING\r\nQUIT\r\n");
	struct recorded r = { .len = 0 };
	struct output_sink sink = { .send = send_and_mark_again, .close = record_close, .backend = &r };
	shard_flush_output(t.sh, &sink);
	EXPECT_EQ_INT(r.closes, 1);
	EXPECT_TRUE(!bystander->dirty); /* it was served, and can be marked again */
	EXPECT_EQ_UINT(t.sh->ndirty, 0);
	engine_destroy(t.eng);
}

/* Shutting down with messages in flight (staged in an outbox, or in a
 * ring): engine_destroy frees them (LeakSanitizer checks, in the ASan
 * build). */
TEST(test_engine_destroy_frees_messages_still_in_flight)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	feed(t.c, "GET %s\r\n", t.remote_key);        /* staged in the outbox */
	struct client *c2 = client_create(t.sh, NULL, -1, "c", "d");
	REQUIRE_TRUE(c2);
	feed(c2, "GET %s\r\n", t.remote_key);
	shard_flush_outbox(t.sh);                        /* both now in the ring */
	feed(t.c, "GET %s\r\n", t.remote_key);        /* and one more staged */
	EXPECT_EQ_INT(t.c->inflight, 2);
	engine_destroy(t.eng);
}

static bool denied(struct shard *sh, const char *addr)
{
	static const char want[] = "-DENIED Tessera is running in protected mode";
	struct client *c = client_create(sh, NULL, -1, addr, "198.18.0.1:6379");
	bool is = c && c->close_asap && buf_live(&c->out) > sizeof(want) &&
		  memcmp(buf_head(&c->out), want, sizeof(want) - 1) == 0;
	client_detach(c);
	return is;
}

static void set_option(const char *name, const char *value)
{
	char err[256];
	config_set_runtime(name, strlen(name), value, strlen(value), false, err, sizeof(err));
}

/* Protected mode, on by default: with no password and no address chosen,
 * another host gets DENIED and is closed; loopback peers are served. */
TEST(test_protected_mode_denies_other_hosts_until_an_address_or_a_password_is_given)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	EXPECT_TRUE(denied(t.sh, "198.18.0.2:40000"));
	EXPECT_TRUE(!denied(t.sh, "127.0.0.1:40000"));
	EXPECT_TRUE(!denied(t.sh, "127.3.2.1:40000"));
	set_option("requirepass", "s3cret");
	EXPECT_TRUE(!denied(t.sh, "198.18.0.2:40000"));
	set_option("requirepass", "");
	set_option("protected-mode", "no");
	EXPECT_TRUE(!denied(t.sh, "198.18.0.2:40000"));
	set_option("protected-mode", "yes");
	EXPECT_TRUE(denied(t.sh, "198.18.0.2:40000"));
	char err[256];
	char *argv[] = { "tessera-server", "--bind", "0.0.0.0" };
	REQUIRE_TRUE(config_parse_command_line(3, argv, err, sizeof(err)) == 0);
	EXPECT_TRUE(!denied(t.sh, "198.18.0.2:40000"));
	engine_destroy(t.eng);
}

/* Pendings are pooled per shard: one taken from the pool must start clean,
 * not still linked to the pendings behind it in the pool. */
TEST(test_pooled_pending_reused_for_a_new_request_delivers_its_reply)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	feed(t.c, "GET %s\r\nGET %s\r\n", t.remote_key, t.remote_key);
	round_trip(t.eng); /* both pendings go back to the pool */
	expect_output(t.c, "$-1\r\n$-1\r\n");
	feed(t.c, "GET %s\r\nPING\r\n", t.remote_key);
	round_trip(t.eng);
	expect_output(t.c, "$-1\r\n+PONG\r\n");
	EXPECT_TRUE(t.c->pend_head == NULL);
	engine_destroy(t.eng);
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
}

static struct arg arg_str(const char *s)
{
	return (struct arg){ .p = (char *)s, .len = strlen(s) };
}

TEST(test_renamed_msetnx_names_itself_in_its_arity_error)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	struct command renamed = *command_lookup("msetnx", 6);
	renamed.name = "mnx";
	struct arg argv[] = { arg_str("mnx"), arg_str("k1"), arg_str("v1"), arg_str("k2") };
	run_as(t.c, &renamed, 4, argv);
	expect_output(t.c, "-ERR wrong number of arguments for 'mnx' command\r\n");
	engine_destroy(t.eng);
}

TEST(test_renamed_renamenx_moves_a_key_across_shards_and_answers_as_renamenx)
{
	struct two_shards t;
	REQUIRE_TRUE(open_two_shards(&t));
	feed(t.c, "SET %s v\r\n", t.local_key);
	expect_output(t.c, "+OK\r\n");
	struct command renamed = *command_lookup("renamenx", 8);
	renamed.name = "rnx";
	struct arg argv[] = { arg_str("rnx"), arg_str(t.local_key), arg_str(t.remote_key) };
	run_as(t.c, &renamed, 3, argv);
	for (int i = 0; i < 3; i++) /* check both keys, take, put */
		round_trip(t.eng);
	expect_output(t.c, ":1\r\n");
	feed(t.c, "EXISTS %s\r\nGET %s\r\n", t.local_key, t.remote_key);
	round_trip(t.eng);
	expect_output(t.c, ":0\r\n$1\r\nv\r\n");
	engine_destroy(t.eng);
}

int main(void)
{
	char err[256];
	config_init();
	if (command_table_init(err, sizeof(err)) < 0)
		return 1;
	RUN(test_cross_shard_replies_leave_in_request_order);
	RUN(test_client_detached_with_output_waiting_leaves_the_dirty_list_when_freed);
	RUN(test_quit_behind_a_remote_get_closes_after_both_replies_are_sent);
	RUN(test_client_freed_during_the_output_walk_is_skipped_and_others_are_served);
	RUN(test_engine_destroy_frees_messages_still_in_flight);
	RUN(test_pooled_pending_reused_for_a_new_request_delivers_its_reply);
	RUN(test_protected_mode_denies_other_hosts_until_an_address_or_a_password_is_given);
	RUN(test_renamed_msetnx_names_itself_in_its_arity_error);
	RUN(test_renamed_renamenx_moves_a_key_across_shards_and_answers_as_renamenx);
	return unit_summary();
}
