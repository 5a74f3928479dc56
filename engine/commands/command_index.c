#include "commands/command_index.h"

#include <string.h>

static inline unsigned char fold(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (unsigned char)(ch | 0x20) : (unsigned char)ch;
}

/* FNV-1a over the lower-cased bytes: the name is folded as it is hashed,
 * so a lookup needs no copy of it and no limit on its length. */
static uint32_t fold_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ fold(name[i])) * 16777619u;
	return h;
}

static bool equal_folded(const char *name, const char *lower, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (fold(name[i]) != (unsigned char)lower[i])
			return false;
	return true;
}

/* The slot holding `name`, or the empty slot that ends its probe sequence:
 * one is always reached, as at most half the slots are used. */
static struct command_index_slot *probe(const struct command_index *ix, const char *name, size_t len)
{
	for (uint32_t i = fold_hash(name, len) & ix->mask;; i = (i + 1) & ix->mask) {
		struct command_index_slot *s = &ix->slots[i];
		if (!s->name || (s->len == len && equal_folded(name, s->name, len)))
			return s;
	}
}

void command_index_init(struct command_index *ix, struct command_index_slot *slots, size_t nslots)
{
	/* The mask needs a power of two: any slots above the largest that fits
	 * go unused rather than breaking it. */
	size_t usable = nslots;
	while (usable & (usable - 1))
		usable &= usable - 1;
	if (usable)
		memset(slots, 0, usable * sizeof(*slots));
	*ix = (struct command_index){
		.slots = usable ? slots : NULL,
		.mask = usable ? (uint32_t)(usable - 1) : 0,
	};
}

static bool is_lower(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			return false;
	return true;
}

bool command_index_add(struct command_index *ix, const char *lower, int id)
{
	size_t len = strlen(lower);
	/* (mask + 1) / 2 is also 0 for an index given fewer than 2 slots. */
	if (id < 0 || len == 0 || len > UINT32_MAX || !is_lower(lower, len) ||
	    ix->count + 1 > (ix->mask + 1u) / 2)
		return false;
	struct command_index_slot *s = probe(ix, lower, len);
	if (s->name)
		return false;
	*s = (struct command_index_slot){ .name = lower, .len = (uint32_t)len, .id = id };
	ix->count++;
	if (len > ix->max_len)
		ix->max_len = (uint32_t)len;
	return true;
}

int command_index_find(const struct command_index *ix, const char *name, size_t len)
{
	if (len == 0 || len > ix->max_len)
		return -1;
	const struct command_index_slot *s = probe(ix, name, len);
	return s->name ? s->id : -1;
}
