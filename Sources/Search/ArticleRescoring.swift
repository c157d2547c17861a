import Foundation
import Index

extension Searcher {
    /// The best `capacity` matched documents by score (containment bonus included), in no
    /// order, and how many documents matched. A sample of every 32nd document first sets a
    /// floor about twice the window's size up, so the scan keeps a few hundred entries instead
    /// of thousands; should fewer than `capacity` beat it, the scan runs again without.
    func bestWindow(capacity: Int, accumulators: inout [Accumulator], exact: [[Bool]], bonus: Double)
        -> (entries: [TopK.Entry], total: Int) {
        let stride = 32
        var sample: [Double] = []
        for s in accumulators.indices {
            let exactHere = exact[s]
            accumulators[s].withBuffers { scores, matched, _ in
                var doc = 0
                while doc < scores.count {
                    if matched[doc] != 0 { sample.append(exactHere.isEmpty || !exactHere[doc] ? scores[doc] : scores[doc] + bonus) }
                    doc += stride
                }
            }
        }
        let rank = 2 * capacity / stride
        var seed = -Double.infinity
        if rank > 0 && sample.count > rank {
            sample.withUnsafeMutableBufferPointer { selectFirst(rank, of: $0, by: >) }
            seed = sample[0..<rank].min()!
        }
        while true {
            var window = ScoreWindow(capacity: capacity, floor: seed)
            var total = 0
            for s in accumulators.indices {
                let exactHere = exact[s]
                accumulators[s].withBuffers { scores, matched, _ in
                    total &+= Self.collectBest(into: &window, segment: s, scores: scores, matched: matched, exact: exactHere, bonus: bonus)
                }
            }
            if window.entries.count >= capacity || seed == -.infinity { return (window.kept(exact: exact), total) }
            seed = -.infinity
        }
    }

    /// The law `doc` is an article of (an index into `articleLawNames`), or nil.
    func articleLaw(segment s: Int, doc: Int) throws -> Int? {
        try loadArticleLaws()
        let id = articleOfDoc[s][doc]
        return id >= 0 ? Int(id) : nil
    }

    /// Fills `articleOfDoc` and each law's name and size once per searcher from the index's
    /// article-count terms (`ArticleTitle.countTerm`), whose postings are each law's
    /// articles: no title is read at query time, and a law's kind is read off its name only
    /// when it reaches a window. An index without articles costs one lookup per segment.
    func loadArticleLaws() throws {
        guard articleOfDoc.count != reader.segments.count else { return }
        // Built aside and kept only whole: a damaged segment leaves the searcher as it was.
        var laws: [[Int32]] = []
        var names: [[UInt8]] = [], sizes: [Int] = [], ids: [TermBytes: Int32] = [:]
        for view in reader.segments {
            var lawOfDoc = [Int32](repeating: -1, count: view.reader.docCount)
            try view.reader.forEachTerm(withPrefix: [SegmentLayout.articleCountPrefix]) { term, location in
                let name = TermBytes(bytes: Array(term.dropFirst()))
                let id = ids[name] ?? Int32(names.count)
                if id == names.count {
                    names.append(name.bytes)
                    sizes.append(0)
                    ids[name] = id
                }
                var postings = try view.reader.postings(at: location)
                while try postings.next() {
                    lawOfDoc[postings.doc] = id
                    if !view.isDeleted(postings.doc) { sizes[Int(id)] += 1 }
                }
            }
            laws.append(lawOfDoc)
        }
        (articleLawNames, articleLawSizes, articleLawIDs) = (names, sizes, ids)
        articleLawKinds = [UInt8](repeating: Self.unknownKind, count: names.count)
        lawMembers = [Int32](repeating: 0, count: names.count)
        lawStart = lawMembers
        lawEvidence = [Double](repeating: 0, count: names.count)
        lawFactor = [Double](repeating: 1, count: names.count)
        articleOfDoc = laws
    }

    /// Law `law`'s kind of instrument as its index in `InstrumentKind.allCases`, read off
    /// its name the first time.
    func lawKindIndex(_ law: Int) -> Int {
        if articleLawKinds[law] == Self.unknownKind {
            let kind = LegalArticle.kind(of: String(decoding: articleLawNames[law], as: UTF8.self))
            articleLawKinds[law] = UInt8(LegalArticle.InstrumentKind.allCases.firstIndex(of: kind)!)
        }
        return Int(articleLawKinds[law])
    }

    /// How many live documents of the index are articles of `law`.
    func articles(of law: String) throws -> Int {
        try loadArticleLaws()
        return articleLawIDs[TermBytes(bytes: Array(law.utf8))].map { articleLawSizes[Int($0)] } ?? 0
    }

    /// The factor rescoring gives a law of `articles` articles (`RankingOptions.lawSizeWeight`).
    func sizeFactor(articles: Int) -> Double {
        1 + ranking.lawSizeWeight * min(1, log10(Double(max(1, articles))) / 3)
    }

    /// Rescores the articles among `window` (the best documents, in no order) that do not
    /// contain the query: (BM25 + lawEvidenceWeight × mean of the law's best lawEvidenceDepth
    /// scores in the window) × (1 + the law's instrument bonus) × the law's `sizeFactor`.
    /// Documents that contain the query keep their BM25 and a containment bonus scaled to stay
    /// above anything rescoring can reach. Returns the best `needed` after rescoring, best
    /// first, each rescored one's rescoring by its rank, and the containment bonus's scale.
    func rescoreArticles(_ window: [TopK.Entry], needed: Int, containmentBonus bonus: Double) throws
        -> (entries: [TopK.Entry], rescored: [Int: ArticleRescoring], containmentScale: Double) {
        var lawOf = [Int32](repeating: -1, count: window.count)
        var anyArticle = false
        try loadArticleLaws()
        for (i, e) in window.enumerated() where !e.exact {
            let law = articleOfDoc[e.segment][e.doc]
            if law >= 0 {
                lawOf[i] = law
                anyArticle = true
            }
        }
        guard anyArticle else {
            var page = TopK(capacity: needed)
            for e in window { page.insert(e) }
            return (page.sorted(), [:], 1)
        }

        // Each law's evidence: the sum of its best `depth` scores in the window, and its
        // factor (kind × size). Members are grouped by law with per-law counters kept by the
        // searcher, so the work follows the window, not the number of laws in the index; a
        // law with more members than `depth` keeps its best by selection.
        let depth = max(1, ranking.lawEvidenceDepth)
        var touched: [Int32] = []
        for law in lawOf where law >= 0 {
            if lawMembers[Int(law)] == 0 { touched.append(law) }
            lawMembers[Int(law)] += 1
        }
        var next: Int32 = 0
        for law in touched {
            lawStart[Int(law)] = next
            next += lawMembers[Int(law)]
        }
        var grouped = [Double](repeating: 0, count: Int(next))
        for (i, law) in lawOf.enumerated() where law >= 0 {
            grouped[Int(lawStart[Int(law)])] = window[i].score
            lawStart[Int(law)] += 1
        }
        let factorOfKind = LegalArticle.InstrumentKind.allCases.map { 1 + (ranking.instrumentBonus[$0] ?? 0) }
        let evidenceWeight = ranking.lawEvidenceWeight
        grouped.withUnsafeMutableBufferPointer { g in
            for law in touched.map(Int.init) {
                let end = Int(lawStart[law]), count = Int(lawMembers[law])
                let members = UnsafeMutableBufferPointer(rebasing: g[(end - count)..<end])
                if members.count > depth { selectFirst(depth, of: members, by: >) }
                lawEvidence[law] = evidenceWeight * members.prefix(depth).reduce(0, +) / Double(depth)
                lawFactor[law] = factorOfKind[lawKindIndex(law)] * sizeFactor(articles: articleLawSizes[law])
                lawMembers[law] = 0
            }
        }
        func rescoring(_ law: Int) -> (added: Double, factor: Double) { (lawEvidence[law], lawFactor[law]) }
        // A document without the query scores below the sum of the terms' weighted idf
        // (`bonus`), and so does any law's evidence: after rescoring, below this many times it.
        let largestBonus = max(0, ranking.instrumentBonus.values.max() ?? 0)
        let scale = (1 + max(0, evidenceWeight)) * (1 + largestBonus) * (1 + max(0, ranking.lawSizeWeight))
        var page = TopK(capacity: needed)
        for (i, var e) in window.enumerated() {
            if e.exact {
                e.score = (e.score - bonus) + bonus * scale
            } else if lawOf[i] >= 0 {
                let r = rescoring(Int(lawOf[i]))
                e.score = (e.score + r.added) * r.factor
            }
            if e.score >= page.lowestScore { page.insert(e) }
        }
        let entries = page.sorted()
        var byRank: [Int: ArticleRescoring] = [:]
        for (rank, e) in entries.enumerated() where !e.exact {
            guard let law = try articleLaw(segment: e.segment, doc: e.doc) else { continue }
            let r = rescoring(law)
            byRank[rank] = ArticleRescoring(law: String(decoding: articleLawNames[law], as: UTF8.self), kind: LegalArticle.InstrumentKind.allCases[lawKindIndex(law)], articles: articleLawSizes[law],
                                            evidence: r.added, factor: r.factor)
        }
        return (entries, byRank, scale)
    }
}
