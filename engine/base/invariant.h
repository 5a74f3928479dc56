/* What a check means, in three words (after SQLite's assert/ALWAYS/NEVER):
 *
 *   ASSERT(x)  proven: x holds whenever this line runs, and the code after
 *              it relies on that. Checked in builds with TESSERA_ASSERTS
 *              (meson sets it for debug and sanitizer builds: the ASan
 *              build of tests/run_all.sh) and compiled out elsewhere, so
 *              it may cost (a hash, a walk of a list).
 *   ALWAYS(x)  believed true, with a fallback for the day it is not:
 *   NEVER(x)   believed false, likewise.
 *              Both evaluate x in every build and return it, so that
 *              release code takes the safe branch:
 *                  if (NEVER(p->waiting == 0))
 *                          return;
 *              In a checked build a wrong belief aborts, so tests find it.
 *
 * A failed check prints the file, line and expression and aborts.
 * Helpers that exist only to be checked are named `*_ok`: declared in
 * every build (an unchecked ASSERT still names them, unevaluated) and
 * defined only with TESSERA_ASSERTS.
 */
#ifndef TESSERA_INVARIANT_H
#define TESSERA_INVARIANT_H

#include <stdbool.h>

/* Prints "file:line: invariant failed: expr" and aborts. */
_Noreturn void invariant_failed(const char *file, int line, const char *expr);

#ifdef TESSERA_ASSERTS
#define ASSERT(x) ((x) ? (void)0 : invariant_failed(__FILE__, __LINE__, #x))
#define ALWAYS(x) ((x) ? true : (invariant_failed(__FILE__, __LINE__, #x), false))
#define NEVER(x) ((x) ? (invariant_failed(__FILE__, __LINE__, "!(" #x ")"), true) : false)
#else
#define ASSERT(x) ((void)sizeof(!(x))) /* not evaluated; its names stay used */
#define ALWAYS(x) (!!(x))
#define NEVER(x) (!!(x))
#endif

#endif
