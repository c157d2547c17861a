import Foundation
import Testing
import Index
@testable import Search
import TestSupport

@Suite struct LegalArticleTests {
    @Test func titlesNamingAnArticleGiveTheLawAndItsKind() {
        let cases: [(String, String, LegalArticle.InstrumentKind)] = [
            ("劳动合同法第十条", "劳动合同法", .law),
            ("民法典第一千零七十九条", "民法典", .law),
            ("著作權法第 3 條", "著作權法", .law),
            ("刑法第一百二十条之一", "刑法", .law),
            ("最高人民法院关于适用《民事诉讼法》的解释第九十一条", "最高人民法院关于适用《民事诉讼法》的解释", .judicialInterpretation),
            ("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第一条", "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", .judicialInterpretation),
            ("物业管理条例第三条", "物业管理条例", .regulation),
            ("商標法施行細則第二條", "商標法施行細則", .rules),
            ("网络预约出租汽车经营服务管理暂行办法第五条", "网络预约出租汽车经营服务管理暂行办法", .rules),
            ("全国人民代表大会常务委员会关于加强法律解释工作的决议第二条", "全国人民代表大会常务委员会关于加强法律解释工作的决议", .judicialInterpretation),
            ("中国共产党纪律处分条例（2023修订）第五条", "中国共产党纪律处分条例（2023修订）", .regulation),
            ("国务院关于个人独资企业的决定第一条", "国务院关于个人独资企业的决定", .other),
        ]
        for (title, law, kind) in cases {
            let article = LegalArticle(title: title)
            #expect(article?.law == law, "\(title)")
            #expect(article?.kind == kind, "\(title)")
        }
        for title in ["政府工作报告", "中华人民共和国民法典", "第十条", "关于第三条的说明", "第十条规定", "某法第条", "某法第x条", ""] {
            #expect(LegalArticle(title: title) == nil, "\(title)")
        }
    }
}

/// A collection of law articles (BEIR lines), as statute search indexes them.
private func articleIndex(_ lines: [(id: String, title: String, text: String)]) throws -> (TemporaryDirectory, IndexReader) {
    let dir = TemporaryDirectory()
    let body = lines.map { line in
        let object = ["_id": line.id, "title": line.title, "text": line.text]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }.joined(separator: "\n") + "\n"
    dir.write("docs/laws.jsonl", body)
    _ = try IndexWriter(directory: dir.path + "/index").update(roots: [DocumentSource.absolutePath(dir.path + "/docs")!])
    return (dir, try IndexReader.open(directory: dir.path + "/index"))
}

private let statutes: [(id: String, title: String, text: String)] = [
    ("a1", "商户法第一条", "商户办理注销登记后，债务由原经营者承担。"),
    ("a2", "商户法第二条", "商户的债务，经营者以个人财产承担；家庭经营的以家庭财产承担。"),
    ("a3", "商户法第三条", "商户注销前应当清偿债务。"),
    ("b1", "登记条例第一条", "注销登记的商户，其债务承担依照有关法律规定，并予公告。"),
    ("c1", "登记办法第九条", "申请注销登记的，应当提交注销登记申请书。"),
    ("d1", "统计报告", "本年度商户注销数量与债务情况统计。"),
    ("e1", "合同法第八条", "依法成立的合同，对当事人具有法律约束力。"),
]

@Suite struct ArticleRescoringTests {
    /// Law evidence and the instrument's kind reorder the articles; scores still add up in
    /// --explain, and a document that contains the query still ranks above every rescored one.
    @Test func articlesAreRescoredAndExplanationsAddUp() throws {
        let (dir, reader) = try articleIndex(statutes + [("x1", "担保法第五条", "已注销的商户的债务承担，依照本法。")])
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        let query = "已注销的商户的债务承担"
        let plan = QueryPlan(query: query, analyzer: searcher.analyzer, options: searcher.ranking)
        let result = try searcher.search(plan, query: query, k: 10)
        let ids = result.hits.map(\.record.docID)
        #expect(ids.first == "x1")  // contains the query: first, whatever rescoring does
        #expect(result.hits.first?.exact == true)
        #expect(try #require(result.hits.first).containmentScale > 1)
        for (hit, next) in zip(result.hits, result.hits.dropFirst()) { #expect(hit.score >= next.score) }
        let rescored = result.hits.filter { $0.article != nil }
        #expect(rescored.count == 5)  // every matching article but the exact one; not the report
        #expect(result.hits.first { $0.record.docID == "d1" }?.article == nil)
        #expect(result.hits.first { $0.record.docID == "a1" }?.article?.kind == .law)
        #expect(result.hits.first { $0.record.docID == "b1" }?.article?.factor == 1 + searcher.ranking.instrumentBonus[.regulation]!)
        for (hit, e) in zip(result.hits, try searcher.explain(plan, hits: result.hits)) {
            #expect(abs(e.total - hit.score) <= 1e-9 * max(1, hit.score), "\(hit.record.docID)")
            #expect(e.article?.law == hit.article?.law)
        }
        // Three articles of 商户法 match: each gains their evidence, which b1's law lacks.
        let a = try #require(result.hits.first { $0.record.docID == "a1" }?.article)
        let b = try #require(result.hits.first { $0.record.docID == "b1" }?.article)
        #expect(a.evidence > b.evidence)
    }

    /// What rescoring changes, against BM25 alone: an article of the law with several
    /// matching articles (商户法, a statute) overtakes the regulation's better single match.
    @Test func lawEvidenceLiftsALawsArticles() throws {
        let (dir, reader) = try articleIndex(statutes)
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        let query = "注销登记的债务"
        var plain = RankingOptions()
        plain.rescoreWindow = 0
        searcher.ranking = plain
        let before = try searcher.search(query, k: 10).hits.map(\.record.docID)
        searcher.ranking = RankingOptions()
        let after = try searcher.search(query, k: 10).hits.map(\.record.docID)
        let overtaking = ["a1", "a2", "a3"].filter { a in
            before.firstIndex(of: a)! > before.firstIndex(of: "b1")! && after.firstIndex(of: a)! < after.firstIndex(of: "b1")!
        }
        #expect(!overtaking.isEmpty, "before \(before), after \(after)")
        #expect(Set(before) == Set(after))
    }

    /// The window is collected speculatively after a query that rescored; the answers must
    /// not depend on it, nor on a window of hundreds being selected in pieces.
    @Test func answersDoNotDependOnQueryOrderOrWindowCollection() throws {
        var lines = statutes
        for i in 0..<3000 {
            let law = ["商户法", "登记条例", "合同法", "登记办法"][i % 4]
            lines.append(("g\(i)", law + "第\(i + 10)条", ["商户", "债务", "注销", "登记", "合同", "承担"].shuffled().prefix(1 + i % 4).joined(separator: "，") + "。"))
        }
        let (dir, reader) = try articleIndex(lines)
        defer { withExtendedLifetime(dir) {} }
        let queries = ["商户债务", "注销登记", "合同 承担", "统计报告", "商户的债务由谁承担", "注销"]
        func answer(_ searcher: Searcher, _ q: String) throws -> String {
            try searcher.search(q, k: 20, countExact: false).hits.map { "\($0.record.docID):\($0.score)" }.joined(separator: " ")
        }
        let fresh = try queries.map { try answer(try Searcher(reader: reader), $0) }
        let shared = try Searcher(reader: reader)
        for (q, expected) in zip(queries + queries.reversed(), fresh + fresh.reversed()) {
            #expect(try answer(shared, q) == expected, "\(q)")
        }
        // Pages agree: ten at a time up to the window's end, one long page, and every
        // document (whose first 500 are the window) list the same documents in the same order.
        for q in ["商户债务", "注销登记"] {
            let searcher = try Searcher(reader: reader)
            let window = searcher.ranking.rescoreWindow
            var paged: [String] = []
            for offset in stride(from: 0, to: window, by: 50) {
                paged += try searcher.search(q, k: 50, offset: offset, countExact: false).hits.map(\.record.docID)
            }
            let long = try searcher.search(q, k: window, countExact: false).hits.map(\.record.docID)
            let all = try searcher.search(q, k: Int.max / 4, countExact: false).hits.map(\.record.docID)
            #expect(paged == long, "\(q)")
            #expect(Array(all.prefix(window)) == long, "\(q)")
            #expect(all.count > window)
        }
    }

    /// `search -l` asks for every document (k = Int.max / 4): the window is then every
    /// document, and rescoring must neither overflow nor lose any (it once trapped).
    @Test func everyDocumentCanBeAskedFor() throws {
        let (dir, reader) = try articleIndex(statutes)
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        for _ in 0..<2 {  // the second time the window is collected speculatively
            let all = try searcher.search("注销登记的债务", k: Int.max / 4, countExact: false)
            #expect(all.hits.count == all.total)
            #expect(all.hits.contains { $0.article != nil })
            #expect(try searcher.search("注销登记的债务", k: 3).hits.map(\.record.docID) == all.hits.prefix(3).map(\.record.docID))
        }
    }

    /// Each law's articles are counted at index time (a term per law), and an article of a
    /// large code outranks an equally matching article of a one-article regulation by the
    /// size factor, which --explain includes.
    @Test func largerLawsWeighMore() throws {
        let code = (1...30).map { (id: "p\($0)", title: "大法典第\($0)条", text: "本法典规定第\($0)项事务。") }
        let lines = code + [
            (id: "p31", title: "大法典第三十一条", text: "船舶扣押期间的费用由申请人负担。"),
            (id: "q1", title: "小条例第一条", text: "船舶扣押期间的费用由申请人负担。"),
        ]
        let (dir, reader) = try articleIndex(lines)
        defer { withExtendedLifetime(dir) {} }
        let searcher = try Searcher(reader: reader)
        #expect(try searcher.articles(of: "大法典") == 31)
        #expect(try searcher.articles(of: "小条例") == 1)
        #expect(try searcher.articles(of: "无此法") == 0)
        searcher.ranking.lawSizeWeight = 0.5
        searcher.ranking.instrumentBonus = [:]
        let query = "扣押船舶的费用谁负担"
        let result = try searcher.search(query, k: 5)
        #expect(result.hits.prefix(2).map(\.record.docID) == ["p31", "q1"])
        let big = try #require(result.hits.first?.article)
        #expect(big.articles == 31)
        #expect(abs(big.factor - (1 + 0.5 * log10(31) / 3)) < 1e-12)
        #expect(result.hits[1].article?.factor == 1)
        let plan = QueryPlan(query: query, analyzer: searcher.analyzer, options: searcher.ranking)
        for (hit, e) in zip(result.hits, try searcher.explain(plan, hits: result.hits)) {
            #expect(abs(e.total - hit.score) <= 1e-9 * max(1, hit.score), "\(hit.record.docID)")
        }
        // Without the size factor the regulation's article leads (its title is shorter).
        searcher.ranking.lawSizeWeight = 0
        #expect(try searcher.search(query, k: 5).hits.prefix(2).map(\.record.docID) == ["q1", "p31"])
    }

    @Test func scoreWindowKeepsWhatAHeapKeeps() {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            let capacity = [1, 5, 50, 300][trial % 4]
            let count = Int.random(in: 0...3000, using: &generator)
            // Few distinct scores, so ties are common; a tie goes to the earlier document.
            let scores = (0..<count).map { _ in Double(Int.random(in: 0...40, using: &generator)) }
            var window = ScoreWindow(capacity: capacity)
            var heap = TopK(capacity: capacity)
            for (doc, score) in scores.enumerated() {
                if score > window.floor { window.offer(score: score, segment: 3 * doc / max(1, count), doc: doc, exact: false) }
                heap.insert(TopK.Entry(score: score, segment: 3 * doc / max(1, count), doc: doc, exact: false))
            }
            let kept = window.kept(exact: [[], [], []]).sorted { $1.ranksBelow($0) }
            let expected = heap.sorted()
            #expect(kept.map(\.doc) == expected.map(\.doc), "trial \(trial)")
        }
    }
}
