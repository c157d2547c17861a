import CICUShim

/// One segment found by ICU's word break rules, in bytes of the text it was given.
public struct WordSegment: Sendable, Equatable {
    public var start: Int
    public var end: Int
    /// ICU's rule status: 0–99 none (spaces, punctuation), 100–199 number,
    /// 200–299 letter, 300–399 kana, 400–499 ideographic.
    public var status: Int32
}

public struct ICUError: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String { "ICU error \(code)" }
}

/// ICU's word break iterator (`UBRK_WORD`, locale `zh`, dictionary-based for Han), reused
/// for every text. Texts are cut into windows of at most `maxWindowBytes`, preferably at
/// white space or punctuation, because ICU's dictionary break slows down sharply on very
/// long runs of Han text. Not thread-safe: one per thread.
public final class WordBreaker {
    public static let maxWindowBytes = 1024
    /// How far back from a window's limit to look for a clean cut.
    static let cutSearchBytes = 512

    private let breaker: OpaquePointer
    private var starts = [Int32](repeating: 0, count: WordBreaker.maxWindowBytes)
    private var ends = [Int32](repeating: 0, count: WordBreaker.maxWindowBytes)
    private var statuses = [Int32](repeating: 0, count: WordBreaker.maxWindowBytes)

    public init(locale: String = "zh") throws {
        var error: Int32 = 0
        guard let b = cicu_word_breaker_open(locale, &error) else { throw ICUError(code: error) }
        breaker = b
    }

    deinit { cicu_word_breaker_close(breaker) }

    /// Segments UTF-8 text, replacing the contents of `segments` with its segments in order.
    public func segment(_ text: UnsafeBufferPointer<UInt8>, into segments: inout [WordSegment]) {
        segments.removeAll(keepingCapacity: true)
        Self.forEachWindow(of: text) { read(text, $0, into: &segments) }
    }

    /// Segments UTF-8 text as `segment(_:into:)` does, but finds only the segments that hold
    /// no Han character, without ICU ever reading Han text (its dictionary walk is most of
    /// ICU's cost, and an index needs none of its Han words: bigrams stand for them).
    /// Segments with Han characters may still appear (windows that ICU reads whole, below);
    /// the caller drops them. Windows are those of `segment(_:into:)`. Within a window ICU
    /// reads on its own each stretch between Han characters that holds an ASCII letter, digit,
    /// underscore or @ (ICU makes words of 第____條's blank and of @@@); stretches of
    /// punctuation and spaces hold no word and are not read. That gives the same segments as reading the
    /// window whole because a Han character never joins its neighbour in ICU's word rules
    /// (UAX #29 has no rule across Han; ICU hands a run of Han to its dictionary, which ends
    /// where the Han ends), except next to kana, Thai and the like (one dictionary run with
    /// the Han), combining marks and format characters (which attach to the Han before them)
    /// and the many symbols ICU counts as letters: a window holding any non-ASCII character
    /// other than Han and `isInert`'s punctuation and symbols is read whole. A test checks this against
    /// `segment(_:into:)` on random mixtures and real documents.
    public func segmentOutsideHan(_ text: UnsafeBufferPointer<UInt8>, into segments: inout [WordSegment]) {
        segments.removeAll(keepingCapacity: true)
        Self.forEachWindow(of: text) { readOutsideHan(text, $0, into: &segments) }
    }

    /// One window of `segmentOutsideHan`, in one pass: the stretches to read, unless a
    /// character forces reading the window whole.
    private func readOutsideHan(_ text: UnsafeBufferPointer<UInt8>, _ window: Range<Int>, into segments: inout [WordSegment]) {
        stretches.removeAll(keepingCapacity: true)
        var stretchStart = window.lowerBound
        var stretchHasWord = false
        var i = window.lowerBound
        while i < window.upperBound {
            let b = text[i]
            if b < 0x80 {
                if Self.isWordByte(b) { stretchHasWord = true }
                i += 1
                continue
            }
            let (v, len, _) = UTF8Decoding.decode(text, at: i)
            if CharClass.isHan(v) {
                if stretchHasWord { stretches.append(stretchStart..<i) }
                stretchStart = i + len
                stretchHasWord = false
            } else if !Self.isInert(v) {
                read(text, window, into: &segments)
                return
            }
            i += len
        }
        if stretchHasWord { stretches.append(stretchStart..<window.upperBound) }
        for stretch in stretches { read(text, stretch, into: &segments) }
    }

    /// Runs `body` on each window ICU reads `text` in, in order (`windowEnd`).
    private static func forEachWindow(of text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        while start < text.count {
            let end = windowEnd(text, from: start)
            body(start..<end)
            start = end
        }
    }

    private var stretches: [Range<Int>] = []

    /// The ASCII characters ICU makes words of: letters, digits, `_` and `@`.
    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool {
        let isDigit = b >= 0x30 && b <= 0x39
        let isLetter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
        return isDigit || isLetter || b == 0x5F || b == 0x40
    }

    /// Non-ASCII characters that ICU never makes a word of and never joins to a neighbour:
    /// the punctuation and symbols of Chinese text (after NFKC folding), checked one by one
    /// against ICU by a test. Any other non-ASCII character but Han makes its window be
    /// read whole.
    static func isInert(_ v: UInt32) -> Bool {
        switch v {
        case 0xA0...0xA9, 0xAB, 0xAC, 0xAE...0xB1, 0xB4, 0xB6, 0xB8, 0xBB, 0xBF, 0xD7, 0xF7,
             0x2010...0x2027, 0x2030...0x203E, 0x2041...0x2053, 0x2055...0x205E,
             0x2190...0x23FF, 0x2500...0x25FF, 0x3000...0x3004, 0x3008...0x3020, 0xFFFD:
            return true
        default:
            return false
        }
    }

    /// ICU's segments of `text[range]`, appended with offsets into `text`.
    private func read(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into segments: inout [WordSegment]) {
        let count = starts.withUnsafeMutableBufferPointer { s in
            ends.withUnsafeMutableBufferPointer { e in
                statuses.withUnsafeMutableBufferPointer { st in
                    cicu_word_breaker_segment(
                        breaker, text.baseAddress! + range.lowerBound, Int32(range.count),
                        s.baseAddress, e.baseAddress, st.baseAddress, Int32(s.count))
                }
            }
        }
        guard count > 0 else { return }
        for k in 0..<Int(count) {
            segments.append(WordSegment(start: range.lowerBound + Int(starts[k]), end: range.lowerBound + Int(ends[k]), status: statuses[k]))
        }
    }

    public func segments(_ text: String) -> [WordSegment] {
        var copy = text
        var result: [WordSegment] = []
        copy.withUTF8 { buffer in segment(buffer, into: &result) }
        return result
    }

    /// The end of the window that starts at `start`: the whole rest when it fits, else just
    /// after the last break character in the final `cutSearchBytes`, else the last
    /// character boundary before the limit.
    static func windowEnd(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let limit = start + maxWindowBytes
        if limit >= text.count { return text.count }
        return TextChunker.end(ofLast: CharClass.isWindowBreak, in: text, from: start, floor: limit - cutSearchBytes, limit: limit)
            ?? TextChunker.characterBoundary(in: text, from: start, atOrBefore: limit)
    }
}
