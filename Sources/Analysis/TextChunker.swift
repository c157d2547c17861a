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
        i = limit
        while i > floor {
            var j = i - 1
            while j > start && text[j] & 0xC0 == 0x80 { j -= 1 }
            let v = UTF8Decoding.decode(text, at: j).scalar
            if CharClass.isWindowBreak(v) && v != 0x28 && v != 0xFF08 && j + UTF8Decoding.encodedLength(v) == i { return i }
            i = j
        }
        // A character boundary.
        var cut = limit
        while cut > start + 1 && text[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
