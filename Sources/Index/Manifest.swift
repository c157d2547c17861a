import IndexFormat

/// One live segment of a commit.
public struct SegmentEntry: Sendable, Equatable {
    public var name: String
    public var docCount: Int
    /// Generation of the deletions file `<name>_<gen>.del`; 0 when nothing is deleted.
    public var deletionGeneration: Int
    public var deletedCount: Int

    public var fileName: String { name + ".seg" }
    public var deletionFileName: String? { deletionGeneration > 0 ? "\(name)_\(deletionGeneration).del" : nil }
}

/// The commit point: `MANIFEST` (kind "MANI") names every file of one consistent index
/// state. It is the only file ever replaced, by write-fsync-rename; every other file is
/// immutable and written (and fsynced) before the manifest that names it.
///
///     u64 generation · u64 next segment number · u64 commit time (ns since 1970)
///     varint root count · roots (varint length + UTF-8)
///     varint segment count · per segment: name · varint docs · varint deletion gen · varint deleted
///     dictionary file name ("" for none) · dictionary source path ("" for the default) ·
///     u64 content hash of the source file (0 when it was missing)
///
/// (Strings are varint length + UTF-8. The three dictionary fields are absent from
/// manifests written before dictionaries existed, which read as "no dictionary".)
public struct Manifest: Sendable, Equatable {
    public static let fileName = "MANIFEST"
    static let kind = "MANI"

    public var generation: UInt64 = 0
    public var nextSegmentNumber: UInt64 = 1
    public var commitTime: Int64 = 0
    public var roots: [String] = []
    public var segments: [SegmentEntry] = []
    /// The index's copy of its user dictionary (`DictionaryFile`); empty when it has none.
    public var dictionaryFile = ""
    /// The dictionary file `search index --dict` named; empty for `dictionary.txt` in the index.
    public var dictionarySource = ""
    /// `ContentHash` of the source file when the index was built from it (0: no file).
    public var dictionarySourceHash: UInt64 = 0

    public init() {}

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u64(generation)
        w.u64(nextSegmentNumber)
        w.u64(UInt64(bitPattern: commitTime))
        w.varint(roots.count)
        for r in roots { w.string(r) }
        w.varint(segments.count)
        for s in segments {
            w.string(s.name)
            w.varint(s.docCount)
            w.varint(s.deletionGeneration)
            w.varint(s.deletedCount)
        }
        w.string(dictionaryFile)
        w.string(dictionarySource)
        w.u64(dictionarySourceHash)
        return FileEnvelope.wrap(kind: Self.kind, body: w.bytes)
    }

    static func decode(_ bytes: [UInt8]) throws -> Manifest {
        try bytes.withUnsafeBytes { raw in
            let body = try FileEnvelope.open(raw, kind: kind, name: fileName, verifyChecksum: true)
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[body]), file: fileName)
            var m = Manifest()
            m.generation = try r.u64()
            m.nextSegmentNumber = try r.u64()
            m.commitTime = Int64(bitPattern: try r.u64())
            let rootCount = try r.varint(max: 1 << 16)
            for _ in 0..<rootCount { m.roots.append(try r.string()) }
            let segmentCount = try r.varint(max: 1 << 16)
            for _ in 0..<segmentCount {
                let name = try r.string()
                guard !name.isEmpty, !name.contains("/") else { throw r.corrupt("bad segment name") }
                let docs = try r.varint(max: Int(Int32.max))
                let gen = try r.varint(max: Int(Int32.max))
                let deleted = try r.varint(max: docs)
                m.segments.append(SegmentEntry(name: name, docCount: docs, deletionGeneration: gen, deletedCount: deleted))
            }
            if !r.isAtEnd {
                m.dictionaryFile = try r.string()
                guard !m.dictionaryFile.contains("/") else { throw r.corrupt("bad dictionary file name") }
                m.dictionarySource = try r.string()
                m.dictionarySourceHash = try r.u64()
            }
            guard r.isAtEnd else { throw r.corrupt("trailing bytes") }
            return m
        }
    }

    /// Reads the manifest of `directory`; nil when there is none (no index yet).
    public static func load(directory: String) throws -> Manifest? {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path) else { return nil }
        return try decode(try FileSystem.read(path))
    }
}

/// Deleted documents of a segment, as a bitset (`<name>_<gen>.del`, kind "DELS":
/// varint doc count · bitset bytes, bit d set when document d is deleted).
public struct DeletionSet: Sendable, Equatable {
    static let kind = "DELS"
    public private(set) var bits: [UInt8]
    public let docCount: Int

    public init(docCount: Int) {
        self.docCount = docCount
        bits = [UInt8](repeating: 0, count: (docCount + 7) / 8)
    }

    @inline(__always)
    public func contains(_ doc: Int) -> Bool { bits[doc >> 3] & (1 << UInt8(doc & 7)) != 0 }

    public mutating func insert(_ doc: Int) { bits[doc >> 3] |= 1 << UInt8(doc & 7) }

    public var count: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.varint(docCount)
        w.append(bits)
        return FileEnvelope.wrap(kind: Self.kind, body: w.bytes)
    }

    static func decode(_ bytes: [UInt8], name: String, docCount: Int) throws -> DeletionSet {
        try bytes.withUnsafeBytes { raw in
            let body = try FileEnvelope.open(raw, kind: kind, name: name, verifyChecksum: true)
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[body]), file: name)
            let n = try r.varint(max: Int(Int32.max))
            guard n == docCount, r.remaining == (n + 7) / 8 else { throw r.corrupt("size disagrees with its segment") }
            var set = DeletionSet(docCount: n)
            set.bits = Array(try r.bytes(r.remaining))
            return set
        }
    }
}
