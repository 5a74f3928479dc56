/* Measure one RESP2/RESP3 value in a buffer without decoding it: used to cut
 * the replies of other shards into elements when gathering, and by tests. */
#ifndef TESSERA_RESP_FRAME_H
#define TESSERA_RESP_FRAME_H

#include <stddef.h>

/* The byte length of the complete value at p, or 0 if it is incomplete or
 * malformed. Nesting deeper than 64 levels counts as malformed. */
size_t resp_frame_len(const char *p, size_t len);

/* For an aggregate header ("*3\r\n", "%2\r\n"...) the element count (maps
 * count both keys and values) and the header length; -1 for a null
 * aggregate; returns 0 if p is not an aggregate header. */
int resp_aggregate_header(const char *p, size_t len, long long *count, size_t *header_len);

#endif
