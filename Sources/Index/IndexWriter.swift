import Analysis
import Dispatch
import Foundation
import IndexFormat

/// What one `IndexWriter.update` did.
public struct UpdateReport: Sendable {
    public var added = 0
    public var updated = 0
    public var removed = 0
    public var unchanged = 0
    /// Files of kinds that are not indexed.
    public var skippedFiles = 0
    /// Lines of collections that are not documents.
    public var badLines = 0
    /// Documents that held invalid UTF-8 (decoded with replacement characters).
    public var invalidUTF8Documents: [String] = []
    /// Files that could not be read.
    public var unreadable: [String] = []
    /// Documents longer than the per-document token limit, indexed up to it.
    public var truncatedDocuments: [String] = []
    /// Files that gave no text, and why (a PDF without pdftotext, a broken .docx).
    public var problems: [(path: String, reason: String)] = []
    /// Documents not in UTF-8, and the encoding they were converted from.
    public var convertedDocuments: [(path: String, encoding: String)] = []
    public var bytesAnalyzed: UInt64 = 0
    public var segmentsWritten = 0
    public var segmentsMerged = 0
    public var seconds = 0.0
    /// Where the time went (`search index --stats`): analysing and writing the new segments,
    /// merging them (and older ones), and the rest (finding what changed, deletions, the commit).
    public var analysisSeconds = 0.0
    public var mergeSeconds = 0.0
    public var committed = false
}

/// How far an update has got, reported after every file analysed.
public struct IndexProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
}

/// The update was asked to stop (`IndexOptions.shouldStop`); nothing was committed.
public struct IndexInterrupted: Error, CustomStringConvertible {
    public var description: String { "interrupted; the index keeps its last complete commit" }
}

public struct IndexOptions: Sendable {
    /// Threads that analyse documents (analysis is most of a build).
    public var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// A worker flushes its in-memory segment once its contents need this many bytes
    /// (occurrences at 12 bytes, terms), bounding memory; the builder keeps its storage
    /// from one segment to the next. Measured on the scale corpus (162 MB, 2 workers):
    /// 48 MB, 16 segments to merge, 8.3 s at a peak of 273 MB; 72 MB no faster (8.5–8.8 s)
    /// at 362 MB. (Counting the arrays' doubling capacities, as before, 96 MB flushed at
    /// about the same points as 48 MB now.)
    public var flushBytes: Int = 48 << 20
    /// More live segments than this triggers a merge of the smallest ones.
    public var maxSegments: Int = 8
    /// A merge takes segments of at most this many bytes together (it streams postings to
    /// disk, but holds the merged dictionary and document records in memory).
    public var maxMergeBytes: Int = 384 << 20
    /// Discard the existing index and build it anew.
    public var rebuild = false
    /// The user dictionary's file: nil keeps the one recorded by earlier updates (at first
    /// `dictionary.txt` in the index directory); "" goes back to that default.
    public var dictionarySource: String? = nil
    /// Polled between files; when it returns true the update stops without committing.
    public var shouldStop: @Sendable () -> Bool = { false }

    public init() {}
}

/// Creates and updates an index directory. One writer at a time (an advisory lock);
/// readers are never blocked.
///
/// Commit protocol: new segment and deletion files are written under new names and
/// fsynced; the directory is fsynced; `MANIFEST.tmp` is written, fsynced and renamed over
/// `MANIFEST`; the directory is fsynced again. Only then are files that no commit names
/// any more deleted. A crash at any point leaves the previous `MANIFEST` and every file it
/// names intact; leftovers are removed by the next writer.
public final class IndexWriter {
    public let directory: String
    public let options: IndexOptions
    private let lock: WriteLock
    private var manifest: Manifest
    private let segmentNumberLock = NSLock()
    /// Set by `rebuild`, or by a dictionary whose words changed.
    private var rebuilding: Bool
    /// The dictionary documents are analysed with.
    public let dictionary: UserDictionary?
    /// The dictionary file as parsed by this writer (nil when it was unchanged and not read).
    public private(set) var parsedDictionary: UserDictionary? = nil
    /// When the dictionary's words changed: how many there were and are (the index is rebuilt).
    public private(set) var dictionaryChange: (old: Int, new: Int)? = nil
    /// When the index's segments were written in an older format: that format (the index is rebuilt).
    public private(set) var outdatedFormat: UInt32? = nil
    /// The dictionary fields of the next commit, and whether its file must be written.
    private var nextDictionary: (file: String, source: String, hash: UInt64)
    private var dictionaryToWrite: UserDictionary? = nil

    public static let lockFileName = "LOCK"

    public init(directory: String, options: IndexOptions = IndexOptions()) throws {
        self.directory = directory
        self.options = options
        try FileSystem.makeDirectory(directory)
        lock = try WriteLock(path: directory + "/" + Self.lockFileName)
        let recorded = options.rebuild ? (try? Manifest.load(directory: directory)) ?? Manifest()
                                       : try Manifest.load(directory: directory) ?? Manifest()

        // The dictionary: reuse the index's copy while the source file is unchanged.
        let source = options.dictionarySource.map { $0.isEmpty ? "" : DocumentSource.absolutePath($0) ?? $0 } ?? recorded.dictionarySource
        let sourcePath = source.isEmpty ? directory + "/" + DictionaryFile.defaultSourceName : source
        let raw: [UInt8]?
        if FileSystem.exists(sourcePath) {
            raw = try FileSystem.read(sourcePath)
        } else if !source.isEmpty {
            throw IndexError.dictionaryMissing(source)
        } else {
            raw = nil
        }
        let hash = raw.map(ContentHash.hash) ?? 0
        let old = options.rebuild ? try? DictionaryFile.load(directory: directory, name: recorded.dictionaryFile)
                                  : try DictionaryFile.load(directory: directory, name: recorded.dictionaryFile)
        var rebuilding = options.rebuild
        if hash == recorded.dictionarySourceHash && source == recorded.dictionarySource && (old != nil) == !recorded.dictionaryFile.isEmpty {
            dictionary = old
            nextDictionary = (recorded.dictionaryFile, source, hash)
        } else {
            let parsed = raw.map { UserDictionary.parse($0, normalizer: Normalizer()) }
            parsedDictionary = parsed
            let new = parsed.flatMap { $0.words.isEmpty ? nil : $0 }
            dictionary = new
            if (old?.words ?? []) == (new?.words ?? []) {
                nextDictionary = (recorded.dictionaryFile, source, hash)
            } else {
                dictionaryChange = (old?.words.count ?? 0, new?.words.count ?? 0)
                rebuilding = rebuilding || !recorded.segments.isEmpty
                nextDictionary = (new == nil ? "" : "dict_\(recorded.generation + 1).dic", source, hash)
                dictionaryToWrite = new
            }
        }
        // Segments of an older format cannot be read or merged: rebuild from the documents.
        if !rebuilding, let old = recorded.segments.lazy.compactMap({
            OutdatedIndexError.version(ofFileAt: directory + "/" + $0.fileName) }).first(where: { $0 < SegmentLayout.version }) {
            outdatedFormat = old
            rebuilding = true
        }
        self.rebuilding = rebuilding
        if rebuilding {
            manifest = Manifest()
            manifest.generation = recorded.generation
            manifest.nextSegmentNumber = recorded.nextSegmentNumber
            manifest.roots = recorded.roots
        } else {
            manifest = recorded
        }
    }

    /// The roots recorded by earlier updates.
    public var roots: [String] { manifest.roots }

    private func newSegmentName() -> String {
        segmentNumberLock.lock()
        defer { segmentNumberLock.unlock() }
        let n = manifest.nextSegmentNumber
        manifest.nextSegmentNumber += 1
        return "seg_\(n)"
    }

    /// A unit of analysis work: a file, and for a changed collection the ids to index.
    private struct WorkItem {
        var file: SourceFile
        var onlyIDs: Set<String>?
        /// For a large collection, the part of the file (whole lines) this item covers.
        var range: Range<UInt64>? = nil
    }

    /// Collections larger than this are analysed in parts of this size, in parallel.
    static let collectionChunkBytes = 1 << 20

    /// Brings the index up to date with the files under `roots` (absolute paths).
    public func update(roots: [String], progress: (@Sendable (IndexProgress) -> Void)? = nil) throws -> UpdateReport {
        let started = Date()
        var report = UpdateReport()
        var oldReader: IndexReader? = nil
        if !manifest.segments.isEmpty {
            oldReader = try IndexReader(directory: directory, manifest: manifest)
        }

        // What the index holds now, by path.
        struct Existing { var segment: Int; var doc: Int; var record: DocumentRecord }
        var existing: [String: Existing] = [:]
        var existingByFile: [String: [String]] = [:]
        try oldReader?.forEachDocument { s, d, record in
            existing[record.path] = Existing(segment: s, doc: d, record: record)
            if record.format == .jsonLine { existingByFile[record.file, default: []].append(record.path) }
        }

        let files = DocumentSource.walk(roots: roots, skipped: &report.skippedFiles)
        var work: [WorkItem] = []
        var toDelete: [(Int, Int)] = []
        // Documents analysed again that were indexed before: not counted as added.
        var replaced = 0
        var seenPaths = Set<String>()
        for file in files {
            switch file.kind {
            case .plain, .html, .docx, .pdf:
                seenPaths.insert(file.path)
                guard let old = existing[file.path] else {
                    work.append(WorkItem(file: file, onlyIDs: nil))
                    continue
                }
                if old.record.fileSize == file.size && old.record.modified == file.modified {
                    report.unchanged += 1
                } else if let bytes = try? FileSystem.read(file.path), ContentHash.hash(bytes) == old.record.contentHash {
                    report.unchanged += 1
                } else {
                    work.append(WorkItem(file: file, onlyIDs: nil))
                    toDelete.append((old.segment, old.doc))
                    report.updated += 1
                    replaced += 1
                }
            case .collection:
                let oldPaths = existingByFile[file.path] ?? []
                if let first = oldPaths.first, let old = existing[first],
                   old.record.fileSize == file.size && old.record.modified == file.modified {
                    for p in oldPaths { seenPaths.insert(p) }
                    report.unchanged += oldPaths.count
                    continue
                }
                guard !oldPaths.isEmpty else {
                    work.append(WorkItem(file: file, onlyIDs: nil))
                    continue
                }
                // A changed collection: compare line by line.
                guard let bytes = try? FileSystem.read(file.path) else {
                    report.unreadable.append(file.path)
                    continue
                }
                var bad = 0
                var changed = Set<String>()
                for document in DocumentSource.documents(of: file, bytes: bytes, badLines: &bad) {
                    let path = document.record.path
                    seenPaths.insert(path)
                    if let old = existing[path] {
                        if old.record.contentHash == document.record.contentHash {
                            // Same text, but the file moved on: re-index so offsets and
                            // the file's size and time are current.
                            changed.insert(document.record.collectionID)
                            toDelete.append((old.segment, old.doc))
                            report.unchanged += 1
                            replaced += 1
                        } else {
                            changed.insert(document.record.collectionID)
                            toDelete.append((old.segment, old.doc))
                            report.updated += 1
                            replaced += 1
                        }
                    } else {
                        changed.insert(document.record.collectionID)
                    }
                }
                work.append(WorkItem(file: file, onlyIDs: changed))
            }
        }
        // Documents under the given roots that are gone.
        for (path, old) in existing where !seenPaths.contains(path) {
            if roots.contains(where: { old.record.file == $0 || old.record.file.hasPrefix($0 == "/" ? "/" : $0 + "/") }) {
                toDelete.append((old.segment, old.doc))
                report.removed += 1
            }
        }

        // Large collections are cut into parts so that every core analyses them.
        work = work.flatMap { item -> [WorkItem] in
            guard item.file.kind == .collection, item.file.size > UInt64(Self.collectionChunkBytes),
                  let ranges = try? DocumentSource.chunks(ofCollection: item.file.path, chunkBytes: Self.collectionChunkBytes),
                  ranges.count > 1 else { return [item] }
            return ranges.map { WorkItem(file: item.file, onlyIDs: item.onlyIDs, range: $0) }
        }

        // Analyse and write new segments, one in-memory segment per worker.
        let analysisStarted = Date()
        let newEntries = try analyze(work, report: &report, progress: progress)
        report.analysisSeconds = Date().timeIntervalSince(analysisStarted)
        report.added -= replaced

        // Deletions against the old segments.
        var segments = manifest.segments
        var deletionSets: [Int: DeletionSet] = [:]
        for (s, d) in toDelete {
            var set = deletionSets[s] ?? oldReader!.segments[s].deletions ?? DeletionSet(docCount: segments[s].docCount)
            set.insert(d)
            deletionSets[s] = set
        }
        for (s, set) in deletionSets.sorted(by: { $0.key < $1.key }) {
            segments[s].deletionGeneration = Int(manifest.generation) + 1
            segments[s].deletedCount = set.count
            let name = segments[s].deletionFileName!
            try FileSystem.writeAndSync(directory + "/" + name, set.encode())
        }
        // The segments of this update become one: queries read one term dictionary instead of
        // several (and it costs little: they are fresh and small next to the analysis).
        var fresh = newEntries
        let mergeStarted = Date()
        let freshBytes = fresh.reduce(0) { $0 + fileSize(directory + "/" + $1.fileName) }
        if fresh.count > 1 && freshBytes <= options.maxMergeBytes {
            let views = try fresh.map { entry in
                // Written moments ago: the parts' own checksums, checked as the merge reads
                // them, suffice (no whole-file pass).
                SegmentView(entry: entry, reader: try SegmentReader(path: directory + "/" + entry.fileName, name: entry.fileName),
                            deletions: nil)
            }
            if let merged = try SegmentMerger.merge(views, name: newSegmentName(), directory: directory) {
                for entry in fresh { FileSystem.remove(directory + "/" + entry.fileName) }
                report.segmentsMerged += fresh.count
                fresh = [merged]
            }
        }
        report.mergeSeconds = Date().timeIntervalSince(mergeStarted)
        // New segments left unmerged were written without fsync (the merged one was synced).
        let unsynced = Set(newEntries.map(\.fileName))
        for entry in fresh where unsynced.contains(entry.fileName) {
            try FileSystem.sync(directory + "/" + entry.fileName)
        }
        segments.append(contentsOf: fresh)
        segments.removeAll { $0.deletedCount == $0.docCount }

        let changedSomething = !newEntries.isEmpty || !deletionSets.isEmpty || rebuilding
            || Set(manifest.roots) != Set(manifest.roots + roots)
            || nextDictionary != (manifest.dictionaryFile, manifest.dictionarySource, manifest.dictionarySourceHash)
        guard changedSomething else {
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        let boundingStarted = Date()
        segments = try mergeIfNeeded(segments, report: &report)
        report.mergeSeconds += Date().timeIntervalSince(boundingStarted)

        var next = manifest
        next.generation += 1
        next.segments = segments
        next.commitTime = Int64(Date().timeIntervalSince1970 * 1e9)
        for r in roots where !next.roots.contains(r) { next.roots.append(r) }
        (next.dictionaryFile, next.dictionarySource, next.dictionarySourceHash) = nextDictionary
        if let words = dictionaryToWrite {
            try FileSystem.writeAndSync(directory + "/" + next.dictionaryFile, DictionaryFile.encode(words))
        }
        try commit(next)
        dictionaryToWrite = nil
        report.committed = true
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Writes `next` as the new commit point and removes what no longer belongs.
    private func commit(_ next: Manifest) throws {
        try FileSystem.syncDirectory(directory)
        try FileSystem.writeAtomically(directory + "/" + Manifest.fileName, next.encode())
        manifest = next
        removeUnreferencedFiles()
    }

    /// Deletes files of older commits and leftovers of killed writers.
    public func removeUnreferencedFiles() {
        var keep: Set<String> = [Manifest.fileName, Self.lockFileName, DictionaryFile.defaultSourceName, manifest.dictionaryFile]
        for s in manifest.segments {
            keep.insert(s.fileName)
            if let d = s.deletionFileName { keep.insert(d) }
        }
        guard let names = try? FileSystem.list(directory) else { return }
        for name in names where !keep.contains(name) {
            let ours = name.hasSuffix(".seg") || name.hasSuffix(".del") || name.hasSuffix(".tmp") || name.hasSuffix(".dic")
            if ours { FileSystem.remove(directory + "/" + name) }
        }
    }

    /// Runs analysis on `options.workers` threads. Each worker owns an `Analyzer` and a
    /// `SegmentBuilder` and takes every workers-th item, so the result is deterministic.
    private func analyze(_ work: [WorkItem], report: inout UpdateReport, progress: (@Sendable (IndexProgress) -> Void)?) throws -> [SegmentEntry] {
        guard !work.isEmpty else { return [] }
        let workers = min(options.workers, work.count)
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var entries: [[SegmentEntry]]
            var reports: [UpdateReport]
            var error: Error?
            /// Every segment file written, so that a failed run can remove them.
            var written: [String] = []
            var filesDone = 0
            var bytesDone: UInt64 = 0
            init(_ n: Int) {
                entries = Array(repeating: [], count: n)
                reports = Array(repeating: UpdateReport(), count: n)
            }
        }
        let shared = Shared(workers)
        let flushBytes = options.flushBytes
        let shouldStop = options.shouldStop
        let bytesTotal = work.reduce(UInt64(0)) { $0 + ($1.range.map { UInt64($0.count) } ?? $1.file.size) }
        nonisolated(unsafe) let unsafeSelf = self
        let items = work
        let dictionary = self.dictionary
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            do {
                let analyzer = try Analyzer.forIndexing(dictionary: dictionary)
                var builder = SegmentBuilder(expectedMemory: flushBytes)
                var local = UpdateReport()
                var entries: [SegmentEntry] = []
                func flush() throws {
                    guard !builder.isEmpty else { return }
                    let name = unsafeSelf.newSegmentName()
                    let entry = SegmentEntry(name: name, docCount: builder.documentCount, deletionGeneration: 0, deletedCount: 0)
                    shared.lock.withLock { shared.written.append(entry.fileName) }
                    // Not fsynced: the update usually merges its new segments at once and deletes
                    // them, so they never need to reach the disk; those kept are synced before
                    // the commit names them.
                    let image = builder.encodeAndEmpty()
                    try FileSystem.write(unsafeSelf.directory + "/" + entry.fileName, image, sync: false)
                    builder.recycle(consume image)
                    entries.append(entry)
                }
                var i = w
                while i < items.count {
                    if shouldStop() { throw IndexInterrupted() }
                    let item = items[i]
                    i += workers
                    let bytes: [UInt8]
                    do {
                        if let range = item.range {
                            bytes = try FileSystem.read(item.file.path, offset: range.lowerBound, length: range.count)
                        } else {
                            bytes = try FileSystem.read(item.file.path)
                        }
                    } catch {
                        local.unreadable.append(item.file.path)
                        continue
                    }
                    var file = item.file
                    if item.range == nil { file.size = UInt64(bytes.count) }
                    var problem: String? = nil
                    let documents = DocumentSource.documents(of: file, bytes: bytes, baseOffset: item.range?.lowerBound ?? 0,
                                                             badLines: &local.badLines, problem: &problem)
                    if let problem { local.problems.append((item.file.path, problem)) }
                    for document in documents {
                        if let only = item.onlyIDs, !only.contains(document.record.collectionID) { continue }
                        // Long texts are analysed piece by piece, so memory stays bounded.
                        builder.beginDocument(document.record)
                        var positionBase: Int32 = 0
                        var invalid = 0
                        var complete = true
                        document.text.withUnsafeBufferPointer { text in
                            for piece in TextChunker.chunks(text) where complete {
                                let analyzed = analyzer.analyze(UnsafeBufferPointer(rebasing: text[piece]))
                                invalid += analyzed.normalized.invalidSequences
                                complete = builder.addTokens(analyzed, positionBase: positionBase)
                                positionBase += analyzed.positionCount
                            }
                        }
                        builder.endDocument()
                        if invalid > 0 { local.invalidUTF8Documents.append(document.record.path) }
                        if document.record.encoding != "UTF-8" {
                            local.convertedDocuments.append((document.record.path, document.record.encoding))
                        }
                        if !complete { local.truncatedDocuments.append(document.record.path) }
                        local.added += 1
                        local.bytesAnalyzed += UInt64(document.text.count)
                    }
                    if builder.memoryUsage > flushBytes { try flush() }
                    if let progress {
                        shared.lock.lock()
                        shared.filesDone += 1
                        shared.bytesDone += UInt64(bytes.count)
                        let report = IndexProgress(filesDone: shared.filesDone, filesTotal: items.count,
                                                   bytesDone: shared.bytesDone, bytesTotal: bytesTotal)
                        shared.lock.unlock()
                        progress(report)
                    }
                }
                try flush()
                shared.lock.lock()
                shared.entries[w] = entries
                shared.reports[w] = local
                shared.lock.unlock()
            } catch {
                shared.lock.lock()
                shared.error = shared.error ?? error
                shared.lock.unlock()
            }
        }
        if let error = shared.error {
            // Segments written before the failure belong to no commit: remove them now.
            for name in shared.written { FileSystem.remove(directory + "/" + name) }
            throw error
        }
        for r in shared.reports {
            report.added += r.added
            report.badLines += r.badLines
            report.invalidUTF8Documents += r.invalidUTF8Documents
            report.unreadable += r.unreadable
            report.truncatedDocuments += r.truncatedDocuments
            report.problems += r.problems
            report.convertedDocuments += r.convertedDocuments
            report.bytesAnalyzed += r.bytesAnalyzed
        }
        let entries = shared.entries.flatMap { $0 }
        report.segmentsWritten = entries.count
        return entries
    }

    /// Keeps the number of segments bounded: past `maxSegments`, the smallest segments
    /// (by live documents) are merged into one, dropping their deleted documents.
    private func mergeIfNeeded(_ segments: [SegmentEntry], report: inout UpdateReport) throws -> [SegmentEntry] {
        guard segments.count > options.maxSegments else { return segments }
        let bySize = segments.indices.sorted {
            (segments[$0].docCount - segments[$0].deletedCount) < (segments[$1].docCount - segments[$1].deletedCount)
        }
        let mergeCount = options.maxSegments == 1 ? segments.count : segments.count - options.maxSegments / 2 + 1
        // The smallest segments, as many as asked for and fit within maxMergeBytes.
        var chosen = Set<Int>()
        var bytes = 0
        for i in bySize.prefix(mergeCount) {
            let size = fileSize(directory + "/" + segments[i].fileName)
            if !chosen.isEmpty && bytes + size > options.maxMergeBytes { break }
            chosen.insert(i)
            bytes += size
        }
        guard chosen.count > 1 else { return segments }
        let ordered = segments.indices.filter { chosen.contains($0) }
        var views: [SegmentView] = []
        for i in ordered {
            let entry = segments[i]
            let reader = try SegmentReader(path: directory + "/" + entry.fileName, name: entry.fileName, verifyChecksum: true)
            var deletions: DeletionSet? = nil
            if let d = entry.deletionFileName {
                deletions = try DeletionSet.decode(try FileSystem.read(directory + "/" + d), name: d, docCount: entry.docCount)
            }
            views.append(SegmentView(entry: entry, reader: reader, deletions: deletions))
        }
        let merged = try SegmentMerger.merge(views, name: newSegmentName(), directory: directory)
        report.segmentsMerged += views.count
        var result: [SegmentEntry] = []
        for (i, entry) in segments.enumerated() {
            if i == ordered.first, let merged { result.append(merged) }
            if !chosen.contains(i) { result.append(entry) }
        }
        return result
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// Merges segments into one, renumbering documents and dropping deleted ones.
public enum SegmentMerger {
    /// Merges `views` (dropping deleted documents) into segment `name`. Documents are copied
    /// in order; the merged term dictionary is cut into parts of about equal postings bytes
    /// that `workers` threads encode side by side, and each part is appended to the file in
    /// term order as soon as the parts before it are — so memory holds the dictionary and
    /// records plus a few parts.
    public static func merge(_ views: [SegmentView], name: String, directory: String,
                      workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)) throws -> SegmentEntry? {
        var encoder = SegmentEncoder(capacity: 1 << 20)
        var docMaps: [[Int]] = []
        // An input without deleted documents keeps its documents' order and spacing: its
        // numbers only shift by this base, and its postings are copied a block at a time.
        var bases: [Int?] = []
        var next = 0
        for view in views {
            var map = [Int](repeating: -1, count: view.reader.docCount)
            bases.append((view.deletions?.count ?? 0) == 0 ? next : nil)
            for doc in 0..<view.reader.docCount where !view.isDeleted(doc) {
                encoder.addDocument(try view.reader.document(doc))
                map[doc] = next
                next += 1
            }
            docMaps.append(map)
        }
        guard next > 0 else { return nil }

        // Parts of about equal postings bytes, several per worker so that the last ones end
        // together. Cut points are block-first terms of the input with the most terms; the
        // postings bytes below a key are found through each input's block index, a few
        // seeks per cut instead of a walk of every dictionary.
        let partCount = max(1, workers * 8)
        let termCounts = views.map(\.reader.termCount)
        func cut(at key: [UInt8]) throws -> (starts: [Int], weight: Int) {
            var starts: [Int] = [], weight = 0
            for view in views {
                let ordinal = try key.withUnsafeBytes { try view.reader.lowerBound($0) }
                starts.append(ordinal)
                weight += try view.reader.postingsBytes(before: ordinal)
            }
            return (starts, weight)
        }
        var partStarts: [[Int]] = [[Int](repeating: 0, count: views.count)]
        if let largest = views.indices.max(by: { termCounts[$0] < termCounts[$1] }), partCount > 1 {
            let keys = try views[largest].reader.blockFirstTerms()
            let totalWeight = views.reduce(0) { $0 + $1.reader.postingsSectionSize }
            var lo = 0
            for p in 1..<partCount {
                // The first key with at least p / partCount of the bytes below it.
                var hi = keys.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if try cut(at: keys[mid]).weight * partCount < totalWeight * p { lo = mid + 1 } else { hi = mid }
                }
                guard lo < keys.count else { break }
                let starts = try cut(at: keys[lo]).starts
                if starts != partStarts.last! { partStarts.append(starts) }
            }
        }
        let partEnds = Array(partStarts.dropFirst()) + [termCounts]

        // Each worker takes the next part, encodes it, then appends it to the file when every
        // part before it is there: writing overlaps the other workers' encoding, and parts
        // waiting their turn are at most a few.
        /// Shared by the workers; everything in it is used under `condition`'s lock.
        final class Progress: @unchecked Sendable {
            let condition = NSCondition()
            var nextPart = 0
            var nextToWrite = 0
            var error: Error?
            var output: SegmentEncoder
            let file: FileSink
            init(output: SegmentEncoder, file: FileSink) { (self.output, self.file) = (output, file) }
        }
        let entry = SegmentEntry(name: name, docCount: next, deletionGeneration: 0, deletedCount: 0)
        let lengths = encoder.documentLengths
        // Consumed, so the records are not copied when the first part is appended.
        let progress = Progress(output: consume encoder, file: try FileSink(path: directory + "/" + entry.fileName))
        let inputs = views
        let maps = docMaps, starts = partStarts, ends = partEnds, shifts = bases
        DispatchQueue.concurrentPerform(iterations: min(workers, starts.count)) { _ in
            while true {
                progress.condition.lock()
                let p = progress.nextPart
                progress.nextPart += 1
                let failed = progress.error != nil
                progress.condition.unlock()
                guard p < starts.count, !failed else { return }
                var encoded: SegmentEncoder? = nil
                var failure: Error? = nil
                do {
                    var part = SegmentEncoder(capacity: 1 << 16, documentLengths: lengths)
                    var terms = try TermMerge(inputs.map(\.reader), starts: starts[p], ends: ends[p])
                    var holders: [Int] = []
                    var blockDocs = [UInt32](repeating: 0, count: BitPacking.blockSize)
                    var blockFreqs = blockDocs
                    while terms.smallest(into: &holders) {
                        part.beginTerm(terms.term(holders[0]))
                        for k in holders {
                            var postings = try inputs[k].reader.postings(at: terms.location(k))
                            if let base = shifts[k] {
                                try Self.copyPostings(&postings, shiftedBy: base, into: &part, docs: &blockDocs, freqs: &blockFreqs)
                            } else {
                                while try postings.next() {
                                    let mapped = maps[k][postings.doc]
                                    guard mapped >= 0 else { continue }
                                    let positions = postings.hasPositions ? try postings.encodedPositions() : UnsafeRawBufferPointer(start: nil, count: 0)
                                    part.addPosting(doc: mapped, freq: postings.freq, encodedPositions: positions)
                                }
                            }
                            try terms.advance(k)
                        }
                        part.endTerm()
                    }
                    encoded = part
                } catch {
                    failure = error
                }
                progress.condition.lock()
                while progress.nextToWrite != p && progress.error == nil { progress.condition.wait() }
                if progress.error == nil {
                    do {
                        if let failure { throw failure }
                        try progress.output.appendTerms(of: encoded!, streamingTo: progress.file)
                    } catch {
                        progress.error = error
                    }
                }
                progress.nextToWrite += 1
                progress.condition.broadcast()
                progress.condition.unlock()
            }
        }
        if let error = progress.error { throw error }
        try progress.output.finish(streamingTo: progress.file)
        try progress.file.sync()
        return entry
    }

    /// Copies a list whose documents all stay, numbers shifted by `base`, a stored block at
    /// a time: positions are appended as stored, not decoded.
    private static func copyPostings(_ postings: inout PostingsCursor, shiftedBy base: Int, into part: inout SegmentEncoder,
                                     docs: inout [UInt32], freqs: inout [UInt32]) throws {
        try docs.withUnsafeMutableBufferPointer { docs in
            try freqs.withUnsafeMutableBufferPointer { freqs in
                var positions = UnsafeRawBufferPointer(start: nil, count: 0)
                while true {
                    let n = try postings.nextBlock(docs: docs.baseAddress!, freqs: freqs.baseAddress!, positions: &positions)
                    guard n > 0 else { return }
                    for i in 0..<n { docs[i] += UInt32(base) }
                    part.addPostings(docs: UnsafeBufferPointer(rebasing: docs[0..<n]), freqs: UnsafeBufferPointer(rebasing: freqs[0..<n]),
                                     encodedPositions: positions)
                }
            }
        }
    }
}

/// The inputs' dictionaries walked together in byte order, each from its start ordinal to
/// its end. Each current term's first eight bytes (big-endian) and length are kept as
/// integers: most terms are bigrams of six bytes, so comparisons rarely read the bytes.
struct TermMerge {
    private var terms: [SegmentReader.TermEnumerator]
    private var live: [Bool]
    private var prefix: [UInt64]
    private var length: [Int]
    private let ends: [Int]

    init(_ readers: [SegmentReader], starts: [Int], ends: [Int]) throws {
        terms = try readers.indices.map { try readers[$0].terms(from: starts[$0]) }
        live = Array(repeating: false, count: readers.count)
        prefix = Array(repeating: 0, count: readers.count)
        length = Array(repeating: 0, count: readers.count)
        self.ends = ends
        for k in readers.indices where starts[k] < ends[k] {
            live[k] = try terms[k].next()
            if live[k] { setKey(k) }
        }
    }

    func term(_ k: Int) -> [UInt8] { terms[k].term }
    func location(_ k: Int) -> SegmentReader.TermLocation { terms[k].location }

    /// Moves input `k` to its next term.
    mutating func advance(_ k: Int) throws {
        live[k] = terms[k].location.ordinal + 1 < ends[k] ? try terms[k].next() : false
        if live[k] { setKey(k) }
    }

    private mutating func setKey(_ k: Int) {
        var p: UInt64 = 0
        terms[k].term.withUnsafeBytes { raw in
            for i in 0..<min(8, raw.count) { p |= UInt64(raw[i]) << UInt64(56 - 8 * i) }
            length[k] = raw.count
        }
        prefix[k] = p
    }

    /// The inputs whose current term is the smallest, in input order, into `holders`; false
    /// when every input is used up.
    mutating func smallest(into holders: inout [Int]) -> Bool {
        holders.removeAll(keepingCapacity: true)
        var best = -1
        for k in live.indices where live[k] {
            let order = best < 0 ? -1 : compare(k, best)
            if order < 0 {
                best = k
                holders.removeAll(keepingCapacity: true)
            }
            if order <= 0 { holders.append(k) }
        }
        return best >= 0
    }

    /// Byte order of inputs `a`'s and `b`'s current terms. With equal first eight bytes, a
    /// term of eight bytes or fewer is a prefix of the other, so lengths decide.
    @inline(__always)
    private func compare(_ a: Int, _ b: Int) -> Int {
        if prefix[a] != prefix[b] { return prefix[a] < prefix[b] ? -1 : 1 }
        if min(length[a], length[b]) <= 8 { return length[a] == length[b] ? 0 : (length[a] < length[b] ? -1 : 1) }
        return terms[a].term.withUnsafeBytes { x in terms[b].term.withUnsafeBytes { y in SegmentReader.compare(x, y) } }
    }
}
