import Testing
@testable import Search

/// `Searcher.collectBest` compares eight scores with the floor at once when no document
/// contains the query; it must keep exactly what a document-by-document scan keeps.
@Suite struct CollectBestTests {
    /// The plain scan: every matched document above the floor, in order.
    static func reference<C: ScoreCollector>(into collector: inout C, scores: [Double], matched: [UInt8], exact: [Bool], bonus: Double) -> Int {
        var total = 0
        for doc in scores.indices {
            total += Int(matched[doc])
            let isExact = !exact.isEmpty && exact[doc]
            let score = isExact ? scores[doc] + bonus : scores[doc]
            if matched[doc] != 0 && score > collector.floor {
                collector.offer(score: score, segment: 0, doc: doc, exact: isExact)
            }
        }
        return total
    }

    @Test func groupedScanKeepsWhatTheDocumentByDocumentScanKeeps() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<3_000 {
            // Sizes around multiples of eight (the tail), scores with many ties (0.5 steps),
            // unmatched documents with stale non-zero scores, and sometimes exact documents.
            let count = Int.random(in: 0...70, using: &rng)
            var scores = (0..<count).map { _ in Double(Int.random(in: 0...12, using: &rng)) / 2 }
            var matched = (0..<count).map { _ in UInt8(Int.random(in: 0...3, using: &rng) == 0 ? 0 : 1) }
            let exact = trial % 4 == 0 ? (0..<count).map { _ in Int.random(in: 0...9, using: &rng) == 0 } : []
            let capacity = Int.random(in: 1...12, using: &rng)
            let seed = trial % 3 == 0 ? -Double.infinity : Double(Int.random(in: 0...8, using: &rng)) / 2

            var expectedHeap = TopK(capacity: capacity), gotHeap = TopK(capacity: capacity)
            var expectedWindow = ScoreWindow(capacity: capacity, floor: seed), gotWindow = ScoreWindow(capacity: capacity, floor: seed)
            let expectedTotal = Self.reference(into: &expectedHeap, scores: scores, matched: matched, exact: exact, bonus: 10)
            _ = Self.reference(into: &expectedWindow, scores: scores, matched: matched, exact: exact, bonus: 10)
            let (totalHeap, totalWindow) = scores.withUnsafeMutableBufferPointer { s in
                matched.withUnsafeMutableBufferPointer { m in
                    (Searcher.collectBest(into: &gotHeap, segment: 0, scores: s, matched: m, exact: exact, bonus: 10),
                     Searcher.collectBest(into: &gotWindow, segment: 0, scores: s, matched: m, exact: exact, bonus: 10))
                }
            }
            #expect(totalHeap == expectedTotal && totalWindow == expectedTotal)
            let key = { (e: TopK.Entry) in "\(e.doc):\(e.score):\(e.exact)" }
            #expect(gotHeap.sorted().map(key) == expectedHeap.sorted().map(key), "trial \(trial)")
            let noExact = [[Bool]](repeating: exact, count: 1)
            let sortedWindow = { (w: inout ScoreWindow) in w.kept(exact: noExact).sorted { $1.ranksBelow($0) }.map(key) }
            #expect(sortedWindow(&gotWindow) == sortedWindow(&expectedWindow), "trial \(trial)")
        }
    }
}
