import ArgumentParser
import Foundation
import Index
import IndexFormat
import Search

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// How hits are printed, shared by `search` and `search batch`.
struct HitPrinter {
    var color: Bool
    var snippets: SnippetMaker

    func json(_ result: SearchResult, plan: QueryPlan, qid: String?, withSnippets: Bool) -> String {
        var hits: [String] = []
        for hit in result.hits {
            var fields: [(String, String)] = [
                ("rank", "\(hit.rank)"),
                ("path", JSON.string(displayPath(hit.record.path))),
                ("docid", JSON.string(hit.record.docID)),
                ("title", JSON.string(hit.record.title)),
                ("score", JSON.number(hit.score)),
                ("exact", hit.exact ? "true" : "false"),
            ]
            if !hit.record.date.isEmpty { fields.append(("date", JSON.string(hit.record.date))) }
            if !hit.record.docNumber.isEmpty { fields.append(("docno", JSON.string(hit.record.docNumber))) }
            if withSnippets {
                let snippet = DocumentSource.text(of: hit.record).flatMap {
                    snippets.snippet(for: plan, in: $0, mayContainParts: mayContainParts(hit, plan))
                }
                fields.append(("snippet", snippet.map { JSON.string($0.text) } ?? "null"))
                fields.append(("line", snippet.map { "\($0.line)" } ?? "null"))
            }
            hits.append(JSON.object(fields))
        }
        var pairs: [(String, String)] = []
        if let qid { pairs.append(("qid", JSON.string(qid))) }
        pairs += [("query", JSON.string(result.query)), ("total", "\(result.total)")]
        if let exact = result.exactCount { pairs.append(("exact", "\(exact)")) }
        pairs.append(("hits", "[" + hits.joined(separator: ",") + "]"))
        return JSON.object(pairs)
    }

    /// Whether a hit's text may hold one of the query's parts: not when the index found
    /// that it does not contain the only one (by the recall guarantee, a document whose
    /// folded text holds a part is found containing it).
    func mayContainParts(_ hit: Hit, _ plan: QueryPlan) -> Bool { hit.exact || plan.parts.count != 1 }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    func text(_ result: SearchResult, plan: QueryPlan) -> String {
        var out = ""
        for hit in result.hits {
            out += paint("\(hit.rank).", "1") + " " + paint(displayPath(hit.record.path), "35")
                + "  " + paint(String(format: "%.4f", hit.score), "32") + (hit.exact ? "" : "  (partial)") + "\n"
            var about = hit.record.title
            let stated = [hit.record.date, hit.record.docNumber].filter { !$0.isEmpty }
            if !stated.isEmpty { about += (about.isEmpty ? "" : "  ") + paint("(" + stated.joined(separator: ", ") + ")", "2") }
            if !about.isEmpty { out += "   " + about + "\n" }
            if let text = DocumentSource.text(of: hit.record) {
                for snippet in snippets.snippets(for: plan, in: text, limit: 3, mayContainParts: mayContainParts(hit, plan)) {
                    var line = ""
                    var last = 0
                    let bytes = Array(snippet.text.utf8)
                    for h in snippet.highlights {
                        line += String(decoding: bytes[last..<h.lowerBound], as: UTF8.self)
                        line += paint(String(decoding: bytes[h], as: UTF8.self), "1;31")
                        last = h.upperBound
                    }
                    line += String(decoding: bytes[last...], as: UTF8.self)
                    out += "   " + paint("\(snippet.line):", "32") + " " + line + "\n"
                }
            }
        }
        return out
    }

    static func useColor(_ choice: ColorChoice) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
            return isatty(STDOUT_FILENO) == 1
        }
    }
}

/// Runs one query: in the query language when `syntax` is set and the text uses it, else
/// as plain words. Returns the plan whose texts snippets look for, and the result.
func runQuery(_ text: String, searcher: Searcher, k: Int, offset: Int = 0, syntax: Bool, countExact: Bool = true) throws -> (QueryPlan, SearchResult) {
    if syntax && QueryParser.usesSyntax(text) {
        let node: QueryNode
        do {
            node = try QueryParser.parse(text)
        } catch let error as QuerySyntaxError {
            throw UserError("bad query: \(error)")
        }
        let result = try searcher.search(node, query: text, k: k, offset: offset)
        return (searcher.plan(pieces: node.positiveTexts), result)
    }
    let plan = searcher.plan(text)
    if plan.truncated { stderrLine("search: warning: the query is long; only its first \(QueryPlan.maxTerms) terms are used") }
    return (plan, try searcher.search(plan, query: text, k: k, offset: offset, countExact: countExact))
}

extension SearchCommand {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Search the index (the default command): `search 復工復產`.",
            discussion: """
            Each whitespace-separated part of the query is matched as written (after folding \
            Traditional to Simplified, width and case), anywhere inside words. Documents that \
            contain every part rank above documents that only contain some of its pieces.

            Query language: "exact phrase" (required), +word (required), -word (excluded), \
            A OR B, A AND B, (grouping), title:詞 (in the title), path:GLOB (the path matches). \
            Put -- before a query that starts with -:  search -- -开发区 园区
            """
        )

        @OptionGroup var location: IndexLocation

        @OptionGroup var synonymsOption: SynonymsOption

        @Option(name: [.short, .long], help: "Number of hits to show.")
        var k: Int = 10

        @Option(name: .long, help: "Skip this many hits first (to page through results).")
        var offset: Int = 0

        @Flag(name: [.customShort("l"), .customLong("files-only")], help: "Print only the paths of the documents that match, best first (like rg -l).")
        var filesOnly = false

        @Flag(name: [.customShort("c"), .customLong("count")], help: "Print only the number of documents that match.")
        var count = false

        @Flag(name: .long, help: "Print one JSON object: {query,total,exact,hits:[{rank,path,docid,title,score,exact,snippet,line}]}.")
        var json = false

        @Option(name: .long, help: "Colour: auto (only on a terminal, unless NO_COLOR is set), always, never.")
        var color: ColorChoice = .auto

        @OptionGroup var dates: DateOptions

        @Flag(name: .long, help: "Show how each hit's score adds up: every term's BM25 part (idf, tf, length against the average), the bonus for containing the query, and an article's law evidence and kind.")
        var explain = false

        @Argument(help: "The query.")
        var query: [String]

        func validate() throws {
            guard k >= 0 else { throw ValidationError("-k must be at least 0") }
            guard offset >= 0 else { throw ValidationError("--offset must be at least 0") }
            guard !query.joined().trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the query is empty") }
        }

        func run() throws {
            let reader = try openIndex(location)
            let searcher = try Searcher(reader: reader)
            searcher.constraints = try dates.constraints()
            searcher.synonyms = try synonymsOption.load(index: location, normalizer: searcher.analyzer.normalizer)
            let text = query.joined(separator: " ")
            let (plan, result) = try runQuery(text, searcher: searcher, k: filesOnly ? Int.max / 4 : k, offset: offset, syntax: true)
            let printer = HitPrinter(color: HitPrinter.useColor(color), snippets: SnippetMaker(normalizer: searcher.analyzer.normalizer))
            if count {
                print(result.total)
            } else if filesOnly {
                for hit in result.hits { print(displayPath(hit.record.path)) }
            } else if json {
                print(printer.json(result, plan: plan, qid: nil, withSnippets: true))
            } else if result.total > 0 {
                let matched = "\(result.total) document\(result.total == 1 ? "" : "s") match"
                let header = QueryParser.usesSyntax(text)
                    ? matched + " (\(result.exactCount ?? 0) contain every word)"
                    : matched + ", \(result.exactCount ?? 0) contain \(text)"
                print(printer.paint(header, "2"))
                if explain && !QueryParser.usesSyntax(text) {
                    for (hit, e) in zip(result.hits, try searcher.explain(plan, hits: result.hits)) {
                        var single = result
                        single.hits = [hit]
                        print(printer.text(single, plan: plan), terminator: "")
                        for p in e.parts {
                            print(String(format: "     %@  %.4f = %@idf %.3f × tf %d / (tf %d + k1 %.2f × (1 − b %.2f + b × len %d / avg %.1f))%@",
                                         p.term, p.score, p.weight == 1 ? "" : String(format: "weight %.2f × ", p.weight), p.idf,
                                         p.termFrequency, p.termFrequency, searcher.bm25.k1, searcher.bm25.b, p.documentLength, p.averageLength,
                                         p.fromSynonym ? "  (synonym)" : ""))
                        }
                        if let a = e.article {
                            print(String(format: "     article of %@ (%@, %d articles): (%.4f + %.4f law evidence) × %.2f", a.law, a.kind.rawValue, a.articles, e.bm25, a.evidence, a.factor))
                        }
                        if e.containmentBonus > 0 {
                            print(String(format: "     contains the query: + %.4f (the terms' idf summed%@)", e.containmentBonus,
                                         hit.containmentScale == 1 ? "" : String(format: " × %.2f, above any rescored article", hit.containmentScale)))
                        }
                        print(String(format: "     = %.4f", e.total))
                    }
                } else {
                    print(printer.text(result, plan: plan), terminator: "")
                }
            }
            if !json && !count && !filesOnly && !QueryParser.usesSyntax(text) && result.exactCount == 0 {
                // Nothing contains the query as written: say so, and what would match.
                stderrLine(result.total == 0 ? "search: no document matches \(text)"
                           : "search: no document contains \(text); the documents above hold some of its pieces")
                if let hint = try suggestion(for: text, searcher: searcher) { stderrLine("search: " + hint) }
            } else if result.total == 0 && !json {
                stderrLine("search: no document matches \(text)")
            }
            if result.total == 0 { throw ExitCode(Status.noMatch) }
        }
    }
}

/// What would match when nothing does: the parts (or, for a single part, the words) of the
/// query that documents do contain.
func suggestion(for text: String, searcher: Searcher) throws -> String? {
    let parts = QueryPlan.whitespaceSeparatedParts(text)
    func documents(_ piece: String) throws -> Int { try searcher.search(piece, k: 0).exactCount ?? 0 }
    if parts.count > 1 {
        let found = try parts.filter { try documents($0) > 0 }
        guard !found.isEmpty else { return "none of its words occurs in any document" }
        let missing = parts.filter { !found.contains($0) }
        return "no document contains \(missing.joined(separator: ", ")); try: search \"\(found.joined(separator: " "))\""
    }
    // One part: the words ICU finds in it that some document contains.
    let analyzed = searcher.analyzer.analyze(text)
    var words: [(String, Int)] = []
    var start: Int32 = 0
    for end in analyzed.wordBoundaries {
        let word = String(decoding: analyzed.normalized.bytes[Int(start)..<Int(end)], as: UTF8.self)
        start = end
        guard word.unicodeScalars.count >= 2, word.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil }) else { continue }
        let n = try documents(word)
        if n > 0 { words.append((word, n)) }
    }
    guard !words.isEmpty else { return nil }
    return "some documents contain its words: " + words.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
}

/// `--after`, `--before` and `--sort`, shared by `search` and `search batch`.
struct DateOptions: ParsableArguments {
    @Option(name: .long, help: "Only documents dated on or after this day (YYYY-MM-DD, YYYY-MM or YYYY).")
    var after: String?

    @Option(name: .long, help: "Only documents dated on or before this day (YYYY-MM-DD, YYYY-MM or YYYY).")
    var before: String?

    @Option(name: .long, help: "Order: score (default) or date (newest first).")
    var sort: SortOrder = .score

    enum SortOrder: String, ExpressibleByArgument, CaseIterable { case score, date }

    func constraints() throws -> Searcher.Constraints {
        var c = Searcher.Constraints()
        c.after = try after.map { try Self.day($0, end: false) }
        c.before = try before.map { try Self.day($0, end: true) }
        c.sortByDate = sort == .date
        return c
    }

    /// A full ISO day from YYYY, YYYY-MM or YYYY-MM-DD (the first or last day of the span).
    static func day(_ text: String, end: Bool) throws -> String {
        let parts = text.split(separator: "-").map(String.init)
        guard (1...3).contains(parts.count), parts[0].count == 4, parts.allSatisfy({ Int($0) != nil }) else {
            throw UserError("\(text): not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
        }
        let month = parts.count > 1 ? parts[1] : (end ? "12" : "01")
        let day = parts.count > 2 ? parts[2] : (end ? "31" : "01")
        return parts[0] + "-" + (month.count == 1 ? "0" + month : month) + "-" + (day.count == 1 ? "0" + day : day)
    }
}
