/* A fuzz target's input, read a byte at a time: past its end every read
 * is 0, so a target decodes any input, however short, into something to
 * run. Header-only, for the targets of tests/fuzz/. */
#ifndef TESSERA_FUZZ_INPUT_H
#define TESSERA_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t next_byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

#endif
