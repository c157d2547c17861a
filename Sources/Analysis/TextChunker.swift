/// Cuts a long text into pieces of at most `maxBytes` that can be analysed one by one,
/// so the memory analysis needs stays bounded whatever the document's size. A piece ends,
/// by preference, after a line break, else after white space or punctuation (never after
/// an opening parenthesis, which may begin a pinyin annotation), else at the last
/// character boundary; only in that last case can a bigram be lost at the cut.
public enum TextChunker {
    public static let defaultMaxBytes = 1 << 20

    public static func chunks(_ text: UnsafeBufferPointer<UInt8>, maxBytes: Int = defaultMaxBytes) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        let n = text.count
        while start < n {
            var end = min(n, start + maxBytes)
            if end < n { end = cut(text, from: start, limit: end) }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    static func cut(_ text: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int {
        let floor = start + (limit - start) / 2
        // A line break in the second half of the piece.
        var i = limit
        while i > floor {
            if text[i - 1] == 0x0A { return i }
            i -= 1
        }
        // White space or punctuation.
        return end(ofLast: { CharClass.isWindowBreak($0) && $0 != 0x28 && $0 != 0xFF08 }, in: text, from: start, floor: floor, limit: limit)
            ?? characterBoundary(in: text, from: start, atOrBefore: limit)
    }

    /// Just after the last character in `text[start..<limit]` that `accepts`, if one ends
    /// after `floor`. `limit` may fall inside a character: only where one ends is a cut.
    static func end(ofLast accepts: (UInt32) -> Bool, in text: UnsafeBufferPointer<UInt8>,
                    from start: Int, floor: Int, limit: Int) -> Int? {
        var i = limit
        while i > floor {
            // Find the start of the character that ends at or spans i.
            var j = i - 1
            while j > start && text[j] & 0xC0 == 0x80 { j -= 1 }
            let (v, length, _) = UTF8Decoding.decode(text, at: j)
            if accepts(v) && j + length == i { return i }
            i = j
        }
        return nil
    }

    /// The last character boundary at or before `limit` (and after `start`).
    static func characterBoundary(in text: UnsafeBufferPointer<UInt8>, from start: Int, atOrBefore limit: Int) -> Int {
        var cut = limit
        while cut > start + 1 && text[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
