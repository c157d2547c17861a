import Foundation

/// Relevance judgements: query id → document id → grade (> 0 is relevant).
public typealias Qrels = [String: [String: Int]]

/// Ranking quality with trec_eval's definitions (ndcg_cut, recip_rank cut at 10,
/// recall and map_cut at the depth asked): gains are the judged grades, discounts
/// log2(rank + 1); queries are averaged over every judged query, and a judged query that
/// retrieved nothing scores 0.
public struct EvaluationMetrics: Sendable, Equatable {
    public var ndcg10 = 0.0
    public var mrr10 = 0.0
    public var recall = 0.0
    public var map = 0.0
    public var depth = 100

    public init() {}

    /// Metrics of one ranked list against one query's judgements.
    public static func score(ranking: [String], judgements: [String: Int], depth: Int) -> EvaluationMetrics {
        var m = EvaluationMetrics()
        m.depth = depth
        let relevantCount = judgements.values.filter { $0 > 0 }.count
        guard relevantCount > 0 else { return m }
        var seen = Set<String>()
        let ranked = ranking.filter { seen.insert($0).inserted }  // a document counts once
        var dcg = 0.0
        for (i, doc) in ranked.prefix(10).enumerated() {
            let grade = judgements[doc] ?? 0
            if grade > 0 {
                dcg += Double(grade) / log2(Double(i) + 2)
                if m.mrr10 == 0 { m.mrr10 = 1 / Double(i + 1) }
            }
        }
        let ideal = judgements.values.filter { $0 > 0 }.sorted(by: >).prefix(10).enumerated()
            .reduce(0.0) { $0 + Double($1.element) / log2(Double($1.offset) + 2) }
        m.ndcg10 = ideal > 0 ? dcg / ideal : 0
        var hits = 0
        var precisionSum = 0.0
        for (i, doc) in ranked.prefix(depth).enumerated() where (judgements[doc] ?? 0) > 0 {
            hits += 1
            precisionSum += Double(hits) / Double(i + 1)
        }
        m.recall = Double(hits) / Double(relevantCount)
        m.map = precisionSum / Double(relevantCount)
        return m
    }

    /// The mean over judged queries; `rankings` may lack queries (they score 0).
    public static func mean(rankings: [String: [String]], qrels: Qrels, depth: Int) -> (mean: EvaluationMetrics, perQuery: [String: EvaluationMetrics]) {
        var sum = EvaluationMetrics()
        sum.depth = depth
        var perQuery: [String: EvaluationMetrics] = [:]
        let judged = qrels.filter { $0.value.values.contains { $0 > 0 } }
        for (qid, judgements) in judged {
            let m = score(ranking: rankings[qid] ?? [], judgements: judgements, depth: depth)
            perQuery[qid] = m
            sum.ndcg10 += m.ndcg10
            sum.mrr10 += m.mrr10
            sum.recall += m.recall
            sum.map += m.map
        }
        let n = Double(max(1, judged.count))
        sum.ndcg10 /= n
        sum.mrr10 /= n
        sum.recall /= n
        sum.map /= n
        return (sum, perQuery)
    }

    /// Reads a qrels file: `QID [0] DOCID GRADE` (TREC, space separated) or
    /// `QID<TAB>DOCID<TAB>GRADE` (BEIR, with or without a header line).
    public static func parseQrels(_ text: String) -> Qrels {
        var qrels: Qrels = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
            let (qid, doc, gradeText): (String, String, String)
            switch fields.count {
            case 3: (qid, doc, gradeText) = (fields[0], fields[1], fields[2])
            case 4: (qid, doc, gradeText) = (fields[0], fields[2], fields[3])
            default: continue
            }
            guard let grade = Int(gradeText) else { continue }  // a header line
            qrels[qid, default: [:]][doc] = grade
        }
        return qrels
    }
}
