/// Text after the character filters, with a map from every byte back to the original.
///
/// `bytes` is UTF-8. For each byte `i`, `originalStart[i]..<originalEnd[i]` is the byte
/// range of the original character it came from, so any token range in normalised text
/// maps to original offsets as `originalStart[start] ..< originalEnd[end - 1]`.
public struct NormalizedText: Sendable {
    public var bytes: [UInt8] = []
    public var originalStart: [Int32] = []
    public var originalEnd: [Int32] = []
    /// Invalid UTF-8 sequences replaced by U+FFFD.
    public var invalidSequences = 0
    /// Pronunciation annotations removed, such as `(fù)` after 復.
    public var annotationsRemoved = 0
    /// The same text before Traditional→Simplified folding, byte for byte aligned with
    /// `bytes` (a character kept in its own script only when both forms have the same UTF-8
    /// length, as every CJK pair does): what ICU segments documents on, since its dictionary
    /// knows some words only in their Traditional form. Empty when nothing was folded to
    /// Simplified, or when not asked for (`Normalizer.normalize(_:originalOffset:keepingOffsets:keepingScript:)`).
    public var ownScript: [UInt8] = []

    /// The text ICU segments: `ownScript` when there is one, else `bytes`.
    public var segmentationBytes: [UInt8] { ownScript.isEmpty ? bytes : ownScript }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The original byte range of normalised bytes `start..<end` (end > start).
    @inline(__always)
    public func originalRange(_ start: Int, _ end: Int) -> Range<Int> {
        Int(originalStart[start])..<Int(originalEnd[end - 1])
    }
}

/// The character filters of the analysis chain, applied in one pass:
/// 1. invalid UTF-8 becomes U+FFFD (counted);
/// 2. inline pronunciation annotations are removed: a Han character followed by a
///    parenthesised pinyin syllable that carries a tone mark, as in `復(fù)工`.
///    Parentheses holding anything else (`(一)`, `(2020)`, `（作者單位：…）`) stay;
/// 3. each character is folded by `CharacterFolder` (NFKC case folding, then
///    Traditional→Simplified).
public struct Normalizer {
    public let folder: CharacterFolder

    public init(folder: CharacterFolder = CharacterFolder()) {
        self.folder = folder
    }

    public func normalize(_ text: String) -> NormalizedText {
        var copy = text
        return copy.withUTF8 { normalize($0) }
    }

    /// `originalOffset` is added to every original offset: where `input` starts in a larger
    /// text it was cut from. Without `keepingOffsets` the map back to the original is left
    /// empty (indexing never reads it, and it is two words written for every byte). With
    /// `keepingScript`, `ownScript` keeps the characters that were
    /// folded to Simplified as they were.
    public func normalize(_ input: UnsafeBufferPointer<UInt8>, originalOffset: Int32 = 0, keepingOffsets: Bool = true,
                          keepingScript: Bool = false) -> NormalizedText {
        if !keepingOffsets && !keepingScript, let result = normalizeTextOnly(input) { return result }
        var result = NormalizedText()
        let n = input.count
        result.bytes.reserveCapacity(n)
        if keepingOffsets {
            result.originalStart.reserveCapacity(n)
            result.originalEnd.reserveCapacity(n)
        }
        var folded: [UInt32] = []
        folded.reserveCapacity(8)
        var previousWasHan = false
        // (offset in `bytes` << 32 | original scalar) of each character folded to Simplified.
        var unfolded: [UInt64] = []
        var i = 0
        while i < n {
            let (scalar, length, valid) = UTF8Decoding.decode(input, at: i)
            if !valid { result.invalidSequences += 1 }
            if previousWasHan, scalar == 0x28 || scalar == 0xFF08,
               let annotationEnd = Self.pinyinAnnotationEnd(input, openingAt: i, length: length) {
                result.annotationsRemoved += 1
                i = annotationEnd
                previousWasHan = false
                continue
            }
            previousWasHan = CharClass.isHan(scalar)
            let start = originalOffset + Int32(i), end = originalOffset + Int32(i + length)
            if let single = folder.foldedScalar(scalar) {
                if keepingScript && single != scalar && CharClass.isBasicHan(scalar) && UTF8Decoding.encodedLength(single) == 3 {
                    // Folded to Simplified: the own-script copy will hold the original here.
                    unfolded.append(UInt64(result.bytes.count) << 32 | UInt64(scalar))
                }
                append(single, start, end, keepingOffsets, to: &result)
            } else {
                folded.removeAll(keepingCapacity: true)
                folder.fold(scalar, into: &folded)
                for v in folded { append(v, start, end, keepingOffsets, to: &result) }
            }
            i += length
        }
        if !unfolded.isEmpty {
            // One copy, patched where a three-byte character replaced another.
            result.ownScript = result.bytes
            result.ownScript.withUnsafeMutableBufferPointer { out in
                for entry in unfolded {
                    let at = Int(entry >> 32), v = UInt32(truncatingIfNeeded: entry)
                    out[at] = UInt8(0xE0 | (v >> 12))
                    out[at + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
                    out[at + 2] = UInt8(0x80 | (v & 0x3F))
                }
            }
        }
        return result
    }

    /// `normalize` when only the text is wanted (the index's analysis): the same filters, the
    /// output written through a pointer into storage half again the input's size (appending
    /// byte by byte, with a capacity check each, was a third of the filter's time). Nil in
    /// the rare text whose folds outgrow that (compatibility forms that expand, in bulk):
    /// the general path then runs.
    private func normalizeTextOnly(_ input: UnsafeBufferPointer<UInt8>) -> NormalizedText? {
        let n = input.count
        let capacity = n + n / 2 + 16
        var result = NormalizedText()
        var complete = true
        var invalid = 0, annotations = 0
        var folded: [UInt32] = []
        result.bytes = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            let base = out.baseAddress!
            var o = 0, i = 0
            var previousWasHan = false
            while i < n {
                let (scalar, length, valid) = UTF8Decoding.decode(input, at: i)
                if !valid { invalid += 1 }
                if previousWasHan, scalar == 0x28 || scalar == 0xFF08,
                   let annotationEnd = Self.pinyinAnnotationEnd(input, openingAt: i, length: length) {
                    annotations += 1
                    i = annotationEnd
                    previousWasHan = false
                    continue
                }
                previousWasHan = CharClass.isHan(scalar)
                if let single = folder.foldedScalar(scalar) {
                    guard o + 4 <= capacity else { complete = false; break }
                    o = UTF8Decoding.put(single, into: base, at: o)
                } else {
                    folded.removeAll(keepingCapacity: true)
                    folder.fold(scalar, into: &folded)
                    guard o + 4 * folded.count <= capacity else { complete = false; break }
                    for v in folded { o = UTF8Decoding.put(v, into: base, at: o) }
                }
                i += length
            }
            count = o
        }
        guard complete else { return nil }
        result.invalidSequences = invalid
        result.annotationsRemoved = annotations
        return result
    }

    /// Appends one folded scalar as UTF-8, each byte mapped to the original `start..<end`.
    @inline(__always)
    private func append(_ v: UInt32, _ start: Int32, _ end: Int32, _ keepingOffsets: Bool, to result: inout NormalizedText) {
        let count = UTF8Decoding.encodedLength(v)
        UTF8Decoding.append(v, to: &result.bytes)
        guard keepingOffsets else { return }
        for _ in 0..<count {
            result.originalStart.append(start)
            result.originalEnd.append(end)
        }
    }

    /// Pinyin letters: a–z, ü, and the vowels (and n, m) with tone marks.
    /// Returns 2 for a letter carrying a tone mark, 1 for a plain letter, 0 otherwise.
    @inline(__always)
    static func pinyinLetterClass(_ v: UInt32) -> Int {
        if v >= 0x61 && v <= 0x7A { return 1 }
        switch v {
        case 0xFC: return 1  // ü
        case 0x101, 0xE1, 0x1CE, 0xE0,  // ā á ǎ à
             0x113, 0xE9, 0x11B, 0xE8,  // ē é ě è
             0x12B, 0xED, 0x1D0, 0xEC,  // ī í ǐ ì
             0x14D, 0xF3, 0x1D2, 0xF2,  // ō ó ǒ ò
             0x16B, 0xFA, 0x1D4, 0xF9,  // ū ú ǔ ù
             0x1D6, 0x1D8, 0x1DA, 0x1DC,  // ǖ ǘ ǚ ǜ
             0x144, 0x148, 0x1F9, 0x1E3F:  // ń ň ǹ ḿ
            return 2
        default: return 0
        }
    }

    /// If a pinyin annotation opens at `i` (an opening parenthesis of `length` bytes),
    /// returns the index just past its closing parenthesis.
    static func pinyinAnnotationEnd(_ input: UnsafeBufferPointer<UInt8>, openingAt i: Int, length: Int) -> Int? {
        var j = i + length
        var letters = 0
        var toneMarks = 0
        while j < input.count, letters <= 7 {
            let (v, len, _) = UTF8Decoding.decode(input, at: j)
            if v == 0x29 || v == 0xFF09 {
                return letters >= 1 && toneMarks >= 1 ? j + len : nil
            }
            switch pinyinLetterClass(v) {
            case 1: letters += 1
            case 2: letters += 1; toneMarks += 1
            default: return nil
            }
            j += len
        }
        return nil
    }
}
