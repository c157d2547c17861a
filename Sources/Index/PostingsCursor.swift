import IndexFormat

/// Walks one term's postings in one segment: documents in order, their frequencies, and
/// on request their positions. Full blocks of 128 documents are bit-unpacked at once;
/// lists of 128 documents or more carry skip entries, which `advance(to:)` uses to jump
/// over blocks and which also give each block's start in the positions stream. Positions
/// of documents passed over are skipped without being decoded.
public struct PostingsCursor {
    private var reader: ByteReader
    public let docCount: Int
    public let docFreq: Int
    public let hasPositions: Bool
    public private(set) var doc: Int = -1
    public private(set) var freq: Int = 0

    private let skipStart: Int
    private let skipCount: Int
    private let docStreamStart: Int
    private let positionsStart: Int
    private let fullBlocks: Int

    /// Ordinal of the current document within the term.
    private var index = -1
    /// Where the next document's entry starts in the document stream.
    private var docOffset: Int
    /// The decoded block (documents and frequencies), empty until a full block is read.
    /// Plain arrays in a struct: no dynamic exclusivity checks on the hot path.
    private var blockDocs: [UInt32] = []
    private var blockFreqs: [UInt32] = []
    private var loadedBlock = -1

    /// Positions: `positionOffset` is where the positions of document `index` begin once
    /// `pendingPositions` varints are skipped.
    private var positionOffset: Int
    private var pendingPositions = 0
    private var positionsRead = false
    private var currentPositionsStart = 0
    /// Set once `nextBlock` has been used: positions are no longer tracked.
    private var scannedInBulk = false

    init(_ reader: ByteReader, docCount: Int, hasPositions: Bool) throws {
        var r = reader
        docFreq = try r.varint(max: docCount)
        let docStreamLength = try r.varint(max: r.remaining)
        guard docFreq >= 1 else { throw r.corrupt("empty postings list") }
        skipCount = docFreq >= BitPacking.blockSize ? (docFreq + BitPacking.blockSize - 1) / BitPacking.blockSize : 0
        skipStart = r.offset
        docStreamStart = skipStart + skipCount * SegmentLayout.skipEntrySize
        positionsStart = docStreamStart + docStreamLength
        guard positionsStart <= r.buffer.count else { throw r.corrupt("postings header out of bounds") }
        fullBlocks = docFreq / BitPacking.blockSize
        self.reader = r
        self.docCount = docCount
        self.hasPositions = hasPositions
        docOffset = docStreamStart
        positionOffset = positionsStart
    }

    // Skip entry fields: last doc, doc stream offset, positions offset, max freq, min length.
    @inline(__always)
    private func skipField(_ block: Int, _ field: Int) throws -> Int {
        Int(try reader.u32(at: skipStart + block * SegmentLayout.skipEntrySize + field * 4))
    }

    /// Advances to the next document; false at the end.
    @inline(__always)
    public mutating func next() throws -> Bool {
        guard index + 1 < docFreq else {
            index = docFreq
            doc = Int.max
            return false
        }
        if !positionsRead { pendingPositions += freq }
        positionsRead = false
        index += 1
        let inBlock = index % BitPacking.blockSize
        if index < fullBlocks * BitPacking.blockSize {
            let b = index / BitPacking.blockSize
            if b != loadedBlock { try load(block: b) }
            doc = Int(blockDocs[inBlock])
            freq = Int(blockFreqs[inBlock])
        } else {
            if inBlock == 0 && skipCount > 0 { try enterTail() }
            reader.offset = docOffset
            let code = try reader.varint()
            let delta = Int(truncatingIfNeeded: code >> 1)
            guard delta >= 1, delta <= docCount else { throw reader.corrupt("document delta out of range in postings") }
            doc += delta
            freq = code & 1 == 1 ? 1 : try reader.varint(max: Int(Int32.max))
            guard freq >= 1 else { throw reader.corrupt("zero frequency in postings") }
            docOffset = reader.offset
            guard docOffset <= positionsStart else { throw reader.corrupt("document stream overruns its length") }
        }
        guard doc < docCount else { throw reader.corrupt("document \(doc) out of range in postings") }
        return true
    }

    /// Advances to the first document ≥ `target`; false when there is none.
    public mutating func advance(to target: Int) throws -> Bool {
        if doc >= target && index >= 0 { return index < docFreq }
        if skipCount > 0 {
            var b = max(0, index / BitPacking.blockSize)
            while b < skipCount, try skipField(b, 0) < target { b += 1 }
            if b >= skipCount {
                index = docFreq
                doc = Int.max
                return false
            }
            if b > index / BitPacking.blockSize || index < 0 { try jump(toBlock: b) }
        }
        while try next() {
            if doc >= target { return true }
        }
        return false
    }

    /// Positions the cursor just before the first document of block `b`.
    private mutating func jump(toBlock b: Int) throws {
        index = b * BitPacking.blockSize - 1
        doc = b == 0 ? -1 : try skipField(b - 1, 0)
        docOffset = docStreamStart + (try skipField(b, 1))
        positionOffset = positionsStart + (try skipField(b, 2))
        pendingPositions = 0
        freq = 0
        positionsRead = true
        guard docOffset <= positionsStart, positionOffset <= reader.buffer.count else { throw reader.corrupt("skip entry out of bounds") }
    }

    private mutating func enterTail() throws {
        let b = index / BitPacking.blockSize
        doc = b == 0 ? -1 : try skipField(b - 1, 0)
        docOffset = docStreamStart + (try skipField(b, 1))
        positionOffset = positionsStart + (try skipField(b, 2))
        pendingPositions = 0
        guard docOffset <= positionsStart, positionOffset <= reader.buffer.count else { throw reader.corrupt("skip entry out of bounds") }
    }

    private mutating func load(block b: Int) throws {
        if blockDocs.isEmpty {
            blockDocs = [UInt32](repeating: 0, count: BitPacking.blockSize)
            blockFreqs = [UInt32](repeating: 0, count: BitPacking.blockSize)
        }
        var docs = blockDocs, freqs = blockFreqs
        blockDocs = []
        blockFreqs = []
        try docs.withUnsafeMutableBufferPointer { d in
            try freqs.withUnsafeMutableBufferPointer { f in try decode(block: b, docs: d.baseAddress!, freqs: f.baseAddress!) }
        }
        blockDocs = docs
        blockFreqs = freqs
        loadedBlock = b
    }

    /// Decodes full block `b` (absolute documents, frequencies) into the given buffers of
    /// `BitPacking.blockSize` entries, leaving the document stream after it.
    private mutating func decode(block b: Int, docs: UnsafeMutablePointer<UInt32>, freqs: UnsafeMutablePointer<UInt32>) throws {
        let base = b == 0 ? -1 : try skipField(b - 1, 0)
        reader.offset = docStreamStart + (try skipField(b, 1))
        positionOffset = positionsStart + (try skipField(b, 2))
        pendingPositions = 0
        let deltaWidth = Int(try reader.u8())
        let freqWidth = Int(try reader.u8())
        // Widths bound every value, so one check here replaces one per document: with deltas
        // below 2^30 the running sum cannot overflow, and it only grows, so the last
        // document being in range puts them all in range.
        guard deltaWidth <= 30, freqWidth <= 30 else { throw reader.corrupt("bit width out of range in a document block") }
        var r = reader
        try BitPacking.unpack(&r, width: deltaWidth, into: docs)
        try BitPacking.unpack(&r, width: freqWidth, into: freqs)
        var previous = base
        for k in 0..<BitPacking.blockSize {
            previous = previous &+ Int(docs[k]) &+ 1
            docs[k] = UInt32(truncatingIfNeeded: previous)
            freqs[k] &+= 1
        }
        guard previous < docCount else { throw r.corrupt("document block out of range") }
        reader = r
        docOffset = reader.offset
        guard docOffset <= positionsStart else { throw reader.corrupt("document stream overruns its length") }
    }

    /// For scoring scans: the next documents (up to a block, absolute) and their
    /// frequencies, written to buffers of `BitPacking.blockSize` entries; returns how many,
    /// 0 at the end. A full block is decoded straight into the buffers, so a whole list
    /// costs one call per 128 documents. Positions are not kept track of: a cursor read
    /// this way can give no positions afterwards.
    public mutating func nextBlock(docs: UnsafeMutablePointer<UInt32>, freqs: UnsafeMutablePointer<UInt32>) throws -> Int {
        scannedInBulk = true
        let start = index + 1
        guard start < docFreq else { return 0 }
        if start % BitPacking.blockSize == 0 && start < fullBlocks * BitPacking.blockSize {
            try decode(block: start / BitPacking.blockSize, docs: docs, freqs: freqs)
            loadedBlock = -1
            index = start + BitPacking.blockSize - 1
            doc = Int(docs[BitPacking.blockSize - 1])
            freq = Int(freqs[BitPacking.blockSize - 1])
            return BitPacking.blockSize
        }
        // The tail of varints, or the rest of a block entered through next().
        var n = 0
        repeat {
            guard try next() else { break }
            docs[n] = UInt32(doc)
            freqs[n] = UInt32(freq)
            n += 1
        } while n < BitPacking.blockSize && (index + 1) % BitPacking.blockSize != 0
        return n
    }

    /// For merges, from the start of the list: the next stored block's documents and
    /// frequencies (as `nextBlock`), and the bytes of their positions as stored (empty for a
    /// term without positions), checked to hold as many varints as the frequencies add up
    /// to. The skip entries give each block's positions, so nothing is decoded to find them.
    public mutating func nextBlock(docs: UnsafeMutablePointer<UInt32>, freqs: UnsafeMutablePointer<UInt32>,
                                   positions: inout UnsafeRawBufferPointer) throws -> Int {
        let start = index + 1
        guard start < docFreq else { return 0 }
        precondition(start % BitPacking.blockSize == 0, "merging reads whole blocks from the start")
        let b = start / BitPacking.blockSize
        var from = positionsStart, to = reader.buffer.count
        if skipCount > 0 {
            from = positionsStart + (try skipField(b, 2))
            if b + 1 < skipCount { to = positionsStart + (try skipField(b + 1, 2)) }
        }
        guard from <= to, to <= reader.buffer.count else { throw reader.corrupt("skip entry out of bounds") }
        let n = try nextBlock(docs: docs, freqs: freqs)
        guard hasPositions else {
            positions = UnsafeRawBufferPointer(start: nil, count: 0)
            return n
        }
        var expected = 0
        for k in 0..<n { expected += Int(freqs[k]) }
        let bytes = UnsafeRawBufferPointer(rebasing: reader.buffer[from..<to])
        guard VarintScan.count(bytes) == expected, bytes.last.map({ $0 < 0x80 }) ?? (expected == 0) else {
            throw reader.corrupt("positions disagree with frequencies")
        }
        positions = bytes
        return n
    }

    /// The current document's positions.
    public mutating func positions() throws -> [Int32] {
        var out: [Int32] = []
        try positions(into: &out)
        return out
    }

    public mutating func positions(into out: inout [Int32]) throws {
        out.removeAll(keepingCapacity: true)
        let count = freq
        try readPositions { r in try Self.decodePositions(&r, count: count) { out.append($0) } }
    }

    /// The current document's positions as stored (`freq` varint deltas), checked as
    /// decoding checks them but not kept: a merge copies them unchanged, since positions
    /// do not depend on document ids.
    public mutating func encodedPositions() throws -> UnsafeRawBufferPointer {
        let count = freq
        return try readPositions { r in
            let start = r.offset
            try Self.decodePositions(&r, count: count) { _ in }
            return UnsafeRawBufferPointer(rebasing: r.buffer[start..<r.offset])
        }
    }

    /// Runs `read` with a reader at the current document's positions: the first time,
    /// after skipping those of the documents passed over, then again from the same start.
    private mutating func readPositions<R>(_ read: (inout ByteReader) throws -> R) throws -> R {
        guard hasPositions else { throw reader.corrupt("positions requested for a term without positions") }
        precondition(!scannedInBulk, "positions requested from a cursor read with nextBlock")
        var r = reader
        if positionsRead {
            r.offset = currentPositionsStart
            return try read(&r)
        }
        r.offset = positionOffset
        var skip = pendingPositions
        while skip > 0 {
            guard r.offset < r.buffer.count else { throw r.corrupt("positions stream overrun") }
            if r.buffer[r.offset] < 0x80 { skip -= 1 }
            r.offset += 1
        }
        currentPositionsStart = r.offset
        let result = try read(&r)
        positionOffset = r.offset
        pendingPositions = 0
        positionsRead = true
        return result
    }

    /// Decodes and checks `count` positions, handing each to `emit`.
    @inline(__always)
    private static func decodePositions(_ r: inout ByteReader, count: Int, _ emit: (Int32) -> Void) throws {
        var p: Int64 = 0
        for k in 0..<count {
            let delta = try r.varint()
            guard delta > 0 || k == 0 else { throw r.corrupt("positions not increasing") }
            p += Int64(delta)
            guard p <= Int64(Int32.max) else { throw r.corrupt("position out of range") }
            emit(Int32(p))
        }
    }

    /// For verification after a full walk: the streams were exactly consumed.
    func checkFullyConsumed() throws {
        guard docOffset == positionsStart else {
            throw reader.corrupt("document stream length disagrees")
        }
    }
}
