import Analysis
import Foundation
import Index
import IndexFormat
import Search

/// What the fuzz targets do with one input; the regression tests replay saved inputs
/// through the same functions. Every input must end in a result or a thrown error:
/// a trap or a sanitizer report is a bug.
public enum FuzzEntries {
    /// A small index built once per process, with its files' original bytes.
    final class Fixture: @unchecked Sendable {
        let directory: String
        let searcher: Searcher
        let files: [(name: String, bytes: [UInt8])]

        init() {
            let directory = NSTemporaryDirectory() + "/search-fuzz-\(getpid())-\(UUID().uuidString)"
            try! FileManager.default.createDirectory(atPath: directory + "/docs", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: directory + "/docs/a.txt", contents: Data("復(fù)工復產，工業園區 PM2.5 100% abc 2020年".utf8))
            _ = FileManager.default.createFile(atPath: directory + "/docs/b.md", contents: Data("# 標題\n经济社会发展 疫情防控 第一条".utf8))
            // Articles of laws too, so queries exercise their rescoring.
            _ = FileManager.default.createFile(atPath: directory + "/docs/c.jsonl", contents: Data(("{\"_id\":\"x\",\"title\":\"園區\",\"text\":\"工業園區建設\"}\n"
                + "{\"_id\":\"y\",\"title\":\"園區法第一條\",\"text\":\"工業園區復工復產\"}\n"
                + "{\"_id\":\"z\",\"title\":\"園區法第二條之一\",\"text\":\"園區經濟發展\"}\n"
                + "{\"_id\":\"w\",\"title\":\"发展条例第 3 条\",\"text\":\"经济社会发展，园区建设\"}\n").utf8))
            // A user dictionary, so the index holds a dictionary file for FuzzIndex to damage.
            try! FileManager.default.createDirectory(atPath: directory + "/index", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: directory + "/index/dictionary.txt", contents: Data("復工復產\n工業園區\n".utf8))
            let writer = try! IndexWriter(directory: directory + "/index")
            _ = try! writer.update(roots: [DocumentSource.absolutePath(directory + "/docs")!])
            try? FileManager.default.removeItem(atPath: directory + "/docs/b.md")
            _ = try! writer.update(roots: [DocumentSource.absolutePath(directory + "/docs")!])  // a deletion file
            searcher = try! Searcher(reader: try! IndexReader.open(directory: directory + "/index"))
            self.directory = directory
            files = try! FileSystem.list(directory + "/index").sorted().filter { $0 != "LOCK" }.map {
                ($0, try! FileSystem.read(directory + "/index/" + $0))
            }
        }
    }

    nonisolated(unsafe) static var fixture: Fixture? = nil
    static var shared: Fixture {
        if fixture == nil { fixture = Fixture() }
        return fixture!
    }

    /// The query parser and planner, and a search; then the input's first half as a
    /// synonyms file for its second half and a fixed query.
    public static func query(_ input: UnsafeRawBufferPointer) {
        let query = String(decoding: input, as: UTF8.self)
        let searcher = shared.searcher
        _ = try? searcher.search(query, k: 5)
        _ = try? searcher.search(query, k: 5, countExact: false)
        let half = input.count / 2
        searcher.synonyms = SynonymTable.parse(String(decoding: input[..<half], as: UTF8.self), normalizer: searcher.analyzer.normalizer).table
        defer { searcher.synonyms = .empty }
        _ = try? searcher.search(String(decoding: input[half...], as: UTF8.self), k: 5)
        _ = try? searcher.search("工業園區 經濟發展", k: 5)
    }

    /// The analyzer the index uses: documents cut in their own script, no offsets, no Han
    /// words (so ICU reads no Han).
    nonisolated(unsafe) static let indexAnalyzer = try! Analyzer.forIndexing()
    /// The same with Han words: everything else it finds must be what the index finds.
    nonisolated(unsafe) static let indexAnalyzerWithHanWords = try! Analyzer(script: .own, keepsOriginalOffsets: false)

    /// Traps unless the index's analysis equals the full one without its Han words.
    static func checkIndexAnalysis(_ text: UnsafeBufferPointer<UInt8>) {
        var lean = indexAnalyzer.analyze(text)
        let full = indexAnalyzerWithHanWords.analyze(text)
        let kept = full.tokens.filter { $0.kind != .word }
        Analyzer.sortByPosition(&lean.tokens)  // the index's analyzer does not sort them
        precondition(lean.normalized.bytes == full.normalized.bytes && lean.positionCount == full.positionCount
                     && lean.tokens.count == kept.count
                     && zip(lean.tokens, kept).allSatisfy { $0.kind == $1.kind && $0.position == $1.position && $0.termStart == $1.termStart && $0.termEnd == $1.termEnd },
                     "the index's analysis without Han words differs from the full one")
    }

    /// The document decoders: a plain file and a collection, analysis (as queries and as the
    /// index analyse text), snippets.
    public static func documents(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        var bad = 0
        for kind in [SourceFile.Kind.plain, .collection] {
            let file = SourceFile(path: "/fuzz/input", root: "/fuzz", size: UInt64(bytes.count), modified: 0, kind: kind)
            for document in DocumentSource.documents(of: file, bytes: bytes, badLines: &bad) {
                _ = document.text.withUnsafeBufferPointer { text in
                    TextChunker.chunks(text, maxBytes: 4096).map {
                        checkIndexAnalysis(UnsafeBufferPointer(rebasing: text[$0]))
                        return shared.searcher.analyzer.analyze(UnsafeBufferPointer(rebasing: text[$0]))
                    }
                }
            }
        }
        // The input's first half as a user dictionary, cutting its second half and a fixed text.
        let half = bytes.count / 2
        let dictionary = UserDictionary.parse(Array(bytes[..<half]), normalizer: shared.searcher.analyzer.normalizer)
        if let analyzer = try? Analyzer(dictionary: dictionary, script: .own),
           let indexing = try? Analyzer.forIndexing(dictionary: dictionary) {
            let cut = bytes[half...].withUnsafeBufferPointer { analyzer.analyze($0) }
            _ = analyzer.analyze("有序推動復工復產，工業園區建設 PM2.5")
            // The index finds every occurrence of a word the cut keeps, and the same subwords.
            let all = bytes[half...].withUnsafeBufferPointer { indexing.analyze($0) }
            let allWords = Set(all.tokens.filter { $0.kind == .word }.map { [$0.position, $0.termEnd] })
            precondition(cut.tokens.filter { $0.kind == .subword }.map { [$0.position, $0.termEnd] }
                         == all.tokens.filter { $0.kind == .subword }.map { [$0.position, $0.termEnd] })
            for token in cut.tokens where token.kind == .word && dictionary.contains(Array(cut.normalized.bytes[Int(token.termStart)..<Int(token.termEnd)])) {
                precondition(allWords.contains([token.position, token.termEnd]), "a dictionary word of the cut is not indexed")
            }
        }
        let plan = QueryPlan(query: "工業園區 pm2", analyzer: shared.searcher.analyzer)
        _ = SnippetMaker(normalizer: shared.searcher.analyzer.normalizer).snippets(for: plan, in: bytes)
        // The other decoders: encodings, HTML, and the metadata of policy documents.
        let decoded = EncodingDetector.decode(bytes)
        _ = EncodingDetector.decode(bytes, as: "Big5")
        let html = DocumentFormats.html(bytes)
        let text = String(decoding: decoded.utf8, as: UTF8.self) + String(decoding: html.text, as: UTF8.self)
        _ = DocumentMetadata.date(in: text)
        _ = DocumentMetadata.documentNumber(in: text)
        _ = try? QueryParser.parse(text)
        _ = LegalArticle(title: text)
    }

    /// The index reader on a damaged file: the first byte picks which file of the index
    /// the rest replaces; then the index is opened, queried and verified.
    public static func indexReader(_ input: UnsafeRawBufferPointer) {
        let fixture = shared
        writeSeedsOnce()
        guard input.count >= 1 else { return }
        let target = fixture.files[Int(input[0]) % fixture.files.count]
        let directory = fixture.directory + "/mutant-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in fixture.files {
            let bytes = file.name == target.name ? Array(input[1...]) : file.bytes
            try? FileSystem.writeAndSync(directory + "/" + file.name, bytes)
        }
        // Once as a user opens it, and once decoding segments whatever their checksums say,
        // so that random changes reach the decoders behind the checksums.
        for ignoring in [false, true] {
            guard let reader = try? IndexReader.open(directory: directory, ignoringSegmentChecksums: ignoring),
                  let searcher = try? Searcher(reader: reader) else { continue }
            for q in ["復工復產", "园", "pm2.5", "經濟 發展", "工業園區"] { _ = try? searcher.search(q, k: 10) }
            _ = try? reader.verify()
            // A merge reads every list, copying blocks and positions as stored.
            if ignoring { _ = try? SegmentMerger.merge(reader.segments, name: "merged", directory: directory, workers: 1) }
        }
    }

    /// Seed inputs for `indexReader`: every file of the fixture index, intact.
    public static func indexSeeds() -> [[UInt8]] {
        shared.files.enumerated().map { [UInt8($0.offset)] + $0.element.bytes }
    }

    nonisolated(unsafe) static var seedsWritten = false

    /// With FUZZ_SEED_DIR set, the index target writes its seeds there on its first input.
    static func writeSeedsOnce() {
        guard !seedsWritten, let dir = ProcessInfo.processInfo.environment["FUZZ_SEED_DIR"] else { return }
        seedsWritten = true
        for (i, seed) in indexSeeds().enumerated() { try? FileSystem.writeAndSync(dir + "/seed-\(i)", seed) }
    }
}

#if FUZZING
// libFuzzer's driver, linked in by -sanitize=fuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

nonisolated(unsafe) var fuzzTarget: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer on `target`; each fuzz executable's entry point calls this.
public func runFuzzer(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ target: @escaping (UnsafeRawBufferPointer) -> Void) -> Int32 {
    fuzzTarget = target
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        fuzzTarget(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
    }
}
#endif
