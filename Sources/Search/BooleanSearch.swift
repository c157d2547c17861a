import Analysis
import Foundation
import Index

extension Searcher {
    /// Runs a query written in the query language (see `QueryParser`). Candidates are the
    /// documents the boolean structure admits; they are scored with BM25 over the terms of
    /// every text that is not excluded, and those containing all such texts rank first,
    /// as for plain queries.
    public func search(_ node: QueryNode, query: String, k: Int, offset: Int = 0) throws -> SearchResult {
        // Every text of the query, with whether it is excluded.
        var texts: [(text: String, excluded: Bool)] = []
        func collect(_ n: QueryNode, excluded: Bool) {
            switch n {
            case let .text(t, _): texts.append((t, excluded))
            case .title, .path: break
            case let .boolean(clauses): for c in clauses { collect(c.node, excluded: excluded || c.occur == .mustNot) }
            case let .or(nodes): for m in nodes { collect(m, excluded: excluded) }
            }
        }
        collect(node, excluded: false)
        let positive = texts.filter { !$0.excluded }.map(\.text)
        let scoring = plan(pieces: positive)
        // Each text as a one-part plan, for containment.
        var partOf: [String: PhrasePart?] = [:]
        var allTerms = scoring.terms
        var known = Set(allTerms)
        for (text, _) in texts where partOf[text] == nil {
            let plan = QueryPlan(pieces: [text], analyzer: analyzer, options: ranking)
            partOf[text] = plan.parts.first
            for t in plan.terms where known.insert(t).inserted { allTerms.append(t) }
        }
        let termIndex = Dictionary(uniqueKeysWithValues: allTerms.enumerated().map { ($1, $0) })
        let n = reader.statisticsDocumentCount
        let normalizer = analyzer.normalizer

        // Document frequencies of the scoring terms over all segments.
        var perSegment: [(locations: [[TermLocation]], docs: [TermDocs])] = []
        var docFreq = [Int](repeating: 0, count: scoring.terms.count)
        for view in reader.segments {
            let locations = try allTerms.map { try self.locations($0, in: view.reader) }
            let docs = try allTerms.indices.map {
                try termDocs(try scoringLocations(allTerms[$0], in: view.reader, positional: locations[$0]), in: view.reader)
            }
            for t in scoring.terms.indices { docFreq[t] += docs[t].docs.count }
            perSegment.append((locations, docs))
        }
        let idf = docFreq.indices.map { scoring.weights[$0] * bm25.idf(docFreq: docFreq[$0], documentCount: n) }
        let bonus = idf.reduce(0, +)

        var heap = TopK(capacity: k + offset)
        var total = 0, exactTotal = 0
        for (s, view) in reader.segments.enumerated() {
            let segment = view.reader
            let (locations, docs) = perSegment[s]
            var containment: [String: [Bool]] = [:]
            func contains(_ text: String) throws -> [Bool] {
                if let cached = containment[text] { return cached }
                var result = [Bool](repeating: false, count: segment.docCount)
                if let part = partOf[text] ?? nil {
                    var candidates: [Int32]? = nil
                    for element in part.elements {
                        let list = docs[termIndex[element.term]!].docs
                        candidates = candidates.map { intersect($0, list) } ?? list
                    }
                    // The part's element indices, taken from its own plan to `allTerms`.
                    var remapped = part
                    remapped.termIndices = part.elements.map { termIndex[$0.term]! }
                    var plan = scoring
                    plan.parts = [remapped]
                    let matches = try phraseMatches(plan, segment: segment, locations: locations, candidates: candidates ?? [])
                    for doc in matches { result[Int(doc)] = true }
                }
                containment[text] = result
                return result
            }
            var records: [DocumentRecord?] = Array(repeating: nil, count: segment.docCount)
            func record(_ doc: Int) throws -> DocumentRecord {
                if let r = records[doc] { return r }
                let r = try segment.document(doc)
                records[doc] = r
                return r
            }
            func evaluate(_ node: QueryNode) throws -> [Bool] {
                switch node {
                case let .text(t, _):
                    return try contains(t)
                case let .title(value):
                    let needle = normalizer.normalize(value).string
                    return try (0..<segment.docCount).map { normalizer.normalize(try record($0).title).string.contains(needle) }
                case let .path(glob):
                    return try (0..<segment.docCount).map { doc in
                        let path = try record(doc).path
                        return fnmatch(glob, path, 0) == 0 || fnmatch("*/" + glob, path, 0) == 0
                    }
                case let .or(nodes):
                    var result = [Bool](repeating: false, count: segment.docCount)
                    for m in nodes { for (d, hit) in try evaluate(m).enumerated() where hit { result[d] = true } }
                    return result
                case let .boolean(clauses):
                    // Plain words only add to the score once a text is required; a filter
                    // (title:, path:) narrows without making them optional.
                    let hasRequired = clauses.contains { $0.occur == .must && !$0.node.isFilter }
                    var result = [Bool](repeating: hasRequired, count: segment.docCount)
                    if !hasRequired {
                        for c in clauses where c.occur == .should {
                            for (d, hit) in try evaluate(c.node).enumerated() where hit { result[d] = true }
                        }
                        // Only exclusions: everything else.
                        if !clauses.contains(where: { $0.occur == .should }) { result = Array(repeating: true, count: segment.docCount) }
                    }
                    for c in clauses where c.occur == .must {
                        for (d, hit) in try evaluate(c.node).enumerated() where !hit { result[d] = false }
                    }
                    for c in clauses where c.occur == .mustNot {
                        for (d, hit) in try evaluate(c.node).enumerated() where hit { result[d] = false }
                    }
                    return result
                }
            }
            let admitted = try evaluate(node)
            var scores = [Double](repeating: 0, count: segment.docCount)
            let norms = try lengthNorms(segment: s)
            for t in scoring.terms.indices {
                let d = docs[t]
                for i in d.docs.indices where admitted[Int(d.docs[i])] {
                    let doc = Int(d.docs[i])
                    let tf = Double(d.freqs[i])
                    scores[doc] += idf[t] * tf / (tf + norms[doc])
                }
            }
            var containsAll = [Bool](repeating: !positive.isEmpty, count: segment.docCount)
            for text in positive {
                for (d, hit) in try contains(text).enumerated() where !hit { containsAll[d] = false }
            }
            for doc in 0..<segment.docCount where admitted[doc] && !view.isDeleted(doc) {
                let entry = TopK.Entry(score: scores[doc] + (containsAll[doc] ? bonus : 0), segment: s, doc: doc, exact: containsAll[doc])
                guard let admittedEntry = try constrain(entry) else { continue }
                total += 1
                if containsAll[doc] { exactTotal += 1 }
                heap.insert(admittedEntry)
            }
        }
        var hits: [Hit] = []
        for (i, e) in heap.sorted().enumerated() where i >= offset {
            let record = try reader.segments[e.segment].reader.document(e.doc)
            hits.append(Hit(rank: i + 1, score: e.score, exact: e.exact, segment: e.segment, doc: e.doc, record: record))
        }
        return SearchResult(query: query, total: total, exactCount: exactTotal, hits: hits)
    }
}
