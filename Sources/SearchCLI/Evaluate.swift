import ArgumentParser
import Foundation
import Index
import Search

extension SearchCommand {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval",
            abstract: "Measure ranking quality: nDCG@10, MRR@10, Recall@K and MAP@K (trec_eval's definitions).",
            discussion: """
            QUERIES holds QID<TAB>QUERY lines; QRELS holds QID<TAB>DOCID<TAB>GRADE (BEIR) or \
            QID 0 DOCID GRADE (TREC) lines. Documents are matched by DOCID (a collection line's \
            id, or a file's path relative to its indexed folder). Every judged query of QUERIES \
            counts, and one that finds nothing scores 0; judgements of queries not in QUERIES \
            are left out (so a subset of the questions can be measured on its own).
            """
        )

        @OptionGroup var location: IndexLocation

        @OptionGroup var synonymsOption: SynonymsOption

        @Option(name: .long, help: "The queries (QID<TAB>QUERY).")
        var queries: String

        @Option(name: .long, help: "The relevance judgements.")
        var qrels: String

        @Option(name: .long, help: "Depth of the ranking evaluated for Recall and MAP.")
        var k: Int = 100

        @Flag(name: .long, help: "Also print each query's figures.")
        var perQuery = false

        // Ranking knobs, for tuning experiments.
        @Option(name: .long, help: .hidden) var k1: Double?
        @Option(name: .long, help: .hidden) var b: Double?
        @Option(name: .long, help: .hidden) var crossWordWeight: Double?
        @Option(name: .long, help: .hidden) var characterWeight: Double?
        @Option(name: .long, help: .hidden) var wordWeight: Double?
        @Option(name: .long, help: .hidden) var questionWeight: Double?
        @Flag(name: .long, help: .hidden) var plainBM25 = false
        @Option(name: .long, help: .hidden) var repeatedTermsAdd: Bool?
        @Option(name: .long, help: .hidden) var everyCharacterWeight: Double?
        @Option(name: .long, help: .hidden) var commonCharacterFraction: Double?
        @Option(name: .long, help: .hidden) var lawEvidence: Double?
        @Option(name: .long, help: .hidden) var lawDepth: Int?
        @Option(name: .long, help: .hidden) var rescoreWindow: Int?
        @Option(name: .long, help: .hidden) var lawSize: Double?
        /// Multiplies every instrument bonus (0 turns them off).
        @Option(name: .long, help: .hidden) var instrumentScale: Double?
        @Option(name: .long, help: .hidden) var synonymWeight: Double?

        func run() throws {
            guard let queryText = try? String(contentsOfFile: queries, encoding: .utf8) else { throw UserError("\(queries): cannot read") }
            guard let qrelsText = try? String(contentsOfFile: qrels, encoding: .utf8) else { throw UserError("\(qrels): cannot read") }
            let judgements = EvaluationMetrics.parseQrels(qrelsText)
            let reader = try openIndex(location)
            let searcher = try Searcher(reader: reader)
            var options = plainBM25 ? RankingOptions.plainBM25 : searcher.ranking
            if let k1 { options.k1 = k1 }
            if let b { options.b = b }
            if let crossWordWeight { options.crossWordBigramWeight = crossWordWeight }
            if let characterWeight { options.singleCharacterWeight = characterWeight }
            if let wordWeight { options.wordWeight = wordWeight }
            if let questionWeight { options.questionWordWeight = questionWeight }
            if let repeatedTermsAdd { options.repeatedTermsAdd = repeatedTermsAdd }
            if let everyCharacterWeight { options.characterWeight = everyCharacterWeight }
            if let commonCharacterFraction { options.commonCharacterFraction = commonCharacterFraction }
            if let lawEvidence { options.lawEvidenceWeight = lawEvidence }
            if let lawDepth { options.lawEvidenceDepth = lawDepth }
            if let rescoreWindow { options.rescoreWindow = rescoreWindow }
            if let lawSize { options.lawSizeWeight = lawSize }
            if let instrumentScale { options.instrumentBonus = options.instrumentBonus.mapValues { $0 * instrumentScale } }
            if let synonymWeight { options.synonymWeight = synonymWeight }
            searcher.ranking = options
            searcher.synonyms = try synonymsOption.load(index: location, normalizer: searcher.analyzer.normalizer)
            var rankings: [String: [String]] = [:]
            var asked = 0
            let started = Date()
            for line in queryText.split(whereSeparator: \.isNewline) {
                guard let tab = line.firstIndex(of: "\t") else { continue }
                let qid = String(line[..<tab])
                guard judgements[qid] != nil else { continue }
                let result = try searcher.search(String(line[line.index(after: tab)...]), k: k, countExact: false)
                rankings[qid] = result.hits.map(\.record.docID)
                asked += 1
            }
            let seconds = Date().timeIntervalSince(started)
            let (mean, perQueryMetrics) = EvaluationMetrics.mean(rankings: rankings, qrels: judgements.filter { rankings[$0.key] != nil }, depth: k)
            if perQuery {
                for qid in perQueryMetrics.keys.sorted() {
                    let m = perQueryMetrics[qid]!
                    print(String(format: "%@\tndcg@10 %.4f\tmrr@10 %.4f\trecall@%d %.4f\tmap@%d %.4f", qid, m.ndcg10, m.mrr10, k, m.recall, k, m.map))
                }
            }
            print("queries: \(perQueryMetrics.count) judged, \(asked) run in \(String(format: "%.2f", seconds)) s")
            print(String(format: "nDCG@10   %.4f", mean.ndcg10))
            print(String(format: "MRR@10    %.4f", mean.mrr10))
            print(String(format: "Recall@%d %.4f", k, mean.recall))
            print(String(format: "MAP@%d    %.4f", k, mean.map))
        }
    }
}
