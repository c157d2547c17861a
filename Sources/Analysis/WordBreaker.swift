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
        var windowStart = 0
        let n = text.count
        while windowStart < n {
            let windowEnd = Self.windowEnd(text, from: windowStart)
            let count = starts.withUnsafeMutableBufferPointer { s in
                ends.withUnsafeMutableBufferPointer { e in
                    statuses.withUnsafeMutableBufferPointer { st in
                        cicu_word_breaker_segment(
                            breaker, text.baseAddress! + windowStart, Int32(windowEnd - windowStart),
                            s.baseAddress, e.baseAddress, st.baseAddress, Int32(s.count))
                    }
                }
            }
            if count > 0 {
                for k in 0..<Int(count) {
                    segments.append(WordSegment(start: windowStart + Int(starts[k]), end: windowStart + Int(ends[k]), status: statuses[k]))
                }
            }
            windowStart = windowEnd
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
        var i = limit
        let floor = limit - cutSearchBytes
        while i > floor {
            // Find the start of the character that ends at i.
            var j = i - 1
            while j > start, text[j] & 0xC0 == 0x80 { j -= 1 }
            let (v, _, _) = UTF8Decoding.decode(text, at: j)
            if CharClass.isWindowBreak(v) { return i }
            i = j
        }
        var cut = limit
        while cut > start + 1, text[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
