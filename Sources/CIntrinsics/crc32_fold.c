// CRC-32 by folding with carry-less multiplication (the method of Intel's white paper "Fast
// CRC Computation for Generic Polynomials Using PCLMULQDQ"): four 128-bit lanes absorb 64
// bytes a step, are folded into one, and a Barrett reduction turns the last 64 bits into
// the 32-bit remainder. The constants are powers of x modulo the bit-reflected polynomial
// 0x1DB710641, as that paper derives them; the Swift side handles tails and other CPUs
// with its tables.
#include "cintrinsics.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <cpuid.h>

int cintrinsics_crc32_folding_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_PCLMUL) && (ecx & bit_SSE4_1) ? 1 : 0;
}

// One lane folded forward over 128 (or 512) bits with the pair of constants in `k`, and
// the next 16 bytes added in.
__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i lane, __m128i k, __m128i next) {
    __m128i low = _mm_clmulepi64_si128(lane, k, 0x00);
    __m128i high = _mm_clmulepi64_si128(lane, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

__attribute__((target("pclmul,sse4.1")))
uint32_t cintrinsics_crc32_fold(uint32_t state, const void *bytes, size_t length) {
    const uint8_t *p = (const uint8_t *)bytes;
    // x^(4·128+32), x^(4·128−32) — folding across 512 bits; x^(128+32), x^(128−32) across 128.
    const __m128i across512 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i across128 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
    const __m128i x64 = _mm_set_epi64x(0, 0x163cd6124);
    const __m128i barrett = _mm_set_epi64x(0x1f7011641, 0x1db710641);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);

    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)state));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    length -= 64;
    while (length >= 64) {
        a = fold(a, across512, _mm_loadu_si128((const __m128i *)p));
        b = fold(b, across512, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = fold(c, across512, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = fold(d, across512, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        length -= 64;
    }
    a = fold(a, across128, b);
    a = fold(a, across128, c);
    a = fold(a, across128, d);
    while (length >= 16) {
        a = fold(a, across128, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        length -= 16;
    }
    // 128 → 64 bits: the low half times x^(128−32), added to the high half.
    a = _mm_xor_si128(_mm_srli_si128(a, 8), _mm_clmulepi64_si128(a, across128, 0x10));
    // 64 → 32 bits, appending the 32 zero bits a CRC's definition multiplies by.
    a = _mm_xor_si128(_mm_srli_si128(a, 4), _mm_clmulepi64_si128(_mm_and_si128(a, mask32), x64, 0x00));
    // Barrett reduction: quotient from μ, remainder by the polynomial.
    __m128i t = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(a, mask32), barrett, 0x10), mask32);
    t = _mm_clmulepi64_si128(t, barrett, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(a, t), 1);
}

#else

int cintrinsics_crc32_folding_available(void) { return 0; }

uint32_t cintrinsics_crc32_fold(uint32_t state, const void *bytes, size_t length) {
    (void)bytes; (void)length;
    return state;
}

#endif
