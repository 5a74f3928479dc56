/* An index from names to small integers, looked up ignoring ASCII case: the
 * command table's name lookup, kept apart from the table so that it can be
 * tested with any number of names.
 *
 * Open addressing with linear probing over a power-of-two number of slots,
 * at most half of them used, so a probe ends at an empty slot after one or
 * two steps. The caller owns the slots; built once (command_index_add) and
 * then only read, it needs no lock. Names are borrowed, not copied: they
 * must stay valid, and be lower case, for the life of the index. */
#ifndef TESSERA_COMMAND_INDEX_H
#define TESSERA_COMMAND_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct command_index_slot {
	const char *name;      /* NULL: empty */
	uint32_t len;
	int id;
};

struct command_index {
	struct command_index_slot *slots;
	uint32_t mask;         /* slots - 1 */
	uint32_t count;
	/* A longer name cannot be in the index: it is refused before it is
	 * hashed, whatever its length (a client chooses it). */
	uint32_t max_len;
};

/* Slots for up to n names (1 <= n < 2^30): the smallest power of two that is
 * at least 2n. A constant expression when n is, so a table of known size can
 * keep its slots in static storage. */
#define COMMAND_INDEX_SLOTS(n) (CI_CEIL_POW2_((uint32_t)(n) * 2u - 1u) + 1u)
#define CI_OR_(x, s) ((x) | (x) >> (s))
#define CI_CEIL_POW2_(x) CI_OR_(CI_OR_(CI_OR_(CI_OR_(CI_OR_(x, 1), 2), 4), 8), 16)

/* Start an empty index over nslots slots, a power of two. */
void command_index_init(struct command_index *ix, struct command_index_slot *slots, size_t nslots);
/* Add a lower-case name with its id (>= 0). False, and nothing added, if the
 * name is empty, has an upper-case letter, is there already, or the index is
 * half full. */
bool command_index_add(struct command_index *ix, const char *lower, int id);
/* The id of `name` (len bytes, any case), or -1 if it is not in the index. */
int command_index_find(const struct command_index *ix, const char *name, size_t len);

#endif
