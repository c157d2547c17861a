import Foundation
import Testing
import Analysis
import Index
import IndexFormat
@testable import Search
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An index of the shipped sample report (../corpus), built once per test.
func sampleIndex() throws -> (TemporaryDirectory, IndexReader) {
    let dir = TemporaryDirectory()
    let sample = SharedData.repositoryRoot + "/corpus"
    for name in try FileManager.default.contentsOfDirectory(atPath: sample) {
        dir.write("corpus/" + name, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: sample + "/" + name))))
    }
    // Decoys: documents with only pieces of the query, in both scripts.
    dir.write("corpus/decoy1.txt", "復工的日期與產量報告，工業區的園林建設。")
    dir.write("corpus/decoy2.txt", "复产前的准备工作，园林和区域规划。")
    let writer = try IndexWriter(directory: dir.path + "/index")
    _ = try writer.update(roots: [DocumentSource.absolutePath(dir.path + "/corpus")!])
    return (dir, try IndexReader.open(directory: dir.path + "/index"))
}

@Suite struct HeadlineQueryTests {
    @Test(arguments: ["復工復產", "复工复产", "園區", "园区"])
    func sampleReportRanksFirst(query: String) throws {
        let (dir, reader) = try sampleIndex()
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        let result = try searcher.search(query, k: 10)
        let first = try #require(result.hits.first)
        #expect(first.record.file.hasSuffix("000_d4955fed3019d925.txt"))
        #expect(first.exact)
        #expect(result.exactCount == 1)
        // The snippet shows the report in its own (Traditional) script, without annotations.
        let plan = QueryPlan(query: query, analyzer: searcher.analyzer)
        let text = try #require(DocumentSource.text(of: first.record))
        let snippet = try #require(SnippetMaker(normalizer: searcher.analyzer.normalizer).snippet(for: plan, in: text))
        let highlighted = String(decoding: Array(snippet.text.utf8)[snippet.highlights[0]], as: UTF8.self)
        #expect(["復工復產", "園區"].contains(highlighted))
        #expect(!snippet.text.contains("(fù)"))
    }

    @Test func scriptsGiveTheSameRanking() throws {
        let (dir, reader) = try sampleIndex()
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        for (traditional, simplified) in [("復工復產", "复工复产"), ("園區", "园区"), ("黨組織 非公企業", "党组织 非公企业")] {
            let a = try searcher.search(traditional).hits.map { "\($0.record.path) \($0.score)" }
            let b = try searcher.search(simplified).hits.map { "\($0.record.path) \($0.score)" }
            #expect(a == b)
            #expect(!a.isEmpty)
        }
    }

    @Test func partialMatchesRankBelowExactOnes() throws {
        let (dir, reader) = try sampleIndex()
        defer { withExtendedLifetime(dir) {} }
        let result = try Searcher(reader: reader).search("復工復產", k: 10)
        #expect(result.total == 3)
        #expect(result.hits.map(\.exact) == [true, false, false])
    }
}

@Suite struct TopKTests {
    @Test func keepsTheBestInOrder() {
        var heap = TopK(capacity: 3)
        for (i, s) in [0.5, 2.0, 1.0, 3.0, 2.0, 0.1].enumerated() {
            heap.insert(TopK.Entry(score: s, segment: 0, doc: i, exact: false))
        }
        #expect(heap.sorted().map(\.doc) == [3, 1, 4])
    }

    /// Whether some start s (from the first list) has s + offsets[i] in every other list,
    /// checked the way phrase matching does it.
    func phraseOccurs(_ lists: [[Int32]], offsets: [Int32]) -> Bool {
        var starts = lists[0].map { $0 - offsets[0] }
        var kept: [Int32] = []
        for i in 1..<lists.count { keepStarts(&starts, occurringAt: lists[i], offset: offsets[i], into: &kept) }
        return !starts.isEmpty
    }

    @Test func phraseStartsCheckRelativeOffsets() {
        #expect(phraseOccurs([[1, 5], [2, 9], [3]], offsets: [0, 1, 2]))
        #expect(!phraseOccurs([[1, 5], [3, 9], [3]], offsets: [0, 1, 2]))
        #expect(intersect([1, 3, 5, 7], [2, 3, 7, 8]) == [3, 7])
    }
}

/// One index of ../shared/data/corpus-dev for all tests that need it (built once).
final class CorpusDevIndex: Sendable {
    static let shared = CorpusDevIndex()
    let directory: TemporaryDirectory
    let reader: IndexReader?

    init() {
        directory = TemporaryDirectory()
        guard SharedData.hasCorpusDev else {
            reader = nil
            return
        }
        let writer = try! IndexWriter(directory: directory.path + "/index")
        _ = try! writer.update(roots: [DocumentSource.absolutePath(SharedData.corpusDev)!])
        reader = try! IndexReader.open(directory: directory.path + "/index")
    }
}

/// Scores every document of corpus-dev from scratch (analysing each text, counting terms,
/// BM25 by the formula) and compares with what the index answers.
@Suite struct BruteForceBM25Tests {
    struct DocStats {
        var normalized: String
        var length: Int
        var counts: [QueryTerm: Int]
    }

    @Test func scoresEqualABruteForceComputation() throws {
        guard SharedData.hasCorpusDev else {
            print("skipped: \(SharedData.corpusDev) is absent")
            return
        }
        var queries = try String(contentsOfFile: SharedData.benchQueries, encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        queries += ["园", "法", "2020", "第一条 国务院", "PM2.5", "條例", "第十二條", "人民政府 批准"]
        #expect(queries.count >= 50)

        let reader = try #require(CorpusDevIndex.shared.reader)
        let searcher = try Searcher(reader: reader)
        // The recomputation below is BM25 with every distinct term at weight 1.
        searcher.ranking = .plainBM25
        let analyzer = try Analyzer(script: .folded)
        let plans = queries.map { QueryPlan(query: $0, analyzer: analyzer, options: .plainBM25) }
        let allTerms = Set(plans.flatMap(\.terms))

        // Brute force: analyse every document again, as the index does (ICU reading
        // Traditional text as written).
        let documentAnalyzer = try Analyzer.forIndexing()
        var docs: [String: DocStats] = [:]
        try reader.forEachDocument { _, _, record in
            let text = try #require(DocumentSource.text(of: record))
            let analyzed = text.withUnsafeBufferPointer { documentAnalyzer.analyze($0) }
            var counts: [QueryTerm: Int] = [:]
            for token in analyzed.tokens {
                let term = QueryTerm.exact(Array(analyzed.normalized.bytes[Int(token.termStart)..<Int(token.termEnd)]))
                if allTerms.contains(term) { counts[term, default: 0] += 1 }
            }
            // A lone character's frequency is simply how often it occurs.
            let normalized = analyzed.normalized.string
            for term in allTerms {
                if case let .characterPrefix(bytes) = term {
                    let c = String(decoding: bytes, as: UTF8.self).unicodeScalars.first!
                    counts[term] = normalized.unicodeScalars.filter { $0 == c }.count
                }
            }
            docs[record.path] = DocStats(normalized: normalized, length: analyzed.tokens.count, counts: counts)
        }
        #expect(docs.count == 1584)
        let n = Double(docs.count)
        let avgdl = Double(docs.values.reduce(0) { $0 + $1.length }) / n

        for (query, plan) in zip(queries, plans) {
            var scores: [String: Double] = [:]
            var exactCount = 0
            let idf = plan.terms.map { term -> Double in
                let df = Double(docs.values.filter { ($0.counts[term] ?? 0) > 0 }.count)
                return log(1 + (n - df + 0.5) / (df + 0.5))
            }
            let bonus = idf.reduce(0, +)
            for (path, d) in docs {
                var score = 0.0
                var any = false
                for (t, term) in plan.terms.enumerated() {
                    let tf = Double(d.counts[term] ?? 0)
                    guard tf > 0 else { continue }
                    any = true
                    score += idf[t] * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * Double(d.length) / avgdl))
                }
                guard any else { continue }
                let parts = query.split(whereSeparator: \.isWhitespace).map { analyzer.normalizer.normalize(String($0)).string }
                if parts.allSatisfy({ d.normalized.contains($0) }) {
                    score += bonus
                    exactCount += 1
                }
                scores[path] = score
            }
            let result = try searcher.search(query, k: 10)
            // --explain: the parts add up to the score shown.
            let top = Array(result.hits.prefix(3))
            for (hit, explanation) in zip(top, try searcher.explain(QueryPlan(query: query, analyzer: searcher.analyzer, options: searcher.ranking), hits: top)) {
                #expect(abs(explanation.total - hit.score) <= 1e-9 * max(1, hit.score), "\(query): explanation")
            }
            // Without counting, the first page is the same.
            let lazy = try searcher.search(query, k: 10, countExact: false)
            #expect(lazy.hits.map(\.score) == result.hits.map(\.score), "\(query): lazy containment")
            #expect(lazy.exactCount == nil)
            #expect(result.total == scores.count, "\(query): total")
            #expect(result.exactCount == exactCount, "\(query): documents containing the query")
            let expectedTop = scores.values.sorted(by: >).prefix(10)
            #expect(result.hits.count == expectedTop.count, "\(query): hit count")
            for (hit, expected) in zip(result.hits, expectedTop) {
                #expect(abs(hit.score - expected) <= 1e-9 * max(1, expected), "\(query): rank \(hit.rank)")
                #expect(abs(hit.score - scores[hit.record.path]!) <= 1e-9 * max(1, expected), "\(query): \(hit.record.path)")
            }
        }
    }
}

@Suite struct EvaluationTests {
    @Test func binaryJudgementsByHand() {
        let m = EvaluationMetrics.score(ranking: ["d1", "d2", "d3", "d4"], judgements: ["d2": 1, "d4": 1, "d9": 1, "d5": 0], depth: 100)
        #expect(abs(m.mrr10 - 0.5) < 1e-12)
        // DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3) + 1/log2(4).
        #expect(abs(m.ndcg10 - (1 / log2(3.0) + 1 / log2(5.0)) / (1 + 1 / log2(3.0) + 0.5)) < 1e-12)
        #expect(abs(m.ndcg10 - 0.498190) < 1e-6)
        #expect(abs(m.recall - 2.0 / 3) < 1e-12)
        #expect(abs(m.map - (0.5 + 0.5) / 3) < 1e-12)
    }

    @Test func gradedJudgementsAndDepth() {
        let m = EvaluationMetrics.score(ranking: ["b", "a"], judgements: ["a": 2, "b": 1], depth: 1)
        #expect(abs(m.ndcg10 - (1 + 2 / log2(3.0)) / (2 + 1 / log2(3.0))) < 1e-12)
        #expect(m.mrr10 == 1)
        #expect(m.recall == 0.5)  // only "b" within depth 1
        #expect(m.map == 0.5)
    }

    @Test func unansweredJudgedQueriesScoreZero() {
        let qrels = EvaluationMetrics.parseQrels("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3 0 d3 1\n")
        #expect(qrels.count == 3)
        let (mean, perQuery) = EvaluationMetrics.mean(rankings: ["q1": ["d1"]], qrels: qrels, depth: 10)
        #expect(perQuery.count == 3)
        #expect(abs(mean.ndcg10 - 1.0 / 3) < 1e-12)
        #expect(abs(mean.recall - 1.0 / 3) < 1e-12)
    }
}

/// The recall guarantee: for a query q, every document whose normalised text contains q is
/// returned, above every document that does not. Checked on random substrings of the
/// corpus against a byte scan of every normalised document.
@Suite struct RecallGuaranteeTests {
    @Test func randomSubstringsAreNeverMissed() throws {
        guard let reader = CorpusDevIndex.shared.reader else {
            print("skipped: \(SharedData.corpusDev) is absent")
            return
        }
        let searcher = try Searcher(reader: reader)
        let normalizer = Normalizer()
        var docs: [(path: String, text: [UInt8])] = []
        try reader.forEachDocument { _, _, record in
            let original = try #require(DocumentSource.text(of: record))
            var bytes = original.withUnsafeBufferPointer { normalizer.normalize($0) }.bytes
            bytes.removeAll { $0 == 0 }
            bytes.append(0)
            docs.append((record.path, bytes))
        }
        var rng = SeededGenerator(seed: 20_261_127)
        var kinds: [String: Int] = [:]
        var checked = 0
        var misses: [String] = []
        while checked < 2000 {
            let doc = docs[Int.random(in: 0..<docs.count, using: &rng)]
            let scalars = Array(String(decoding: doc.text.dropLast(), as: UTF8.self).unicodeScalars)
            guard scalars.count > 8 else { continue }
            let length = Int.random(in: 1...8, using: &rng)
            let start = Int.random(in: 0...(scalars.count - length), using: &rng)
            let piece = scalars[start..<(start + length)]
            // Letters, digits and Han only: white space splits a query into parts.
            guard piece.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil }) else { continue }
            // Favour Latin and digits, which are rare in this corpus.
            let hasHan = piece.contains { CharClass.isHan($0.value) }
            let hasOther = piece.contains { !CharClass.isHan($0.value) }
            let kind = hasHan && hasOther ? "mixed" : hasHan ? "han" : "latin/digit"
            if kind == "han" && kinds["han", default: 0] >= 1200 { continue }
            kinds[kind, default: 0] += 1
            let query = String(String.UnicodeScalarView(piece))
            let needle = Array(query.utf8) + [0]
            let containing = Set(docs.filter { contains($0.text, needle) }.map(\.path))
            let counted = try searcher.search(query, k: 0)
            let result = try searcher.search(query, k: max(1, containing.count + 1))
            let exactHits = result.hits.prefix(containing.count)
            if counted.exactCount != containing.count || Set(exactHits.map(\.record.path)) != containing
                || !exactHits.allSatisfy(\.exact) {
                misses.append("\(query): engine \(counted.exactCount ?? -1), scan \(containing.count)")
            }
            if result.hits.count > containing.count { #expect(!result.hits[containing.count].exact) }
            checked += 1
        }
        print("recall guarantee: \(checked) substrings \(kinds.sorted { $0.key < $1.key }), \(misses.count) misses")
        #expect(misses.isEmpty, "\(misses.prefix(20))")
        #expect(kinds["latin/digit", default: 0] >= 100)
        #expect(kinds["mixed", default: 0] >= 50)
    }

    /// libc's strstr on NUL-terminated copies: fast enough to scan the corpus 2,000 times.
    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                strstr(UnsafeRawPointer(h.baseAddress!).assumingMemoryBound(to: CChar.self),
                       UnsafeRawPointer(n.baseAddress!).assumingMemoryBound(to: CChar.self)) != nil
            }
        }
    }
}

/// The same query in either script gives the same ranked list.
@Suite struct ScriptBlindTests {
    @Test func traditionalAndSimplifiedQueriesRankAlike() throws {
        guard let reader = CorpusDevIndex.shared.reader else {
            print("skipped: \(SharedData.corpusDev) is absent")
            return
        }
        let searcher = try Searcher(reader: reader)
        let folder = CharacterFolder()
        var rng = SeededGenerator(seed: 7)
        var traditional: [String] = []
        try reader.forEachDocument { _, _, record in
            guard record.file.contains("tw-law"), traditional.count < 400, let text = DocumentSource.text(of: record) else { return }
            let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
            for _ in 0..<3 where scalars.count > 10 {
                let length = Int.random(in: 2...6, using: &rng)
                let start = Int.random(in: 0...(scalars.count - length), using: &rng)
                let piece = String(String.UnicodeScalarView(scalars[start..<(start + length)]))
                // Only pieces that really differ between the scripts.
                if piece.unicodeScalars.allSatisfy({ CharClass.isHan($0.value) }) && folder.fold(piece) != piece {
                    traditional.append(piece)
                }
            }
        }
        #expect(traditional.count >= 100)
        for t in traditional.prefix(150) {
            let simplified = folder.fold(t)
            let a = try searcher.search(t, k: 10).hits.map { "\($0.record.path) \($0.score)" }
            let b = try searcher.search(simplified, k: 10).hits.map { "\($0.record.path) \($0.score)" }
            #expect(a == b, "\(t) / \(simplified)")
            #expect(!a.isEmpty)
        }
    }
}

/// Readers query in a loop while a writer commits again and again: every answer comes
/// from one whole commit, and a reader that keeps an old commit open keeps its answers.
@Suite struct ConcurrentReadersTests {
    @Test func readersSeeWholeCommitsWhileAWriterCommits() throws {
        let dir = TemporaryDirectory()
        let root = dir.path + "/docs"
        let tagged = 12
        func writeRound(_ r: Int) {
            for i in 0..<tagged {
                dir.write("docs/t\(i).txt", "標記R\(r)X\(r)\n第\(i)號，經濟社會發展。" + String(repeating: "復工復產園區建設", count: 50))
            }
        }
        writeRound(0)
        var options = IndexOptions()
        options.maxSegments = 3
        _ = try IndexWriter(directory: dir.path + "/index", options: options).update(roots: [DocumentSource.absolutePath(root)!])
        let first = try Searcher(reader: try IndexReader.open(directory: dir.path + "/index"))
        let firstAnswer = try first.search("標記R0X0", k: 0).exactCount

        final class Flag: @unchecked Sendable { var done = false; var messages: [String] = []; let lock = NSLock() }
        let flag = Flag()
        let failures = Flag()
        let readers = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: readers) {
                var rounds = 0
                while rounds < 5 || !(flag.lock.withLock { flag.done }) {
                    rounds += 1
                    do {
                        let searcher = try Searcher(reader: try IndexReader.open(directory: dir.path + "/index"))
                        let result = try searcher.search("標記R", k: 50)
                        let titles = Set(result.hits.map(\.record.title))
                        if result.exactCount != tagged || titles.count != 1 {
                            failures.lock.withLock { failures.messages.append("\(result.exactCount ?? -1) documents, titles \(titles)") }
                        }
                    } catch {
                        failures.lock.withLock { failures.messages.append("\(error)") }
                    }
                }
            }
        }
        for r in 1...15 {
            writeRound(r)
            _ = try IndexWriter(directory: dir.path + "/index", options: options).update(roots: [DocumentSource.absolutePath(root)!])
        }
        flag.lock.withLock { flag.done = true }
        readers.wait()
        #expect(failures.messages.isEmpty, "\(failures.messages.prefix(5))")
        // The first reader still answers from its own commit, whose files are long deleted.
        #expect(try first.search("標記R0X0", k: 0).exactCount == firstAnswer)
        #expect(firstAnswer == tagged)
    }
}

/// A flipped byte anywhere in a segment: `verify` reports it, and a query either fails with
/// `CorruptIndexError` or (when it reads nothing damaged) answers exactly as before.
@Suite struct CorruptSegmentQueryTests {
    @Test func queriesNeverReturnSilentlyWrongResults() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "西寧經濟技術開發區東川工業園區，復工復產率達到100%。PM2.5 濃度下降。")
        dir.write("docs/b.md", "# 疫情防控\n非公企業黨組織和廣大黨員在疫情防控、復工復產工作中的作用。")
        dir.write("docs/c.jsonl", "{\"_id\": \"x\", \"title\": \"園區\", \"text\": \"工業園區建設，經濟社會發展。\"}\n")
        var options = IndexOptions()
        options.workers = 1
        _ = try IndexWriter(directory: dir.path + "/index", options: options).update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!])
        let queries = ["復工復產", "园区", "黨", "疫情 防控", "pm2.5", "100", "經濟社會發展"]
        func answers() throws -> [String] {
            let searcher = try Searcher(reader: try IndexReader.open(directory: dir.path + "/index"))
            return try queries.map { q in
                let r = try searcher.search(q, k: 10)
                return "\(r.total) \(r.exactCount ?? -1) " + r.hits.map { "\($0.record.path) \($0.record.title) \($0.score)" }.joined(separator: "|")
            }
        }
        let expected = try answers()
        let reader = try IndexReader.open(directory: dir.path + "/index")
        let path = dir.path + "/index/" + reader.segments[0].entry.fileName
        let original = try FileSystem.read(path)
        var failedQueries = 0, sameAnswers = 0
        for offset in stride(from: 0, to: original.count, by: 3) {
            var bytes = original
            bytes[offset] ^= 0x10
            try FileSystem.writeAtomically(path, bytes, syncDirectory: false)
            #expect(throws: CorruptIndexError.self, "verify at \(offset)") { try IndexReader.open(directory: dir.path + "/index").verify() }
            do {
                let got = try answers()
                #expect(got == expected, "silently different answers with byte \(offset) flipped")
                sameAnswers += 1
            } catch is CorruptIndexError {
                failedQueries += 1
            }
        }
        try FileSystem.writeAtomically(path, original, syncDirectory: false)
        #expect(try answers() == expected)
        print("corrupt segment: \(failedQueries) flips made a query fail, \(sameAnswers) left every answer intact")
        #expect(failedQueries > sameAnswers)
    }
}

@Suite struct QueryLimitTests {
    @Test func hugeQueriesAreCutAndFinish() throws {
        let (dir, reader) = try sampleIndex()
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        var rng = SeededGenerator(seed: 3)
        let han = Array("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面")
        let many = (0..<3000).map { _ in String((0..<4).map { _ in han.randomElement(using: &rng)! }) }.joined(separator: " ")
        let plan = QueryPlan(query: many, analyzer: searcher.analyzer)
        #expect(plan.truncated)
        #expect(plan.terms.count == QueryPlan.maxTerms)
        let started = Date()
        _ = try searcher.search(many, k: 10)
        _ = try searcher.search(String(repeating: "的", count: 5000), k: 10)
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

@Suite struct QueryLanguageTests {
    @Test func parsesClausesAndReportsColumns() throws {
        #expect(try QueryParser.parse("复工") == .text("复工", quoted: false))
        #expect(try QueryParser.parse("\"疫情 防控\" -开发区") == .boolean([
            QueryClause(occur: .must, node: .text("疫情 防控", quoted: true)),
            QueryClause(occur: .mustNot, node: .text("开发区", quoted: false)),
        ]))
        #expect(try QueryParser.parse("a OR (b AND c)") == .or([
            .text("a", quoted: false),
            .boolean([QueryClause(occur: .must, node: .text("b", quoted: false)), QueryClause(occur: .must, node: .text("c", quoted: false))]),
        ]))
        #expect(try QueryParser.parse("title:條例 path:*/tw-law/*") == .boolean([
            QueryClause(occur: .must, node: .title("條例")), QueryClause(occur: .must, node: .path("*/tw-law/*")),
        ]))
        #expect(!QueryParser.usesSyntax("复工复产 疫情"))
        #expect(QueryParser.usesSyntax("复工 -疫情"))
        #expect(!QueryParser.usesSyntax("减-号"))  // a hyphen inside a word is text
        for (query, message, column) in [("園區 \"復工", "unbalanced quote", 4), ("(a b", "unbalanced parenthesis", 1),
                                          ("a b)", "unbalanced parenthesis", 4), ("OR a", "OR needs something before it", 1),
                                          ("a OR", "OR needs something after it", 3), ("title:", "title: needs a value", 1)] {
            #expect(throws: QuerySyntaxError(message: message, column: column)) { try QueryParser.parse(query) }
        }
    }

    /// Each operator returns what it promises on a corpus built here.
    @Test func operatorsDoWhatTheyPromise() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "# 科學園區設置管理條例\n園區之開發，復工復產。")
        dir.write("docs/b.txt", "# 工業區管理辦法\n開發區與園區的建設，疫情防控。")
        dir.write("docs/c.txt", "# 疫情報告\n疫情 防控工作，復工。")
        dir.write("sub/d.txt", "# 其他\n園區建設")
        _ = try IndexWriter(directory: dir.path + "/index").update(roots: [dir.path + "/docs", dir.path + "/sub"].map { DocumentSource.absolutePath($0)! })
        let searcher = try Searcher(reader: try IndexReader.open(directory: dir.path + "/index"))
        func names(_ q: String) throws -> Set<String> {
            Set(try searcher.search(try QueryParser.parse(q), query: q, k: 10).hits.map { $0.record.path.components(separatedBy: "/").last! })
        }
        #expect(try names("\"疫情防控\"") == ["b.txt"])            // as written: c.txt has a space inside
        #expect(try names("\"疫情 防控\"") == ["b.txt", "c.txt"])   // white space takes no position
        #expect(try names("園區 -開發區") == ["a.txt", "d.txt"])
        #expect(try names("+園區 疫情") == ["a.txt", "b.txt", "d.txt"])
        #expect(try names("辦法 OR 報告") == ["b.txt", "c.txt"])
        #expect(try names("園區 AND 復工") == ["a.txt"])
        #expect(try names("title:條例") == ["a.txt"])
        #expect(try names("title:管理 園區") == ["a.txt", "b.txt"])
        #expect(try names("園區 path:*/sub/*") == ["d.txt"])
        #expect(try names("(開發 OR 建設) -疫情") == ["a.txt", "d.txt"])
        // Ranking: the document containing every word comes first.
        let ranked = try searcher.search(try QueryParser.parse("+園區 建設 疫情"), query: "", k: 3).hits
        #expect(ranked.first?.record.path.hasSuffix("b.txt") == true)
        #expect(ranked.first?.exact == true)
    }
}

@Suite struct SnippetTests {
    @Test func upToThreeLinesWithEveryMatchHighlighted() throws {
        let analyzer = try Analyzer(script: .folded)
        let text = Array("第一行沒有。\n園區(qū)建設，園區管理。\n其他\n工業園區\n园区\n第六行園區".utf8)
        let plan = QueryPlan(query: "园区", analyzer: analyzer)
        let snippets = SnippetMaker(normalizer: analyzer.normalizer).snippets(for: plan, in: text, limit: 3)
        #expect(snippets.map(\.line) == [2, 4, 5])
        let first = snippets[0]
        #expect(first.text == "園區建設，園區管理。")  // the annotation is left out
        let marked = first.highlights.map { String(decoding: Array(first.text.utf8)[$0], as: UTF8.self) }
        #expect(marked == ["園區", "園區"])
        #expect(snippets[2].text == "园区")  // each document in its own script
    }

    /// A long document is searched piece by piece: a part found only in a later piece still
    /// wins over terms found earlier, snippets continue across pieces, and a hit known not to
    /// contain the part goes straight to the terms.
    @Test func longDocumentsAreSearchedPieceByPiece() throws {
        let analyzer = try Analyzer(script: .folded)
        var lines = (1...1000).map { "第\($0)行沒有。" }
        lines[9] = "只有建設"
        for n in [520, 700, 900] { lines[n - 1] = "工業園區建設第\(n)行" }
        let text = Array(lines.joined(separator: "\n").utf8)
        #expect(SnippetMaker.pieces(of: text).count > 2)
        let plan = QueryPlan(query: "园区建设", analyzer: analyzer)
        let maker = SnippetMaker(normalizer: analyzer.normalizer)
        #expect(maker.snippets(for: plan, in: text, limit: 3).map(\.line) == [520, 700, 900])
        #expect(maker.snippet(for: plan, in: text)?.text == "工業園區建設第520行")
        let termsOnly = try #require(maker.snippet(for: plan, in: text, mayContainParts: false))
        #expect(termsOnly.line == 10)
        #expect(termsOnly.highlights.map { String(decoding: Array(termsOnly.text.utf8)[$0], as: UTF8.self) } == ["建設"])
    }

    /// Matches are taken longest needle first; a shorter one overlapping a kept match is
    /// dropped, one-byte needles count, and a needle may overlap its own earlier match.
    @Test func findAllTakesLongestFirstWithoutOverlaps() throws {
        let maker = SnippetMaker(normalizer: try Analyzer(script: .folded).normalizer)
        let text = Array("工业园区和园区a园园园".utf8)
        let ranges = maker.findAll([Array("园区".utf8), Array("工业园区".utf8), Array("a".utf8), Array("园园".utf8)], in: text)
        let found = ranges.map { String(decoding: text[$0], as: UTF8.self) }
        #expect(found == ["工业园区", "园区", "a", "园园"])
        #expect(ranges.map(\.lowerBound) == [0, 15, 21, 22])
        // The last 园 overlaps the kept 园园 at 22..<28 only through its own second match.
        #expect(maker.findAll([Array("园园".utf8)], in: Array("园园园".utf8)) == [0..<6])
        #expect(maker.findAll([], in: text).isEmpty)
        #expect(maker.findAll([Array("区a".utf8)], in: text) == [18..<22])
    }
}

@Suite struct DefaultRankingTests {
    /// The default weights (chosen on STARD): repeated terms add up, question words and
    /// bigrams across word boundaries count less — and --explain still adds up.
    @Test func defaultWeightsAndExplanationsAgree() throws {
        let (dir, reader) = try sampleIndex()
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        #expect(searcher.ranking == RankingOptions())
        let query = "是否推動復工，推動復產"
        let plan = QueryPlan(query: query, analyzer: searcher.analyzer, options: searcher.ranking)
        func weight(_ term: String) -> Double? {
            plan.terms.firstIndex(of: .exact(Array(term.utf8))).map { plan.weights[$0] }
        }
        #expect(weight("推动") == 2)  // a word, twice in the query
        #expect(weight("是否") == 0.1)  // a question word
        #expect(weight("动复") == 1.4)  // 推动|复, twice: straddles two words each time
        // 園區|黨|建: 区党 straddles a two-character word, 党建 joins two lone characters.
        let short = QueryPlan(query: "園區黨建", analyzer: searcher.analyzer, options: searcher.ranking)
        #expect(short.terms.firstIndex(of: .exact(Array("区党".utf8))).map { short.weights[$0] } == 0.7)
        #expect(short.terms.firstIndex(of: .exact(Array("党建".utf8))).map { short.weights[$0] } == 1)
        let plain = QueryPlan(query: query, analyzer: searcher.analyzer, options: .plainBM25)
        #expect(plain.weights.allSatisfy { $0 == 1 })
        let result = try searcher.search(plan, query: query, k: 5)
        let hit = try #require(result.hits.first)
        let explanation = try #require(try searcher.explain(plan, hits: [hit]).first)
        #expect(abs(explanation.total - hit.score) <= 1e-9 * max(1, hit.score))
    }

    /// An ICU word of three or more Han characters is already counted by its bigrams and
    /// does not score again by default; a user-dictionary word and a Latin word do.
    @Test func longHanWordsScoreOnlyFromTheDictionary() throws {
        let text = "地方人民政府的COVID疫情"
        let plain = try Analyzer(script: .folded)
        let analyzed = plain.analyze(text)
        #expect(analyzed.tokens.contains { $0.kind == .word && analyzed.term($0) == "人民政府" })
        func term(_ plan: QueryPlan, _ word: String) -> Double? {
            plan.terms.firstIndex(of: .exact(Array(word.utf8))).map { plan.weights[$0] }
        }
        let byDefault = QueryPlan(query: text, analyzer: plain)
        #expect(term(byDefault, "人民政府") == nil)
        #expect(term(byDefault, "covid") == 1)
        #expect(term(byDefault, "政府") == 1)
        var options = RankingOptions()
        options.wordWeight = 0.5
        #expect(term(QueryPlan(query: text, analyzer: plain, options: options), "人民政府") == 0.5)
        let dictionary = UserDictionary.parse(Array("人民政府\n".utf8), normalizer: plain.normalizer)
        let withDictionary = QueryPlan(query: text, analyzer: try Analyzer(dictionary: dictionary, script: .folded))
        #expect(term(withDictionary, "人民政府") == 1)
    }
}

@Suite struct SynonymTests {
    let normalizer = Normalizer()

    @Test func parsesExplicitAndEquivalentRulesFoldedWithCommentsAndNotes() {
        let (table, skipped) = SynonymTable.parse("""
        # tenancy
        房東, 房主 => 出租人   # Traditional on the left folds like text
        工资, 薪水, 劳动报酬
        告 => 起诉, 起诉
        坏 词 => 无
        孤词
        """, normalizer: normalizer)
        func adds(_ word: String) -> [String]? {
            table.words(addedBy: normalizer.normalize(word).bytes[...])?.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(adds("房东") == ["出租人"])
        #expect(adds("房主") == ["出租人"])
        #expect(adds("出租人") == nil)                       // explicit rules go one way
        #expect(adds("薪水") == ["工资", "劳动报酬"])          // equivalent words add each other
        #expect(adds("劳动报酬") == ["工资", "薪水"])
        #expect(adds("告") == ["起诉"])                        // repeats dropped
        #expect(adds("孤词") == nil)                           // nothing to add
        #expect(skipped.count == 1 && skipped[0].contains("line 5") && skipped[0].contains("坏 词"))
        #expect(table.wordCount == 6)
    }

    @Test func wholeWordsOfTheQueryAddScoringTermsButNoParts() throws {
        let analyzer = try Analyzer(script: .folded)
        let (table, _) = SynonymTable.parse("房东 => 出租人\n告 => 起诉\n", normalizer: normalizer)
        let plain = QueryPlan(query: "房東不退押金", analyzer: analyzer)
        let expanded = QueryPlan(query: "房東不退押金", analyzer: analyzer, synonyms: table)
        #expect(expanded.parts.count == plain.parts.count)
        #expect(expanded.parts.map(\.text) == plain.parts.map(\.text))
        #expect(Array(expanded.terms.prefix(plain.terms.count)) == plain.terms)
        #expect(expanded.weights.prefix(plain.weights.count) == plain.weights[...])
        #expect(expanded.fromSynonym == plain.terms.map { _ in false } + added(expanded, plain))
        func added(_ e: QueryPlan, _ p: QueryPlan) -> [Bool] { Array(repeating: true, count: e.terms.count - p.terms.count) }
        let added = expanded.terms.dropFirst(plain.terms.count).map(\.description)
        #expect(added.contains("出租") && added.contains("租人") && added.contains("出*"))
        // Weighted as the query's own text would be, times synonymWeight.
        var options = RankingOptions()
        options.synonymWeight = 0.5
        let half = QueryPlan(query: "房東不退押金", analyzer: analyzer, options: options, synonyms: table)
        let own = QueryPlan(query: "出租人", analyzer: analyzer)
        let i = try #require(half.terms.firstIndex(of: .exact(Array("出租".utf8))))
        let j = try #require(own.terms.firstIndex(of: .exact(Array("出租".utf8))))
        #expect(half.weights[i] == 0.5 * own.weights[j])
        // 告 is a word of 可以告他吗, not of 报告.
        #expect(QueryPlan(query: "可以告他吗", analyzer: analyzer, synonyms: table).terms.contains(.exact(Array("起诉".utf8))))
        #expect(!QueryPlan(query: "工作报告", analyzer: analyzer, synonyms: table).terms.contains(.exact(Array("起诉".utf8))))
    }

    @Test func synonymsRankButNeverMakeADocumentContainTheQuery() throws {
        let dir = TemporaryDirectory()
        dir.write("docs/a.txt", "# 租赁\n出租人应当履行租赁物的维修义务。")
        dir.write("docs/b.txt", "# 其他\n维修费用由双方协商，押金另计。")
        _ = try IndexWriter(directory: dir.path + "/index").update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!])
        let searcher = try Searcher(reader: try IndexReader.open(directory: dir.path + "/index"))
        let query = "房东 维修"
        let before = try searcher.search(query, k: 10)
        searcher.synonyms = SynonymTable.parse("房东 => 出租人", normalizer: normalizer).table
        let after = try searcher.search(query, k: 10)
        #expect(before.exactCount == 0 && after.exactCount == 0)
        #expect(after.total == before.total)
        #expect(after.hits.first?.record.path.hasSuffix("a.txt") == true)
        let a = { (r: SearchResult) in r.hits.first { $0.record.path.hasSuffix("a.txt") }!.score }
        #expect(a(after) > a(before))
        // --explain still adds up.
        let plan = searcher.plan(query)
        for (hit, e) in zip(after.hits, try searcher.explain(plan, hits: after.hits)) {
            #expect(abs(e.total - hit.score) <= 1e-9 * max(1, hit.score))
            if hit.record.path.hasSuffix("a.txt") {
                #expect(e.parts.contains { $0.term == "出租" && $0.fromSynonym })
                #expect(e.parts.contains { $0.term == "维修" && !$0.fromSynonym })
            }
        }
    }
}
