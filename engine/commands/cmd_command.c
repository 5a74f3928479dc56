/* COMMAND [COUNT | INFO name... | DOCS name... | LIST]: enough of Redis 7.0's
 * introspection for redis-cli's hints and for client libraries. */
#include <stdio.h>
#include <string.h>

#include "commands/cmd_command.h"
#include "commands/command_syntax.h"
#include "commands/command_table.h"
#include "resp/reply.h"

static void reply_flags(struct buf *out, int resp, uint32_t flags)
{
	const char *names[6];
	int n = 0;
	if (flags & CMD_WRITE)
		names[n++] = "write";
	if (flags & CMD_READONLY)
		names[n++] = "readonly";
	if (flags & CMD_DENYOOM)
		names[n++] = "denyoom";
	if (flags & CMD_ADMIN)
		names[n++] = "admin";
	if (flags & CMD_NOAUTH)
		names[n++] = "no_auth";
	if (flags & CMD_FAST)
		names[n++] = "fast";
	reply_set(out, resp, n);
	for (int i = 0; i < n; i++)
		reply_simple(out, names[i]);
}

/* ACL categories as Redis lists them, derived from the group and flags. */
static void reply_categories(struct buf *out, int resp, const struct command *cmd)
{
	char group[32];
	const char *cats[4];
	int n = 0;
	bool keyspace = !strcmp(cmd->group, "generic");
	snprintf(group, sizeof(group), "@%s", keyspace ? "keyspace" : cmd->group);
	if (strcmp(cmd->group, "server") && strcmp(cmd->group, "connection"))
		cats[n++] = group;
	if (cmd->flags & CMD_WRITE)
		cats[n++] = "@write";
	if (cmd->flags & CMD_READONLY)
		cats[n++] = "@read";
	if (cmd->flags & CMD_FAST)
		cats[n++] = "@fast";
	else
		cats[n++] = "@slow";
	reply_set(out, resp, n);
	for (int i = 0; i < n; i++)
		reply_simple(out, cats[i]);
}

static void reply_command_info(struct buf *out, int resp, const struct command *cmd)
{
	reply_array(out, 10);
	reply_bulk_str(out, cmd->name);
	reply_int(out, cmd->arity);
	reply_flags(out, resp, cmd->flags);
	reply_int(out, cmd->first_key);
	reply_int(out, cmd->last_key);
	reply_int(out, cmd->key_step);
	reply_categories(out, resp, cmd);
	reply_set(out, resp, 0);   /* tips */
	reply_array(out, 0);       /* key specifications */
	reply_array(out, 0);       /* subcommands */
}

static void reply_command_docs(struct buf *out, int resp, const struct command *cmd)
{
	reply_bulk_str(out, cmd->name);
	const char *syntax = command_syntax(cmd->name);
	reply_map(out, resp, syntax[0] ? 5 : 4);
	reply_bulk_str(out, "summary");
	reply_bulk_str(out, cmd->summary);
	reply_bulk_str(out, "since");
	reply_bulk_str(out, cmd->since);
	reply_bulk_str(out, "group");
	reply_bulk_str(out, cmd->group);
	/* Coarse: the table records only whether a command is O(1). */
	reply_bulk_str(out, "complexity");
	reply_bulk_str(out, (cmd->flags & CMD_FAST) ? "O(1)" : "O(N)");
	if (syntax[0]) {
		reply_bulk_str(out, "arguments");
		reply_syntax_arguments(out, resp, syntax);
	}
}

void cmd_command(struct cmd_ctx *ctx)
{
	struct buf *out = ctx->out;
	int n = command_count();
	if (ctx->argc == 1) {
		reply_array(out, n);
		for (int i = 0; i < n; i++)
			reply_command_info(out, ctx->resp, command_at(i));
		return;
	}
	const struct arg *sub = &ctx->argv[1];
	if ((arg_is(sub, "count") || arg_is(sub, "list")) && ctx->argc != 2) {
		reply_errorf(out, "ERR wrong number of arguments for 'command|%s' command",
			     arg_is(sub, "count") ? "count" : "list");
		return;
	}
	if (arg_is(sub, "count") && ctx->argc == 2) {
		reply_int(out, n);
	} else if (arg_is(sub, "list") && ctx->argc == 2) {
		reply_array(out, n);
		for (int i = 0; i < n; i++)
			reply_bulk_str(out, command_at(i)->name);
	} else if (arg_is(sub, "info")) {
		if (ctx->argc == 2) {
			reply_array(out, n);
			for (int i = 0; i < n; i++)
				reply_command_info(out, ctx->resp, command_at(i));
			return;
		}
		reply_array(out, ctx->argc - 2);
		for (int i = 2; i < ctx->argc; i++) {
			const struct command *cmd = command_lookup(ctx->argv[i].p, ctx->argv[i].len);
			if (cmd)
				reply_command_info(out, ctx->resp, cmd);
			else
				reply_null_array(out, ctx->resp);
		}
	} else if (arg_is(sub, "docs")) {
		if (ctx->argc == 2) {
			reply_map(out, ctx->resp, n);
			for (int i = 0; i < n; i++)
				reply_command_docs(out, ctx->resp, command_at(i));
			return;
		}
		int found = 0;
		for (int i = 2; i < ctx->argc; i++)
			found += command_lookup(ctx->argv[i].p, ctx->argv[i].len) != NULL;
		reply_map(out, ctx->resp, found);
		for (int i = 2; i < ctx->argc; i++) {
			const struct command *cmd = command_lookup(ctx->argv[i].p, ctx->argv[i].len);
			if (cmd)
				reply_command_docs(out, ctx->resp, cmd);
		}
	} else {
		reply_errorf(out, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			     (int)(sub->len < 128 ? sub->len : 128), sub->p);
	}
}
