/* buf.h — growable byte buffer with little-endian writers.
 * Memory is malloc'd and owned by the struct; release with buf_free().
 * Allocation failure aborts (batch compiler). */
#ifndef POLC_BUF_H
#define POLC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_bytes(struct buf *b, const void *p, size_t n);
void buf_u8(struct buf *b, uint8_t v);
void buf_u16(struct buf *b, uint16_t v);
void buf_u32(struct buf *b, uint32_t v);
void buf_u64(struct buf *b, uint64_t v);
void buf_zero(struct buf *b, size_t n);
/* Overwrite 4 bytes at off (which must be inside the buffer). */
void buf_put_u32(struct buf *b, size_t off, uint32_t v);
void buf_free(struct buf *b);

#endif
