/* Command argument syntax for COMMAND DOCS (see command_syntax.c). */
#ifndef TESSERA_COMMAND_SYNTAX_H
#define TESSERA_COMMAND_SYNTAX_H

#include "resp/buf.h"

/* "key value [NX|XX] ...", or "" for a command without arguments. */
const char *command_syntax(const char *name);
/* Append COMMAND DOCS' "arguments" array for a syntax; returns its length. */
int reply_syntax_arguments(struct buf *out, int resp, const char *syntax);

#endif
