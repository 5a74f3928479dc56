/* Glob-style matching with the exact semantics of Redis's KEYS/SCAN MATCH
 * patterns: '*' any run of bytes, '?' one byte, '[abc]' '[^abc]' '[a-z]'
 * classes, '\' escapes the next byte. Binary safe: both sides carry a length.
 *
 * Redis's quirks are reproduced on purpose because clients see them:
 * an unterminated '[' class ends at the end of the pattern, a reversed range
 * [z-a] means [a-z], ranges compare bytes as signed chars, an escaped byte
 * inside a class is compared case-sensitively even with `nocase`, and a
 * pattern whose stars nest more than 1000 deep never matches (Redis's guard
 * against abusive patterns). "*" alone does NOT match the empty string here:
 * KEYS and SCAN special-case the pattern "*" before calling this, as Redis
 * does, so callers wanting "match everything" check for it themselves.
 */
#ifndef TESSERA_GLOB_H
#define TESSERA_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* True if `str` matches `pattern`; ASCII letters fold when `nocase`. */
bool glob_match(const char *pattern, size_t plen, const char *str, size_t slen, bool nocase);

#endif
