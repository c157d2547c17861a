import Foundation
import Synchronization
import Analysis
import IndexFormat

/// A segment file (`<name>.seg`, kind "SEGM") holds an immutable inverted index over its
/// documents. The byte layout is specified in docs/FORMAT.md; in short: postings (per
/// term: a header, skip entries, document blocks, positions), the term dictionary (blocks
/// of front-coded terms and their index), the documents' directories, records and lengths,
/// and a table of contents.
public enum SegmentLayout {
    static let kind = "SEGM"
    /// Version 2 replaced the flat term dictionary (every term's bytes, a u32 and a u64
    /// offset) with front-coded blocks, and per-term checksums of short postings with one
    /// per block: a fifth smaller index. Version 3 stores each folder's path once (a record
    /// names its directory by number), a DOCID that repeats the end of the path as its
    /// length, and u32 record offsets: a tenth smaller for collections of short files.
    static let version: UInt32 = 3
    static let sectionCount = 7
    /// Section starts, term count, doc count, sum of lengths, CRCs of the doc lengths and of
    /// the directories, CRC of the toc.
    static let tocSize = sectionCount * 8 + 4 + 4 + 8 + 4 + 4 + 4
    static let skipEntrySize = 20
    /// Terms per block of the term dictionary: a lookup binary-searches the blocks' first
    /// terms, then walks one block.
    static let termBlockSize = 32
    /// Per block: u32 offset of its entries · u64 offset of its first term's postings ·
    /// u32 CRC of its entries and these 12 bytes · u32 CRC of its short postings' CRCs.
    static let blockIndexEntrySize = 20
    /// Postings of at least this many bytes (as stored) begin with their own CRC-32; shorter
    /// ones are checked together, a dictionary block's at a time, which saves four bytes on
    /// each of the rare terms that make up most of a dictionary.
    static let ownChecksumThreshold = 512

    /// Folds one term's postings CRC into its block's check of short postings: the CRC-32
    /// of the little-endian CRCs of the block's short postings, in term order.
    @inline(__always)
    static func chainChecksum(_ termChecksum: UInt32, into running: UInt32) -> UInt32 {
        withUnsafeBytes(of: termChecksum.littleEndian) { CRC32.checksum($0, seed: running) }
    }

    /// First byte of a character-count term: byte 0x01 then one character, counting the
    /// subwords that begin with it (so a lone character scores from one list).
    public static let characterCountPrefix: UInt8 = 0x01
    /// First byte of an article-count term (`ArticleTitle.countTerm`): one posting, without
    /// positions, for every document titled as an article of the law it names.
    public static let articleCountPrefix: UInt8 = 0x02

    /// Terms of one or two characters (bigrams, unigrams) carry positions: phrases are
    /// made of them. Longer terms (words) only score, so they store none, and neither
    /// do character-count and article-count terms.
    @inline(__always)
    static func hasPositions<C: Collection>(_ term: C) -> Bool where C.Element == UInt8 {
        if term.first == characterCountPrefix || term.first == articleCountPrefix { return false }
        var scalars = 0
        for b in term where b & 0xC0 != 0x80 {
            scalars += 1
            if scalars > 2 { return false }
        }
        return true
    }

    /// `hasPositions` for a term of `length` bytes whose first (up to) eight bytes are packed
    /// little-endian in `head`: a term of more than eight bytes has at least three characters.
    @inline(__always)
    static func hasPositions(head: UInt64, length: Int) -> Bool {
        guard length <= 8 else { return false }
        return withUnsafeBytes(of: head.littleEndian) { hasPositions($0.prefix(length)) }
    }
}

/// Writes a segment: terms must arrive in strictly increasing byte order, each term's
/// documents in increasing order, each document's positions increasing.
struct SegmentEncoder {
    /// The file image; postings are written straight into it after the header.
    private var image: ByteWriter
    // The dictionary, kept flat until `appendSections` writes it as blocks: every term's
    // bytes, their u32 offsets, u64 postings offsets, and the CRC of each term's postings.
    private var termBytes = ByteWriter()
    private var termOffsets = ByteWriter()
    private var postingsOffsets = ByteWriter()
    private var postingsChecksums: [UInt32] = []
    private var docRecords = ByteWriter()
    private var docOffsets = ByteWriter()
    private var docLengths = ByteWriter()
    /// The directories of the documents' files, each stored once, and their numbers.
    private var directoryNames: [String] = []
    private var directoryNumbers: [Substring: Int] = [:]
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
    /// Where `addOccurrences` encodes a term's positions before appending them in one copy.
    /// (A reference: copies of an encoder share it, so they must not add occurrences from two
    /// threads at once; no caller copies one that way.)
    private let positionScratch = ScratchBytes()
    /// Positions stream offset at the start of each block of `BitPacking.blockSize` docs.
    private var blockPositionOffsets: [UInt32] = []
    private var docStream = ByteWriter()
    private var block: [UInt32] = []
    private var freqBlock: [UInt32] = []

    /// `capacity`: the expected size of the postings (a merge knows it), so the image
    /// does not grow by doubling past it.
    init(capacity: Int = 1 << 20, reusing storage: consuming [UInt8] = []) {
        image = FileEnvelope.begin(kind: SegmentLayout.kind, version: SegmentLayout.version, capacity: capacity, reusing: consume storage)
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
    /// terms: its postings bytes as they are (they hold no absolute offsets), written
    /// straight to `file` after what this encoder holds, its term bytes, and its offsets
    /// rebased. Terms must stay in byte order across parts.
    mutating func appendTerms(of part: SegmentEncoder, streamingTo file: FileSink) throws {
        try stream(to: file)
        let postingsBase = UInt64(streamedBytes - FileEnvelope.headerSize)
        let termBase = UInt32(termBytes.count)
        try part.image.bytes.withUnsafeBytes { raw in
            try file.append(UnsafeRawBufferPointer(rebasing: raw[FileEnvelope.headerSize...]))
        }
        streamedBytes += part.image.count - FileEnvelope.headerSize
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
        postingsChecksums.append(contentsOf: part.postingsChecksums)
        termCount += part.termCount
    }

    mutating func addDocument(_ record: DocumentRecord) {
        let start = docRecords.count
        // Record offsets are u32: flushes (bounded by memory) and merges (by maxMergeBytes)
        // keep a segment's records far below 4 GB.
        precondition(docRecords.count < Int(UInt32.max) - (1 << 20), "document records past 4 GB in one segment")
        docOffsets.u32(UInt32(start))
        record.encode(into: &docRecords) { directory in
            if let known = directoryNumbers[directory] { return known }
            directoryNumbers[directory] = directoryNames.count
            directoryNames.append(String(directory))
            return directoryNames.count - 1
        }
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

    /// Adds one document of the current term with its frequency and its positions already
    /// encoded as this format stores them (varint deltas from 0,
    /// `PostingsCursor.encodedPositions()`; ignored for a term without positions): a merge
    /// copies them.
    mutating func addPosting(doc: Int, freq: Int, encodedPositions: UnsafeRawBufferPointer) {
        if docs.count % BitPacking.blockSize == 0 { blockPositionOffsets.append(UInt32(positionStream.count)) }
        docs.append(UInt32(doc))
        freqs.append(UInt32(freq))
        guard withPositions else { return }
        positionStream.bytes.append(contentsOf: encodedPositions.bindMemory(to: UInt8.self))
    }

    /// Adds documents of the current term in bulk, as a merge reads them a block at a time:
    /// `encodedPositions` holds their positions as stored, back to back (ignored for a term
    /// without positions). A block of this term that starts among them needs where its
    /// positions start, found by counting varint ends rather than decoding.
    mutating func addPostings(docs newDocs: UnsafeBufferPointer<UInt32>, freqs newFreqs: UnsafeBufferPointer<UInt32>,
                              encodedPositions: UnsafeRawBufferPointer) {
        let blockSize = BitPacking.blockSize
        var k = (blockSize - docs.count % blockSize) % blockSize
        var ended = 0, summed = 0
        while k < newDocs.count {
            while summed < k {
                ended += Int(newFreqs[summed])
                summed += 1
            }
            let offset = withPositions ? VarintScan.offset(after: ended, in: encodedPositions) ?? encodedPositions.count : 0
            blockPositionOffsets.append(UInt32(positionStream.count + offset))
            k += blockSize
        }
        docs.append(contentsOf: newDocs)
        freqs.append(contentsOf: newFreqs)
        if withPositions { positionStream.bytes.append(contentsOf: encodedPositions.bindMemory(to: UInt8.self)) }
    }

    /// Adds the current term's documents from its occurrences, sorted by document and then
    /// position: `positions` holds each occurrence's position, or for a term without
    /// positions its count. What a flush does for every term.
    mutating func addOccurrences(docs occurrenceDocs: UnsafeBufferPointer<UInt32>, positions: UnsafeBufferPointer<Int32>) {
        let n = occurrenceDocs.count
        let blockSize = BitPacking.blockSize
        let scratch = positionScratch
        scratch.reserve(n * VarintWriter.maxBytes + 4)
        let base = scratch.base
        var out = base
        let streamed = positionStream.count
        var k = 0
        while k < n {
            let doc = occurrenceDocs[k]
            var next = k + 1
            while next < n && occurrenceDocs[next] == doc { next += 1 }
            if docs.count % blockSize == 0 { blockPositionOffsets.append(UInt32(streamed + (out - base))) }
            docs.append(doc)
            if withPositions {
                freqs.append(UInt32(next - k))
                var last: Int32 = 0
                for j in k..<next {
                    out = VarintWriter.put(UInt32(bitPattern: positions[j] &- last), at: out)
                    last = positions[j]
                }
            } else {
                var count: UInt32 = 0
                for j in k..<next { count += UInt32(positions[j]) }
                freqs.append(count)
            }
            k = next
        }
        if out > base { positionStream.bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: out - base)) }
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
        // A checksum of the term's postings, checked the first time a query opens them: in
        // front of long postings, in the dictionary block for short ones.
        let bodyLength = ByteWriter.varintSize(UInt64(df)) + ByteWriter.varintSize(UInt64(docStream.count))
            + skips.count + docStream.count + positionStream.count
        let ownChecksum = bodyLength + 4 >= SegmentLayout.ownChecksumThreshold
        let checksumAt = image.count
        if ownChecksum { image.u32(0) }
        let bodyStart = image.count
        image.varint(df)
        image.varint(docStream.count)
        image.append(skips.bytes)
        image.append(docStream.bytes)
        image.append(positionStream.bytes)
        let checksum = image.checksum(from: bodyStart)
        if ownChecksum { image.patchU32(checksum, at: checksumAt) }
        postingsChecksums.append(checksum)
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

    /// The term dictionary as stored: blocks of `termBlockSize` terms, each entry
    /// `varint shared · varint suffix length · suffix · varint postings length` (shared: the
    /// bytes it has in common with the term before it in the block, 0 for the first), and
    /// the block index (`blockIndexEntrySize` bytes a block).
    private func encodeDictionary() -> (blocks: ByteWriter, index: ByteWriter) {
        var blocks = ByteWriter(capacity: termBytes.count / 2 + termCount * 3)
        var index = ByteWriter(capacity: (termCount / SegmentLayout.termBlockSize + 1) * SegmentLayout.blockIndexEntrySize)
        termBytes.bytes.withUnsafeBytes { bytes in
            termOffsets.bytes.withUnsafeBytes { offsets in
                postingsOffsets.bytes.withUnsafeBytes { postings in
                    func termStart(_ t: Int) -> Int { Int(UInt32(littleEndian: offsets.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))) }
                    func postingsStart(_ t: Int) -> UInt64 { UInt64(littleEndian: postings.loadUnaligned(fromByteOffset: t * 8, as: UInt64.self)) }
                    var first = 0
                    while first < termCount {
                        let last = min(termCount, first + SegmentLayout.termBlockSize)
                        let blockStart = blocks.count
                        var shortChecksums: UInt32 = 0
                        for t in first..<last {
                            let s = termStart(t), e = termStart(t + 1)
                            var shared = 0
                            if t > first {
                                let p = termStart(t - 1)
                                while shared < e - s, shared < s - p, bytes[p + shared] == bytes[s + shared] { shared += 1 }
                            }
                            blocks.varint(shared)
                            blocks.varint(e - s - shared)
                            blocks.bytes.append(contentsOf: bytes[(s + shared)..<e])
                            let length = Int(postingsStart(t + 1) - postingsStart(t))
                            blocks.varint(length)
                            if length < SegmentLayout.ownChecksumThreshold {
                                shortChecksums = SegmentLayout.chainChecksum(postingsChecksums[t], into: shortChecksums)
                            }
                        }
                        let entryStart = index.count
                        index.u32(UInt32(blockStart))
                        index.u64(postingsStart(first))
                        var crc = blocks.checksum(from: blockStart)
                        index.bytes.withUnsafeBytes { crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[entryStart...]), seed: crc) }
                        index.u32(crc)
                        index.u32(shortChecksums)
                        first = last
                    }
                }
            }
        }
        return (blocks, index)
    }

    /// Appends everything after the postings: the dictionary, documents, lengths and the
    /// table of contents (whose offsets count the bytes streamed before `out`).
    private mutating func appendSections(to out: inout ByteWriter) {
        let base = streamedBytes
        docOffsets.u32(UInt32(docRecords.count))
        postingsOffsets.u64(UInt64(base + out.count - FileEnvelope.headerSize))
        let (termBlocks, blockIndex) = encodeDictionary()
        // Directories: u32 count, (count + 1) u32 offsets into the bytes that follow.
        var directories = ByteWriter()
        directories.u32(UInt32(directoryNames.count))
        var directoryBytes: [UInt8] = []
        directories.u32(0)
        for name in directoryNames {
            directoryBytes.append(contentsOf: name.utf8)
            directories.u32(UInt32(directoryBytes.count))
        }
        directories.append(directoryBytes)
        var starts: [UInt64] = [UInt64(FileEnvelope.headerSize)]
        out.bytes.reserveCapacity(out.count + termBlocks.count + blockIndex.count + directories.count
                                  + docRecords.count + docOffsets.count + docLengths.count + 1024)
        for section in [termBlocks, blockIndex, directories, docRecords, docOffsets, docLengths] {
            starts.append(UInt64(base + out.count))
            out.append(section.bytes)
        }
        let tocStart = out.count
        for s in starts { out.u64(s) }
        out.u32(UInt32(termCount))
        out.u32(UInt32(docCount))
        out.u64(sumLength)
        out.u32(CRC32.checksum(docLengths.bytes))
        out.u32(CRC32.checksum(directories.bytes))
        out.u32(out.checksum(from: tocStart))
    }
}

/// Reads a memory-mapped segment. Opening checks the envelope and the table of contents
/// (and its checksum); every other part is checked against its own checksum the first time
/// it is read — a block of the term dictionary, a term's postings (or a block's short
/// postings together), a document record, the document lengths — so damage is reported as
/// `CorruptIndexError` by the query that meets it, while opening stays independent of the
/// index's size. All reads are bounds-checked.
public final class SegmentReader: @unchecked Sendable {
    public let name: String
    let file: MappedFile
    public let termCount: Int
    public let docCount: Int
    public let sumLength: UInt64
    private let postingsStart: Int
    private let termBlocksStart: Int
    private let blockIndexStart: Int
    private let docRecordsStart: Int
    private let directoriesStart: Int
    private let docOffsetsStart: Int
    private let docLengthsStart: Int
    private let docLengthsChecksum: UInt32
    private let directoriesChecksum: UInt32
    private let directoryCount: Int
    private let blockCount: Int
    private let verified: VerifiedParts

    /// Which parts have been checked already. Bits only ever go from 0 to 1 and a reader
    /// that misses a mark merely checks again, so relaxed atomic words do (no lock: lookups
    /// touch them on every step of a binary search); atomic because merges and parallel
    /// batches read one segment from several threads.
    final class VerifiedParts: @unchecked Sendable {
        enum Part { case termBlock, shortPostings, term }
        /// One bitset: dictionary blocks, then blocks' short postings, then terms.
        private let words: UnsafeMutablePointer<Atomic<UInt64>>
        private let wordCount: Int
        private let blockCount: Int
        private let termCount: Int
        private let sectionsLock = NSLock()
        /// Sections checked whole, a bit each (`Section`).
        private var sections: UInt8 = 0
        enum Section: UInt8 { case lengths = 1, directories = 2 }

        /// Checks are skipped (`SegmentReader.ignoresChecksums`).
        let skipsChecks: Bool

        init(blockCount: Int, termCount: Int, skipsChecks: Bool) {
            self.blockCount = blockCount
            self.termCount = termCount
            self.skipsChecks = skipsChecks
            wordCount = (2 * blockCount + termCount) / 64 + 1
            words = .allocate(capacity: wordCount)
            for i in 0..<wordCount { (words + i).initialize(to: Atomic(0)) }
        }

        deinit {
            words.deinitialize(count: wordCount)
            words.deallocate()
        }

        /// Runs `check` unless part `index` is already marked; marks it when it passes.
        @inline(__always)
        func once(_ part: Part, _ index: Int, _ check: () throws -> Void) throws {
            let limit = part == .term ? termCount : blockCount
            precondition(index >= 0 && index < limit)
            let bit = index + (part == .termBlock ? 0 : part == .shortPostings ? blockCount : 2 * blockCount)
            let word = bit >> 6, mask = UInt64(1) << UInt64(bit & 63)
            if skipsChecks || words[word].load(ordering: .relaxed) & mask != 0 { return }
            try check()
            words[word].bitwiseOr(mask, ordering: .relaxed)
        }

        func sectionOnce(_ section: Section, _ check: () throws -> Void) throws {
            if skipsChecks || sectionsLock.withLock({ sections & section.rawValue != 0 }) { return }
            try check()
            sectionsLock.withLock { sections |= section.rawValue }
        }
    }

    /// Whether checksums are ignored: only for fuzzing the decoders behind them
    /// (`IndexReader.open(directory:ignoringSegmentChecksums:)`).
    var ignoresChecksums: Bool { verified.skipsChecks }

    public init(path: String, name: String, verifyChecksum: Bool = false, ignoringChecksums: Bool = false) throws {
        self.name = name
        file = try MappedFile(path: path)
        let body = try FileEnvelope.open(file.bytes, kind: SegmentLayout.kind, version: SegmentLayout.version,
                                         name: name, verifyChecksum: verifyChecksum)
        guard body.count >= SegmentLayout.tocSize else { throw CorruptIndexError(file: name, reason: "no table of contents") }
        let tocStart = body.upperBound - SegmentLayout.tocSize
        let tocBytes = UnsafeRawBufferPointer(rebasing: file.bytes[tocStart..<(body.upperBound - 4)])
        var toc = ByteReader(file.bytes, offset: tocStart + SegmentLayout.sectionCount * 8, file: name)
        let starts = try (0..<SegmentLayout.sectionCount).map { try toc.offset(at: tocStart + $0 * 8, limit: body.upperBound) }
        termCount = Int(try toc.u32())
        docCount = Int(try toc.u32())
        sumLength = try toc.u64()
        docLengthsChecksum = try toc.u32()
        directoriesChecksum = try toc.u32()
        guard try toc.u32() == CRC32.checksum(tocBytes) || ignoringChecksums else {
            throw CorruptIndexError(file: name, reason: "table of contents checksum mismatch")
        }
        // Sections are contiguous and in order; their sizes must agree with the counts.
        let ends = Array(starts.dropFirst()) + [tocStart]
        guard starts[0] == body.lowerBound, zip(starts, ends).allSatisfy({ $0 <= $1 }) else {
            throw CorruptIndexError(file: name, reason: "table of contents out of order")
        }
        blockCount = (termCount + SegmentLayout.termBlockSize - 1) / SegmentLayout.termBlockSize
        let directoryCount = ends[3] - starts[3] >= 4 ? Int(UInt32(littleEndian: file.bytes.loadUnaligned(fromByteOffset: starts[3], as: UInt32.self))) : -1
        guard ends[2] - starts[2] == blockCount * SegmentLayout.blockIndexEntrySize,
              directoryCount >= 0, ends[3] - starts[3] >= 4 + (directoryCount + 1) * 4,
              ends[5] - starts[5] == (docCount + 1) * 4,
              ends[6] - starts[6] == docCount * 4 else {
            throw CorruptIndexError(file: name, reason: "section sizes disagree with the counts")
        }
        self.directoryCount = directoryCount
        (postingsStart, termBlocksStart, blockIndexStart, directoriesStart) = (starts[0], starts[1], starts[2], starts[3])
        (docRecordsStart, docOffsetsStart, docLengthsStart) = (starts[4], starts[5], starts[6])
        verified = VerifiedParts(blockCount: blockCount, termCount: termCount, skipsChecks: ignoringChecksums)
        mappedBytes = file.bytes
    }

    /// Bytes of all the postings (what a merge shares out between threads).
    public var postingsSectionSize: Int { termBlocksStart - postingsStart }

    /// Bytes of the postings of the terms before `ordinal` (postings lie in term order).
    func postingsBytes(before ordinal: Int) throws -> Int {
        ordinal >= termCount ? postingsSectionSize : try location(ordinal).start - postingsStart
    }

    /// The first term of each dictionary block, in order: keys that cut the dictionary
    /// into ranges of 32 terms.
    func blockFirstTerms() throws -> [[UInt8]] {
        try (0..<blockCount).map { Array(try firstEntry(ofBlock: $0).suffix) }
    }

    /// The mapped file's bytes (valid as long as `file`, which this reader holds).
    private let mappedBytes: UnsafeRawBufferPointer

    var reader: ByteReader { ByteReader(mappedBytes, file: name) }

    private func section(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mappedBytes[start..<end])
    }

    /// Where a term's postings lie in the file, and whether they hold positions.
    public struct TermLocation: Sendable {
        public let ordinal: Int
        /// Absolute file offset and length of the postings as stored (with their CRC when long).
        let start: Int
        public let length: Int
        let hasPositions: Bool
    }

    /// A walker over dictionary block `b`, checked against its CRC the first time.
    private func block(_ b: Int) throws -> TermBlockWalker {
        let r = reader
        let entry = blockIndexStart + b * SegmentLayout.blockIndexEntrySize
        let s = Int(try r.u32(at: entry))
        let e = b + 1 < blockCount ? Int(try r.u32(at: entry + SegmentLayout.blockIndexEntrySize)) : blockIndexStart - termBlocksStart
        guard s <= e, termBlocksStart + e <= blockIndexStart else { throw r.corrupt("dictionary block \(b) out of bounds") }
        let bytes = section(termBlocksStart + s, termBlocksStart + e)
        try verified.once(.termBlock, b) {
            let crc = CRC32.checksum(section(entry, entry + 12), seed: CRC32.checksum(bytes))
            guard crc == (try r.u32(at: entry + 12)) else {
                throw r.corrupt("term dictionary checksum mismatch (terms \(b * SegmentLayout.termBlockSize)…)")
            }
        }
        let base = try r.offset(at: entry + 4, limit: termBlocksStart - postingsStart)
        let first = b * SegmentLayout.termBlockSize
        return TermBlockWalker(bytes: bytes, file: name, firstOrdinal: first, count: min(SegmentLayout.termBlockSize, termCount - first),
                               postingsStart: postingsStart + base, postingsLimit: termBlocksStart)
    }

    /// A walker on block `b`'s first entry, whose suffix is the whole term (it shares
    /// nothing with a term before it).
    private func firstEntry(ofBlock b: Int) throws -> TermBlockWalker {
        var w = try block(b)
        guard try w.next() else { throw reader.corrupt("dictionary block \(b) is empty") }
        return w
    }

    /// The first term not less than `key` (`termCount` when there is none): its ordinal,
    /// and its postings when it equals `key`.
    private func seek(_ key: UnsafeRawBufferPointer) throws -> (ordinal: Int, found: TermLocation?) {
        // The last block whose first term is not greater than the key holds the answer,
        // unless every term of it is smaller: then it is the next block's first.
        var lo = 0, hi = blockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if Self.compare(try firstEntry(ofBlock: mid).suffix, key) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return (0, nil) }
        var w = try block(lo - 1)
        // `matched`: bytes the current term has in common with the key. A term sharing more
        // than that with its predecessor (which was below the key) is below it too; one
        // sharing less is above it; one sharing exactly that is compared on its suffix.
        var matched = 0
        while try w.next() {
            if w.shared > matched { continue }
            if w.shared < matched { return (w.ordinal, nil) }
            let suffix = w.suffix
            var i = 0
            while i < suffix.count, matched + i < key.count, suffix[i] == key[matched + i] { i += 1 }
            matched += i
            if i == suffix.count {
                if matched == key.count { return (w.ordinal, w.location) }
                continue  // the term is a prefix of the key
            }
            if matched == key.count || suffix[i] > key[matched] { return (w.ordinal, nil) }
        }
        return (w.firstOrdinal + w.count, nil)
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
        try seek(key).ordinal
    }

    public func lookup(_ term: [UInt8]) throws -> Int? {
        try location(of: term)?.ordinal
    }

    /// The postings of `term`, nil when the segment does not hold it.
    public func location(of term: [UInt8]) throws -> TermLocation? {
        try term.withUnsafeBytes { try seek($0).found }
    }

    /// The postings of term `ordinal`.
    public func location(_ ordinal: Int) throws -> TermLocation {
        guard ordinal >= 0, ordinal < termCount else { throw reader.corrupt("term \(ordinal) out of range") }
        var w = try block(ordinal / SegmentLayout.termBlockSize)
        while try w.next() {
            if w.ordinal == ordinal { return w.location }
        }
        throw reader.corrupt("dictionary block \(ordinal / SegmentLayout.termBlockSize) is short")
    }

    /// The bytes of term `ordinal`.
    public func termBytes(_ ordinal: Int) throws -> [UInt8] {
        guard ordinal >= 0, ordinal < termCount else { throw reader.corrupt("term \(ordinal) out of range") }
        var terms = try self.terms(from: ordinal)
        guard try terms.next() else { throw reader.corrupt("term \(ordinal) missing") }
        return terms.term
    }

    /// The terms in order from ordinal `start`, with their bytes and postings.
    public func terms(from start: Int = 0) throws -> TermEnumerator {
        TermEnumerator(segment: self, start: start)
    }

    /// Walks the dictionary in order; each term's bytes are rebuilt from the shared prefixes.
    public struct TermEnumerator {
        let segment: SegmentReader
        private var walker: TermBlockWalker? = nil
        private var nextBlock: Int
        private let start: Int
        /// The current term's bytes and postings (valid after `next()` returned true).
        public private(set) var term: [UInt8] = []
        public private(set) var location = TermLocation(ordinal: -1, start: 0, length: 0, hasPositions: false)

        init(segment: SegmentReader, start: Int) {
            self.segment = segment
            self.start = max(0, start)
            nextBlock = self.start / SegmentLayout.termBlockSize
        }

        public mutating func next() throws -> Bool {
            while true {
                if walker == nil {
                    guard nextBlock < segment.blockCount else { return false }
                    walker = try segment.block(nextBlock)
                    nextBlock += 1
                    term.removeAll(keepingCapacity: true)
                }
                guard try walker!.next() else {
                    walker = nil
                    continue
                }
                term.removeSubrange(walker!.shared...)
                term.append(contentsOf: walker!.suffix)
                if walker!.ordinal >= start {
                    location = walker!.location
                    return true
                }
            }
        }
    }

    /// Ordinals of every term that starts with `prefix`.
    public func terms(withPrefix prefix: [UInt8]) throws -> Range<Int> {
        var first = 0, last = 0
        try forEachTerm(withPrefix: prefix) { term, location in
            if last == 0 { first = location.ordinal }
            last = location.ordinal + 1
        }
        return first..<max(first, last)
    }

    /// Calls `body` with each term that starts with `prefix`, in order.
    public func forEachTerm(withPrefix prefix: [UInt8], _ body: (UnsafeRawBufferPointer, TermLocation) throws -> Void) throws {
        let first = try prefix.withUnsafeBytes { try lowerBound($0) }
        var terms = try self.terms(from: first)
        while try terms.next() {
            guard terms.term.starts(with: prefix) else { break }
            try terms.term.withUnsafeBytes { try body($0, terms.location) }
        }
    }

    /// The terms that are the character `character` (its UTF-8 bytes) or it followed by one
    /// more character: its unigram and the bigrams it begins, which a lone character of a
    /// query stands for. Read off each entry's first eight bytes, without rebuilding terms:
    /// a question's characters walk thousands of bigrams.
    public func characterAndBigrams(_ character: [UInt8]) throws -> [TermLocation] {
        precondition(character.count >= 1 && character.count <= 4)
        let first = try character.withUnsafeBytes { try lowerBound($0) }
        let mask = UInt64.max >> UInt64(64 - 8 * character.count)
        let prefix = character.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        var result: [TermLocation] = []
        var b = first / SegmentLayout.termBlockSize
        while b < blockCount {
            var w = try block(b)
            while try w.next() {
                guard w.ordinal >= first else { continue }
                guard w.termLength >= character.count, w.head & mask == prefix else { return result }
                let rest = w.termLength - character.count
                let lead = UInt8(truncatingIfNeeded: w.head >> UInt64(8 * character.count))
                if rest == 0 || rest == UTF8Decoding.encodedLength(leadByte: lead) { result.append(w.location) }
            }
            b += 1
        }
        return result
    }

    public func postings(_ ordinal: Int) throws -> PostingsCursor {
        try postings(at: location(ordinal))
    }

    public func postings(at location: TermLocation) throws -> PostingsCursor {
        let r = reader
        guard location.length > 0, location.start >= postingsStart, location.start + location.length <= termBlocksStart else {
            throw r.corrupt("postings of term \(location.ordinal) out of bounds")
        }
        var slice = section(location.start, location.start + location.length)
        if location.length >= SegmentLayout.ownChecksumThreshold {
            let stored = try r.u32(at: location.start)
            slice = UnsafeRawBufferPointer(rebasing: slice[4...])
            let body = slice
            try verified.once(.term, location.ordinal) {
                guard stored == CRC32.checksum(body) else { throw r.corrupt("postings checksum mismatch (term \(location.ordinal))") }
            }
        } else {
            try verifyShortPostings(ofBlock: location.ordinal / SegmentLayout.termBlockSize)
        }
        return try PostingsCursor(ByteReader(slice, file: name), docCount: docCount, hasPositions: location.hasPositions)
    }

    /// Checks the short postings of a dictionary block (once per segment).
    private func verifyShortPostings(ofBlock b: Int) throws {
        try verified.once(.shortPostings, b) {
            var w = try block(b)
            var crc: UInt32 = 0
            while try w.next() {
                guard w.postingsLength < SegmentLayout.ownChecksumThreshold else { continue }
                let bytes = section(w.postingsStart, w.postingsStart + w.postingsLength)
                crc = SegmentLayout.chainChecksum(CRC32.checksum(bytes), into: crc)
            }
            guard crc == (try reader.u32(at: blockIndexStart + b * SegmentLayout.blockIndexEntrySize + 16)) else {
                throw reader.corrupt("postings checksum mismatch (terms \(b * SegmentLayout.termBlockSize)…)")
            }
        }
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
        try verified.sectionOnce(.lengths) {
            guard CRC32.checksum(section(docLengthsStart, docLengthsStart + docCount * 4)) == docLengthsChecksum else {
                throw reader.corrupt("document lengths checksum mismatch")
            }
        }
    }

    public func document(_ doc: Int) throws -> DocumentRecord {
        guard doc >= 0, doc < docCount else { throw reader.corrupt("document \(doc) out of range") }
        let r = reader
        let s = Int(try r.u32(at: docOffsetsStart + doc * 4))
        let e = Int(try r.u32(at: docOffsetsStart + (doc + 1) * 4))
        guard s + 4 <= e, docRecordsStart + e <= docOffsetsStart else { throw r.corrupt("document \(doc) record out of bounds") }
        let record = section(docRecordsStart + s, docRecordsStart + e - 4)
        guard try r.u32(at: docRecordsStart + e - 4) == CRC32.checksum(record) || ignoresChecksums else {
            throw r.corrupt("document \(doc) record checksum mismatch")
        }
        var recordReader = ByteReader(record, file: name)
        let decoded = try DocumentRecord.decode(&recordReader, directory: directory)
        guard recordReader.isAtEnd else { throw r.corrupt("document \(doc) record has trailing bytes") }
        return decoded
    }

    /// Directory `number` of the documents' files (checked with its section the first time).
    private func directory(_ number: Int) throws -> String {
        let r = reader
        let end = docRecordsStart
        try verified.sectionOnce(.directories) {
            guard CRC32.checksum(section(directoriesStart, end)) == directoriesChecksum else {
                throw r.corrupt("directories checksum mismatch")
            }
        }
        guard number < directoryCount else { throw r.corrupt("directory \(number) out of range") }
        let bytesStart = directoriesStart + 4 + (directoryCount + 1) * 4
        let s = Int(try r.u32(at: directoriesStart + 4 + number * 4))
        let e = Int(try r.u32(at: directoriesStart + 4 + (number + 1) * 4))
        guard s <= e, bytesStart + e <= end else { throw r.corrupt("directory \(number) out of bounds") }
        return String(decoding: section(bytesStart + s, bytesStart + e), as: UTF8.self)
    }

    /// Full check: checksum, records, and every postings list decodes, sorted and in range.
    public func verify(path: String) throws {
        _ = try FileEnvelope.open(file.bytes, kind: SegmentLayout.kind, version: SegmentLayout.version, name: name,
                                  verifyChecksum: !ignoresChecksums)
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
        var terms = try self.terms()
        var seenTerms = 0
        while try terms.next() {
            if let previous, !previous.lexicographicallyPrecedes(terms.term) { throw reader.corrupt("terms out of order at \(seenTerms)") }
            previous = terms.term
            guard terms.location.hasPositions == SegmentLayout.hasPositions(terms.term) else {
                throw reader.corrupt("term \(seenTerms) decoded inconsistently")
            }
            var cursor = try postings(at: terms.location)
            var seen = 0
            while try cursor.next() {
                if cursor.hasPositions { try cursor.positions(into: &positions) }
                seen += 1
            }
            guard seen == cursor.docFreq else { throw reader.corrupt("term \(seenTerms) doc freq disagrees") }
            try cursor.checkFullyConsumed()
            seenTerms += 1
        }
        guard seenTerms == termCount else { throw reader.corrupt("dictionary holds \(seenTerms) terms, not \(termCount)") }
    }
}

/// Walks the entries of one block of the term dictionary (written by
/// `SegmentEncoder.encodeDictionary`), keeping what a lookup needs without rebuilding each
/// term: the bytes it shares with the previous term, its suffix, its first eight bytes
/// (enough to tell whether it has positions) and where its postings are.
struct TermBlockWalker {
    private var reader: ByteReader
    let firstOrdinal: Int
    /// Terms in the block.
    let count: Int
    private(set) var index = -1
    private(set) var shared = 0
    private(set) var suffix = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var termLength = 0
    /// The current term's first eight bytes, little-endian.
    private(set) var head: UInt64 = 0
    /// Absolute file offset of the current term's postings, and their stored length.
    private(set) var postingsStart: Int
    private(set) var postingsLength = 0
    private let postingsLimit: Int

    init(bytes: UnsafeRawBufferPointer, file: String, firstOrdinal: Int, count: Int, postingsStart: Int, postingsLimit: Int) {
        reader = ByteReader(bytes, file: file)
        self.firstOrdinal = firstOrdinal
        self.count = count
        self.postingsStart = postingsStart
        self.postingsLimit = postingsLimit
    }

    var ordinal: Int { firstOrdinal + index }

    var location: SegmentReader.TermLocation {
        SegmentReader.TermLocation(ordinal: ordinal, start: postingsStart, length: postingsLength,
                                   hasPositions: SegmentLayout.hasPositions(head: head, length: termLength))
    }

    /// Moves to the next entry; false after the last (when the block must be used up).
    @inline(__always)
    mutating func next() throws -> Bool {
        guard index + 1 < count else {
            guard reader.isAtEnd else { throw reader.corrupt("dictionary block of term \(firstOrdinal) has trailing bytes") }
            return false
        }
        postingsStart += postingsLength
        let s = try reader.varint(max: index < 0 ? 0 : termLength)
        let n = try reader.varint(max: reader.remaining)
        suffix = try reader.bytes(n)
        postingsLength = try reader.varint(max: postingsLimit - postingsStart)
        if s < 8 {
            head &= s == 0 ? 0 : UInt64.max >> UInt64(64 - 8 * s)
            var i = 0
            while i < n && s + i < 8 {
                head |= UInt64(suffix[i]) << UInt64(8 * (s + i))
                i += 1
            }
        }
        shared = s
        termLength = s + n
        index += 1
        return true
    }
}
