import Analysis
import ArgumentParser
import Foundation
import Index
import IndexFormat
import Search

enum BatchFormat: String, ExpressibleByArgument, CaseIterable {
    case json, trec
}

extension SearchCommand {
    struct Batch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer one query a line (QUERY or QID<TAB>QUERY) from FILE or stdin.",
            discussion: """
            json writes one object a line: {qid,query,total,hits:[…]} (documents that contain the \
            query are found for the hits shown but not counted, which keeps batches fast). trec writes \
            `QID Q0 DOCID RANK SCORE search` lines for trec_eval. Without a QID the line number is the id.
            """
        )

        @OptionGroup var location: IndexLocation

        @OptionGroup var synonymsOption: SynonymsOption

        @Option(name: .short, help: "Hits per query.")
        var k: Int = 10

        @Option(name: .long, help: "Output format: json or trec.")
        var format: BatchFormat = .json

        @Flag(name: .long, help: "Read each line in the query language (default: plain text, searched as written).")
        var syntax = false

        @OptionGroup var dates: DateOptions

        @Flag(name: .long, help: "Leave snippets out of JSON (faster: no document is read).")
        var noSnippets = false

        @Flag(name: .long, help: "Print query latency percentiles (search only, in process) to stderr.")
        var timings = false

        /// Benchmarks: the reference harness measures after warm-up passes; this leaves the
        /// first N queries (a pass over the query set) out of `--timings`.
        @Option(name: .long, help: .hidden)
        var warmup = 0

        @Argument(help: "The query file (default: stdin).")
        var file: String?

        @Option(name: .long, help: "Threads answering queries (default: one per core for 100 queries or more). Answers keep the order of the input.")
        var threads: Int?

        /// One query line's answer: its output lines, its latency (nil for a line refused
        /// with an error object) and whether anything matched.
        struct Answer: Sendable {
            var output: String
            var latency: Double?
            var matched: Bool
        }

        func answer(qid: String, query: String, searcher: Searcher, printer: HitPrinter) throws -> Answer {
            let started = DispatchTime.now().uptimeNanoseconds
            let plan: QueryPlan, result: SearchResult
            do {
                (plan, result) = try runQuery(query, searcher: searcher, k: k, syntax: syntax, countExact: false)
            } catch let error as UserError {
                // One bad line does not stop the batch.
                let line = JSON.object([("qid", JSON.string(qid)), ("query", JSON.string(query)), ("error", JSON.string(error.description))])
                return Answer(output: line + "\n", latency: nil, matched: false)
            }
            let latency = Double(DispatchTime.now().uptimeNanoseconds - started) / 1000
            var output = ""
            switch format {
            case .json:
                output = printer.json(result, plan: plan, qid: qid, withSnippets: !noSnippets) + "\n"
            case .trec:
                for hit in result.hits {
                    let docid = hit.record.docID.replacingOccurrences(of: " ", with: "_")
                    output += "\(qid) Q0 \(docid) \(hit.rank) \(String(format: "%.6f", hit.score)) search\n"
                }
            }
            return Answer(output: output, latency: latency, matched: result.total > 0)
        }

        func run() throws {
            let reader = try openIndex(location)
            let constraints = try dates.constraints()
            let input: FileHandle
            if let file {
                guard let h = FileHandle(forReadingAtPath: file) else { throw UserError("\(file): cannot open") }
                input = h
            } else {
                input = FileHandle.standardInput
            }
            let data = input.readDataToEndOfFile()
            var queries: [(qid: String, query: String)] = []
            var lineNumber = 0
            for rawLine in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                if let tab = line.firstIndex(of: "\t") {
                    queries.append((String(line[..<tab]), String(line[line.index(after: tab)...])))
                } else {
                    queries.append((String(lineNumber), String(line)))
                }
            }
            // Each thread has its own reader of the same commit and its own searcher (a
            // searcher and its analyzer's caches belong to one thread); setting them up costs
            // a few milliseconds, worth it from about a hundred queries on. Should a writer
            // remove that commit's files meanwhile, fewer threads answer.
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let wanted = min(max(1, queries.count), threads.map { max(1, $0) } ?? (queries.count >= 100 ? cores : 1))
            var readers = [reader]
            while readers.count < wanted, let another = try? reader.reopened() { readers.append(another) }
            let synonyms = try synonymsOption.load(index: location, normalizer: Normalizer())
            let searchers = try readers.map { r -> Searcher in
                let searcher = try Searcher(reader: r)
                searcher.constraints = constraints
                searcher.synonyms = synonyms
                return searcher
            }
            let printers = searchers.map { HitPrinter(color: false, snippets: SnippetMaker(normalizer: $0.analyzer.normalizer)) }

            var anyMatch = false
            var latencies: [Double] = []
            // Chunks answered side by side, then written in input order.
            let chunkSize = 64 * searchers.count
            var chunkStart = 0
            while chunkStart < queries.count {
                let chunk = queries[chunkStart..<min(queries.count, chunkStart + chunkSize)]
                let n = searchers.count
                /// One thread's answers (each thread writes only its own).
                final class Results: @unchecked Sendable {
                    var answers: [Answer] = []
                    var error: Error?
                }
                let results = (0..<n).map { _ in Results() }
                nonisolated(unsafe) let work = (searchers, printers)
                let base = chunk.startIndex
                let answerQuery = self.answer
                DispatchQueue.concurrentPerform(iterations: n) { w in
                    var mine: [Answer] = []
                    do {
                        for i in stride(from: base + w, to: chunk.endIndex, by: n) {
                            mine.append(try answerQuery(chunk[i].qid, chunk[i].query, work.0[w], work.1[w]))
                        }
                    } catch {
                        results[w].error = error
                    }
                    results[w].answers = mine
                }
                if let error = results.compactMap(\.error).first { throw error }
                var output = ""
                for i in 0..<chunk.count {
                    let a = results[i % n].answers[i / n]
                    output += a.output
                    if let latency = a.latency { latencies.append(latency) }
                    if a.matched { anyMatch = true }
                }
                FileHandle.standardOutput.write(Data(output.utf8))
                chunkStart += chunk.count
            }
            latencies.removeFirst(min(warmup, latencies.count))
            if timings && !latencies.isEmpty {
                let sorted = latencies.sorted()
                func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
                let total = latencies.reduce(0, +)
                stderrLine(String(format: "queries=%d p50_us=%.0f p95_us=%.0f p99_us=%.0f mean_us=%.0f qps=%.0f",
                                  sorted.count, percentile(0.5), percentile(0.95), percentile(0.99),
                                  total / Double(sorted.count), Double(sorted.count) / (total / 1e6)))
            }
            if !anyMatch { throw ExitCode(Status.noMatch) }
        }
    }
}
