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
}

public struct SearchResult: Sendable {
    public var query: String
    /// Live documents that contain at least one query term.
    public var total: Int
    /// Live documents that contain the whole query (each part contiguously).
    public var exactCount: Int
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
    public var bm25 = BM25()

    public init(reader: IndexReader) throws {
        self.reader = reader
        analyzer = try Analyzer()
    }

    /// One term's documents in one segment, in doc order, with term frequencies.
    struct TermDocs {
        var docs: [Int32] = []
        var freqs: [Int32] = []
    }

    /// The term ordinals `term` stands for in a segment.
    func ordinals(_ term: QueryTerm, in segment: SegmentReader) throws -> [Int] {
        switch term {
        case let .exact(bytes):
            return try segment.lookup(bytes).map { [$0] } ?? []
        case let .characterPrefix(bytes):
            // Bigrams that begin with the character, and its unigram; not the words of three
            // or more characters that begin with it (no word of two characters is indexed).
            var result: [Int] = []
            for ordinal in try segment.terms(withPrefix: bytes) {
                let t = try segment.termBytes(ordinal)
                let rest = t.count - bytes.count
                if rest == 0 {
                    result.append(ordinal)
                } else {
                    let tail = UnsafeBufferPointer(rebasing: t.bindMemory(to: UInt8.self)[bytes.count...])
                    if UTF8Decoding.decode(tail, at: 0).length == rest { result.append(ordinal) }
                }
            }
            return result
        }
    }

    func termDocs(_ ordinals: [Int], in segment: SegmentReader) throws -> TermDocs {
        var result = TermDocs()
        if ordinals.count == 1 {
            var cursor = try segment.postings(ordinals[0])
            result.docs.reserveCapacity(cursor.docFreq)
            result.freqs.reserveCapacity(cursor.docFreq)
            while try cursor.next() {
                result.docs.append(Int32(cursor.doc))
                result.freqs.append(Int32(cursor.freq))
            }
            return result
        }
        var freq: [Int32: Int32] = [:]
        for ordinal in ordinals {
            var cursor = try segment.postings(ordinal)
            while try cursor.next() { freq[Int32(cursor.doc), default: 0] += Int32(cursor.freq) }
        }
        for doc in freq.keys.sorted() {
            result.docs.append(doc)
            result.freqs.append(freq[doc]!)
        }
        return result
    }

    /// Positions of `ordinals` (merged) in `doc`, advancing `cursors` forward only.
    func positions(_ cursors: inout [PostingsCursor], doc: Int, scratch: inout [Int32]) throws -> [Int32] {
        var result: [Int32] = []
        for k in cursors.indices {
            while cursors[k].doc < doc {
                guard try cursors[k].next() else { break }
            }
            if cursors[k].doc == doc {
                try cursors[k].positions(into: &scratch)
                result.append(contentsOf: scratch)
            }
        }
        if cursors.count > 1 { result.sort() }
        return result
    }

    public func search(_ query: String, k: Int = 10, offset: Int = 0) throws -> SearchResult {
        let plan = QueryPlan(query: query, analyzer: analyzer)
        return try search(plan, query: query, k: k, offset: offset)
    }

    public func search(_ plan: QueryPlan, query: String, k: Int, offset: Int = 0) throws -> SearchResult {
        guard !plan.isEmpty, reader.documentCount > 0 else {
            return SearchResult(query: query, total: 0, exactCount: 0, hits: [])
        }
        let n = reader.statisticsDocumentCount
        let avgdl = reader.statisticsAverageLength
        // Per segment, per term: ordinals and documents.
        var ordinalsBySegment: [[[Int]]] = []
        var docsBySegment: [[TermDocs]] = []
        var docFreq = [Int](repeating: 0, count: plan.terms.count)
        for view in reader.segments {
            var segmentOrdinals: [[Int]] = []
            var docs: [TermDocs] = []
            for (t, term) in plan.terms.enumerated() {
                let o = try ordinals(term, in: view.reader)
                let d = try termDocs(o, in: view.reader)
                docFreq[t] += d.docs.count
                segmentOrdinals.append(o)
                docs.append(d)
            }
            ordinalsBySegment.append(segmentOrdinals)
            docsBySegment.append(docs)
        }
        let idf = docFreq.map { bm25.idf(docFreq: $0, documentCount: n) }
        let bonus = idf.reduce(0, +)
        let termIndex = Dictionary(uniqueKeysWithValues: plan.terms.enumerated().map { ($1, $0) })

        var heap = TopK(capacity: k + offset)
        var total = 0
        var exactCount = 0
        var scratch: [Int32] = []
        for (s, view) in reader.segments.enumerated() {
            let segment = view.reader
            var scores = [Double](repeating: 0, count: segment.docCount)
            var matched = [Bool](repeating: false, count: segment.docCount)
            for t in plan.terms.indices {
                let d = docsBySegment[s][t]
                for i in d.docs.indices {
                    let doc = Int(d.docs[i])
                    if view.isDeleted(doc) { continue }
                    let length = Double(try segment.docLength(doc))
                    scores[doc] += bm25.score(tf: Int(d.freqs[i]), idf: idf[t], length: length, averageLength: avgdl)
                    matched[doc] = true
                }
            }
            // Exact containment: documents holding every element of every part.
            var exact = try exactMatches(plan, termIndex: termIndex, segment: segment,
                                         ordinals: ordinalsBySegment[s], docs: docsBySegment[s], scratch: &scratch)
            exact.removeAll { view.isDeleted(Int($0)) }
            for doc in exact { scores[Int(doc)] += bonus }
            exactCount += exact.count
            var isExact = [Bool](repeating: false, count: exact.isEmpty ? 0 : segment.docCount)
            for doc in exact { isExact[Int(doc)] = true }
            for doc in 0..<segment.docCount where matched[doc] {
                total += 1
                heap.insert(TopK.Entry(score: scores[doc], segment: s, doc: doc, exact: !isExact.isEmpty && isExact[doc]))
            }
        }
        let ranked = heap.sorted()
        var hits: [Hit] = []
        for (i, e) in ranked.enumerated() where i >= offset {
            let record = try reader.segments[e.segment].reader.document(e.doc)
            hits.append(Hit(rank: i + 1, score: e.score, exact: e.exact, segment: e.segment, doc: e.doc, record: record))
        }
        return SearchResult(query: query, total: total, exactCount: exactCount, hits: hits)
    }

    /// Documents of a segment that contain every part of the plan as a phrase.
    func exactMatches(_ plan: QueryPlan, termIndex: [QueryTerm: Int], segment: SegmentReader,
                      ordinals: [[Int]], docs: [TermDocs], scratch: inout [Int32]) throws -> [Int32] {
        var result: [Int32]? = nil
        for part in plan.parts {
            // Candidates: documents that hold all of the part's terms.
            var candidates: [Int32]? = nil
            for element in part.elements {
                let list = docs[termIndex[element.term]!].docs
                candidates = candidates.map { intersect($0, list) } ?? list
            }
            if let r = result { candidates = intersect(candidates ?? [], r) }
            guard var remaining = candidates, !remaining.isEmpty else { return [] }
            if part.elements.count > 1 {
                var cursors: [[PostingsCursor]] = try part.elements.map { element in
                    try ordinals[termIndex[element.term]!].map { try segment.postings($0) }
                }
                remaining = try remaining.filter { doc in
                    var lists: [[Int32]] = []
                    for e in cursors.indices {
                        lists.append(try positions(&cursors[e], doc: Int(doc), scratch: &scratch))
                    }
                    return phraseOccurs(lists, offsets: part.elements.map(\.offset))
                }
            }
            result = remaining
        }
        return result ?? []
    }
}

/// Whether some p in lists[0] has p + offsets[i] - offsets[0] in every lists[i].
func phraseOccurs(_ lists: [[Int32]], offsets: [Int32]) -> Bool {
    guard let first = lists.first else { return false }
    outer: for p in first {
        for i in 1..<lists.count {
            let want = p + offsets[i] - offsets[0]
            if !binaryContains(lists[i], want) { continue outer }
        }
        return true
    }
    return false
}

func binaryContains(_ a: [Int32], _ x: Int32) -> Bool {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo < a.count && a[lo] == x
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

/// A bounded min-heap keeping the best `capacity` entries; ties go to the earlier document.
struct TopK {
    struct Entry {
        var score: Double
        var segment: Int
        var doc: Int
        var exact: Bool

        /// True when `self` ranks below `other`.
        func ranksBelow(_ other: Entry) -> Bool {
            if score != other.score { return score < other.score }
            if segment != other.segment { return segment > other.segment }
            return doc > other.doc
        }
    }

    let capacity: Int
    private var heap: [Entry] = []

    init(capacity: Int) { self.capacity = max(0, capacity) }

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
