/* Every command Tessera knows, as data (request/command.h says what each
 * field means). Built once by command_table_init() before any shard thread
 * starts, then read by every shard without synchronisation.
 */
#ifndef TESSERA_COMMAND_TABLE_H
#define TESSERA_COMMAND_TABLE_H

#include <stddef.h>

#include "request/command.h"

/* Index the table under the names clients use: rename-command lines
 * (base/config.h) give a command another name or remove it. -1 with a
 * message naming the line at fault. */
int command_table_init(char *err, size_t errlen);
/* Look a command up by name, any case. NULL if unknown. */
const struct command *command_lookup(const char *name, size_t len);
/* Iterate the table (for COMMAND, COMMAND COUNT). */
const struct command *command_at(int i);
int command_count(void);

#endif
