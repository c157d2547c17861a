import Analysis

/// A term a query looks up. Text is indexed as character bigrams (plus a unigram at a
/// run's end), so a lone character is found through every term it begins: `characterPrefix`.
public enum QueryTerm: Hashable, Sendable, CustomStringConvertible {
    case exact([UInt8])
    case characterPrefix([UInt8])

    public var bytes: [UInt8] {
        switch self {
        case let .exact(b), let .characterPrefix(b): b
        }
    }

    /// Hashes the bytes in one call (the synthesized hash feeds them one at a time).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case let .exact(b):
            hasher.combine(0 as UInt8)
            b.withUnsafeBytes { hasher.combine(bytes: $0) }
        case let .characterPrefix(b):
            hasher.combine(1 as UInt8)
            b.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    public var description: String {
        switch self {
        case let .exact(b): String(decoding: b, as: UTF8.self)
        case let .characterPrefix(b): String(decoding: b, as: UTF8.self) + "*"
        }
    }
}

/// One whitespace-separated part of a query as a phrase: terms at relative positions.
/// A document "contains" the part when every element occurs at its offset.
public struct PhrasePart: Sendable {
    public var text: String
    public var normalized: [UInt8]
    public var elements: [(term: QueryTerm, offset: Int32)]
    /// For each element, the index of its term in the plan's `terms`.
    public var termIndices: [Int] = []
}

/// How query terms are weighted. The defaults were chosen on the STARD training questions
/// (README: each knob's effect); `plainBM25` is BM25 over every distinct term, weight 1.
public struct RankingOptions: Sendable, Equatable {
    /// BM25's saturation and length normalisation. Tuned with everything else in place:
    /// k1 0.9 (as Anserini's default) lets a question's many distinct terms count for more
    /// than one term repeated; b 0.75 is Lucene's.
    public var k1 = 0.9
    public var b = 0.75
    /// Weight of a bigram that straddles two of the query's ICU words (如 "以成" in
    /// 可以成为), against 1 for a bigram inside a word or joining two one-character words
    /// (黨|建: more likely a word ICU lacks).
    public var crossWordBigramWeight = 0.7
    /// Weight of a lone character (a one-character word such as 谁).
    public var singleCharacterWeight = 1.0
    /// Weight of a word of three or more characters with Han in it that ICU found and the
    /// user dictionary does not hold. Its bigrams, which are terms too, already count it:
    /// at 1 it counted twice (STARD nDCG@10 0.4508, against 0.4542 at 0, better on all four
    /// halves measured). A dictionary word weighs 1, as the user asked for it; a Latin or
    /// number word (covid, pm2.5) weighs 1, as its letters' bigrams say little.
    public var wordWeight = 0.0
    /// Weight of the terms of question and function words (`QueryPlan.questionWords`).
    public var questionWordWeight = 0.1
    /// Whether a term the query repeats counts once per occurrence (as separate clauses of
    /// a Lucene boolean query do) rather than once.
    public var repeatedTermsAdd = true
    /// Weight of each character of the query as a term of its own, beside the bigrams it
    /// is part of (0: characters count only through bigrams).
    public var characterWeight = 0.6
    /// A character term that only scores is left out when more than this fraction of the
    /// documents hold it (`Searcher.isCommonCharacter`).
    public var commonCharacterFraction = 0.1
    /// How much the words a synonym adds (`SynonymTable`) weigh against the query's own: each
    /// added word is weighted as query text would be, times this.
    public var synonymWeight = 1.0

    /// Rescoring of documents that are articles of a law (`LegalArticle`: titled 劳动合同法第十条),
    /// among the best `rescoreWindow` documents, as Lucene's rescorer does over a window. A
    /// question about a matter usually matches several articles of the law that governs it,
    /// while a stray match stands alone: an article that does not contain the query gains
    /// `lawEvidenceWeight` × the mean of its law's best `lawEvidenceDepth` BM25 scores in
    /// the window (itself included; missing ones count as 0)…
    public var lawEvidenceWeight = 0.2
    public var lawEvidenceDepth = 10
    /// …and is then scaled by 1 + its law's `instrumentBonus`: statutes answer most
    /// questions, interpretations next, regulations and departmental rules less often.
    public var instrumentBonus: [LegalArticle.InstrumentKind: Double] = [
        .law: 0.2, .judicialInterpretation: 0.1, .regulation: -0.1, .rules: -0.15, .other: -0.15,
    ]
    /// …and by 1 + `lawSizeWeight` × log₁₀(its law's articles in the index) / 3 (at most 1,
    /// from 1,000 articles): the codes that cover most of everyday life (the Civil Code's
    /// 1,260 articles) answer more lay questions than a 20-article regulation.
    public var lawSizeWeight = 0.6
    public var rescoreWindow = 500

    /// Whether articles are rescored at all.
    public var rescoresArticles: Bool {
        rescoreWindow > 0 && (lawEvidenceWeight != 0 || lawSizeWeight != 0 || instrumentBonus.values.contains { $0 != 0 })
    }

    public static let plainBM25: RankingOptions = {
        var o = RankingOptions()
        o.crossWordBigramWeight = 1
        o.wordWeight = 1
        o.questionWordWeight = 1
        o.repeatedTermsAdd = false
        o.characterWeight = 0
        o.k1 = 1.2
        o.b = 0.75
        o.lawEvidenceWeight = 0
        o.lawSizeWeight = 0
        o.instrumentBonus = [:]
        o.rescoreWindow = 0
        return o
    }()

    public init() {}
}

/// What a query string means to the index.
public struct QueryPlan: Sendable {
    /// Distinct terms that score (bigrams, lone characters, ICU words of three or more characters).
    public var terms: [QueryTerm]
    /// Each term's weight (its BM25 part is multiplied by it).
    public var weights: [Double]
    /// Whether each term came only from words a synonym added (`SynonymTable`).
    public var fromSynonym: [Bool]
    /// The parts a document must contain contiguously to be an exact match.
    public var parts: [PhrasePart]
    /// Whether the query was cut at `maxTerms` (what follows was ignored).
    public var truncated = false

    /// Words that ask rather than say what is asked about (Simplified: queries are folded).
    public static let questionWords: Set<String> = [
        "什么", "怎么", "怎么办", "怎样", "如何", "是否", "可以", "能否", "能不能", "哪些", "哪个", "为什么",
        "吗", "呢", "吧", "啊", "的", "了", "是", "我", "你", "他", "她", "我们", "他们", "这", "那", "这个", "那个",
        "有", "在", "和", "与", "或", "及", "要", "会", "能", "应该", "需要", "请问", "谁", "多少", "多久", "哪里",
        "怎么样", "一个", "有没有", "是不是", "什么样", "的话", "时候", "情况", "问题",
    ]

    /// Whether the bigram `start ..< end` straddles an ICU word boundary at `middle`
    /// between two words that are not both single characters (黨|建 joins two lone
    /// characters: more likely a word ICU lacks).
    static func straddlesWords(_ analyzed: AnalyzedText, start: Int32, middle: Int32, end: Int32) -> Bool {
        guard let k = analyzed.wordBoundaryIndex(middle) else { return false }
        let boundaries = analyzed.wordBoundaries
        let wordStart = k > 0 ? boundaries[k - 1] : 0
        let nextEnd = k + 1 < boundaries.count ? boundaries[k + 1] : -1
        return !(wordStart == start && nextEnd == end)
    }

    /// Like Lucene's clause limit: it bounds a query's cost whatever its text.
    public static let maxTerms = 1024

    public var isEmpty: Bool { terms.isEmpty }

    /// For each term, whether it is an element of a phrase part (a document must hold every
    /// element to contain the query); the other terms only score.
    public var isElement: [Bool] {
        var result = [Bool](repeating: false, count: terms.count)
        for part in parts { for t in part.termIndices { result[t] = true } }
        return result
    }

    public init(query: String, analyzer: Analyzer, options: RankingOptions = RankingOptions(), synonyms: SynonymTable = .empty) {
        self.init(pieces: Self.whitespaceSeparatedParts(query), analyzer: analyzer, options: options, synonyms: synonyms)
    }

    /// The query split at white space. Most queries hold none: a pass over the scalars
    /// (Han characters settled by range) avoids splitting by grapheme, a tenth of planning.
    public static func whitespaceSeparatedParts(_ query: String) -> [String] {
        let hasWhitespace = query.unicodeScalars.contains { scalar in
            let v = scalar.value
            if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
            if v >= 0x3400 && v <= 0x9FFF { return false }
            return scalar.properties.isWhitespace
        }
        guard hasWhitespace else { return query.isEmpty ? [] : [query] }
        return query.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }

    /// A plan whose parts are the given pieces of text (a quoted phrase may hold spaces:
    /// white space takes no position, so it is matched as if the pieces touched). The words
    /// `synonyms` adds for them are scored as further text, never as parts.
    public init(pieces: [String], analyzer: Analyzer, options: RankingOptions = RankingOptions(), synonyms: SynonymTable = .empty) {
        var terms: [QueryTerm] = []
        var weights: [Double] = []
        var fromSynonym: [Bool] = []
        var seen: [QueryTerm: Int] = [:]
        seen.reserveCapacity(64)
        var parts: [PhrasePart] = []
        var truncated = false
        var added: [[UInt8]] = []

        /// Adds the terms of one piece of text, their weights scaled by `scale`. Query text
        /// (`isQueryText`) also makes a part and looks for synonyms.
        func add(_ piece: String, scale: Double, isQueryText: Bool) {
            let limit = 4 * Self.maxTerms
            let analyzed = analyzer.analyze(piece.utf8.count <= limit ? piece : String(piece.prefix(limit)))
            let tokens = analyzed.tokens
            var elements: [(QueryTerm, Int32)] = []
            let base = tokens.first?.position ?? 0
            // The ICU words of this part that are question or function words, as byte spans.
            var questionSpans: [Range<Int32>] = []
            if options.questionWordWeight != 1 {
                var start: Int32 = 0
                for end in analyzed.wordBoundaries {
                    let word = String(decoding: analyzed.normalized.bytes[Int(start)..<Int(end)], as: UTF8.self)
                    if Self.questionWords.contains(word) { questionSpans.append(start..<end) }
                    start = end
                }
            }
            func insert(_ term: QueryTerm, _ weight: Double, adding: Bool) {
                if let i = seen[term] {
                    weights[i] = adding ? weights[i] + weight : max(weights[i], weight)
                } else {
                    seen[term] = terms.count
                    terms.append(term)
                    weights.append(weight)
                    fromSynonym.append(!isQueryText)
                }
            }
            for (i, token) in tokens.enumerated() {
                if terms.count >= Self.maxTerms {
                    if isQueryText { truncated = true }
                    break
                }
                let bytes = Array(analyzed.normalized.bytes[Int(token.termStart)..<Int(token.termEnd)])
                let term: QueryTerm
                var weight = 1.0
                switch token.kind {
                case .subword:
                    let firstLength = UTF8Decoding.encodedLength(firstScalar(bytes))
                    let isBigram = bytes.count > firstLength
                    if isBigram {
                        term = .exact(bytes)
                        let middle = token.termStart + Int32(firstLength)
                        if Self.straddlesWords(analyzed, start: token.termStart, middle: middle, end: token.termEnd) {
                            weight = options.crossWordBigramWeight
                        }
                    } else {
                        weight = options.singleCharacterWeight
                        // A run's last character: covered by the bigram before it, if any.
                        let coveredByBigram = tokens[..<i].contains {
                            $0.kind == .subword && $0.termEnd == token.termEnd && $0.termStart < token.termStart
                        }
                        if coveredByBigram { continue }
                        term = .characterPrefix(bytes)
                    }
                    elements.append((term, token.position - base))
                case .word:
                    if analyzer.dictionary?.contains(bytes) != true {
                        guard options.wordWeight > 0 else { continue }
                        weight = options.wordWeight
                    }
                    term = .exact(bytes)  // scores; containment is checked through its bigrams
                case .number, .latin:
                    term = .exact(bytes)
                }
                if questionSpans.contains(where: { $0.lowerBound <= token.termStart && token.termEnd <= $0.upperBound }) {
                    weight *= options.questionWordWeight
                }
                insert(term, weight * scale, adding: options.repeatedTermsAdd)
            }
            // Every character as a term of its own (scoring only), when asked for.
            if options.characterWeight > 0 {
                for token in tokens where token.kind == .subword && terms.count < Self.maxTerms {
                    let start = Int(token.termStart)
                    let length = analyzed.normalized.bytes.withUnsafeBufferPointer { UTF8Decoding.decode($0, at: start).length }
                    let term = QueryTerm.characterPrefix(Array(analyzed.normalized.bytes[start..<(start + length)]))
                    var weight = options.characterWeight
                    if questionSpans.contains(where: { $0.lowerBound <= token.termStart && token.termStart < $0.upperBound }) {
                        weight *= options.questionWordWeight
                    }
                    insert(term, weight * scale, adding: true)
                }
            }
            guard isQueryText else { return }
            if !elements.isEmpty {
                parts.append(PhrasePart(text: String(piece), normalized: analyzed.normalized.bytes, elements: elements,
                                        termIndices: elements.map { seen[$0.0]! }))
            }
            // Synonyms: runs of whole ICU words that the table maps to other words.
            if !synonyms.isEmpty {
                let ends = analyzed.wordBoundaries
                for i in ends.indices {
                    let start = i == 0 ? 0 : Int(ends[i - 1])
                    for end in ends[i...] {
                        if Int(end) - start > synonyms.longestWord { break }
                        if let words = synonyms.words(addedBy: analyzed.normalized.bytes[start..<Int(end)]) {
                            for w in words where !added.contains(w) { added.append(w) }
                        }
                    }
                }
            }
        }

        for piece in pieces {
            if terms.count >= Self.maxTerms {
                truncated = true
                break
            }
            add(piece, scale: 1, isQueryText: true)
        }
        for word in added where terms.count < Self.maxTerms && options.synonymWeight > 0 {
            add(String(decoding: word, as: UTF8.self), scale: options.synonymWeight, isQueryText: false)
        }
        self.terms = terms
        self.weights = weights
        self.fromSynonym = fromSynonym
        self.parts = parts
        self.truncated = truncated
    }
}

@inline(__always)
func firstScalar(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UTF8Decoding.decode($0, at: 0).scalar }
}
