import Analysis
import Foundation
import Index
import IndexFormat

/// BM25 as Lucene computes it (no (k1 + 1) factor in the numerator).
public struct BM25: Sendable {
    public var k1 = 1.2
    public var b = 0.75

    public init() {}

    public func idf(docFreq: Int, documentCount: Int) -> Double {
        log(1 + (Double(documentCount) - Double(docFreq) + 0.5) / (Double(docFreq) + 0.5))
    }

    public func score(tf: Int, idf: Double, length: Double, averageLength: Double) -> Double {
        let norm = k1 * (1 - b + b * length / averageLength)
        return idf * Double(tf) / (Double(tf) + norm)
    }
}

public struct Hit: Sendable {
    public var rank: Int
    public var score: Double
    /// The document contains every part of the query contiguously.
    public var exact: Bool
    public var segment: Int
    public var doc: Int
    public var record: DocumentRecord
    /// How article rescoring changed the score (`RankingOptions.lawEvidenceWeight`); nil
    /// when it did not apply to this hit.
    public var article: ArticleRescoring? = nil
    /// What the containment bonus was multiplied by: above 1 when rescoring raised the
    /// scores a document without the query can reach, so containing it still ranks first.
    public var containmentScale = 1.0
}

/// An article's rescoring: its score became (BM25 + evidence) × factor.
public struct ArticleRescoring: Sendable {
    public var law: String
    public var kind: LegalArticle.InstrumentKind
    /// The law's articles in the index.
    public var articles: Int
    public var evidence: Double
    public var factor: Double
}

public struct SearchResult: Sendable {
    public var query: String
    /// Live documents that contain at least one query term.
    public var total: Int
    /// Live documents that contain the whole query (each part contiguously); nil when the
    /// search was asked not to count them.
    public var exactCount: Int?
    public var hits: [Hit]
}

/// Answers queries from one open commit. Not thread-safe (owns an analyzer).
///
/// Every document containing a query term is a candidate and gets the sum of BM25 over
/// the query's distinct terms. A document that contains the query (each whitespace part
/// as a contiguous phrase) also gets a bonus equal to the sum of the query terms' idf,
/// the largest BM25 sum any document could reach: so it ranks above every document that
/// only holds scattered pieces, and the score still adds up.
public final class Searcher {
    public let reader: IndexReader
    public let analyzer: Analyzer
    /// Restrictions and order that depend on stored metadata (`--after`, `--before`, `--sort date`).
    public struct Constraints: Sendable, Equatable {
        /// ISO dates (inclusive); a document without a date fails either.
        public var after: String?
        public var before: String?
        /// Newest first (documents without a date last), then by score.
        public var sortByDate = false

        public init() {}

        public var isEmpty: Bool { after == nil && before == nil && !sortByDate }
    }

    public var constraints = Constraints()

    /// Applies `constraints` to a candidate: nil when it is filtered out.
    func constrain(_ entry: TopK.Entry) throws -> TopK.Entry? {
        guard !constraints.isEmpty else { return entry }
        let record = try reader.segments[entry.segment].reader.document(entry.doc)
        if let after = constraints.after, record.date.isEmpty || record.date < after { return nil }
        if let before = constraints.before, record.date.isEmpty || record.date > before { return nil }
        var e = entry
        if constraints.sortByDate {
            e.primary = Double(record.date.replacingOccurrences(of: "-", with: "")) ?? 0
        }
        return e
    }

    public var ranking = RankingOptions() {
        didSet {
            bm25.k1 = ranking.k1
            bm25.b = ranking.b
            normsCache = Array(repeating: nil, count: reader.segments.count)
        }
    }
    public private(set) var bm25 = BM25()
    /// Query-time synonyms (empty: none).
    public var synonyms = SynonymTable.empty

    /// The plan of a plain query, with this searcher's analyzer, ranking and synonyms.
    public func plan(_ query: String) -> QueryPlan {
        QueryPlan(query: query, analyzer: analyzer, options: ranking, synonyms: synonyms)
    }

    /// The plan of the given pieces of text (see `QueryPlan.init(pieces:…)`).
    public func plan(pieces: [String]) -> QueryPlan {
        QueryPlan(pieces: pieces, analyzer: analyzer, options: ranking, synonyms: synonyms)
    }

    /// One segment's per-document accumulators, reused from query to query (allocating
    /// them anew cost page faults on every query).
    struct Accumulator {
        var scores: [Double] = []
        var matched: [UInt8] = []
        var elementsHeld: [UInt16] = []

        mutating func reset(documentCount: Int, countingElements: Bool) {
            if scores.count != documentCount {
                scores = [Double](repeating: 0, count: documentCount)
                matched = [UInt8](repeating: 0, count: documentCount)
                elementsHeld = [UInt16](repeating: 0, count: documentCount)
                return
            }
            scores.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            matched.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            if countingElements { elementsHeld.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        }

        mutating func withBuffers<R>(_ body: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<UInt8>,
                                              UnsafeMutableBufferPointer<UInt16>) throws -> R) rethrows -> R {
            try scores.withUnsafeMutableBufferPointer { scores in
                try matched.withUnsafeMutableBufferPointer { matched in
                    try elementsHeld.withUnsafeMutableBufferPointer { try body(scores, matched, $0) }
                }
            }
        }
    }

    var accumulators: [Accumulator] = []

    /// Per segment, per document: the law the document is an article of (an index into the
    /// arrays below), −1 for none (`loadArticleLaws`, when first needed).
    var articleOfDoc: [[Int32]] = []
    /// Per law: its name's UTF-8 bytes, its kind (an index into `InstrumentKind.allCases`,
    /// read off the name when first needed: `unknownKind` until then), its live articles.
    var articleLawNames: [[UInt8]] = []
    var articleLawKinds: [UInt8] = []
    var articleLawSizes: [Int] = []
    var articleLawIDs: [TermBytes: Int32] = [:]
    static let unknownKind = UInt8.max
    /// Per law, scratch for one rescoring: members in the window (zero between queries),
    /// where they are grouped, and the evidence and factor computed from them.
    var lawMembers: [Int32] = []
    var lawStart: [Int32] = []
    var lawEvidence: [Double] = []
    var lawFactor: [Double] = []
    /// Whether the last query that could rescore articles did (see `search`).
    var lastQueryRescored = false

    /// The accumulators, one per segment, moved out of the searcher for one query.
    private func takeAccumulators() -> [Accumulator] {
        var taken: [Accumulator] = []
        swap(&taken, &accumulators)
        if taken.count != reader.segments.count { taken = Array(repeating: Accumulator(), count: reader.segments.count) }
        return taken
    }

    /// Where scoring scans decode a block of documents and frequencies.
    private let blockDocs = UnsafeMutablePointer<UInt32>.allocate(capacity: BitPacking.blockSize)
    /// The documents of the rarest element of the query being scored (kept between queries).
    private var rarestDocs: [UInt32] = []
    private let blockFreqs = UnsafeMutablePointer<UInt32>.allocate(capacity: BitPacking.blockSize)

    deinit {
        blockDocs.deallocate()
        blockFreqs.deallocate()
    }

    public init(reader: IndexReader) throws {
        self.reader = reader
        analyzer = try Analyzer(dictionary: reader.dictionary, script: .folded)
        normsCache = Array(repeating: nil, count: reader.segments.count)
        bm25.k1 = ranking.k1
        bm25.b = ranking.b
    }

    /// Per segment, k1 · (1 − b + b · length / avgdl) of every document: BM25's length
    /// normalisation, computed on first use.
    private var normsCache: [[Double]?]

    func lengthNorms(segment s: Int) throws -> [Double] {
        if let cached = normsCache[s] { return cached }
        let segment = reader.segments[s].reader
        let avgdl = reader.statisticsAverageLength
        let norms = try segment.documentLengths().map { bm25.k1 * (1 - bm25.b + bm25.b * Double($0) / avgdl) }
        normsCache[s] = norms
        return norms
    }

    /// Whether term `t` is left out of the score for being common: a character that only
    /// scores (not a phrase element) and occurs in more than `commonCharacterFraction` of
    /// the documents. Like the cutoff of Lucene's CommonTermsQuery: such a term says little
    /// and costs a long list.
    func isCommonCharacter(_ plan: QueryPlan, _ t: Int, isElement: Bool, docFreq: Int) -> Bool {
        guard !isElement, case .characterPrefix = plan.terms[t] else { return false }
        return Double(docFreq) > ranking.commonCharacterFraction * Double(reader.statisticsDocumentCount)
    }

    /// Where one query term's scoring postings come from in one segment.
    enum PostingsSource {
        case none
        case cursor(PostingsCursor)
        case merged(TermDocs)

        var docFreq: Int {
            switch self {
            case .none: 0
            case let .cursor(c): c.docFreq
            case let .merged(d): d.docs.count
            }
        }
    }

    typealias TermLocation = SegmentReader.TermLocation

    /// One term's documents in one segment, in doc order, with term frequencies.
    public struct TermDocs {
        var docs: [Int32] = []
        var freqs: [Int32] = []
    }

    /// Term lookups already made, per segment (a batch asks for the same bigrams again and
    /// again); bounded, and cleared when full.
    private var lookups: [ObjectIdentifier: [TermBytes: TermLocation?]] = [:]
    static let lookupCacheLimit = 200_000

    /// A term's bytes as a dictionary key, hashed in one call rather than byte by byte.
    struct TermBytes: Hashable {
        var bytes: [UInt8]
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    func lookup(_ term: [UInt8], in segment: SegmentReader) throws -> TermLocation? {
        let key = ObjectIdentifier(segment), cacheKey = TermBytes(bytes: term)
        if let cached = lookups[key]?[cacheKey] { return cached }
        let found = try segment.location(of: term)
        if lookups[key, default: [:]].count >= Self.lookupCacheLimit { lookups[key] = [:] }
        lookups[key, default: [:]][cacheKey] = .some(found)
        return found
    }

    /// The terms whose documents and frequencies score `term`: for a lone character its
    /// character-count term when the segment has one, else the terms it begins.
    func scoringLocations(_ term: QueryTerm, in segment: SegmentReader, positional: [TermLocation]? = nil) throws -> [TermLocation] {
        if case let .characterPrefix(bytes) = term, let o = try lookup([SegmentLayout.characterCountPrefix] + bytes, in: segment) {
            return [o]
        }
        return try positional ?? locations(term, in: segment)
    }

    /// The terms (with positions) `term` stands for in a segment.
    func locations(_ term: QueryTerm, in segment: SegmentReader) throws -> [TermLocation] {
        switch term {
        case let .exact(bytes):
            return try lookup(bytes, in: segment).map { [$0] } ?? []
        case let .characterPrefix(bytes):
            // Bigrams that begin with the character, and its unigram; not the words of three
            // or more characters that begin with it (no word of two characters is indexed).
            return try segment.characterAndBigrams(bytes)
        }
    }

    func termDocs(_ locations: [TermLocation], in segment: SegmentReader) throws -> TermDocs {
        var result = TermDocs()
        if locations.count == 1 {
            var cursor = try segment.postings(at: locations[0])
            result.docs.reserveCapacity(cursor.docFreq)
            result.freqs.reserveCapacity(cursor.docFreq)
            while try cursor.next() {
                result.docs.append(Int32(cursor.doc))
                result.freqs.append(Int32(cursor.freq))
            }
            return result
        }
        var freq: [Int32: Int32] = [:]
        for location in locations {
            var cursor = try segment.postings(at: location)
            while try cursor.next() { freq[Int32(cursor.doc), default: 0] += Int32(cursor.freq) }
        }
        for doc in freq.keys.sorted() {
            result.docs.append(doc)
            result.freqs.append(freq[doc]!)
        }
        return result
    }

    /// Moves every cursor of one element to `doc`; returns the element's frequency there.
    func frequency(_ cursors: inout [PostingsCursor], at doc: Int) throws -> Int {
        var total = 0
        for k in cursors.indices {
            if try cursors[k].advance(to: doc), cursors[k].doc == doc { total += cursors[k].freq }
        }
        return total
    }

    /// Positions of one element in the document its cursors stand on (merged, sorted).
    func positions(_ cursors: inout [PostingsCursor], doc: Int, into out: inout [Int32], scratch: inout [Int32]) throws {
        out.removeAll(keepingCapacity: true)
        for k in cursors.indices where cursors[k].doc == doc {
            try cursors[k].positions(into: &scratch)
            out.append(contentsOf: scratch)
        }
        if cursors.count > 1 { out.sort() }
    }

    public func search(_ query: String, k: Int = 10, offset: Int = 0, countExact: Bool = true) throws -> SearchResult {
        let plan = plan(query)
        return try search(plan, query: query, k: k, offset: offset, countExact: countExact)
    }

    /// Ranks the documents for `plan`. With `countExact`, every candidate's containment is
    /// checked so `exactCount` is exact; without, candidates are checked in descending BM25
    /// order only until the page is filled with documents that contain the query (an
    /// unchecked candidate scores below every checked one, so it could not outrank them
    /// even with the bonus), and `exactCount` is nil.
    public func search(_ plan: QueryPlan, query: String, k: Int, offset: Int = 0, countExact: Bool = true) throws -> SearchResult {
        guard !plan.isEmpty, reader.documentCount > 0 else {
            return SearchResult(query: query, total: 0, exactCount: countExact ? 0 : nil, hits: [])
        }
        let n = reader.statisticsDocumentCount
        // Per segment, per term: the terms phrases read, and where its scoring postings
        // come from (a cursor on one list, or several lists merged).
        var locationsBySegment: [[[TermLocation]]] = []
        var sourcesBySegment: [[PostingsSource]] = []
        var docFreq = [Int](repeating: 0, count: plan.terms.count)
        // The terms every part needs: a document holding all of them is a candidate for
        // containment (counted per document while scoring, instead of intersecting lists).
        let isElement = plan.isElement
        for view in reader.segments {
            var segmentLocations: [[TermLocation]] = []
            var sources: [PostingsSource] = []
            for (t, term) in plan.terms.enumerated() {
                // Positions are read only for phrase elements; a term that only scores needs
                // no positional lists (for a character, the bigrams it begins).
                let o = isElement[t] ? try locations(term, in: view.reader) : []
                let scoring = try scoringLocations(term, in: view.reader, positional: isElement[t] ? o : nil)
                let source: PostingsSource
                switch scoring.count {
                case 0: source = .none
                case 1: source = .cursor(try view.reader.postings(at: scoring[0]))
                default: source = .merged(try termDocs(scoring, in: view.reader))
                }
                docFreq[t] += source.docFreq
                segmentLocations.append(o)
                sources.append(source)
            }
            locationsBySegment.append(segmentLocations)
            sourcesBySegment.append(sources)
        }
        // A term's weight scales its whole BM25 part, so it folds into its idf.
        var idf = docFreq.indices.map { plan.weights[$0] * bm25.idf(docFreq: docFreq[$0], documentCount: n) }
        for t in plan.terms.indices where isCommonCharacter(plan, t, isElement: isElement[t], docFreq: docFreq[t]) {
            idf[t] = 0
            for s in sourcesBySegment.indices { sourcesBySegment[s][t] = .none }
        }
        let bonus = idf.reduce(0, +)
        let elementCount = isElement.filter { $0 }.count

        // BM25 of every matching live document, streamed from the postings into dense
        // accumulators (kept between queries), and the candidates for containment.
        var accumulators = takeAccumulators()
        defer { self.accumulators = accumulators }
        var candidates: [TopK.Entry] = []  // documents holding every term of every part
        for (s, view) in reader.segments.enumerated() {
            let segment = view.reader
            let norms = try lengthNorms(segment: s)
            accumulators[s].reset(documentCount: segment.docCount, countingElements: elementCount > 0)
            // Only the documents of the rarest element can hold every element: they are the
            // candidates' superset, kept while scoring instead of scanning every document.
            var rarest = -1
            for t in plan.terms.indices where isElement[t] {
                if rarest < 0 || sourcesBySegment[s][t].docFreq < sourcesBySegment[s][rarest].docFreq { rarest = t }
            }
            rarestDocs.removeAll(keepingCapacity: true)
            try accumulators[s].withBuffers { scores, matched, elementsHeld in
                try norms.withUnsafeBufferPointer { norms in
                    // Runs once per posting of every query term: raw buffers, blocks of documents.
                    @inline(__always)
                    func add(_ doc: Int, _ freq: UInt32, _ termIDF: Double, _ element: Bool) {
                        if let deletions = view.deletions, deletions.contains(doc) { return }
                        let tf = Double(freq)
                        scores[doc] += termIDF * tf / (tf + norms[doc])
                        matched[doc] = 1
                        if element { elementsHeld[doc] &+= 1 }
                    }
                    for t in plan.terms.indices {
                        let termIDF = idf[t], element = isElement[t]
                        switch sourcesBySegment[s][t] {
                        case .none:
                            continue
                        case var .cursor(cursor):
                            while true {
                                let n = try cursor.nextBlock(docs: blockDocs, freqs: blockFreqs)
                                if n == 0 { break }
                                for i in 0..<n { add(Int(blockDocs[i]), blockFreqs[i], termIDF, element) }
                                if t == rarest { rarestDocs.append(contentsOf: UnsafeBufferPointer(start: blockDocs, count: n)) }
                            }
                        case let .merged(d):
                            for i in d.docs.indices { add(Int(d.docs[i]), UInt32(d.freqs[i]), termIDF, element) }
                            if t == rarest { for doc in d.docs { rarestDocs.append(UInt32(doc)) } }
                        }
                    }
                }
                // In document order, as the postings are; a deleted one never counts its elements.
                for doc in rarestDocs.lazy.map(Int.init) where Int(elementsHeld[doc]) == elementCount {
                    candidates.append(TopK.Entry(score: scores[doc], segment: s, doc: doc, exact: false))
                }
            }
        }

        // Containment, checked on candidates: all of them, or best first until the page fills.
        var exact = reader.segments.map { _ in [Bool]() }
        let needed = k + offset
        var exactTotal = 0
        var exactFound = 0
        // With metadata constraints some exact candidates may be filtered out, so check all.
        if countExact || !constraints.isEmpty {
            exactTotal = try checkContainment(candidates[...], plan: plan, locations: locationsBySegment, into: &exact)
            exactFound = exactTotal
        } else if !candidates.isEmpty && needed > 0 {
            // Best unchecked candidates first, in growing rounds.
            var chunk = max(16, 2 * needed)
            var found = 0
            var unchecked = candidates
            while found < needed && !unchecked.isEmpty {
                var best = TopK(capacity: chunk)
                for c in unchecked { best.insert(c) }
                let round = best.sorted()
                found += try checkContainment(round[...], plan: plan, locations: locationsBySegment, into: &exact)
                exactFound = found
                if round.count == unchecked.count { break }
                let threshold = round[round.count - 1]
                unchecked.removeAll { !$0.ranksBelow(threshold) }
                chunk *= 2
            }
        }

        // Article rescoring reorders documents that do not contain the query: needed only
        // when such documents reach the page, and only when one of them is an article.
        let constrained = !constraints.isEmpty
        let mayRescore = ranking.rescoresArticles && !constraints.sortByDate && (constrained || exactFound < needed)
        // A page inside the window is taken from the rescored window. A longer one (`search -l`,
        // a deep --offset) has its first `window` hits rescored and the rest after them in BM25
        // order, as Lucene's rescorer does: so every page agrees with every other.
        let window = ranking.rescoreWindow
        let pageInWindow = mayRescore && needed <= window
        var heap = TopK(capacity: constrained && pageInWindow ? window : needed)
        var total = 0
        // After a query that rescored, the next one likely will too (the collection holds
        // articles): collect the window at once and take the page from it, rather than
        // scanning twice. Either way the page, and so the outcome, is the same.
        var speculativeWindow: [TopK.Entry]? = nil
        if pageInWindow && !constrained && lastQueryRescored {
            let (entries, matched) = bestWindow(capacity: window, accumulators: &accumulators, exact: exact, bonus: bonus)
            speculativeWindow = entries
            total = matched
            for e in entries { heap.insert(e) }
        }
        for s in reader.segments.indices where speculativeWindow == nil {
            let exactHere = exact[s]
            try accumulators[s].withBuffers { scores, matched, _ in
                if !constrained {
                    total &+= Self.collectBest(into: &heap, segment: s, scores: scores, matched: matched, exact: exactHere, bonus: bonus)
                    return
                }
                for doc in 0..<scores.count where matched[doc] != 0 {
                    total += 1
                    let isExact = !exactHere.isEmpty && exactHere[doc]
                    let entry = TopK.Entry(score: scores[doc] + (isExact ? bonus : 0), segment: s, doc: doc, exact: isExact)
                    if let admitted = try constrain(entry) {
                        heap.insert(admitted)
                    } else {
                        total -= 1
                        if isExact { exactTotal -= 1 }
                    }
                }
            }
        }
        var ranked = heap.sorted()
        var rescored: [Int: ArticleRescoring] = [:]
        var containmentScale = 1.0
        var rescoredCount = 0  // the first hits, which went through rescoring
        let pageHoldsArticle = try mayRescore && ranked.prefix(needed).contains { try !$0.exact && articleLaw(segment: $0.segment, doc: $0.doc) != nil }
        if mayRescore && !constrained { lastQueryRescored = pageHoldsArticle }
        if pageHoldsArticle && pageInWindow {
            if !constrained {
                ranked = speculativeWindow ?? bestWindow(capacity: window, accumulators: &accumulators, exact: exact, bonus: bonus).entries
            }
            (ranked, rescored, containmentScale) = try rescoreArticles(ranked, needed: needed, containmentBonus: bonus)
            rescoredCount = ranked.count
        } else if pageHoldsArticle {
            let (first, info, scale) = try rescoreArticles(Array(ranked.prefix(window)), needed: window, containmentBonus: bonus)
            ranked = first + ranked.dropFirst(window)
            (rescored, containmentScale, rescoredCount) = (info, scale, first.count)
        } else if ranked.count > needed {
            ranked.removeLast(ranked.count - needed)
        }
        var hits: [Hit] = []
        for (i, e) in ranked.enumerated() where i >= offset {
            let record = try reader.segments[e.segment].reader.document(e.doc)
            var hit = Hit(rank: i + 1, score: e.score, exact: e.exact, segment: e.segment, doc: e.doc, record: record)
            hit.article = rescored[i]
            if e.exact && i < rescoredCount { hit.containmentScale = containmentScale }
            hits.append(hit)
        }
        return SearchResult(query: query, total: total, exactCount: countExact ? exactTotal : nil, hits: hits)
    }

    /// Offers every matched document of one segment to `collector`; returns how many matched.
    /// Documents come in order, so one that only ties the lowest kept entry ranks below it:
    /// one score comparison settles most documents. `matched` is read only past that
    /// comparison (a branch on it mispredicted every other document).
    @inline(__always)
    static func collectBest<C: ScoreCollector>(into collector: inout C, segment s: Int, scores: UnsafeMutableBufferPointer<Double>,
                                        matched: UnsafeMutableBufferPointer<UInt8>, exact: [Bool], bonus: Double) -> Int {
        var total = 0
        var floor = collector.floor
        /// What every path offers: a matched document whose score beats the floor.
        @inline(__always)
        func consider(_ doc: Int, _ score: Double, exact isExact: Bool) {
            if score > floor && matched[doc] != 0 {
                collector.offer(score: score, segment: s, doc: doc, exact: isExact)
                floor = collector.floor
            }
        }
        guard exact.isEmpty else {
            for doc in 0..<scores.count {
                total &+= Int(matched[doc])
                let isExact = exact[doc]
                consider(doc, isExact ? scores[doc] + bonus : scores[doc], exact: isExact)
            }
            return total
        }
        // No document contains the query (the usual case for a question): eight scores are
        // compared with the floor at once, and only a group with one above it is looked into.
        for doc in 0..<matched.count { total &+= Int(matched[doc]) }
        let count = scores.count
        var doc = 0
        if let base = scores.baseAddress {
            var floors = SIMD8<Double>(repeating: floor)
            while doc + 8 <= count {
                let group = UnsafeRawPointer(base + doc).loadUnaligned(as: SIMD8<Double>.self)
                if any(group .> floors) {
                    for d in doc..<(doc + 8) { consider(d, scores[d], exact: false) }
                    floors = SIMD8<Double>(repeating: floor)
                }
                doc += 8
            }
        }
        for d in doc..<count { consider(d, scores[d], exact: false) }
        return total
    }

    /// Checks which candidates contain every part of the plan as a phrase, adding them to
    /// `exact`; returns how many did.
    @discardableResult
    func checkContainment(_ candidates: ArraySlice<TopK.Entry>, plan: QueryPlan,
                          locations: [[[TermLocation]]], into exact: inout [[Bool]]) throws -> Int {
        var bySegment = [[Int32]](repeating: [], count: reader.segments.count)
        for c in candidates { bySegment[c.segment].append(Int32(c.doc)) }
        var found = 0
        for (s, var docs) in bySegment.enumerated() where !docs.isEmpty {
            docs.sort()
            let matches = try phraseMatches(plan, segment: reader.segments[s].reader,
                                            locations: locations[s], candidates: docs)
            if exact[s].isEmpty { exact[s] = [Bool](repeating: false, count: reader.segments[s].reader.docCount) }
            for doc in matches { exact[s][Int(doc)] = true }
            found += matches.count
        }
        return found
    }

    /// Those of `candidates` (sorted documents holding every element) in which every part
    /// of the plan occurs as a phrase.
    func phraseMatches(_ plan: QueryPlan, segment: SegmentReader,
                       locations: [[TermLocation]], candidates: [Int32]) throws -> [Int32] {
        var remaining = candidates
        var starts: [Int32] = [], positions: [Int32] = [], kept: [Int32] = [], scratch: [Int32] = []
        for part in plan.parts where part.elements.count > 1 {
            var cursors: [[PostingsCursor]] = try part.termIndices.map { t in try locations[t].map { try segment.postings(at: $0) } }
            var frequencies = [Int](repeating: 0, count: cursors.count)
            remaining = try remaining.filter { doc in
                for e in cursors.indices { frequencies[e] = try frequency(&cursors[e], at: Int(doc)) }
                // Start from the rarest element; drop phrase starts as each other one rules them out.
                let order = cursors.indices.sorted { frequencies[$0] < frequencies[$1] }
                try self.positions(&cursors[order[0]], doc: Int(doc), into: &positions, scratch: &scratch)
                let anchor = part.elements[order[0]].offset
                starts.removeAll(keepingCapacity: true)
                for p in positions { starts.append(p - anchor) }
                for e in order.dropFirst() {
                    try self.positions(&cursors[e], doc: Int(doc), into: &positions, scratch: &scratch)
                    keepStarts(&starts, occurringAt: positions, offset: part.elements[e].offset, into: &kept)
                    if starts.isEmpty { return false }
                }
                return true
            }
            if remaining.isEmpty { break }
        }
        return remaining
    }
}

/// Keeps the phrase starts s for which s + offset is in `positions` (both sorted).
func keepStarts(_ starts: inout [Int32], occurringAt positions: [Int32], offset: Int32, into kept: inout [Int32]) {
    kept.removeAll(keepingCapacity: true)
    var j = 0
    for s in starts {
        let want = s + offset
        while j < positions.count && positions[j] < want { j += 1 }
        if j < positions.count && positions[j] == want { kept.append(s) }
    }
    swap(&starts, &kept)
}

func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
    var result: [Int32] = []
    var i = 0, j = 0
    while i < a.count && j < b.count {
        if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else {
            result.append(a[i])
            i += 1
            j += 1
        }
    }
    return result
}

/// Keeps the best entries offered in document order; `floor` is the score an entry must
/// beat to be kept.
protocol ScoreCollector {
    var floor: Double { get }
    mutating func offer(score: Double, segment: Int, doc: Int, exact: Bool)
}

/// The best `capacity` entries, for windows of hundreds where a heap's sifting would cost
/// more than the scoring: entries above the floor are appended, and whenever four times the
/// capacity are held the best `capacity` are selected and the floor raised to the lowest of
/// them. Ties go to the earlier document, as in `TopK`.
struct ScoreWindow: ScoreCollector {
    typealias Element = (score: Double, key: UInt64)
    let capacity: Int
    /// How many entries are held before the best `capacity` are selected.
    private let limit: Int
    private(set) var entries: [Element] = []
    private(set) var floor: Double

    /// `floor`: a score the caller knows enough entries beat (else −∞). A capacity may be
    /// as large as "every document" (`search -l`).
    init(capacity: Int, floor: Double = -.infinity) {
        self.capacity = max(0, capacity)
        self.floor = floor
        limit = self.capacity > Int.max / 4 ? Int.max : 4 * self.capacity
        entries.reserveCapacity(min(limit, 1 << 16))
    }

    /// Before, in rank order: higher score, then earlier segment and document.
    @inline(__always)
    static func before(_ a: Element, _ b: Element) -> Bool {
        a.score > b.score || (a.score == b.score && a.key < b.key)
    }

    @inline(__always)
    mutating func offer(score: Double, segment: Int, doc: Int, exact: Bool) {
        entries.append((score, UInt64(segment) << 32 | UInt64(doc)))
        if entries.count == limit { keepBest() }
    }

    /// Keeps the best `capacity` entries (in no order).
    private mutating func keepBest() {
        guard entries.count > capacity else { return }
        entries.withUnsafeMutableBufferPointer { selectFirst(capacity, of: $0, by: Self.before) }
        entries.removeLast(entries.count - capacity)
        floor = entries.reduce(Double.infinity) { min($0, $1.score) }
    }

    /// The kept entries, in no order; `exact` tells which documents contain the query.
    mutating func kept(exact: [[Bool]]) -> [TopK.Entry] {
        keepBest()
        return entries.map { e in
            let s = Int(e.key >> 32), d = Int(e.key & 0xFFFF_FFFF)
            return TopK.Entry(score: e.score, segment: s, doc: d, exact: !exact[s].isEmpty && exact[s][d])
        }
    }
}

/// Moves the `k` first elements in `before` order to the front of `e`, in no order
/// (quickselect, Hoare partitioning).
@inline(__always)
func selectFirst<T>(_ k: Int, of e: UnsafeMutableBufferPointer<T>, by before: (T, T) -> Bool) {
    guard k > 0, k < e.count else { return }
    var low = 0, high = e.count - 1
    let last = k - 1
    while low < high {
        let pivot = e[(low + high) / 2]
        var i = low, j = high
        while i <= j {
            while before(e[i], pivot) { i += 1 }
            while before(pivot, e[j]) { j -= 1 }
            if i <= j {
                e.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if last <= j { high = j } else if last >= i { low = i } else { break }
    }
}

extension TopK: ScoreCollector {
    var floor: Double { lowestScore }

    @inline(__always)
    mutating func offer(score: Double, segment: Int, doc: Int, exact: Bool) {
        insert(Entry(score: score, segment: segment, doc: doc, exact: exact))
    }
}

/// A bounded min-heap keeping the best `capacity` entries; ties go to the earlier document.
struct TopK {
    struct Entry {
        var score: Double
        var segment: Int
        var doc: Int
        var exact: Bool
        /// Ranks before the score when set (sorting by date).
        var primary: Double = 0

        /// True when `self` ranks below `other`.
        func ranksBelow(_ other: Entry) -> Bool {
            if primary != other.primary { return primary < other.primary }
            if score != other.score { return score < other.score }
            if segment != other.segment { return segment > other.segment }
            return doc > other.doc
        }
    }

    let capacity: Int
    private var heap: [Entry] = []

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// The score of the entry the next insertion would evict (−∞ while there is room,
    /// +∞ when nothing is kept). Without a primary key, an entry scoring at or below it
    /// that comes after every kept entry in document order would not be kept.
    var lowestScore: Double {
        capacity == 0 ? .infinity : (heap.count < capacity ? -.infinity : heap[0].score)
    }

    mutating func insert(_ e: Entry) {
        guard capacity > 0 else { return }
        if heap.count < capacity {
            heap.append(e)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i].ranksBelow(heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        } else if heap[0].ranksBelow(e) {
            heap[0] = e
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && heap[l].ranksBelow(heap[smallest]) { smallest = l }
                if r < heap.count && heap[r].ranksBelow(heap[smallest]) { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
    }

    func sorted() -> [Entry] { heap.sorted { $1.ranksBelow($0) } }
}
