import Foundation
import Synchronization
import IndexFormat

/// A segment file (`<name>.seg`, kind "SEGM") holds an immutable inverted index over its
/// documents. The byte layout is specified in docs/FORMAT.md; in short: postings (per
/// term: a header, skip entries, document blocks, positions), the term dictionary (term
/// bytes, offsets, postings offsets), document records and lengths, and a table of
/// contents.
public enum SegmentLayout {
    static let kind = "SEGM"
    static let sectionCount = 8
    /// Section starts, term count, doc count, sum of lengths, CRC of doc lengths, CRC of the toc.
    static let tocSize = sectionCount * 8 + 4 + 4 + 8 + 4 + 4
    static let skipEntrySize = 20
    /// Terms per checksummed block of the term dictionary.
    static let termBlockSize = 64

    /// CRC-32 of one block of the term dictionary: its terms' bytes, then its entries of the
    /// term offsets (one more than its terms) and of the postings offsets (likewise).
    static func termBlockChecksum(block: Int, termCount: Int, termBytes: UnsafeRawBufferPointer,
                                  termOffsets: UnsafeRawBufferPointer, postingsOffsets: UnsafeRawBufferPointer) -> UInt32? {
        let first = block * termBlockSize
        let last = min(termCount, first + termBlockSize)  // exclusive; offsets go one further
        guard (last + 1) * 4 <= termOffsets.count, (last + 1) * 8 <= postingsOffsets.count else { return nil }
        let bytesStart = Int(UInt32(littleEndian: termOffsets.loadUnaligned(fromByteOffset: first * 4, as: UInt32.self)))
        let bytesEnd = Int(UInt32(littleEndian: termOffsets.loadUnaligned(fromByteOffset: last * 4, as: UInt32.self)))
        guard bytesStart <= bytesEnd, bytesEnd <= termBytes.count else { return nil }
        var crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: termBytes[bytesStart..<bytesEnd]))
        crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: termOffsets[(first * 4)..<((last + 1) * 4)]), seed: crc)
        crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: postingsOffsets[(first * 8)..<((last + 1) * 8)]), seed: crc)
        return crc
    }

    static func termBlockChecksum(block: Int, termCount: Int, termBytes: [UInt8], termOffsets: [UInt8], postingsOffsets: [UInt8]) -> UInt32 {
        termBytes.withUnsafeBytes { b in
            termOffsets.withUnsafeBytes { o in
                postingsOffsets.withUnsafeBytes { p in
                    termBlockChecksum(block: block, termCount: termCount, termBytes: b, termOffsets: o, postingsOffsets: p)!
                }
            }
        }
    }

    /// First byte of a character-count term: byte 0x01 then one character, counting the
    /// subwords that begin with it (so a lone character scores from one list).
    public static let characterCountPrefix: UInt8 = 0x01

    /// Terms of one or two characters (bigrams, unigrams) carry positions: phrases are
    /// made of them. Longer terms (ICU words) only score, so they store none, and neither
    /// do character-count terms.
    @inline(__always)
    static func hasPositions<C: Collection>(_ term: C) -> Bool where C.Element == UInt8 {
        if term.first == characterCountPrefix { return false }
        var scalars = 0
        for b in term where b & 0xC0 != 0x80 {
            scalars += 1
            if scalars > 2 { return false }
        }
        return true
    }
}

/// Writes a segment: terms must arrive in strictly increasing byte order, each term's
/// documents in increasing order, each document's positions increasing.
struct SegmentEncoder {
    /// The file image; postings are written straight into it after the header.
    private var image: ByteWriter
    private var termBytes = ByteWriter()
    private var termOffsets = ByteWriter()
    private var postingsOffsets = ByteWriter()
    private var termBlockChecksums = ByteWriter()
    private var docRecords = ByteWriter()
    private var docOffsets = ByteWriter()
    private var docLengths = ByteWriter()
    private var lengths: [UInt32] = []
    private(set) var termCount = 0
    private(set) var docCount = 0
    private var sumLength: UInt64 = 0
    /// Bytes of the image already written to a file by `stream(to:)`.
    private var streamedBytes = 0

    // The term being written.
    private var termBytesMark = 0
    private var withPositions = true
    private var docs: [UInt32] = []
    private var freqs: [UInt32] = []
    private var positionStream = ByteWriter()
    /// Positions stream offset at the start of each block of `BitPacking.blockSize` docs.
    private var blockPositionOffsets: [UInt32] = []
    private var docStream = ByteWriter()
    private var block: [UInt32] = []
    private var freqBlock: [UInt32] = []

    /// `capacity`: the expected size of the postings (a merge knows it), so the image
    /// does not grow by doubling past it.
    init(capacity: Int = 1 << 20) {
        image = FileEnvelope.begin(kind: SegmentLayout.kind, capacity: capacity)
        termOffsets.u32(0)
    }

    /// An encoder for a run of terms only, to be appended to the main encoder with
    /// `appendTerms(of:)`: it needs the lengths of all the segment's documents (skip
    /// entries record each block's shortest document).
    init(capacity: Int, documentLengths: [UInt32]) {
        self.init(capacity: capacity)
        lengths = documentLengths
    }

    var documentLengths: [UInt32] { lengths }

    /// Appends the terms encoded by `part` (which holds no documents) after this encoder's
    /// terms: its postings bytes as they are (they hold no absolute offsets), its term bytes,
    /// and its offsets rebased. Terms must stay in byte order across parts.
    mutating func appendTerms(of part: SegmentEncoder) {
        let postingsBase = UInt64(streamedBytes + image.count - FileEnvelope.headerSize)
        let termBase = UInt32(termBytes.count)
        part.image.bytes.withUnsafeBytes { raw in
            image.bytes.append(contentsOf: raw[FileEnvelope.headerSize...])
        }
        termBytes.append(part.termBytes.bytes)
        part.termOffsets.bytes.withUnsafeBytes { raw in
            for i in stride(from: 1, through: part.termCount, by: 1) {
                termOffsets.u32(termBase + UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
        part.postingsOffsets.bytes.withUnsafeBytes { raw in
            for i in 0..<part.termCount {
                postingsOffsets.u64(postingsBase + UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
            }
        }
        termCount += part.termCount
    }

    mutating func addDocument(_ record: DocumentRecord) {
        let start = docRecords.count
        docOffsets.u64(UInt64(start))
        record.encode(into: &docRecords)
        docRecords.u32(docRecords.checksum(from: start))
        docLengths.u32(record.length)
        lengths.append(record.length)
        sumLength += UInt64(record.length)
        docCount += 1
    }

    mutating func beginTerm<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        termBytesMark = termBytes.count
        termBytes.bytes.append(contentsOf: bytes)
        withPositions = SegmentLayout.hasPositions(bytes)
        docs.removeAll(keepingCapacity: true)
        freqs.removeAll(keepingCapacity: true)
        positionStream.bytes.removeAll(keepingCapacity: true)
        blockPositionOffsets.removeAll(keepingCapacity: true)
    }

    /// Adds one document of the current term with its frequency and positions (ignored
    /// for a term without positions).
    /// Adds a posting whose positions are already encoded as this format stores them
    /// (varint deltas from 0, `PostingsCursor.encodedPositions()`): a merge copies them.
    mutating func addPosting(doc: Int, freq: Int, encodedPositions: UnsafeRawBufferPointer) {
        if docs.count % BitPacking.blockSize == 0 { blockPositionOffsets.append(UInt32(positionStream.count)) }
        docs.append(UInt32(doc))
        freqs.append(UInt32(freq))
        guard withPositions else { return }
        positionStream.bytes.append(contentsOf: encodedPositions.bindMemory(to: UInt8.self))
    }

    mutating func addPosting(doc: Int, freq: Int, positions: ArraySlice<Int32>) {
        if docs.count % BitPacking.blockSize == 0 { blockPositionOffsets.append(UInt32(positionStream.count)) }
        docs.append(UInt32(doc))
        freqs.append(UInt32(freq))
        guard withPositions else { return }
        var last: Int32 = 0
        for p in positions {
            positionStream.varint(UInt64(p - last))
            last = p
        }
    }

    /// Ends the current term; a term left without documents (all deleted) is dropped.
    mutating func endTerm() {
        let df = docs.count
        if df == 0 {
            termBytes.bytes.removeSubrange(termBytesMark...)
            return
        }
        let blockSize = BitPacking.blockSize
        let fullBlocks = df / blockSize
        // Document stream: full blocks bitpacked (delta − 1, freq − 1), the rest varints.
        docStream.bytes.removeAll(keepingCapacity: true)
        var skips = ByteWriter()
        var previous = -1
        for b in 0..<fullBlocks {
            let range = (b * blockSize)..<((b + 1) * blockSize)
            if df >= blockSize {
                var maxFreq: UInt32 = 0, minLength = UInt32.max
                for k in range {
                    maxFreq = max(maxFreq, freqs[k])
                    minLength = min(minLength, lengths[Int(docs[k])])
                }
                skips.u32(docs[range.upperBound - 1])
                skips.u32(UInt32(docStream.count))
                skips.u32(blockPositionOffsets[b])
                skips.u32(maxFreq)
                skips.u32(minLength)
            }
            block.removeAll(keepingCapacity: true)
            for k in range {
                block.append(UInt32(Int(docs[k]) - previous - 1))
                previous = Int(docs[k])
            }
            freqBlock.removeAll(keepingCapacity: true)
            for k in range { freqBlock.append(freqs[k] - 1) }
            let deltaWidth = BitPacking.width(block)
            let freqWidth = BitPacking.width(freqBlock)
            docStream.u8(UInt8(deltaWidth))
            docStream.u8(UInt8(freqWidth))
            BitPacking.pack(block, width: deltaWidth, into: &docStream)
            BitPacking.pack(freqBlock, width: freqWidth, into: &docStream)
        }
        if fullBlocks * blockSize < df {
            if df >= blockSize {
                // The tail block gets a skip entry too, so `advance` can reach it.
                var maxFreq: UInt32 = 0, minLength = UInt32.max
                for k in (fullBlocks * blockSize)..<df {
                    maxFreq = max(maxFreq, freqs[k])
                    minLength = min(minLength, lengths[Int(docs[k])])
                }
                skips.u32(docs[df - 1])
                skips.u32(UInt32(docStream.count))
                skips.u32(blockPositionOffsets[fullBlocks])
                skips.u32(maxFreq)
                skips.u32(minLength)
            }
            for k in (fullBlocks * blockSize)..<df {
                let delta = UInt64(Int(docs[k]) - previous)
                previous = Int(docs[k])
                if freqs[k] == 1 {
                    docStream.varint(delta << 1 | 1)
                } else {
                    docStream.varint(delta << 1)
                    docStream.varint(UInt64(freqs[k]))
                }
            }
        }
        postingsOffsets.u64(UInt64(streamedBytes + image.count - FileEnvelope.headerSize))
        // A checksum of the term's postings, checked the first time a query opens them.
        let checksumAt = image.count
        image.u32(0)
        image.varint(df)
        image.varint(docStream.count)
        image.append(skips.bytes)
        image.append(docStream.bytes)
        image.append(positionStream.bytes)
        image.patchU32(image.checksum(from: checksumAt + 4), at: checksumAt)
        termOffsets.u32(UInt32(termBytes.count))
        termCount += 1
    }

    /// Writes the image so far (header and postings of the terms ended) to `file`, so
    /// memory does not grow with the output. Call between terms.
    mutating func stream(to file: FileSink) throws {
        try file.append(image.bytes)
        streamedBytes += image.count
        image.bytes.removeAll(keepingCapacity: true)
    }

    /// The complete file image (nothing streamed).
    mutating func finish() -> [UInt8] {
        precondition(streamedBytes == 0)
        var out = image
        image = ByteWriter()
        appendSections(to: &out)
        return FileEnvelope.finish(&out)
    }

    /// Completes a file streamed to `file`: the rest of the postings, the sections, the footer.
    mutating func finish(streamingTo file: FileSink) throws {
        var out = image
        image = ByteWriter()
        appendSections(to: &out)
        try file.append(out.bytes)
        try FileEnvelope.finish(file)
    }

    /// Appends everything after the postings: the dictionary, documents, lengths and the
    /// table of contents (whose offsets count the bytes streamed before `out`).
    private mutating func appendSections(to out: inout ByteWriter) {
        let base = streamedBytes
        docOffsets.u64(UInt64(docRecords.count))
        postingsOffsets.u64(UInt64(base + out.count - FileEnvelope.headerSize))
        // Checksums of the term dictionary, a block of terms at a time: a lookup verifies
        // only the blocks its binary search touches.
        var block = 0
        while block * SegmentLayout.termBlockSize < termCount {
            termBlockChecksums.u32(SegmentLayout.termBlockChecksum(
                block: block, termCount: termCount, termBytes: termBytes.bytes,
                termOffsets: termOffsets.bytes, postingsOffsets: postingsOffsets.bytes))
            block += 1
        }
        var starts: [UInt64] = [UInt64(FileEnvelope.headerSize)]
        out.bytes.reserveCapacity(out.count + termBytes.count + termOffsets.count + postingsOffsets.count
                                  + termBlockChecksums.count + docRecords.count + docOffsets.count + docLengths.count + 1024)
        for section in [termBytes, termOffsets, postingsOffsets, termBlockChecksums, docRecords, docOffsets, docLengths] {
            starts.append(UInt64(base + out.count))
            out.append(section.bytes)
        }
        let tocStart = out.count
        for s in starts { out.u64(s) }
        out.u32(UInt32(termCount))
        out.u32(UInt32(docCount))
        out.u64(sumLength)
        out.u32(CRC32.checksum(docLengths.bytes))
        out.u32(out.checksum(from: tocStart))
    }
}

/// Reads a memory-mapped segment. Opening checks the envelope and the table of contents
/// (and its checksum); every other part is checked against its own checksum the first time
/// it is read — a block of the term dictionary, a term's postings, a document record, the
/// document lengths — so damage is reported as `CorruptIndexError` by the query that meets
/// it, while opening stays independent of the index's size. All reads are bounds-checked.
public final class SegmentReader: @unchecked Sendable {
    public let name: String
    let file: MappedFile
    public let termCount: Int
    public let docCount: Int
    public let sumLength: UInt64
    private let postingsStart: Int
    private let termBytesStart: Int
    private let termOffsetsStart: Int
    private let postingsOffsetsStart: Int
    private let termBlockChecksumsStart: Int
    private let docRecordsStart: Int
    private let docOffsetsStart: Int
    private let docLengthsStart: Int
    private let docLengthsChecksum: UInt32
    private let verified: VerifiedParts

    /// Which parts have been checked already. Bits only ever go from 0 to 1 and a reader
    /// that misses a mark merely checks again, so relaxed atomic words do (no lock: lookups
    /// touch them on every step of a binary search); atomic because merges and parallel
    /// batches read one segment from several threads.
    final class VerifiedParts: @unchecked Sendable {
        enum Part { case termBlock, term }
        private let termBlocks: UnsafeMutablePointer<Atomic<UInt64>>
        private let terms: UnsafeMutablePointer<Atomic<UInt64>>
        private let termBlockWords: Int
        private let termWords: Int
        private let lengthsLock = NSLock()
        private var lengths = false

        init(termCount: Int) {
            termBlockWords = (termCount / SegmentLayout.termBlockSize + 64) / 64
            termWords = (termCount + 63) / 64 + 1
            termBlocks = .allocate(capacity: termBlockWords)
            for i in 0..<termBlockWords { (termBlocks + i).initialize(to: Atomic(0)) }
            terms = .allocate(capacity: termWords)
            for i in 0..<termWords { (terms + i).initialize(to: Atomic(0)) }
        }

        deinit {
            termBlocks.deinitialize(count: termBlockWords)
            termBlocks.deallocate()
            terms.deinitialize(count: termWords)
            terms.deallocate()
        }

        /// Runs `check` unless part `index` is already marked; marks it when it passes.
        @inline(__always)
        func once(_ part: Part, _ index: Int, _ check: () throws -> Void) throws {
            let words = part == .term ? terms : termBlocks
            let word = index >> 6, mask = UInt64(1) << UInt64(index & 63)
            precondition(word < (part == .term ? termWords : termBlockWords))
            if words[word].load(ordering: .relaxed) & mask != 0 { return }
            try check()
            words[word].bitwiseOr(mask, ordering: .relaxed)
        }

        func lengthsOnce(_ check: () throws -> Void) throws {
            if lengthsLock.withLock({ lengths }) { return }
            try check()
            lengthsLock.withLock { lengths = true }
        }
    }

    public init(path: String, name: String, verifyChecksum: Bool = false) throws {
        self.name = name
        file = try MappedFile(path: path)
        let body = try FileEnvelope.open(file.bytes, kind: SegmentLayout.kind, name: name, verifyChecksum: verifyChecksum)
        guard body.count >= SegmentLayout.tocSize else { throw CorruptIndexError(file: name, reason: "no table of contents") }
        let tocStart = body.upperBound - SegmentLayout.tocSize
        let tocBytes = UnsafeRawBufferPointer(rebasing: file.bytes[tocStart..<(body.upperBound - 4)])
        var toc = ByteReader(file.bytes, offset: tocStart + SegmentLayout.sectionCount * 8, file: name)
        let starts = try (0..<SegmentLayout.sectionCount).map { try toc.offset(at: tocStart + $0 * 8, limit: body.upperBound) }
        termCount = Int(try toc.u32())
        docCount = Int(try toc.u32())
        sumLength = try toc.u64()
        docLengthsChecksum = try toc.u32()
        guard try toc.u32() == CRC32.checksum(tocBytes) else {
            throw CorruptIndexError(file: name, reason: "table of contents checksum mismatch")
        }
        // Sections are contiguous and in order; their sizes must agree with the counts.
        let ends = Array(starts.dropFirst()) + [tocStart]
        guard starts[0] == body.lowerBound, zip(starts, ends).allSatisfy({ $0 <= $1 }) else {
            throw CorruptIndexError(file: name, reason: "table of contents out of order")
        }
        let termBlocks = (termCount + SegmentLayout.termBlockSize - 1) / SegmentLayout.termBlockSize
        guard ends[2] - starts[2] == (termCount + 1) * 4,
              ends[3] - starts[3] == (termCount + 1) * 8,
              ends[4] - starts[4] == termBlocks * 4,
              ends[6] - starts[6] == (docCount + 1) * 8,
              ends[7] - starts[7] == docCount * 4 else {
            throw CorruptIndexError(file: name, reason: "section sizes disagree with the counts")
        }
        (postingsStart, termBytesStart, termOffsetsStart, postingsOffsetsStart) = (starts[0], starts[1], starts[2], starts[3])
        (termBlockChecksumsStart, docRecordsStart, docOffsetsStart, docLengthsStart) = (starts[4], starts[5], starts[6], starts[7])
        verified = VerifiedParts(termCount: termCount)
        mappedBytes = file.bytes
    }

    /// The mapped file's bytes (valid as long as `file`, which this reader holds).
    private let mappedBytes: UnsafeRawBufferPointer

    var reader: ByteReader { ByteReader(mappedBytes, file: name) }

    private func section(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mappedBytes[start..<end])
    }

    /// Checks the dictionary block holding term `ordinal` (once per segment).
    private func verifyTermBlock(of ordinal: Int) throws {
        let block = ordinal / SegmentLayout.termBlockSize
        try verified.once(.termBlock, block) {
            let stored = try reader.u32(at: termBlockChecksumsStart + block * 4)
            let actual = SegmentLayout.termBlockChecksum(
                block: block, termCount: termCount, termBytes: section(termBytesStart, termOffsetsStart),
                termOffsets: section(termOffsetsStart, postingsOffsetsStart),
                postingsOffsets: section(postingsOffsetsStart, termBlockChecksumsStart))
            guard actual == stored else { throw reader.corrupt("term dictionary checksum mismatch (terms \(block * SegmentLayout.termBlockSize)…)") }
        }
    }

    /// The bytes of term `ordinal`, valid while this reader is alive.
    public func termBytes(_ ordinal: Int) throws -> UnsafeRawBufferPointer {
        guard ordinal >= 0, ordinal < termCount else { throw reader.corrupt("term \(ordinal) out of range") }
        try verifyTermBlock(of: ordinal)
        let r = reader
        let s = Int(try r.u32(at: termOffsetsStart + ordinal * 4))
        let e = Int(try r.u32(at: termOffsetsStart + (ordinal + 1) * 4))
        guard s <= e, termBytesStart + e <= termOffsetsStart else { throw r.corrupt("term \(ordinal) out of bounds") }
        return UnsafeRawBufferPointer(rebasing: mappedBytes[(termBytesStart + s)..<(termBytesStart + e)])
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

    /// Bytes of term `ordinal`'s postings (to share merge work out evenly; not checked).
    func postingsSize(_ ordinal: Int) -> Int {
        let r = reader
        guard let s = try? r.offset(at: postingsOffsetsStart + ordinal * 8, limit: file.count),
              let e = try? r.offset(at: postingsOffsetsStart + (ordinal + 1) * 8, limit: file.count) else { return 0 }
        return max(0, e - s)
    }

    public func postings(_ ordinal: Int) throws -> PostingsCursor {
        let term = try termBytes(ordinal)  // checks the ordinal and its dictionary block
        let r = reader
        let s = try r.offset(at: postingsOffsetsStart + ordinal * 8, limit: file.count)
        let e = try r.offset(at: postingsOffsetsStart + (ordinal + 1) * 8, limit: file.count)
        guard s + 4 < e, postingsStart + e <= termBytesStart else { throw r.corrupt("postings of term \(ordinal) out of bounds") }
        let slice = UnsafeRawBufferPointer(rebasing: mappedBytes[(postingsStart + s + 4)..<(postingsStart + e)])
        try verified.once(.term, ordinal) {
            guard try r.u32(at: postingsStart + s) == CRC32.checksum(slice) else {
                throw r.corrupt("postings checksum mismatch (term \(ordinal))")
            }
        }
        return try PostingsCursor(ByteReader(slice, file: name), docCount: docCount, hasPositions: SegmentLayout.hasPositions(term))
    }

    public func docLength(_ doc: Int) throws -> UInt32 {
        try verifyLengths()
        guard doc >= 0, doc < docCount else { throw reader.corrupt("document \(doc) out of range") }
        return try reader.u32(at: docLengthsStart + doc * 4)
    }

    /// Every document's length (tokens), checked against its checksum.
    public func documentLengths() throws -> [UInt32] {
        try verifyLengths()
        let raw = section(docLengthsStart, docLengthsStart + docCount * 4)
        return (0..<docCount).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }

    private func verifyLengths() throws {
        try verified.lengthsOnce {
            guard CRC32.checksum(section(docLengthsStart, docLengthsStart + docCount * 4)) == docLengthsChecksum else {
                throw reader.corrupt("document lengths checksum mismatch")
            }
        }
    }

    public func document(_ doc: Int) throws -> DocumentRecord {
        guard doc >= 0, doc < docCount else { throw reader.corrupt("document \(doc) out of range") }
        let r = reader
        let s = try r.offset(at: docOffsetsStart + doc * 8, limit: file.count)
        let e = try r.offset(at: docOffsetsStart + (doc + 1) * 8, limit: file.count)
        guard s + 4 <= e, docRecordsStart + e <= docOffsetsStart else { throw r.corrupt("document \(doc) record out of bounds") }
        let record = section(docRecordsStart + s, docRecordsStart + e - 4)
        guard try r.u32(at: docRecordsStart + e - 4) == CRC32.checksum(record) else {
            throw r.corrupt("document \(doc) record checksum mismatch")
        }
        var recordReader = ByteReader(record, file: name)
        let decoded = try DocumentRecord.decode(&recordReader)
        guard recordReader.isAtEnd else { throw r.corrupt("document \(doc) record has trailing bytes") }
        return decoded
    }

    /// Full check: checksum, records, and every postings list decodes, sorted and in range.
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
        var positions: [Int32] = []
        for t in 0..<termCount {
            let bytes = Array(try termBytes(t))
            if let previous, !previous.lexicographicallyPrecedes(bytes) { throw reader.corrupt("terms out of order at \(t)") }
            previous = bytes
            var cursor = try postings(t)
            var seen = 0
            while try cursor.next() {
                if cursor.hasPositions { try cursor.positions(into: &positions) }
                seen += 1
            }
            guard seen == cursor.docFreq else { throw reader.corrupt("term \(t) doc freq disagrees") }
            try cursor.checkFullyConsumed()
        }
    }
}

