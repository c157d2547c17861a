import IndexFormat

/// A segment file (`<name>.seg`, kind "SEGM") holds an immutable inverted index over its
/// documents. Body layout (all integers little-endian; offsets are absolute file offsets):
///
///     postings      per term, in term order, per document:
///                     varint (doc delta << 1 | 1 when freq is 1); the delta is from the
///                       previous doc, the first from -1
///                     when freq is 1: varint position
///                     otherwise: varint freq · varint byte length of the positions ·
///                       freq varints: position deltas (the first from 0)
///     term bytes    the terms' UTF-8 bytes, concatenated in byte order
///     term offsets  (termCount + 1) × u32 into term bytes
///     term meta     termCount × { u32 doc freq · u64 postings offset · u32 postings length }
///     doc records   per document: see `DocumentRecord.encode`
///     doc offsets   (docCount + 1) × u64 into doc records
///     doc lengths   docCount × u32 (tokens; BM25's document length)
///     toc           7 × u64 section starts (in the order above) · u32 termCount ·
///                   u32 docCount · u64 sum of doc lengths
enum SegmentLayout {
    static let kind = "SEGM"
    static let tocSize = 7 * 8 + 4 + 4 + 8
    static let termMetaSize = 16
}

/// Writes a segment: terms must arrive in strictly increasing byte order, each term's
/// documents in increasing order, each document's positions increasing.
struct SegmentEncoder {
    /// The file image; postings are written straight into it after the header.
    private var postings = FileEnvelope.begin(kind: SegmentLayout.kind, capacity: 1 << 20)
    private var termBytes = ByteWriter()
    private var termOffsets = ByteWriter()
    private var termMeta = ByteWriter()
    private var docRecords = ByteWriter()
    private var docOffsets = ByteWriter()
    private var docLengths = ByteWriter()
    private(set) var termCount = 0
    private(set) var docCount = 0
    private var sumLength: UInt64 = 0

    // The term being written.
    private var termStart = 0
    private var termDocFreq = 0
    private var lastDoc = -1
    private var positionScratch = ByteWriter()

    init() {
        termOffsets.u32(0)
    }

    mutating func addDocument(_ record: DocumentRecord) {
        docOffsets.u64(UInt64(docRecords.count))
        record.encode(into: &docRecords)
        docLengths.u32(record.length)
        sumLength += UInt64(record.length)
        docCount += 1
    }

    private var termBytesMark = 0

    mutating func beginTerm<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        termBytesMark = termBytes.count
        termBytes.bytes.append(contentsOf: bytes)
        termStart = postings.count - FileEnvelope.headerSize
        termDocFreq = 0
        lastDoc = -1
    }

    /// Adds one document of the current term with its positions.
    mutating func addPosting(doc: Int, positions: ArraySlice<Int32>) {
        let delta = UInt64(doc - lastDoc) << 1
        if positions.count == 1 {
            postings.varint(delta | 1)
            postings.varint(UInt64(positions[positions.startIndex]))
        } else {
            positionScratch.bytes.removeAll(keepingCapacity: true)
            var last: Int32 = 0
            for p in positions {
                positionScratch.varint(UInt64(p - last))
                last = p
            }
            postings.varint(delta)
            postings.varint(positions.count)
            postings.varint(positionScratch.count)
            postings.append(positionScratch.bytes)
        }
        lastDoc = doc
        termDocFreq += 1
    }

    /// Ends the current term; a term left without documents (all deleted) is dropped.
    mutating func endTerm() {
        if termDocFreq == 0 {
            termBytes.bytes.removeSubrange(termBytesMark...)
            return
        }
        termOffsets.u32(UInt32(termBytes.count))
        termMeta.u32(UInt32(termDocFreq))
        termMeta.u64(UInt64(termStart))
        termMeta.u32(UInt32(postings.count - FileEnvelope.headerSize - termStart))
        termCount += 1
    }

    /// The complete file image.
    mutating func finish() -> [UInt8] {
        docOffsets.u64(UInt64(docRecords.count))
        var image = postings
        postings = ByteWriter()
        var starts: [UInt64] = [UInt64(FileEnvelope.headerSize)]
        image.bytes.reserveCapacity(image.count + termBytes.count + termOffsets.count + termMeta.count
                                    + docRecords.count + docOffsets.count + docLengths.count + 1024)
        for section in [termBytes, termOffsets, termMeta, docRecords, docOffsets, docLengths] {
            starts.append(UInt64(image.count))
            image.append(section.bytes)
        }
        for s in starts { image.u64(s) }
        image.u32(UInt32(termCount))
        image.u32(UInt32(docCount))
        image.u64(sumLength)
        return FileEnvelope.finish(&image)
    }
}

/// Term metadata within one segment.
public struct TermInfo: Sendable {
    public var docFreq: Int
    public var postingsOffset: Int
    public var postingsLength: Int
}

/// Reads a memory-mapped segment. Opening checks the envelope and the table of contents;
/// postings are only touched when a query reads them. Every read is bounds-checked and
/// throws `CorruptIndexError` on damaged bytes.
public final class SegmentReader: @unchecked Sendable {
    public let name: String
    let file: MappedFile
    public let termCount: Int
    public let docCount: Int
    public let sumLength: UInt64
    private let postingsStart: Int
    private let termBytesStart: Int
    private let termOffsetsStart: Int
    private let termMetaStart: Int
    private let docRecordsStart: Int
    private let docOffsetsStart: Int
    private let docLengthsStart: Int
    private let bodyEnd: Int

    public init(path: String, name: String, verifyChecksum: Bool = false) throws {
        self.name = name
        file = try MappedFile(path: path)
        let body = try FileEnvelope.open(file.bytes, kind: SegmentLayout.kind, name: name, verifyChecksum: verifyChecksum)
        guard body.count >= SegmentLayout.tocSize else { throw CorruptIndexError(file: name, reason: "no table of contents") }
        var toc = ByteReader(file.bytes, offset: body.upperBound - SegmentLayout.tocSize, file: name)
        var starts: [Int] = []
        for _ in 0..<7 { starts.append(try toc.varintFixed64(max: body.upperBound)) }
        termCount = Int(try toc.u32())
        docCount = Int(try toc.u32())
        sumLength = try toc.u64()
        let tocStart = body.upperBound - SegmentLayout.tocSize
        // Sections are contiguous and in order; their sizes must agree with the counts.
        let ends = Array(starts.dropFirst()) + [tocStart]
        guard starts[0] == body.lowerBound, zip(starts, ends).allSatisfy({ $0 <= $1 }) else {
            throw CorruptIndexError(file: name, reason: "table of contents out of order")
        }
        guard ends[2] - starts[2] == (termCount + 1) * 4,
              ends[3] - starts[3] == termCount * SegmentLayout.termMetaSize,
              ends[5] - starts[5] == (docCount + 1) * 8,
              ends[6] - starts[6] == docCount * 4 else {
            throw CorruptIndexError(file: name, reason: "section sizes disagree with the counts")
        }
        (postingsStart, termBytesStart, termOffsetsStart, termMetaStart, docRecordsStart, docOffsetsStart, docLengthsStart) =
            (starts[0], starts[1], starts[2], starts[3], starts[4], starts[5], starts[6])
        bodyEnd = tocStart
    }

    var reader: ByteReader { ByteReader(file.bytes, file: name) }

    /// The bytes of term `ordinal`, valid while this reader is alive.
    public func termBytes(_ ordinal: Int) throws -> UnsafeRawBufferPointer {
        let r = reader
        let s = Int(try r.u32(at: termOffsetsStart + ordinal * 4))
        let e = Int(try r.u32(at: termOffsetsStart + (ordinal + 1) * 4))
        guard s <= e, termBytesStart + e <= termOffsetsStart else { throw r.corrupt("term \(ordinal) out of bounds") }
        return UnsafeRawBufferPointer(rebasing: file.bytes[(termBytesStart + s)..<(termBytesStart + e)])
    }

    public func termInfo(_ ordinal: Int) throws -> TermInfo {
        let r = reader
        let base = termMetaStart + ordinal * SegmentLayout.termMetaSize
        let df = Int(try r.u32(at: base))
        let offset = Int(try r.u64(at: base + 4))
        let length = Int(try r.u32(at: base + 12))
        guard df >= 1, df <= docCount, offset + length <= termBytesStart - postingsStart else {
            throw r.corrupt("term \(ordinal) metadata out of range")
        }
        return TermInfo(docFreq: df, postingsOffset: offset, postingsLength: length)
    }

    /// Lexicographic compare of raw bytes.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// The first term ordinal whose bytes are not less than `key`.
    public func lowerBound(_ key: UnsafeRawBufferPointer) throws -> Int {
        var lo = 0, hi = termCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if Self.compare(try termBytes(mid), key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func lookup(_ term: [UInt8]) throws -> Int? {
        try term.withUnsafeBytes { key in
            let i = try lowerBound(key)
            guard i < termCount else { return nil }
            return Self.compare(try termBytes(i), key) == 0 ? i : nil
        }
    }

    /// Ordinals of every term that starts with `prefix`.
    public func terms(withPrefix prefix: [UInt8]) throws -> Range<Int> {
        try prefix.withUnsafeBytes { key in
            let first = try lowerBound(key)
            var last = first
            while last < termCount {
                let t = try termBytes(last)
                guard t.count >= key.count, Self.compare(UnsafeRawBufferPointer(rebasing: t[0..<key.count]), key) == 0 else { break }
                last += 1
            }
            return first..<last
        }
    }

    public func postings(_ ordinal: Int) throws -> PostingsCursor {
        let info = try termInfo(ordinal)
        let start = postingsStart + info.postingsOffset
        let slice = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + info.postingsLength)])
        return PostingsCursor(ByteReader(slice, file: name), docCount: docCount, docFreq: info.docFreq)
    }

    public func docLength(_ doc: Int) throws -> UInt32 {
        try reader.u32(at: docLengthsStart + doc * 4)
    }

    public func document(_ doc: Int) throws -> DocumentRecord {
        guard doc >= 0, doc < docCount else { throw reader.corrupt("document \(doc) out of range") }
        let r = reader
        let s = Int(try r.u64(at: docOffsetsStart + doc * 8))
        let e = Int(try r.u64(at: docOffsetsStart + (doc + 1) * 8))
        guard s <= e, docRecordsStart + e <= docOffsetsStart else { throw r.corrupt("document \(doc) record out of bounds") }
        var recordReader = ByteReader(UnsafeRawBufferPointer(rebasing: file.bytes[(docRecordsStart + s)..<(docRecordsStart + e)]), file: name)
        return try DocumentRecord.decode(&recordReader)
    }

    /// Full check: checksum, and every postings list decodes, sorted and in range.
    public func verify(path: String) throws {
        _ = try FileEnvelope.open(file.bytes, kind: SegmentLayout.kind, name: name, verifyChecksum: true)
        var previous: [UInt8]? = nil
        var lengthSum: UInt64 = 0
        for doc in 0..<docCount {
            let record = try document(doc)
            let stored = try docLength(doc)
            guard record.length == stored else { throw reader.corrupt("document \(doc) length disagrees") }
            lengthSum += UInt64(record.length)
        }
        guard lengthSum == sumLength else { throw reader.corrupt("sum of document lengths disagrees") }
        for t in 0..<termCount {
            let bytes = Array(try termBytes(t))
            if let previous, !previous.lexicographicallyPrecedes(bytes) { throw reader.corrupt("terms out of order at \(t)") }
            previous = bytes
            var cursor = try postings(t)
            var seen = 0
            while try cursor.next() {
                _ = try cursor.positions()
                seen += 1
            }
            guard seen == cursor.docFreq else { throw reader.corrupt("term \(t) doc freq disagrees") }
        }
    }
}

extension ByteReader {
    /// A u64 that must be a valid offset no larger than `max`.
    mutating func varintFixed64(max limit: Int) throws -> Int {
        let v = try u64()
        guard v <= UInt64(limit) else { throw corrupt("offset \(v) beyond the file") }
        return Int(v)
    }
}

/// Walks one term's postings in one segment: documents in order, with their positions.
public struct PostingsCursor {
    private var reader: ByteReader
    public let docCount: Int
    public let docFreq: Int
    public private(set) var doc: Int = -1
    public private(set) var freq: Int = 0
    private var positionsStart = 0
    private var positionsLength = 0

    init(_ reader: ByteReader, docCount: Int, docFreq: Int) {
        self.reader = reader
        self.docCount = docCount
        self.docFreq = docFreq
    }

    /// Advances to the next document; false at the end.
    @inline(__always)
    public mutating func next() throws -> Bool {
        if reader.isAtEnd { return false }
        let code = try reader.varint()
        let delta = Int(truncatingIfNeeded: code >> 1)
        let newDoc = doc + delta
        guard delta >= 1, delta <= docCount, newDoc < docCount else { throw reader.corrupt("document \(newDoc) out of range in postings") }
        doc = newDoc
        if code & 1 == 1 {
            freq = 1
            positionsStart = reader.offset
            _ = try reader.varint()
            positionsLength = reader.offset - positionsStart
        } else {
            freq = try reader.varint(max: Int(Int32.max))
            positionsLength = try reader.varint(max: reader.remaining)
            guard freq >= 2, positionsLength >= freq else { throw reader.corrupt("bad frequency in postings") }
            positionsStart = reader.offset
            reader.offset += positionsLength
        }
        return true
    }

    /// The current document's positions.
    public func positions() throws -> [Int32] {
        var out: [Int32] = []
        try positions(into: &out)
        return out
    }

    public func positions(into out: inout [Int32]) throws {
        out.removeAll(keepingCapacity: true)
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: reader.buffer[positionsStart..<(positionsStart + positionsLength)]), file: reader.file)
        var p: Int64 = 0
        for k in 0..<freq {
            let delta = try r.varint()
            guard delta > 0 || k == 0 else { throw r.corrupt("positions not increasing") }
            p += Int64(delta)
            guard p <= Int64(Int32.max) else { throw r.corrupt("position out of range") }
            out.append(Int32(p))
        }
        guard r.isAtEnd else { throw r.corrupt("positions length disagrees") }
    }
}
