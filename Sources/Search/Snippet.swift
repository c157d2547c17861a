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

    public func snippet(for plan: QueryPlan, in original: [UInt8], mayContainParts: Bool = true) -> Snippet? {
        snippets(for: plan, in: original, limit: 1, mayContainParts: mayContainParts).first
    }

    /// Up to `limit` snippets from different lines, in document order, each with every match
    /// inside it highlighted. Matches are the query's parts as written (then without their
    /// spaces); where no part occurs, its terms.
    ///
    /// The document is normalised and searched a piece at a time (pieces end at line breaks,
    /// which no match or window crosses), stopping once `limit` snippets are found: the first
    /// snippets of a long document cost a fraction of it. `mayContainParts: false` (a hit that
    /// does not contain the query's only part, which the index has already decided) goes
    /// straight to the terms.
    public func snippets(for plan: QueryPlan, in original: [UInt8], limit: Int = 3, mayContainParts: Bool = true) -> [Snippet] {
        var parts: [[UInt8]] = plan.parts.map { trimmed($0.normalized) }.filter { !$0.isEmpty }
        parts += plan.parts.map { $0.normalized.filter { $0 != 0x20 } }.filter { !$0.isEmpty && !parts.contains($0) }
        let bounds = Self.pieces(of: original)
        var pieces = [NormalizedText?](repeating: nil, count: bounds.count)
        func piece(_ p: Int) -> NormalizedText {
            if let done = pieces[p] { return done }
            let normalized = original[bounds[p]].withUnsafeBufferPointer {
                normalizer.normalize($0, originalOffset: Int32(bounds[p].lowerBound))
            }
            pieces[p] = normalized
            return normalized
        }
        func search(_ needles: [[UInt8]]) -> (snippets: [Snippet], anyMatch: Bool) {
            var result: [Snippet] = []
            var anyMatch = false
            for p in bounds.indices where result.count < limit {
                let normalized = piece(p)
                let matches = findAll(needles, in: normalized.bytes)
                if matches.isEmpty { continue }
                anyMatch = true
                result += cut(matches, in: normalized, original: original, limit: limit - result.count)
            }
            return (result, anyMatch)
        }
        if mayContainParts && !parts.isEmpty {
            let found = search(parts)
            if found.anyMatch { return found.snippets }
        }
        return search(plan.terms.map(\.bytes)).snippets
    }

    /// Pieces of about `pieceBytes` that end just after a line break (or at the end).
    static let pieceBytes = 8 << 10
    static func pieces(of original: [UInt8]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        while start < original.count {
            var end = min(original.count, start + pieceBytes)
            while end < original.count && original[end - 1] != 0x0A { end += 1 }
            result.append(start..<end)
            start = end
        }
        return result
    }

    /// Snippets around `matches` (in text order) of one normalised piece, each from a line
    /// after the one before.
    private func cut(_ matches: [Range<Int>], in normalized: NormalizedText, original: [UInt8], limit: Int) -> [Snippet] {
        let text = normalized.bytes
        var result: [Snippet] = []
        var usedUntil = -1  // a later snippet starts past the line of the one before
        for match in matches where result.count < limit && match.lowerBound > usedUntil {
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
            var lineEnd = end
            while lineEnd < text.count && text[lineEnd] != 0x0A { lineEnd += 1 }
            usedUntil = lineEnd
            let inside = matches.filter { $0.lowerBound >= start && $0.upperBound <= end }
            var highlights: [Range<Int>] = []
            var open: Int? = nil
            let out = Self.render(original, normalized: normalized, from: start, to: end, flattenLines: true) { i, written in
                if let o = open, inside.contains(where: { $0.upperBound == i }) {
                    highlights.append(o..<written)
                    open = nil
                }
                if open == nil, inside.contains(where: { $0.lowerBound == i }) { open = written }
            }
            let originalRange = normalized.originalRange(match.lowerBound, match.upperBound)
            let line = 1 + original[..<originalRange.lowerBound].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            result.append(Snippet(text: String(decoding: out, as: UTF8.self), highlights: highlights,
                                  line: line, originalRange: originalRange))
        }
        return result
    }

    /// Every occurrence of the needles (longest first where they overlap), in text order.
    ///
    /// One pass over the text finds every occurrence of every needle (a bitmap of the
    /// needles' first two bytes rules out most places at once: a query holds dozens of
    /// terms, and searching the text once per term cost milliseconds a hit on long
    /// documents); they are then taken longest needle first, each kept unless it overlaps
    /// one kept before.
    func findAll(_ needles: [[UInt8]], in text: [UInt8]) -> [Range<Int>] {
        let needles = needles.filter { !$0.isEmpty && $0.count <= text.count }
        guard !needles.isEmpty else { return [] }
        // Rank: longest first, ties in the given order.
        let order = needles.indices.sorted { (needles[$0].count, $1) > (needles[$1].count, $0) }
        // Needles of two bytes or more, grouped by their first two bytes (sorted keys, looked
        // up by binary search); one-byte needles by that byte.
        var pairStarts = [UInt64](repeating: 0, count: (1 << 16) / 64)
        var byteRank = [Int](repeating: -1, count: 256)
        var keyed: [(key: UInt16, rank: Int)] = []
        for (r, n) in order.enumerated() {
            let needle = needles[n]
            if needle.count >= 2 {
                let k = UInt16(needle[0]) << 8 | UInt16(needle[1])
                pairStarts[Int(k) >> 6] |= 1 << UInt64(k & 63)
                keyed.append((k, r))
            } else if byteRank[Int(needle[0])] < 0 {
                byteRank[Int(needle[0])] = r
            }
        }
        keyed.sort { ($0.key, $0.rank) < ($1.key, $1.rank) }
        let ranked = order.map { needles[$0] }
        // Occurrences per rank, each list in text order.
        var starts = [[Int]](repeating: [], count: ranked.count)
        var i = 0
        while i < text.count {
            // Needles are normalised text: they begin where a character does.
            let b = text[i]
            defer { i += UTF8Decoding.encodedLength(leadByte: b) }
            if byteRank[Int(b)] >= 0 { starts[byteRank[Int(b)]].append(i) }
            guard i + 1 < text.count else { continue }
            let k = UInt16(b) << 8 | UInt16(text[i + 1])
            guard pairStarts[Int(k) >> 6] & (1 << UInt64(k & 63)) != 0 else { continue }
            var lo = 0, hi = keyed.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keyed[mid].key < k { lo = mid + 1 } else { hi = mid }
            }
            while lo < keyed.count && keyed[lo].key == k {
                let r = keyed[lo].rank
                let needle = ranked[r]
                if i + needle.count <= text.count {
                    var j = 2
                    while j < needle.count && text[i + j] == needle[j] { j += 1 }
                    if j == needle.count { starts[r].append(i) }
                }
                lo += 1
            }
        }
        // Longest first: kept unless a byte of it is already inside a kept match.
        var covered = [Bool](repeating: false, count: text.count)
        var keptLength = [Int32](repeating: 0, count: text.count)
        var keptCount = 0
        for r in ranked.indices {
            let length = ranked[r].count
            for start in starts[r] where !covered[start..<(start + length)].contains(true) {
                for i in start..<(start + length) { covered[i] = true }
                keptLength[start] = Int32(length)
                keptCount += 1
            }
        }
        var found: [Range<Int>] = []
        found.reserveCapacity(keptCount)
        for start in keptLength.indices where keptLength[start] > 0 { found.append(start..<(start + Int(keptLength[start]))) }
        return found
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
}
