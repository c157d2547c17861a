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
    /// Whether the term came from a synonym of the query's words, not from the query.
    public var fromSynonym = false
}

public struct Explanation: Sendable {
    public var parts: [ScorePart]
    /// The bonus of a document that contains the query (the sum of the terms' weighted idf,
    /// times the hit's `containmentScale`).
    public var containmentBonus: Double
    /// For an article rescored with its law's evidence and kind: (Σ parts + evidence) × factor.
    public var article: ArticleRescoring? = nil
    public var bm25: Double { parts.reduce(0) { $0 + $1.score } }
    public var total: Double {
        guard let article else { return bm25 + containmentBonus }
        return (bm25 + article.evidence) * article.factor + containmentBonus
    }
}

extension Searcher {
    /// How each hit's score of a plain query comes about: every term's BM25 part, the
    /// containment bonus and any article rescoring; the parts add up to the hit's score. Each term's postings are read
    /// once for all the hits.
    public func explain(_ plan: QueryPlan, hits: [Hit]) throws -> [Explanation] {
        let n = reader.statisticsDocumentCount
        let avgdl = reader.statisticsAverageLength
        let lengths = try hits.map { Int(try reader.segments[$0.segment].reader.docLength($0.doc)) }
        var parts = [[ScorePart]](repeating: [], count: hits.count)
        var bonus = 0.0
        let isElement = plan.isElement
        for (t, term) in plan.terms.enumerated() {
            var df = 0
            var tf = [Int](repeating: 0, count: hits.count)
            for (s, view) in reader.segments.enumerated() {
                let docs = try termDocs(try scoringLocations(term, in: view.reader), in: view.reader)
                df += docs.docs.count
                for (h, hit) in hits.enumerated() where hit.segment == s {
                    if let i = docs.docs.firstIndex(of: Int32(hit.doc)) { tf[h] = Int(docs.freqs[i]) }
                }
            }
            if isCommonCharacter(plan, t, isElement: isElement[t], docFreq: df) { continue }
            let idf = plan.weights[t] * bm25.idf(docFreq: df, documentCount: n)
            bonus += idf
            for h in hits.indices where tf[h] > 0 {
                let score = bm25.score(tf: tf[h], idf: idf, length: Double(lengths[h]), averageLength: avgdl)
                parts[h].append(ScorePart(term: term.description, weight: plan.weights[t], idf: idf / plan.weights[t],
                                          termFrequency: tf[h], documentLength: lengths[h], averageLength: avgdl, score: score,
                                          fromSynonym: plan.fromSynonym[t]))
            }
        }
        return hits.indices.map {
            Explanation(parts: parts[$0], containmentBonus: hits[$0].exact ? bonus * hits[$0].containmentScale : 0,
                        article: hits[$0].article)
        }
    }
}
