import Analysis
import IndexFormat

/// A segment as seen by one commit: its reader and its deleted documents.
public struct SegmentView: Sendable {
    public let entry: SegmentEntry
    public let reader: SegmentReader
    public let deletions: DeletionSet?

    @inline(__always)
    public func isDeleted(_ doc: Int) -> Bool { deletions?.contains(doc) ?? false }
}

public enum IndexError: Error, CustomStringConvertible {
    case missing(String)
    case dictionaryMissing(String)

    public var description: String {
        switch self {
        case let .missing(dir): "no index at \(dir); create one with `search index [PATH…]`"
        case let .dictionaryMissing(path): "dictionary \(path) not found (pass another with --dict FILE, or --dict '' for dictionary.txt in the index)"
        }
    }
}

/// One commit of the index, opened for reading. It keeps its segments mapped, so it keeps
/// answering from the same commit while a writer commits newer ones.
public final class IndexReader: @unchecked Sendable {
    public let directory: String
    public let manifest: Manifest
    public let segments: [SegmentView]
    /// The user dictionary the index was built with; queries must be cut with it.
    public let dictionary: UserDictionary?
    /// Live documents.
    public let documentCount: Int
    /// Average token count of live documents.
    public let averageLength: Double
    /// BM25's collection statistics count every document of every segment, deleted ones
    /// included until a merge drops them (as Lucene does): document frequencies come from
    /// the immutable term dictionaries, and these must agree with them.
    public let statisticsDocumentCount: Int
    public let statisticsAverageLength: Double

    public static func exists(directory: String) -> Bool {
        FileSystem.exists(directory + "/" + Manifest.fileName)
    }

    /// Opens the newest commit. A writer may delete the files of an older commit between
    /// our reading its manifest and mapping its segments, so a vanished file means
    /// "read the manifest again".
    ///
    /// `ignoringSegmentChecksums` is for fuzzing: segments are decoded even where their
    /// checksums disagree, to show that no damage makes decoding trap (the checksums would
    /// otherwise stop almost every random change at the door).
    public static func open(directory: String, ignoringSegmentChecksums: Bool = false) throws -> IndexReader {
        var attempt = 0
        while true {
            guard let manifest = try Manifest.load(directory: directory) else { throw IndexError.missing(directory) }
            do {
                return try IndexReader(directory: directory, manifest: manifest, ignoringSegmentChecksums: ignoringSegmentChecksums)
            } catch let error as FileSystemError where error.code == 2 /* ENOENT */ && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Another reader of the same commit, sharing nothing with this one (its caches of
    /// what has been verified are its own): one for each thread that searches.
    public func reopened() throws -> IndexReader {
        try IndexReader(directory: directory, manifest: manifest, ignoringSegmentChecksums: ignoresSegmentChecksums)
    }

    private let ignoresSegmentChecksums: Bool

    init(directory: String, manifest: Manifest, ignoringSegmentChecksums: Bool = false) throws {
        self.directory = directory
        self.manifest = manifest
        ignoresSegmentChecksums = ignoringSegmentChecksums
        dictionary = try DictionaryFile.load(directory: directory, name: manifest.dictionaryFile)
        var views: [SegmentView] = []
        var live = 0
        var lengthSum: UInt64 = 0
        var allDocs = 0
        var allLength: UInt64 = 0
        for entry in manifest.segments {
            let reader = try SegmentReader(path: directory + "/" + entry.fileName, name: entry.fileName,
                                           ignoringChecksums: ignoringSegmentChecksums)
            guard reader.docCount == entry.docCount else {
                throw CorruptIndexError(file: entry.fileName, reason: "document count disagrees with the manifest")
            }
            var deletions: DeletionSet? = nil
            var segmentLength = reader.sumLength
            allDocs += reader.docCount
            allLength += reader.sumLength
            if let name = entry.deletionFileName {
                let set = try DeletionSet.decode(try FileSystem.read(directory + "/" + name), name: name, docCount: entry.docCount)
                guard set.count == entry.deletedCount else { throw CorruptIndexError(file: name, reason: "deleted count disagrees with the manifest") }
                for doc in 0..<entry.docCount where set.contains(doc) {
                    let length = UInt64(try reader.docLength(doc))
                    guard length <= segmentLength else { throw CorruptIndexError(file: entry.fileName, reason: "document lengths exceed their sum") }
                    segmentLength -= length
                }
                deletions = set
            }
            live += entry.docCount - entry.deletedCount
            lengthSum += segmentLength
            views.append(SegmentView(entry: entry, reader: reader, deletions: deletions))
        }
        segments = views
        documentCount = live
        averageLength = live > 0 ? Double(lengthSum) / Double(live) : 0
        statisticsDocumentCount = allDocs
        statisticsAverageLength = allDocs > 0 ? Double(allLength) / Double(allDocs) : 0
    }

    /// Every live document with where it lives.
    public func forEachDocument(_ body: (Int, Int, DocumentRecord) throws -> Void) throws {
        for (s, view) in segments.enumerated() {
            for doc in 0..<view.reader.docCount where !view.isDeleted(doc) {
                try body(s, doc, try view.reader.document(doc))
            }
        }
    }

    /// Full integrity check of every file of this commit.
    public func verify() throws {
        for view in segments { try view.reader.verify(path: directory + "/" + view.entry.fileName) }
    }
}
