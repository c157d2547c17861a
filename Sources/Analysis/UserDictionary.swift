/// Words a user wants kept whole (復工復產, 非公企業, names of laws and places), on top of
/// ICU's segmentation. Entries are normalised by the same character filters as the text
/// (so a word typed in Traditional matches Simplified text and the reverse); the analyzer
/// looks them up in runs of word characters, and the words it chooses become single terms.
///
/// The file format is one word a line; only the first whitespace-separated field counts
/// (so jieba-style `word freq tag` lines work); empty lines and lines starting with `#`
/// are skipped, as are entries holding white space or punctuation after normalisation
/// (they could never match inside a run of word characters).
///
/// Lookup is a hash trie: every prefix of every word is a key, so a scan from one
/// character stops as soon as the text leaves every word, and each step costs one hash
/// update and one probe; nothing is allocated per lookup.
public final class UserDictionary: @unchecked Sendable {
    /// The normalised words, sorted by their bytes, without duplicates.
    public let words: [[UInt8]]
    /// The longest word, in characters.
    public let maxCharacters: Int
    /// Entries of the parsed file left out because they hold white space or punctuation
    /// (they could never match inside a run of word characters), first few kept as examples.
    public private(set) var skippedEntries: [String] = []
    public private(set) var skippedCount = 0

    /// Longer entries are not words (and key lengths fit 16 bits).
    public static let maxWordBytes = 255

    /// 16 bytes: the table of a large dictionary is built at every query process's start.
    private struct Slot {
        var hash: UInt64 = 0  // 0: empty
        var word: Int32 = 0  // index into `words` of a word this key is a prefix of
        var length: UInt16 = 0  // key length in bytes
        var isWord = false
    }
    private var slots: [Slot]
    private let mask: Int

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    /// Builds a dictionary from normalised words (see `parse` for text from a file).
    public convenience init(normalizedWords: [[UInt8]]) {
        let unique = Array(Set(normalizedWords.filter { !$0.isEmpty && $0.count <= Self.maxWordBytes }))
            .sorted { $0.lexicographicallyPrecedes($1) }
        self.init(sorted: unique)
    }

    /// Builds a dictionary from words already normalised, sorted and without duplicates
    /// (an index's copy; a query process loads it at start, so it skips the sort); nil when
    /// they are not.
    public convenience init?(sortedUniqueWords words: [[UInt8]]) {
        for i in words.indices where words[i].isEmpty || words[i].count > Self.maxWordBytes
            || (i > 0 && !words[i - 1].lexicographicallyPrecedes(words[i])) {
            return nil
        }
        self.init(sorted: words)
    }

    private init(sorted unique: [[UInt8]]) {
        words = unique
        var keys = 0
        var longest = 0
        for w in unique {
            let chars = w.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
            keys += chars
            longest = max(longest, chars)
        }
        maxCharacters = longest
        var capacity = 16
        while capacity < keys * 2 { capacity <<= 1 }
        slots = [Slot](repeating: Slot(), count: capacity)
        mask = capacity - 1
        for (index, w) in unique.enumerated() {
            var h = Self.fnvOffset
            var i = 0
            while i < w.count {
                let length = UTF8Decoding.encodedLength(leadByte: w[i])
                let end = min(w.count, i + length)
                for b in w[i..<end] { h = (h ^ UInt64(b)) &* Self.fnvPrime }
                i = end
                insert(hash: h, word: index, length: i, isWord: i == w.count)
            }
        }
    }

    private func keyMatches(_ slot: Slot, _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Bool {
        guard Int(slot.length) == length else { return false }
        let word = words[Int(slot.word)]
        for k in 0..<length where word[k] != bytes[start + k] { return false }
        return true
    }

    private func insert(hash: UInt64, word: Int, length: Int, isWord: Bool) {
        let h = hash | 1  // never 0, which marks an empty slot
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s].hash != 0 {
            if slots[s].hash == h && Int(slots[s].length) == length
                && words[Int(slots[s].word)].prefix(length).elementsEqual(words[word].prefix(length)) {
                if isWord { slots[s].isWord = true }
                return
            }
            s = (s + 1) & mask
        }
        slots[s] = Slot(hash: h, word: Int32(word), length: UInt16(length), isWord: isWord)
    }

    /// Calls `found(endOffset)` for every word that starts at `start` in `bytes` and ends
    /// at or before `limit` (byte offsets, on character boundaries), shortest first.
    @inline(__always)
    public func forEachWord(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int, _ found: (Int) -> Void) {
        guard !words.isEmpty else { return }
        var h = Self.fnvOffset
        var i = start
        while i < limit {
            let end = min(limit, i + UTF8Decoding.encodedLength(leadByte: bytes[i]))
            while i < end {
                h = (h ^ UInt64(bytes[i])) &* Self.fnvPrime
                i += 1
            }
            let key = h | 1
            var s = Int(truncatingIfNeeded: key) & mask
            var hit: Slot? = nil
            while slots[s].hash != 0 {
                if slots[s].hash == key && keyMatches(slots[s], bytes, start, i - start) {
                    hit = slots[s]
                    break
                }
                s = (s + 1) & mask
            }
            guard let slot = hit else { return }  // no word goes on from here
            if slot.isWord { found(i) }
        }
    }

    /// Whether `word` (normalised) is in the dictionary.
    public func contains(_ word: [UInt8]) -> Bool {
        var found = false
        word.withUnsafeBufferPointer { b in
            forEachWord(in: b, from: 0, limit: b.count) { end in if end == b.count { found = true } }
        }
        return found
    }

    /// Parses a dictionary file's text: the first field of each line that is not empty
    /// or a `#` comment, normalised by `normalizer`. Entries that normalise to something
    /// other than word characters are dropped.
    public static func parse(_ text: [UInt8], normalizer: Normalizer) -> UserDictionary {
        var words: [[UInt8]] = []
        var skipped = 0
        var examples: [String] = []
        var classes = CharacterClassCache()
        var lineStart = 0
        let n = text.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && text[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var line = String(decoding: text[lineStart..<lineEnd], as: UTF8.self)
            if line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            guard let field = line.split(whereSeparator: { $0.isWhitespace }).first, !field.hasPrefix("#") else { continue }
            let normalized = normalizer.normalize(String(field)).bytes
            let allWordCharacters = normalized.withUnsafeBufferPointer { b -> Bool in
                var i = 0
                while i < b.count {
                    let (v, len, _) = UTF8Decoding.decode(b, at: i)
                    if classes.classify(v) != .word { return false }
                    i += len
                }
                return true
            }
            if allWordCharacters && normalized.count <= maxWordBytes {
                words.append(normalized)
            } else {
                skipped += 1
                if examples.count < 3 { examples.append(String(field)) }
            }
        }
        let dictionary = UserDictionary(normalizedWords: words)
        dictionary.skippedCount = skipped
        dictionary.skippedEntries = examples
        return dictionary
    }
}
