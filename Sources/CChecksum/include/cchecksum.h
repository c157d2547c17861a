#ifndef CCHECKSUM_H
#define CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can fold CRC-32 with carry-less multiplication (x86-64 with PCLMULQDQ and
/// SSE4.1), else 0.
int cchecksum_crc32_folding_available(void);

/// Advances a CRC-32 (zlib polynomial, reflected) register `state` — the complement of the
/// running checksum, as a table-driven loop keeps it — over the first `length` bytes of `bytes`,
/// which must be a multiple of 16 and at least 64. Call only when folding is available.
uint32_t cchecksum_crc32_fold(uint32_t state, const void *bytes, size_t length);

#endif
