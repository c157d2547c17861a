// The narrow C surface this project uses from ICU. No ICU type crosses it: ICU's
// symbols are versioned (ubrk_open_72) and its UErrorCode clashes with Foundation's
// when a Swift module sees both headers, so Swift only ever sees this file.
#ifndef CICU_SHIM_H
#define CICU_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque ICU word break iterator, reusable across texts.
typedef struct cicu_word_breaker cicu_word_breaker;

/// Opens a word break iterator for `locale` (e.g. "zh"). Returns NULL and sets
/// `*error` to ICU's error code on failure.
cicu_word_breaker *cicu_word_breaker_open(const char *locale, int32_t *error);
void cicu_word_breaker_close(cicu_word_breaker *breaker);

/// Segments `length` bytes of UTF-8 text. For each segment writes its start and end
/// (UTF-8 byte offsets into `text`) and ICU's rule status (0-99 none, 100-199 number,
/// 200-299 letter, 300-399 kana, 400-499 ideographic). At most `capacity` segments
/// are written; a text of n bytes has at most n segments. Returns the number of
/// segments, or a negative ICU error code.
int32_t cicu_word_breaker_segment(cicu_word_breaker *breaker,
                                  const uint8_t *text, int32_t length,
                                  int32_t *starts, int32_t *ends, int32_t *statuses,
                                  int32_t capacity);

/// NFKC case folding of UTF-16 text. Returns the output length in UTF-16 units
/// (which may exceed `capacity`; then nothing useful was written), or a negative error.
int32_t cicu_nfkc_casefold(const uint16_t *text, int32_t length,
                           uint16_t *output, int32_t capacity);

/// An opaque ICU transliterator (e.g. "Traditional-Simplified").
typedef struct cicu_transliterator cicu_transliterator;
cicu_transliterator *cicu_transliterator_open(const char *identifier, int32_t *error);
void cicu_transliterator_close(cicu_transliterator *transliterator);

/// Transliterates UTF-16 text into `output`. Returns the output length, or a negative
/// error (including when `capacity` is too small).
int32_t cicu_transliterate(cicu_transliterator *transliterator,
                           const uint16_t *text, int32_t length,
                           uint16_t *output, int32_t capacity);

/// Guesses the character set of `length` bytes (ICU's charset detection). Writes its
/// name (NUL-terminated) into `name` and returns the confidence (0–100), or a negative
/// error.
int32_t cicu_detect_charset(const uint8_t *text, int32_t length, char *name, int32_t name_capacity);

/// Converts `length` bytes in `charset` to UTF-8. Returns the output length (which may
/// exceed `capacity`; then call again with a larger buffer), or a negative error.
int32_t cicu_convert_to_utf8(const char *charset, const uint8_t *text, int32_t length,
                             uint8_t *output, int32_t capacity);

#ifdef __cplusplus
}
#endif
#endif
