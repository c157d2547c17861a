#ifndef CINTRINSICS_H
#define CINTRINSICS_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can fold CRC-32 with carry-less multiplication (x86-64 with PCLMULQDQ and
/// SSE4.1), else 0.
int cintrinsics_crc32_folding_available(void);

/// Advances a CRC-32 (zlib polynomial, reflected) register `state` — the complement of the
/// running checksum, as a table-driven loop keeps it — over the first `length` bytes of `bytes`,
/// which must be a multiple of 16 and at least 64. Call only when folding is available.
uint32_t cintrinsics_crc32_fold(uint32_t state, const void *bytes, size_t length);

/// Asks the processor to bring the cache line holding `address` closer, for a write soon:
/// a hash table probe issued a few keys ahead then finds its slot in cache.
static inline void cintrinsics_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
