#include "commands/cmd_connection.h"

#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/version.h"
#include "request/client.h"
#include "resp/reply.h"

void cmd_ping(struct cmd_ctx *ctx)
{
	if (ctx->argc > 2) {
		reply_error(ctx->out, "ERR wrong number of arguments for 'ping' command");
		return;
	}
	if (ctx->argc == 2)
		reply_bulk(ctx->out, ctx->argv[1].p, ctx->argv[1].len);
	else
		buf_append(ctx->out, "+PONG\r\n", 7);
}

void cmd_echo(struct cmd_ctx *ctx)
{
	reply_bulk(ctx->out, ctx->argv[1].p, ctx->argv[1].len);
}

void cmd_quit(struct cmd_ctx *ctx)
{
	reply_ok(ctx->out);
	ctx->client->close_asap = true;
}

void cmd_select(struct cmd_ctx *ctx)
{
	long long db;
	if (!parse_ll(ctx->argv[1].p, ctx->argv[1].len, &db) || db < INT32_MIN || db > INT32_MAX) {
		reply_error(ctx->out, ERR_NOT_INTEGER);
		return;
	}
	if (db != 0) {
		/* Tessera has one database per server (see docs/compatibility.md). */
		reply_error(ctx->out, "ERR DB index is out of range");
		return;
	}
	reply_ok(ctx->out);
}

/* The default user is the only user; its password is requirepass. */
static bool password_matches(const struct arg *user, const struct arg *pass)
{
	const char *want = CFG(requirepass);
	if (user && !arg_is(user, "default"))
		return false;
	if (want[0] == '\0')
		return true;
	return pass->len == strlen(want) && memcmp(pass->p, want, pass->len) == 0;
}

void cmd_auth(struct cmd_ctx *ctx)
{
	if (ctx->argc > 3) {
		reply_error(ctx->out, ERR_SYNTAX);
		return;
	}
	if (ctx->argc == 2 && CFG(requirepass)[0] == '\0') {
		reply_error(ctx->out, "ERR AUTH <password> called without any password configured for "
				      "the default user. Are you sure your configuration is correct?");
		return;
	}
	const struct arg *user = ctx->argc == 3 ? &ctx->argv[1] : NULL;
	if (!password_matches(user, &ctx->argv[ctx->argc - 1])) {
		reply_error(ctx->out, "WRONGPASS invalid username-password pair or user is disabled.");
		return;
	}
	ctx->client->authenticated = true;
	reply_ok(ctx->out);
}

bool client_name_is_valid(const struct arg *name)
{
	for (size_t i = 0; i < name->len; i++)
		if (name->p[i] < '!' || name->p[i] > '~')
			return false;
	return true;
}

static void set_client_name(struct client *c, const struct arg *name)
{
	free(c->name);
	c->name = NULL;
	if (name->len == 0)
		return;
	c->name = malloc(name->len + 1);
	if (c->name) {
		memcpy(c->name, name->p, name->len);
		c->name[name->len] = '\0';
	}
}

static void reply_hello_map(struct cmd_ctx *ctx)
{
	struct buf *out = ctx->out;
	reply_map(out, ctx->resp, 7);
	reply_bulk_str(out, "server");
	reply_bulk_str(out, "redis");
	reply_bulk_str(out, "version");
	reply_bulk_str(out, REDIS_COMPAT_VERSION);
	reply_bulk_str(out, "proto");
	reply_int(out, ctx->resp);
	reply_bulk_str(out, "id");
	reply_int(out, (long long)ctx->client->id);
	reply_bulk_str(out, "mode");
	reply_bulk_str(out, "standalone");
	reply_bulk_str(out, "role");
	reply_bulk_str(out, "master");
	reply_bulk_str(out, "modules");
	reply_array(out, 0);
}

void cmd_hello(struct cmd_ctx *ctx)
{
	struct client *c = ctx->client;
	long long ver = c->resp;
	if (ctx->argc >= 2) {
		if (!parse_ll(ctx->argv[1].p, ctx->argv[1].len, &ver)) {
			reply_error(ctx->out, "ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3) {
			reply_error(ctx->out, "NOPROTO unsupported protocol version");
			return;
		}
	}
	const struct arg *user = NULL, *pass = NULL, *name = NULL;
	for (int i = 2; i < ctx->argc; i++) {
		int more = ctx->argc - i - 1;
		if (arg_is(&ctx->argv[i], "auth") && more >= 2) {
			user = &ctx->argv[i + 1];
			pass = &ctx->argv[i + 2];
			i += 2;
		} else if (arg_is(&ctx->argv[i], "setname") && more >= 1) {
			name = &ctx->argv[i + 1];
			i += 1;
		} else {
			reply_errorf(ctx->out, "ERR Syntax error in HELLO option '%.*s'",
				     (int)ctx->argv[i].len, ctx->argv[i].p);
			return;
		}
	}
	if (user && !password_matches(user, pass)) {
		reply_error(ctx->out, "WRONGPASS invalid username-password pair or user is disabled.");
		return;
	}
	if (user)
		c->authenticated = true;
	if (!c->authenticated) {
		reply_error(ctx->out, "NOAUTH HELLO must be called with the client already "
				      "authenticated, otherwise the HELLO AUTH <user> <pass> "
				      "option can be used to authenticate the client and select the "
				      "RESP protocol version at the same time");
		return;
	}
	if (name && !client_name_is_valid(name)) {
		reply_error(ctx->out, "ERR Client names cannot contain spaces, newlines or special characters.");
		return;
	}
	if (name)
		set_client_name(c, name);
	c->resp = (int)ver;
	ctx->resp = (int)ver;
	reply_hello_map(ctx);
}

/* CLIENT lives in cmd_client.c; declared here with the connection family. */
