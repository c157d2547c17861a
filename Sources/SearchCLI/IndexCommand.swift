import Analysis
import ArgumentParser
import Foundation
import Synchronization
import Index
import IndexFormat
import Search

extension SearchCommand {
    struct IndexCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index",
            abstract: "Create or update the index from folders and files (.txt, .md, .jsonl).",
            discussion: """
            Only new and changed files are analysed (size and modification time, then content \
            hash); documents whose files are gone are removed. Without PATH, the roots indexed \
            before are updated, or ./corpus for a new index.

            A user dictionary (one word a line, Traditional or Simplified; default \
            dictionary.txt in the index directory) keeps its words whole as single terms. When \
            its words change, the next `search index` rebuilds the index with them.
            """
        )

        @OptionGroup var location: IndexLocation

        @Flag(name: .long, help: "Discard the index and build it again from the documents.")
        var rebuild = false

        @Option(name: .long, help: "Analysis threads (default: one per core).")
        var threads: Int?

        @Option(name: .long, help: "Merge segments down to at most this many (default 8; 1 makes one segment, which queries read fastest).")
        var maxSegments: Int?

        @Option(name: .long, help: ArgumentHelp("User dictionary file, remembered for later updates ('' for dictionary.txt in the index).", valueName: "file"))
        var dict: String?

        @Flag(name: .long, help: "Also print where the time went: analysis, merging, the rest, and CPU time.")
        var stats = false

        @Argument(help: "Folders or files to index.")
        var paths: [String] = []

        func run() throws {
            var options = IndexOptions()
            options.rebuild = rebuild
            options.shouldStop = { interrupted.load(ordering: .relaxed) }
            installInterruptHandler()
            if let threads { options.workers = max(1, threads) }
            if let maxSegments { options.maxSegments = max(1, maxSegments) }
            options.dictionarySource = dict
            let writer: IndexWriter
            do {
                writer = try IndexWriter(directory: location.index, options: options)
            } catch let error as IndexError {
                throw UserError(error.description)
            }
            if let dictionary = writer.parsedDictionary, dictionary.skippedCount > 0 {
                let n = dictionary.skippedCount
                stderrLine("search: note: \(n) dictionary \(n == 1 ? "entry holds" : "entries hold") spaces or punctuation and can never match (e.g. \(dictionary.skippedEntries.joined(separator: " "))); skipped")
            }
            if let old = writer.outdatedFormat {
                stderrLine(outdatedIndexNotice(format: old))
            }
            if let change = writer.dictionaryChange {
                let what = change.old == 0 ? "a dictionary of \(change.new) word\(change.new == 1 ? "" : "s")" : "the dictionary changed (\(change.new) words, was \(change.old))"
                stderrLine("search: \(what); " + (rebuild || writer.roots.isEmpty ? "indexing with it" : "rebuilding the index with it"))
            }
            var roots: [String] = []
            let given = paths.isEmpty ? (writer.roots.isEmpty ? ["corpus"] : writer.roots) : paths
            for p in given {
                guard let abs = DocumentSource.absolutePath(p) else {
                    throw UserError("\(p): no such file or directory")
                }
                roots.append(abs)
            }
            let meter = ProgressMeter(terminal: isatty(STDERR_FILENO) == 1)
            let report: UpdateReport
            do {
                report = try writer.update(roots: roots) { meter.update($0) }
            } catch let stop as IndexInterrupted {
                meter.finish()
                stderrLine("search: \(stop)")
                throw ExitCode(130)
            }
            meter.finish()
            for path in report.invalidUTF8Documents.prefix(20) {
                stderrLine("search: warning: \(displayPath(path)) is not valid UTF-8; decoded with replacement characters")
            }
            for (path, reason) in report.problems.prefix(20) {
                stderrLine("search: warning: \(displayPath(path)): \(reason)")
            }
            for (path, encoding) in report.convertedDocuments.prefix(20) {
                stderrLine("search: note: \(displayPath(path)) is in \(encoding); converted")
            }
            for path in report.truncatedDocuments.prefix(20) {
                stderrLine("search: warning: \(displayPath(path)) is very long; only its first 8 million tokens are indexed")
            }
            for path in report.unreadable.prefix(20) {
                stderrLine("search: warning: could not read \(displayPath(path))")
            }
            print(Self.summary(report))
            if stats { stderrLine("search: " + Self.stats(report)) }
        }

        /// Where an update's time went; CPU time is the process's, all threads.
        static func stats(_ r: UpdateReport) -> String {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            let other = max(0, r.seconds - r.analysisSeconds - r.mergeSeconds)
            return String(format: "analysis %.2f s (%d segments written), merging %.2f s (%d segments merged), other %.2f s; CPU %.2f s user, %.2f s system",
                          r.analysisSeconds, r.segmentsWritten, r.mergeSeconds, r.segmentsMerged, other,
                          seconds(usage.ru_utime), seconds(usage.ru_stime))
        }

        static func summary(_ r: UpdateReport) -> String {
            let mb = Double(r.bytesAnalyzed) / 1_000_000
            let rate = r.seconds > 0 ? mb / r.seconds : 0
            var s = "added \(max(0, r.added)), updated \(r.updated), removed \(r.removed), unchanged \(r.unchanged)"
            if r.skippedFiles > 0 { s += ", skipped \(r.skippedFiles) other files" }
            if r.badLines > 0 { s += ", \(r.badLines) collection lines not documents" }
            s += String(format: " in %.2f s (%.1f MB analysed, %.1f MB/s)", r.seconds, mb, rate)
            return s
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the index holds.")
        @OptionGroup var location: IndexLocation

        func run() throws {
            let reader = try IndexReader.open(directory: location.index)
            var bytes = 0
            var terms = 0
            for s in reader.segments {
                terms += s.reader.termCount
            }
            for name in (try? FileSystem.list(location.index)) ?? [] {
                var st = stat()
                if stat(location.index + "/" + name, &st) == 0 { bytes += Int(st.st_size) }
            }
            let date = Date(timeIntervalSince1970: Double(reader.manifest.commitTime) / 1e9)
            print("documents: \(reader.documentCount)")
            print("segments: \(reader.segments.count) (terms summed over segments: \(terms))")
            print("bytes on disk: \(bytes)")
            print("average document length: \(String(format: "%.1f", reader.averageLength)) tokens")
            print("roots: \(reader.manifest.roots.joined(separator: ", "))")
            let dictionarySource = DictionaryFile.sourcePath(directory: location.index, manifest: reader.manifest)
            print("dictionary: \(reader.dictionary?.words.count ?? 0) words from \(displayPath(dictionarySource))"
                  + (DictionaryFile.sourceChanged(directory: location.index, manifest: reader.manifest) ? " (changed since; run `search index`)" : ""))
            let synonymsPath = defaultSynonymsPath(location)
            if FileManager.default.fileExists(atPath: synonymsPath) {
                let table = try loadSynonyms(synonymsPath, index: location, normalizer: Normalizer())
                print("synonyms: \(table.wordCount) word\(table.wordCount == 1 ? "" : "s") from \(displayPath(synonymsPath)) (read by every query)")
            } else {
                print("synonyms: none (\(displayPath(synonymsPath)) is absent)")
            }
            print("generation: \(reader.manifest.generation), committed \(ISO8601DateFormatter().string(from: date))")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every index file's checksum and structure.")
        @OptionGroup var location: IndexLocation

        func run() throws {
            do {
                let reader = try IndexReader.open(directory: location.index)
                try reader.verify()
                print("ok: \(reader.segments.count) segments, \(reader.documentCount) documents")
            } catch let error as CorruptIndexError {
                throw UserError(error.description)
            }
        }
    }
}

/// Set by SIGINT; the writer stops between files and commits nothing.
let interrupted = Atomic<Bool>(false)

/// First Ctrl-C: stop cleanly at the next file. Second: stop now (the last commit is intact
/// either way; the next writer removes what was left).
func installInterruptHandler() {
    // A parent may have left SIGINT blocked (or ignored); threads started later inherit this.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    signal(SIGINT) { _ in
        if interrupted.exchange(true, ordering: .relaxed) { _exit(130) }
    }
}

/// Progress of `search index` on stderr: a bar redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
final class ProgressMeter: @unchecked Sendable {
    private let terminal: Bool
    private let started = Date()
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(terminal: Bool) {
        self.terminal = terminal
        if !terminal { lastDraw = started }  // the first plain line after 5 s, not at once
    }

    func update(_ p: IndexProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= (terminal ? 0.1 : 5) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let mb = Double(p.bytesDone) / 1e6, totalMB = Double(p.bytesTotal) / 1e6
        let rate = elapsed > 0 ? mb / elapsed : 0
        let left = rate > 0 ? Int((totalMB - mb) / rate) : 0
        let fraction = p.bytesTotal > 0 ? min(1, Double(p.bytesDone) / Double(p.bytesTotal)) : 0
        let status = String(format: "%d/%d files, %.1f/%.1f MB, %.1f MB/s, %d:%02d left",
                            p.filesDone, p.filesTotal, mb, totalMB, rate, left / 60, left % 60)
        if terminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(status)".utf8))
            drawn = true
        } else {
            stderrLine("search: indexing: " + status)
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
