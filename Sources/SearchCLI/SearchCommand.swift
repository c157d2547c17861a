import ArgumentParser
import Foundation
import Index
import IndexFormat
import Analysis
import Search

/// Exit statuses, as ripgrep uses them.
enum Status {
    static let matched: Int32 = 0
    static let noMatch: Int32 = 1
    static let error: Int32 = 2
}

/// An error the user can act on: printed as one line, exit status 2.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@main
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Full-text search for Chinese documents (Traditional and Simplified), ranked with BM25.",
        discussion: """
        Exit status: 0 when something matched, 1 when nothing did, 2 on an error.
        Without an index, the first query builds one from ./corpus.
        """,
        version: "0.1.0",
        subcommands: [Query.self, IndexCommand.self, Batch.self, Show.self, Stats.self, Verify.self, Analyze.self, Segment.self, Evaluate.self],
        defaultSubcommand: Query.self
    )

    /// Runs the command with ripgrep's exit statuses: parse errors and failures are 2.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // --help and --version exit 0; a malformed command line is an error (2).
            if exitCode(for: error) == .success { self.exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(Status.error)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            // `search help X` and `X --help` parse to the parser's help command, whose run()
            // throws its help request: print the help and exit 0, as argument-parser's own main does.
            if exitCode(for: error) == .success { self.exit(withError: error) }
            fail(String(describing: error))
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("search: \(message)\n".utf8))
        Foundation.exit(Status.error)
    }
}

struct IndexLocation: ParsableArguments {
    @Option(name: .long, help: "The index directory.")
    var index: String = "index"
}

/// Query-time synonyms: a file given, else `synonyms.txt` in the index directory when there
/// is one.
struct SynonymsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Query-time synonyms file (default: synonyms.txt in the index directory, if any; '' for none).", valueName: "file"))
    var synonyms: String?

    /// The table for queries; entries that can never match are noted on stderr.
    func load(index: IndexLocation, normalizer: Normalizer) throws -> SynonymTable {
        try loadSynonyms(synonyms, index: index, normalizer: normalizer)
    }
}

/// Where queries look for synonyms when no file is given.
func defaultSynonymsPath(_ index: IndexLocation) -> String { index.index + "/synonyms.txt" }

/// The synonyms file given (`""`: none), else `synonyms.txt` in the index directory if any.
func loadSynonyms(_ given: String?, index: IndexLocation, normalizer: Normalizer) throws -> SynonymTable {
    let path: String
    switch given {
    case nil:
        path = defaultSynonymsPath(index)
        guard FileManager.default.fileExists(atPath: path) else { return .empty }
    case ""?:
        return .empty
    case let file?:
        path = file
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw UserError(FileManager.default.fileExists(atPath: path) ? "\(path): cannot read" : "\(path) not found")
    }
    let (table, skipped) = SynonymTable.parse(String(decoding: data, as: UTF8.self), normalizer: normalizer)
    for note in skipped { stderrLine("search: \(path) \(note); skipped") }
    return table
}

/// Opens the index; with the default location and no index yet, builds it from ./corpus.
func openIndex(_ location: IndexLocation) throws -> IndexReader {
    let dir = location.index
    if !IndexReader.exists(directory: dir) {
        let corpus = "corpus"
        if dir == "index", FileSystem.isDirectory(corpus), let root = DocumentSource.absolutePath(corpus) {
            stderrLine("search: no index yet; building it from ./corpus …")
            let writer = try IndexWriter(directory: dir)
            let report = try writer.update(roots: [root])
            stderrLine("search: " + SearchCommand.IndexCommand.summary(report))
        } else {
            throw UserError("no index at \(dir); create one with `search index --index \(dir) PATH…`")
        }
    }
    do {
        let reader: IndexReader
        do {
            reader = try IndexReader.open(directory: dir)
        } catch let error as OutdatedIndexError {
            // The default index is rebuilt as it is built: by itself, from what it was built from.
            guard dir == "index", FileSystem.isDirectory("corpus"), let root = DocumentSource.absolutePath("corpus") else {
                throw UserError(error.description)
            }
            let writer = try IndexWriter(directory: dir)
            stderrLine(outdatedIndexNotice(format: error.version) + " …")
            let report = try writer.update(roots: writer.roots.isEmpty ? [root] : writer.roots)
            stderrLine("search: " + SearchCommand.IndexCommand.summary(report))
            reader = try IndexReader.open(directory: dir)
        }
        if DictionaryFile.sourceChanged(directory: dir, manifest: reader.manifest) {
            let path = DictionaryFile.sourcePath(directory: dir, manifest: reader.manifest)
            stderrLine("search: note: \(displayPath(path)) changed since the index was built; run `search index` to rebuild with it")
        }
        return reader
    } catch let error as CorruptIndexError {
        throw UserError(error.description)
    }
}

/// What `search` says before it rebuilds an index written in an older format.
func outdatedIndexNotice(format: UInt32) -> String {
    "search: the index was written in format \(format) by an older version of search; rebuilding it"
}

func stderrLine(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Paths are shown relative to the working directory when they are inside it.
func displayPath(_ path: String) -> String {
    path.hasPrefix(workingDirectoryPrefix) ? String(path.dropFirst(workingDirectoryPrefix.count)) : path
}

/// The working directory with a trailing slash, read once (the process never changes it;
/// asking for every hit cost a system call each).
let workingDirectoryPrefix = FileManager.default.currentDirectoryPath + "/"
