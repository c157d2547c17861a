import Analysis
import Index

/// A piece of a document's original text around a match.
public struct Snippet: Sendable, Equatable {
    /// The text, in the document's own script, with pronunciation annotations left out
    /// and line breaks shown as spaces.
    public var text: String
    /// UTF-8 byte ranges of `text` that matched the query.
    public var highlights: [Range<Int>]
    /// 1-based line of the match in the document.
    public var line: Int
    /// Byte range of the match in the original document.
    public var originalRange: Range<Int>
}

/// Finds where a query matches a document and cuts a snippet around it, without ICU:
/// the document is only normalised (fold + annotation removal), then searched for the
/// normalised query parts, longest first, falling back to single terms.
public struct SnippetMaker {
    public let normalizer: Normalizer
    public var charactersBefore = 24
    public var charactersAfter = 56

    public init(normalizer: Normalizer) {
        self.normalizer = normalizer
    }

    public func snippet(for plan: QueryPlan, in original: [UInt8]) -> Snippet? {
        let normalized = original.withUnsafeBufferPointer { normalizer.normalize($0) }
        let text = normalized.bytes
        // Each part as written, then without its spaces (a quoted phrase matches across them).
        var needles: [[UInt8]] = plan.parts.map { trimmed($0.normalized) }.filter { !$0.isEmpty }
        needles += plan.parts.map { $0.normalized.filter { $0 != 0x20 } }.filter { !$0.isEmpty }
        needles += plan.terms.map(\.bytes).sorted { $0.count > $1.count }
        var match: Range<Int>? = nil
        for needle in needles {
            if let r = find(needle, in: text) { match = r; break }
        }
        guard let match else { return nil }
        // Window: back and forward by characters, never across a line break.
        var start = match.lowerBound
        var chars = 0
        while start > 0 && chars < charactersBefore {
            var j = start - 1
            while j > 0 && text[j] & 0xC0 == 0x80 { j -= 1 }
            if text[j] == 0x0A { break }
            start = j
            chars += 1
        }
        var end = match.upperBound
        chars = 0
        while end < text.count && chars < charactersAfter && text[end] != 0x0A {
            end += 1
            while end < text.count && text[end] & 0xC0 == 0x80 { end += 1 }
            chars += 1
        }
        var highlight: Range<Int>? = nil
        let out = Self.render(original, normalized: normalized, from: start, to: end, flattenLines: true) { i, written in
            if i == match.lowerBound { highlight = written..<written }
            if i == match.upperBound, let h = highlight { highlight = h.lowerBound..<written }
        }
        let originalRange = normalized.originalRange(match.lowerBound, match.upperBound)
        let line = 1 + original[..<originalRange.lowerBound].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return Snippet(text: String(decoding: out, as: UTF8.self), highlights: highlight.map { [$0] } ?? [],
                       line: line, originalRange: originalRange)
    }

    /// The original text behind normalised bytes `start..<end`, each original character once,
    /// in its own script: pronunciation annotations (which map to nothing) are left out.
    /// `mark(i, written)` is called at every normalised index with the output length so far.
    public static func render(_ original: [UInt8], normalized: NormalizedText, from start: Int, to end: Int,
                              flattenLines: Bool, mark: (Int, Int) -> Void = { _, _ in }) -> [UInt8] {
        var out: [UInt8] = []
        var lastOriginal: Int32 = -1
        var i = start
        while i < end {
            mark(i, out.count)
            let os = normalized.originalStart[i], oe = normalized.originalEnd[i]
            if os != lastOriginal {
                for b in original[Int(os)..<Int(oe)] {
                    out.append(flattenLines && (b == 0x0A || b == 0x0D || b == 0x09) ? 0x20 : b)
                }
                lastOriginal = os
            }
            i += 1
        }
        mark(end, out.count)
        return out
    }

    private func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var s = bytes[...]
        while let f = s.first, f == 0x20 || f == 0x0A || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x0A || l == 0x09 { s = s.dropLast() }
        return Array(s)
    }

    func find(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i..<(i + needle.count) }
            }
            i += 1
        }
        return nil
    }
}
