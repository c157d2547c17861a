#include "cicu_shim.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utf8.h>
#include <unicode/utf16.h>
#include <unicode/utext.h>
#include <unicode/utrans.h>
#include <unicode/unorm2.h>
#include <unicode/ucsdet.h>
#include <unicode/ucnv.h>

struct cicu_word_breaker {
    UBreakIterator *iterator;
    UText *text;  // unused since text is handed over as UTF-16; kept for close
    // The window as UTF-16, and for each UTF-16 index (and one past the end) the UTF-8
    // offset it came from: ICU's break engines work on UTF-16, and a UTF-8 UText makes
    // them map indexes back and forth on every character.
    UChar *units;
    int32_t *offsets;
    int32_t capacity;
};

cicu_word_breaker *cicu_word_breaker_open(const char *locale, int32_t *error) {
    UErrorCode status = U_ZERO_ERROR;
    UBreakIterator *iterator = ubrk_open(UBRK_WORD, locale, NULL, 0, &status);
    if (U_FAILURE(status)) {
        if (error) *error = (int32_t)status;
        return NULL;
    }
    cicu_word_breaker *breaker = calloc(1, sizeof(cicu_word_breaker));
    if (!breaker) {
        ubrk_close(iterator);
        if (error) *error = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    breaker->iterator = iterator;
    if (error) *error = 0;
    return breaker;
}

void cicu_word_breaker_close(cicu_word_breaker *breaker) {
    if (!breaker) return;
    if (breaker->text) utext_close(breaker->text);
    ubrk_close(breaker->iterator);
    free(breaker->units);
    free(breaker->offsets);
    free(breaker);
}

int32_t cicu_word_breaker_segment(cicu_word_breaker *breaker,
                                  const uint8_t *text, int32_t length,
                                  int32_t *starts, int32_t *ends, int32_t *statuses,
                                  int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    // At most one UTF-16 unit per UTF-8 byte, plus the end.
    if (breaker->capacity < length + 1) {
        int32_t grown = length + 1 > 1024 ? length + 1 : 1024;
        UChar *units = realloc(breaker->units, sizeof(UChar) * (size_t)grown);
        if (!units) return -(int32_t)U_MEMORY_ALLOCATION_ERROR;
        breaker->units = units;
        int32_t *offsets = realloc(breaker->offsets, sizeof(int32_t) * (size_t)grown);
        if (!offsets) return -(int32_t)U_MEMORY_ALLOCATION_ERROR;
        breaker->offsets = offsets;
        breaker->capacity = grown;
    }
    UChar *units = breaker->units;
    int32_t *offsets = breaker->offsets;
    int32_t n = 0;
    for (int32_t i = 0; i < length;) {
        UChar32 c;
        int32_t at = i;
        U8_NEXT(text, i, length, c);
        if (c < 0) c = 0xFFFD;
        if (c <= 0xFFFF) {
            offsets[n] = at;
            units[n++] = (UChar)c;
        } else {
            offsets[n] = at;
            units[n++] = U16_LEAD(c);
            offsets[n] = at;
            units[n++] = U16_TRAIL(c);
        }
    }
    offsets[n] = length;
    ubrk_setText(breaker->iterator, units, n, &status);
    if (U_FAILURE(status)) return -(int32_t)status;
    int32_t count = 0;
    int32_t start = ubrk_first(breaker->iterator);
    for (int32_t end = ubrk_next(breaker->iterator); end != UBRK_DONE;
         start = end, end = ubrk_next(breaker->iterator)) {
        if (count >= capacity) break;
        starts[count] = offsets[start];
        ends[count] = offsets[end];
        statuses[count] = ubrk_getRuleStatus(breaker->iterator);
        count++;
    }
    return count;
}

int32_t cicu_nfkc_casefold(const uint16_t *text, int32_t length,
                           uint16_t *output, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status)) return -(int32_t)status;
    int32_t written = unorm2_normalize(normalizer, (const UChar *)text, length,
                                       (UChar *)output, capacity, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) return written;
    if (U_FAILURE(status)) return -(int32_t)status;
    return written;
}

struct cicu_transliterator {
    UTransliterator *transliterator;
};

cicu_transliterator *cicu_transliterator_open(const char *identifier, int32_t *error) {
    UChar id[128];
    size_t n = strlen(identifier);
    if (n >= sizeof(id) / sizeof(id[0])) {
        if (error) *error = (int32_t)U_ILLEGAL_ARGUMENT_ERROR;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) id[i] = (UChar)(unsigned char)identifier[i];
    UErrorCode status = U_ZERO_ERROR;
    UTransliterator *t = utrans_openU(id, (int32_t)n, UTRANS_FORWARD, NULL, 0, NULL, &status);
    if (U_FAILURE(status)) {
        if (error) *error = (int32_t)status;
        return NULL;
    }
    cicu_transliterator *result = calloc(1, sizeof(cicu_transliterator));
    if (!result) {
        utrans_close(t);
        if (error) *error = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    result->transliterator = t;
    if (error) *error = 0;
    return result;
}

void cicu_transliterator_close(cicu_transliterator *transliterator) {
    if (!transliterator) return;
    utrans_close(transliterator->transliterator);
    free(transliterator);
}

int32_t cicu_transliterate(cicu_transliterator *transliterator,
                           const uint16_t *text, int32_t length,
                           uint16_t *output, int32_t capacity) {
    if (length > capacity) return -(int32_t)U_BUFFER_OVERFLOW_ERROR;
    memcpy(output, text, (size_t)length * sizeof(uint16_t));
    int32_t textLength = length;
    int32_t limit = length;
    UErrorCode status = U_ZERO_ERROR;
    utrans_transUChars(transliterator->transliterator, (UChar *)output, &textLength,
                       capacity, 0, &limit, &status);
    if (U_FAILURE(status)) return -(int32_t)status;
    return textLength;
}

int32_t cicu_detect_charset(const uint8_t *text, int32_t length, char *name, int32_t name_capacity) {
    UErrorCode status = U_ZERO_ERROR;
    UCharsetDetector *detector = ucsdet_open(&status);
    if (U_FAILURE(status)) return -(int32_t)status;
    ucsdet_setText(detector, (const char *)text, length, &status);
    const UCharsetMatch *match = U_SUCCESS(status) ? ucsdet_detect(detector, &status) : NULL;
    int32_t confidence = -1;
    if (match && U_SUCCESS(status)) {
        const char *found = ucsdet_getName(match, &status);
        confidence = ucsdet_getConfidence(match, &status);
        if (U_SUCCESS(status) && found) {
            strncpy(name, found, (size_t)name_capacity - 1);
            name[name_capacity - 1] = 0;
        } else {
            confidence = -1;
        }
    }
    ucsdet_close(detector);
    return U_FAILURE(status) ? -(int32_t)status : confidence;
}

int32_t cicu_convert_to_utf8(const char *charset, const uint8_t *text, int32_t length,
                             uint8_t *output, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t written = ucnv_convert("UTF-8", charset, (char *)output, capacity,
                                   (const char *)text, length, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR || status == U_STRING_NOT_TERMINATED_WARNING) return written;
    if (U_FAILURE(status)) return -(int32_t)status;
    return written;
}
