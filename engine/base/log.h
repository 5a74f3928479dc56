/* Log lines in Redis's format ("pid:M 23 Nov 2026 21:10:26.123 * text") to
 * the configured logfile, or stderr. Any thread may log; a line is written
 * with one write() so lines of different threads do not interleave. */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include "base/config.h"

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
