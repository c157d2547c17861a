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

        func run() throws {
            let reader = try openIndex(location)
            let searcher = try Searcher(reader: reader)
            searcher.constraints = try dates.constraints()
            let printer = HitPrinter(color: false, snippets: SnippetMaker(normalizer: searcher.analyzer.normalizer))
            let input: FileHandle
            if let file {
                guard let h = FileHandle(forReadingAtPath: file) else { throw UserError("\(file): cannot open") }
                input = h
            } else {
                input = FileHandle.standardInput
            }
            let data = input.readDataToEndOfFile()
            var output = ""
            var anyMatch = false
            var lineNumber = 0
            var latencies: [Double] = []
            for rawLine in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                let qid: String, query: String
                if let tab = line.firstIndex(of: "\t") {
                    qid = String(line[..<tab])
                    query = String(line[line.index(after: tab)...])
                } else {
                    qid = String(lineNumber)
                    query = String(line)
                }
                let started = DispatchTime.now().uptimeNanoseconds
                let plan: QueryPlan, result: SearchResult
                do {
                    (plan, result) = try runQuery(query, searcher: searcher, k: k, syntax: syntax, countExact: false)
                } catch let error as UserError {
                    // One bad line does not stop the batch.
                    output += JSON.object([("qid", JSON.string(qid)), ("query", JSON.string(query)), ("error", JSON.string(error.description))]) + "\n"
                    continue
                }
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1000)
                if result.total > 0 { anyMatch = true }
                switch format {
                case .json:
                    output += printer.json(result, plan: plan, qid: qid, withSnippets: !noSnippets) + "\n"
                case .trec:
                    for hit in result.hits {
                        let docid = hit.record.docID.replacingOccurrences(of: " ", with: "_")
                        output += "\(qid) Q0 \(docid) \(hit.rank) \(String(format: "%.6f", hit.score)) search\n"
                    }
                }
                if output.utf8.count > 1 << 16 {
                    FileHandle.standardOutput.write(Data(output.utf8))
                    output = ""
                }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
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
