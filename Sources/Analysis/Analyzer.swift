/// What a token stands for. `subword` tokens are the character bigrams (and the unigram
/// of a run's last character) that make any substring findable; the others are words of
/// three or more characters, ICU's or the dictionary's: `word` (with Han characters),
/// `latin`, `number`.
public enum TokenKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case word = 0, subword = 1, number = 2, latin = 3

    public var description: String {
        switch self {
        case .word: "word"
        case .subword: "subword"
        case .number: "number"
        case .latin: "latin"
        }
    }
}

/// A token: its term is `normalized[termStart..<termEnd]`; `start..<end` is its byte range
/// in the original text (filters never change those); `position` counts the characters
/// of the normalised text other than white space, so consecutive characters have
/// consecutive positions.
public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var position: Int32
    public var termStart: Int32
    public var termEnd: Int32
    public var start: Int32
    public var end: Int32
}

/// The result of analysing one text.
public struct AnalyzedText: Sendable {
    public var normalized: NormalizedText
    public var tokens: [Token]
    /// Positions used (one past the largest position).
    public var positionCount: Int32
    /// Where ICU put word boundaries, as byte offsets into the normalised text (sorted);
    /// outside Han text only when the analyzer does not find Han words.
    public var wordBoundaries: [Int32] = []
    /// Whether `tokens` are in position order (`Analyzer.sortsTokens`).
    public var sortedByPosition = true

    /// Whether ICU put a word boundary at normalised byte offset `offset`.
    public func isWordBoundary(_ offset: Int32) -> Bool { wordBoundaryIndex(offset) != nil }

    /// The index in `wordBoundaries` of the boundary at `offset`, if there is one there.
    public func wordBoundaryIndex(_ offset: Int32) -> Int? {
        var lo = 0, hi = wordBoundaries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if wordBoundaries[mid] < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo < wordBoundaries.count && wordBoundaries[lo] == offset ? lo : nil
    }

    public func term(_ token: Token) -> String {
        String(decoding: normalized.bytes[Int(token.termStart)..<Int(token.termEnd)], as: UTF8.self)
    }

    public var terms: [String] { tokens.map(term) }
}

/// The analysis chain:
/// `Normalizer` (annotation removal, NFKC case folding, Traditional→Simplified) →
/// `WordBreaker` (ICU words) → token emission. Documents and queries differ in one thing
/// (`SegmentationScript`): ICU segments a document in its own script, a query folded.
/// Token emission:
/// - every character other than white space gets its own position;
/// - word characters (letters of any script, Han, digits, marks) form runs: each pair of
///   adjacent ones is a `subword` bigram at the first one's position, and the last
///   character of a run is a `subword` unigram. Punctuation takes a position but makes no
///   token and ends a run. So any string of word characters is a phrase of bigrams that
///   occurs exactly where the normalised text contains it, and a single character is
///   found through the terms it begins;
/// - ICU words of three or more characters are also tokens (`word`, `latin`, `number`)
///   at their first character's position; shorter words are exactly a bigram or unigram.
///
/// Not thread-safe (it owns an ICU iterator and caches): use one per thread.
public final class Analyzer {
    public let normalizer: Normalizer
    public let script: SegmentationScript
    /// Whether tokens carry their byte range in the original text. The index stores no
    /// offsets (snippets find matches again), so its analyzers leave them out: mapping every
    /// byte back costs a tenth of indexing's work outside ICU. Tokens then have `start` and
    /// `end` 0.
    public let keepsOriginalOffsets: Bool
    /// Whether ICU's words of three or more Han characters become `word` tokens. Without
    /// them ICU never reads Han text (`WordBreaker.segmentOutsideHan`), which halves the
    /// cost of analysis, and the only Han words are the dictionary's: every occurrence of
    /// each (overlapping ones too, as IK's `ik_max_word` indexes), found without ICU, rather
    /// than the words of the cheapest cut. The index leaves ICU's out: ranking gives them no
    /// weight (their bigrams already count them) and every Han string is found as a phrase
    /// of bigrams.
    public let findsHanWords: Bool
    /// Whether `tokens` are sorted by position. The index's analyzer leaves them as emitted,
    /// which its builder needs no more than that: the subwords in position order, then the
    /// words (Latin, number, dictionary) in position order. Each term is one or the other,
    /// so every term's occurrences still come in position order, and the sort (a merge of
    /// the two runs whenever a text held a word) was 2% of a build.
    public let sortsTokens: Bool
    private let breaker: WordBreaker
    /// Words kept whole on top of ICU's segmentation (see `UserDictionary`).
    public let dictionary: UserDictionary?
    /// How the words of a run are chosen when a dictionary is present.
    public var dictionaryCosts = DictionaryCosts()

    /// `simplify: false` keeps Traditional characters in the terms too (only to measure
    /// segmentation; indexes always fold).
    public init(dictionary: UserDictionary? = nil, script: SegmentationScript, simplify: Bool = true,
                keepsOriginalOffsets: Bool = true, findsHanWords: Bool = true, sortsTokens: Bool = true) throws {
        normalizer = Normalizer(folder: CharacterFolder(simplify: simplify))
        self.script = script
        self.keepsOriginalOffsets = keepsOriginalOffsets
        breaker = try WordBreaker()
        self.dictionary = dictionary.flatMap { $0.words.isEmpty ? nil : $0 }
        self.findsHanWords = findsHanWords
        self.sortsTokens = sortsTokens
    }

    /// The analyzer an index uses: documents cut in their own script, no map back to the
    /// original (snippets find matches again), no ICU Han words (see `findsHanWords`).
    public static func forIndexing(dictionary: UserDictionary? = nil) throws -> Analyzer {
        try Analyzer(dictionary: dictionary, script: .own, keepsOriginalOffsets: false, findsHanWords: false, sortsTokens: false)
    }

    public func analyze(_ text: String) -> AnalyzedText {
        var copy = text
        return copy.withUTF8 { analyze($0) }
    }

    public func analyze(_ input: UnsafeBufferPointer<UInt8>) -> AnalyzedText {
        let normalized = normalize(input)
        let (tokens, positionCount) = normalized.bytes.withUnsafeBufferPointer { text in
            cut(text, normalized)
            return tokenize(text, normalized: normalized)
        }
        return AnalyzedText(normalized: normalized, tokens: tokens, positionCount: positionCount,
                            wordBoundaries: segments.map { Int32($0.end) }, sortedByPosition: sortsTokens)
    }

    /// The normalised text as `analyze` makes it (with an own-script copy for `.own`).
    public func normalize(_ text: String) -> NormalizedText {
        var copy = text
        return copy.withUTF8 { normalize($0) }
    }

    private func normalize(_ input: UnsafeBufferPointer<UInt8>) -> NormalizedText {
        // The own-script copy differs from the folded text only in Han characters.
        normalizer.normalize(input, keepingOffsets: keepsOriginalOffsets, keepingScript: script == .own && findsHanWords)
    }

    /// The words of the normalised text: ICU's segments, re-cut by the dictionary.
    /// (`normalized.ownScript` is what ICU reads, when there is one.)
    public func segments(of normalized: NormalizedText) -> [WordSegment] {
        normalized.bytes.withUnsafeBufferPointer { cut($0, normalized) }
        return segments
    }

    /// Fills `segments` with the words of normalised text `text` (`normalized.bytes`):
    /// ICU's, found in the own-script copy when there is one (it is aligned byte for byte),
    /// re-cut by the dictionary, whose words are folded like `text`.
    private func cut(_ text: UnsafeBufferPointer<UInt8>, _ normalized: NormalizedText) {
        guard findsHanWords else {
            breaker.segmentOutsideHan(text, into: &segments)
            return
        }
        normalized.segmentationBytes.withUnsafeBufferPointer { breaker.segment($0, into: &segments) }
        if let dictionary { applyDictionary(dictionary, text) }
    }

    // Reused between calls.
    private var segments: [WordSegment] = []
    private var recut: [WordSegment] = []
    private var regionChars: [Int] = []
    private var charAtByte: [Int32] = []
    private var icuEnd: [Int32] = []
    private var bestCost: [Float] = []
    private var bestFrom: [Int32] = []
    private var charStart: [Int32] = []
    private var charEnd: [Int32] = []
    private var charIsWord: [Bool] = []
    private var classes = CharacterClassCache()

    private func tokenize(_ text: UnsafeBufferPointer<UInt8>, normalized: NormalizedText) -> ([Token], Int32) {
        if !findsHanWords && dictionary == nil && normalized.originalStart.isEmpty { return tokenizeInOnePass(text) }
        var tokens: [Token] = []
        tokens.reserveCapacity(text.count / 2)
        // Every character but white space, in order: byte range; its index is its position.
        // Taken out of `self` (not copied), so that they are unique and keep their storage.
        var charStart: [Int32] = [], charEnd: [Int32] = [], charIsWord: [Bool] = []
        swap(&charStart, &self.charStart)
        swap(&charEnd, &self.charEnd)
        swap(&charIsWord, &self.charIsWord)
        charStart.removeAll(keepingCapacity: true)
        charEnd.removeAll(keepingCapacity: true)
        charIsWord.removeAll(keepingCapacity: true)
        defer { (self.charStart, self.charEnd, self.charIsWord) = (charStart, charEnd, charIsWord) }
        let originalStart = normalized.originalStart, originalEnd = normalized.originalEnd
        let offsets = !originalStart.isEmpty

        // Grown to the most characters the text can hold, written through buffers (appending
        // checked each array's uniqueness for every character), then cut to the count.
        charStart.append(contentsOf: repeatElement(0, count: text.count))
        charEnd.append(contentsOf: repeatElement(0, count: text.count))
        charIsWord.append(contentsOf: repeatElement(false, count: text.count))
        var count = 0, wordCount = 0
        charStart.withUnsafeMutableBufferPointer { charStart in
            charEnd.withUnsafeMutableBufferPointer { charEnd in
                charIsWord.withUnsafeMutableBufferPointer { charIsWord in
                    var i = 0
                    while i < text.count {
                        let (v, len, _) = UTF8Decoding.decode(text, at: i)
                        let cls = classes.classify(v)
                        if cls != .space {
                            charStart[count] = Int32(i)
                            charEnd[count] = Int32(i + len)
                            charIsWord[count] = cls == .word
                            if cls == .word { wordCount += 1 }
                            count += 1
                        }
                        i += len
                    }
                }
            }
        }
        charStart.removeLast(text.count - count)
        charEnd.removeLast(text.count - count)
        charIsWord.removeLast(text.count - count)

        // Bigrams between adjacent word characters; a unigram for each run's last one: one
        // token a word character, written through a buffer.
        tokens.append(contentsOf: repeatElement(Token(kind: .subword, position: 0, termStart: 0, termEnd: 0, start: 0, end: 0), count: wordCount))
        tokens.withUnsafeMutableBufferPointer { out in
            var t = 0
            for k in 0..<count where charIsWord[k] {
                let adjacent = k + 1 < count && charIsWord[k + 1] && charEnd[k] == charStart[k + 1]
                let termEnd = adjacent ? charEnd[k + 1] : charEnd[k]
                out[t] = Token(kind: .subword, position: Int32(k), termStart: charStart[k], termEnd: termEnd,
                               start: offsets ? originalStart[Int(charStart[k])] : 0, end: offsets ? originalEnd[Int(termEnd) - 1] : 0)
                t += 1
            }
        }

        // ICU words of three or more characters.
        forEachICUWord(text, charStart: charStart, count: count) { c, segment, kind in
            tokens.append(Token(kind: kind, position: Int32(c), termStart: Int32(segment.start), termEnd: Int32(segment.end),
                                start: offsets ? originalStart[segment.start] : 0, end: offsets ? originalEnd[segment.end - 1] : 0))
        }
        if !findsHanWords, let dictionary {
            appendDictionaryWords(dictionary, text, charStart: charStart, charEnd: charEnd, charIsWord: charIsWord,
                                  originalStart: originalStart, originalEnd: originalEnd, to: &tokens)
        }
        if sortsTokens { Self.sortByPosition(&tokens) }
        return (tokens, Int32(count))
    }
}

extension Analyzer {
    /// Tokens in position order; at one position, Latin and number words first, then the
    /// subword, then Han words (the order `analyze` gives when `sortsTokens`).
    public static func sortByPosition(_ tokens: inout [Token]) {
        tokens.sort { a, b in
            a.position != b.position ? a.position < b.position : a.kind.rawValue > b.kind.rawValue
        }
    }
}

extension Analyzer {
    /// `tokenize` for the index without a dictionary (no Han words, no offsets): the same
    /// tokens, unsorted (`sortsTokens` is off for it), found in one pass that emits each
    /// subword as soon as the character after it is known, where `tokenize` first filled three
    /// arrays a character and then read them back; only each character's start is kept, for
    /// the few ICU words. Tests compare its tokens with those of the analyzer that reads
    /// everything.
    fileprivate func tokenizeInOnePass(_ text: UnsafeBufferPointer<UInt8>) -> ([Token], Int32) {
        var charStart: [Int32] = []
        swap(&charStart, &self.charStart)
        defer { self.charStart = charStart }
        charStart.removeAll(keepingCapacity: true)
        charStart.append(contentsOf: repeatElement(0, count: text.count))
        let words = segments.reduce(0) { $0 + ($1.status >= 100 ? 1 : 0) }
        var count = 0
        // At most one subword a byte, and one token a word.
        var tokens = [Token](unsafeUninitializedCapacity: text.count + words) { out, made in
            charStart.withUnsafeMutableBufferPointer { charStart in
                var t = 0
                // The last word character not yet given its token: its start, end and position.
                var pendingStart = -1, pendingEnd = 0, pendingPosition = 0
                var i = 0
                while i < text.count {
                    let (v, len, _) = UTF8Decoding.decode(text, at: i)
                    let cls = self.classes.classify(v)
                    if cls != .space {
                        charStart[count] = Int32(i)
                        if pendingStart >= 0 {
                            // A bigram when this character is a word character right after it.
                            let end = cls == .word && pendingEnd == i ? i + len : pendingEnd
                            out[t] = Token(kind: .subword, position: Int32(pendingPosition), termStart: Int32(pendingStart),
                                           termEnd: Int32(end), start: 0, end: 0)
                            t += 1
                        }
                        if cls == .word {
                            (pendingStart, pendingEnd, pendingPosition) = (i, i + len, count)
                        } else {
                            pendingStart = -1
                        }
                        count += 1
                    }
                    i += len
                }
                if pendingStart >= 0 {
                    out[t] = Token(kind: .subword, position: Int32(pendingPosition), termStart: Int32(pendingStart),
                                   termEnd: Int32(pendingEnd), start: 0, end: 0)
                    t += 1
                }
                made = t
            }
        }
        // ICU words of three or more characters (Latin and numbers: ICU reads no Han here).
        forEachICUWord(text, charStart: charStart, count: count) { c, segment, kind in
            tokens.append(Token(kind: kind, position: Int32(c), termStart: Int32(segment.start), termEnd: Int32(segment.end),
                                start: 0, end: 0))
        }
        return (tokens, Int32(count))
    }
}

extension Analyzer {
    /// ICU's words (`segments` of status 100 and up) of three or more characters, each with the
    /// index of its first character among the `count` characters other than white space that
    /// start at `charStart` (its position) and its kind; Han words only when `findsHanWords`.
    /// A word must start and end on such characters (not on white space). `text` is
    /// normalised, so valid UTF-8: a character's end follows from its lead byte.
    fileprivate func forEachICUWord(_ text: UnsafeBufferPointer<UInt8>, charStart: [Int32], count: Int,
                                    _ body: (Int, WordSegment, TokenKind) -> Void) {
        var c = 0
        for segment in segments where segment.status >= 100 {
            while c < count && Int(charStart[c]) < segment.start { c += 1 }
            guard c < count, Int(charStart[c]) == segment.start else { continue }
            var last = c
            while last + 1 < count && Int(charStart[last + 1]) < segment.end { last += 1 }
            let lastEnd = Int(charStart[last]) + UTF8Decoding.encodedLength(leadByte: text[Int(charStart[last])])
            guard last - c + 1 >= 3, lastEnd == segment.end else { continue }
            var hasHan = false, hasLetter = false
            var j = segment.start
            while j < segment.end {
                let (v, len, _) = UTF8Decoding.decode(text, at: j)
                if CharClass.isHan(v) { hasHan = true } else if v >= 0x80 || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) { hasLetter = true }
                j += len
            }
            if hasHan && !findsHanWords { continue }
            body(c, segment, hasHan ? .word : hasLetter ? .latin : .number)
        }
    }
}

/// Which form of a text ICU segments. ICU's dictionary knows some words only in their
/// Traditional form, so a Traditional document is cut best as written (SIGHAN 2005 AS and
/// CityU: F1 0.794 and 0.765, against 0.771 and 0.741 folded first); terms are folded either
/// way. A query is cut folded, so that it plans the same terms and weights typed in either
/// script.
public enum SegmentationScript: Sendable {
    /// The document's own script (`NormalizedText.ownScript`): documents, `search segment`.
    case own
    /// Folded to Simplified: queries.
    case folded
}

/// Costs of the words a run of word characters may be cut into when a dictionary is
/// present; the cut with the least total cost wins. The dictionary is trusted over ICU
/// (an ICU word it lacks costs as much as two of its words), ICU over lone characters
/// (two unknown characters cost more than ICU's word), and a word both agree on is
/// cheapest. Measured on SIGHAN 2005 with each corpus' training words (README): an ICU
/// word cost of 1.05 instead of 2.05 gives F1 0.85/0.85/0.91/0.88 instead of
/// 0.91/0.89/0.94/0.92 (AS, CityU, MSR, PKU).
public struct DictionaryCosts: Sendable {
    /// A dictionary word.
    public var dictionaryWord: Float = 1
    /// An ICU word the dictionary does not hold.
    public var icuWord: Float = 2.05
    /// A character that is neither a dictionary word nor an ICU word by itself.
    public var lone: Float = 1.1
    /// A dictionary word that is also one of ICU's words.
    public var agreed: Float = 0.95

    public init() {}
}

extension Analyzer {
    /// Every occurrence of a dictionary word of three or more characters with a Han character
    /// among them, as a `word` token at its first character's position (shorter words are
    /// bigrams; Latin and number words are ICU's). Words lie within runs of adjacent word
    /// characters, so each run is searched from each of its characters.
    fileprivate func appendDictionaryWords(_ dictionary: UserDictionary, _ text: UnsafeBufferPointer<UInt8>,
                                           charStart: [Int32], charEnd: [Int32], charIsWord: [Bool],
                                           originalStart: [Int32], originalEnd: [Int32], to tokens: inout [Token]) {
        let count = charStart.count, offsets = !originalStart.isEmpty
        var runStart = 0
        while runStart < count {
            guard charIsWord[runStart] else { runStart += 1; continue }
            var runEnd = runStart + 1
            while runEnd < count && charIsWord[runEnd] && charEnd[runEnd - 1] == charStart[runEnd] { runEnd += 1 }
            let limit = Int(charEnd[runEnd - 1])
            for k in runStart..<runEnd where runEnd - k >= 3 {
                var last = k
                dictionary.forEachWord(in: text, from: Int(charStart[k]), limit: limit) { end in
                    while Int(charEnd[last]) < end { last += 1 }
                    guard last - k + 1 >= 3 else { return }
                    var hasHan = false
                    for c in k...last where !hasHan { hasHan = CharClass.isHan(UTF8Decoding.decode(text, at: Int(charStart[c])).scalar) }
                    guard hasHan else { return }
                    tokens.append(Token(kind: .word, position: Int32(k), termStart: charStart[k], termEnd: Int32(end),
                                        start: offsets ? originalStart[Int(charStart[k])] : 0,
                                        end: offsets ? originalEnd[end - 1] : 0))
                }
            }
            runStart = runEnd
        }
    }

    /// Re-cuts each region of adjacent ICU words (status ≥ 100, no space or punctuation
    /// between them) into the cheapest sequence of dictionary words, ICU words and single
    /// characters, and replaces `segments` with the result.
    fileprivate func applyDictionary(_ dictionary: UserDictionary, _ text: UnsafeBufferPointer<UInt8>) {
        recut.removeAll(keepingCapacity: true)
        var k = 0
        while k < segments.count {
            guard segments[k].status >= 100 else {
                recut.append(segments[k])
                k += 1
                continue
            }
            var e = k
            while e + 1 < segments.count && segments[e + 1].status >= 100 && segments[e + 1].start == segments[e].end { e += 1 }
            recutRegion(dictionary, text, k...e)
            k = e + 1
        }
        swap(&segments, &recut)
    }

    private func recutRegion(_ dictionary: UserDictionary, _ text: UnsafeBufferPointer<UInt8>, _ region: ClosedRange<Int>) {
        let regionStart = segments[region.lowerBound].start, regionEnd = segments[region.upperBound].end
        // Character boundaries of the region, and the character index of each boundary byte.
        regionChars.removeAll(keepingCapacity: true)
        charAtByte.removeAll(keepingCapacity: true)
        charAtByte.append(contentsOf: repeatElement(-1, count: regionEnd - regionStart + 1))
        var i = regionStart
        while i < regionEnd {
            charAtByte[i - regionStart] = Int32(regionChars.count)
            regionChars.append(i)
            i += UTF8Decoding.encodedLength(leadByte: text[i])
        }
        let n = regionChars.count
        charAtByte[regionEnd - regionStart] = Int32(n)
        regionChars.append(regionEnd)
        guard n > 1 else {
            recut.append(contentsOf: segments[region])
            return
        }
        icuEnd.removeAll(keepingCapacity: true)
        icuEnd.append(contentsOf: repeatElement(-1, count: n))
        for s in segments[region] {
            let a = charAtByte[s.start - regionStart], b = charAtByte[s.end - regionStart]
            if a >= 0 && b >= 0 { icuEnd[Int(a)] = b }
        }
        bestCost.removeAll(keepingCapacity: true)
        bestCost.append(0)
        bestCost.append(contentsOf: repeatElement(Float.infinity, count: n))
        bestFrom.removeAll(keepingCapacity: true)
        bestFrom.append(contentsOf: repeatElement(-1, count: n + 1))
        let costs = dictionaryCosts
        for a in 0..<n {
            let base = bestCost[a]
            var singleIsWord = Int(icuEnd[a]) == a + 1
            var icuIsWord = false
            let icu = Int(icuEnd[a])
            dictionary.forEachWord(in: text, from: regionChars[a], limit: regionEnd) { endByte in
                let b = Int(charAtByte[endByte - regionStart])
                if b == a + 1 { singleIsWord = true }
                if b == icu { icuIsWord = true }
                let cost = base + (b == icu ? costs.agreed : costs.dictionaryWord)
                if cost < bestCost[b] {
                    bestCost[b] = cost
                    bestFrom[b] = Int32(a)
                }
            }
            if icu > a + 1 && !icuIsWord && base + costs.icuWord < bestCost[icu] {
                bestCost[icu] = base + costs.icuWord
                bestFrom[icu] = Int32(a)
            }
            let single = base + (icu == a + 1 ? costs.agreed : singleIsWord ? costs.dictionaryWord : costs.lone)
            if single < bestCost[a + 1] {
                bestCost[a + 1] = single
                bestFrom[a + 1] = Int32(a)
            }
        }
        // Walk back from the end, then emit in order.
        let first = recut.count
        var b = n
        while b > 0 {
            let a = Int(bestFrom[b])
            recut.append(WordSegment(start: regionChars[a], end: regionChars[b], status: 400))
            b = a
        }
        recut[first...].reverse()
        // Keep ICU's status where a word is one of ICU's.
        var s = region.lowerBound
        for w in first..<recut.count {
            while s < region.upperBound && segments[s].end < recut[w].end { s += 1 }
            if segments[s].start == recut[w].start && segments[s].end == recut[w].end { recut[w].status = segments[s].status }
        }
    }
}

/// White space, word characters (letters of any script, Han, digits, combining marks)
/// and everything else (punctuation, symbols), decided from Unicode properties once per
/// code point and cached.
struct CharacterClassCache {
    enum Class: UInt8 { case unknown = 0, space, word, other }
    private static let directLimit = 0x32000
    private var table = [Class](repeating: .unknown, count: 0x32000)

    @inline(__always)
    mutating func classify(_ v: UInt32) -> Class {
        if v < 0x80 {
            let b = UInt8(v)
            if b == 0x20 || (b >= 0x09 && b <= 0x0D) { return .space }
            let isDigit = b >= 0x30 && b <= 0x39
            let isLetter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
            return isDigit || isLetter ? .word : .other
        }
        if Int(v) < Self.directLimit {
            let cached = table[Int(v)]
            if cached != .unknown { return cached }
            let computed = Self.compute(v)
            table[Int(v)] = computed
            return computed
        }
        return Self.compute(v)
    }

    static func compute(_ v: UInt32) -> Class {
        if CharClass.isHan(v) { return .word }
        guard let scalar = Unicode.Scalar(v) else { return .other }
        let p = scalar.properties
        if p.isWhitespace { return .space }
        if p.isAlphabetic { return .word }
        switch p.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return .word
        default:
            return .other
        }
    }
}
