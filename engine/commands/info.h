/* INFO and its sections, from every shard's published counters. */
#ifndef TESSERA_INFO_H
#define TESSERA_INFO_H

#include "shard/handler.h"

void cmd_info(struct cmd_ctx *ctx);
/* The process's resident set size in bytes (used_memory_rss; MEMORY STATS
 * reads it too). */
unsigned long long info_rss_bytes(void);

#endif
