/* Error replies counted by their code (the first word: ERR, WRONGTYPE,
 * WRONGPASS, ...), for INFO's total_error_replies and errorstats.
 *
 * Each shard owns one table and points reply_error() at it for its thread
 * (error_stats_bind), so counting takes no lock; INFO sums the tables. An
 * error made on another shard for a cross-shard command is counted where it
 * was made, once. As Redis 7.0 does, at most ERROR_STATS_CODES distinct
 * codes are tracked (a client choosing error texts cannot grow it); errors
 * past that count only in the total.
 */
#ifndef TESSERA_ERROR_STATS_H
#define TESSERA_ERROR_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ERROR_STATS_CODES 128
#define ERROR_CODE_MAX 32

struct error_stats {
	_Atomic uint64_t total;
	_Atomic unsigned ncodes;          /* entries published (release) */
	struct {
		char code[ERROR_CODE_MAX];
		_Atomic uint64_t count;
	} codes[ERROR_STATS_CODES];
};

/* This thread's error replies are counted in `s` (NULL: not counted). */
void error_stats_bind(struct error_stats *s);
/* Count one error reply whose text (without the '-') is msg[0..len). */
void error_stats_count(const char *msg, size_t len);
/* CONFIG RESETSTAT, on the owning thread. */
void error_stats_reset(struct error_stats *s);

#endif
