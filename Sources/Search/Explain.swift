import Index

/// One term's part of a document's score.
public struct ScorePart: Sendable {
    public var term: String
    public var weight: Double
    public var idf: Double
    public var termFrequency: Int
    public var documentLength: Int
    public var averageLength: Double
    /// weight · idf · tf / (tf + k1 · (1 − b + b · length / average))
    public var score: Double
}

public struct Explanation: Sendable {
    public var parts: [ScorePart]
    /// The bonus of a document that contains the query (the sum of the terms' weighted idf).
    public var containmentBonus: Double
    public var total: Double { parts.reduce(0) { $0 + $1.score } + containmentBonus }
}

extension Searcher {
    /// How a hit's score of a plain query comes about: each term's BM25 part and the
    /// containment bonus; the parts add up to the hit's score.
    public func explain(_ plan: QueryPlan, hit: Hit) throws -> Explanation {
        let n = reader.statisticsDocumentCount
        let avgdl = reader.statisticsAverageLength
        let segment = reader.segments[hit.segment].reader
        let length = Int(try segment.docLength(hit.doc))
        var parts: [ScorePart] = []
        var bonus = 0.0
        for (t, term) in plan.terms.enumerated() {
            var df = 0
            var tf = 0
            for (s, view) in reader.segments.enumerated() {
                let docs = try termDocs(try scoringOrdinals(term, in: view.reader), in: view.reader)
                df += docs.docs.count
                if s == hit.segment, let i = docs.docs.firstIndex(of: Int32(hit.doc)) { tf = Int(docs.freqs[i]) }
            }
            let idf = plan.weights[t] * bm25.idf(docFreq: df, documentCount: n)
            bonus += idf
            guard tf > 0 else { continue }
            let score = bm25.score(tf: tf, idf: idf, length: Double(length), averageLength: avgdl)
            parts.append(ScorePart(term: term.description, weight: plan.weights[t], idf: idf / plan.weights[t], termFrequency: tf,
                                   documentLength: length, averageLength: avgdl, score: score))
        }
        return Explanation(parts: parts, containmentBonus: hit.exact ? bonus : 0)
    }
}
