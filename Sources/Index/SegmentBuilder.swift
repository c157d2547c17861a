import Analysis
import IndexFormat

/// Accumulates analysed documents in memory and encodes them as one segment.
///
/// Occurrences are kept as three flat arrays (term id, doc, position) in arrival order,
/// which is already document-then-position order; encoding groups them by term with a
/// counting sort, so nothing is allocated per token. About 12 bytes an occurrence, which
/// is what `memoryUsage` reports and what the writer flushes on. A value type, so the
/// hot loops run without dynamic exclusivity checks.
struct SegmentBuilder {
    private var terms = ByteStringTable()
    private var occurrenceTerm: [UInt32] = []
    private var occurrenceDoc: [UInt32] = []
    private var occurrencePosition: [Int32] = []
    private(set) var documents: [DocumentRecord] = []

    /// `expectedMemory`: what `memoryUsage` will reach before a flush. The occurrence arrays
    /// and the flush's sorted copies are reserved for it at once (capacity untouched costs
    /// nothing): growing them by doubling copied them and faulted in twice the pages.
    init(expectedMemory: Int = 0) {
        // 12 bytes an occurrence, and a quarter more: a flush comes after the file that crossed the line.
        let occurrences = expectedMemory / 12 + expectedMemory / 48
        occurrenceTerm.reserveCapacity(occurrences)
        occurrenceDoc.reserveCapacity(occurrences)
        occurrencePosition.reserveCapacity(occurrences)
        sortedDocs.reserveCapacity(occurrences)
        sortedPositions.reserveCapacity(occurrences)
    }

    var documentCount: Int { documents.count }
    var isEmpty: Bool { documents.isEmpty }
    /// Bytes the current contents need (`removeAll` keeps storage beyond them).
    var memoryUsage: Int {
        occurrenceTerm.count * 12 + terms.memoryInUse + characterCountOfTerm.count * 4
    }

    /// Empties the builder for the next segment but keeps its storage: a worker refills it
    /// to the same size, and fresh large arrays would be faulted in again page by page
    /// (a tenth of a scale build's CPU went to the kernel before).
    mutating func removeAll() {
        terms.removeAll()
        occurrenceTerm.removeAll(keepingCapacity: true)
        occurrenceDoc.removeAll(keepingCapacity: true)
        occurrencePosition.removeAll(keepingCapacity: true)
        documents.removeAll(keepingCapacity: true)
        charactersInDocument.removeAll(keepingCapacity: true)
        characterTermOfScalar.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        characterTermOfOtherScalar.removeAll(keepingCapacity: true)
        characterCountOfTerm.removeAll(keepingCapacity: true)
        currentLength = 0
    }

    /// Documents longer than this many tokens are indexed only up to it (the writer warns):
    /// about 24 MB of Han text, which keeps one document's share of memory bounded.
    static let maxTokensPerDocument = 8_000_000
    /// `maxTokensPerDocument`, lowered by tests.
    var tokenLimit = SegmentBuilder.maxTokensPerDocument

    /// Adds a document analysed in one piece; `record.length` is set from the tokens.
    mutating func add(_ analyzed: AnalyzedText, record: DocumentRecord) {
        beginDocument(record)
        addTokens(analyzed, positionBase: 0)
        endDocument()
    }

    private var currentLength = 0

    /// How many tokens ahead `addTokens` prefetches interning slots.
    static let prefetchDistance = 16

    mutating func beginDocument(_ record: DocumentRecord) {
        documents.append(record)
        currentLength = 0
    }

    /// Adds the tokens of one piece of the current document, its positions shifted by
    /// `positionBase`. Returns false once the document reached `maxTokensPerDocument`.
    @discardableResult
    mutating func addTokens(_ analyzed: AnalyzedText, positionBase: Int32) -> Bool {
        let doc = UInt32(documents.count - 1)
        let room = max(0, tokenLimit - currentLength)
        // The index's analyzer does not sort its tokens; a document cut short keeps those of
        // its first positions.
        var kept = analyzed.tokens
        if kept.count > room && !analyzed.sortedByPosition { Analyzer.sortByPosition(&kept) }
        let tokens = kept.prefix(room)
        var characterKey: [UInt8] = [SegmentLayout.characterCountPrefix, 0, 0, 0, 0]
        // The occurrences are grown once and written through buffers: appending checked each
        // array's uniqueness for every token.
        let first = occurrenceTerm.count
        var termOut = occurrenceTerm, docOut = occurrenceDoc, positionOut = occurrencePosition
        (occurrenceTerm, occurrenceDoc, occurrencePosition) = ([], [], [])
        defer { (occurrenceTerm, occurrenceDoc, occurrencePosition) = (termOut, docOut, positionOut) }
        termOut.append(contentsOf: repeatElement(0, count: tokens.count))
        docOut.append(contentsOf: repeatElement(doc, count: tokens.count))
        positionOut.append(contentsOf: repeatElement(0, count: tokens.count))
        termOut.withUnsafeMutableBufferPointer { termOut in
        positionOut.withUnsafeMutableBufferPointer { positionOut in
        analyzed.normalized.bytes.withUnsafeBufferPointer { text in
            for (k, token) in tokens.enumerated() {
                // The table slot of a token a few ahead is fetched while this one is interned.
                if k + Self.prefetchDistance < tokens.count {
                    let ahead = tokens[tokens.startIndex + k + Self.prefetchDistance]
                    terms.prefetch(UnsafeBufferPointer(rebasing: text[Int(ahead.termStart)..<Int(ahead.termEnd)]))
                }
                let key = UnsafeBufferPointer(rebasing: text[Int(token.termStart)..<Int(token.termEnd)])
                let term = terms.intern(key)
                termOut[first + k] = UInt32(term)
                // Terms without positions (words) keep a count of 1 in the position slot.
                positionOut[first + k] = token.kind == .subword ? positionBase + token.position : 1
                guard token.kind == .subword else { continue }
                // The character this subword begins: counted per document under its own term,
                // so scoring a lone character reads one list instead of every bigram it begins.
                // Its id is remembered per character (a few thousand, which stay in the cache;
                // remembered per subword term, the lookup missed the cache on most tokens).
                let (scalar, length, _) = UTF8Decoding.decode(text, at: Int(token.termStart))
                var id = Int(scalar) < characterTermOfScalar.count ? Int(characterTermOfScalar[Int(scalar)])
                    : Int(characterTermOfOtherScalar[scalar] ?? -1)
                if id < 0 {
                    for k in 0..<length { characterKey[1 + k] = text[Int(token.termStart) + k] }
                    id = characterKey.withUnsafeBufferPointer { terms.intern(UnsafeBufferPointer(rebasing: $0[0..<(1 + length)])) }
                    if Int(scalar) < characterTermOfScalar.count {
                        characterTermOfScalar[Int(scalar)] = Int32(id)
                    } else {
                        characterTermOfOtherScalar[scalar] = Int32(id)
                    }
                }
                if id >= characterCountOfTerm.count {
                    characterCountOfTerm.append(contentsOf: repeatElement(0, count: max(id + 1, 2 * characterCountOfTerm.count) - characterCountOfTerm.count))
                }
                if characterCountOfTerm[id] == 0 { charactersInDocument.append(UInt32(id)) }
                characterCountOfTerm[id] += 1
            }
        }
        }
        }
        currentLength += tokens.count
        return tokens.count == analyzed.tokens.count
    }

    mutating func endDocument() {
        let doc = UInt32(documents.count - 1)
        documents[Int(doc)].length = UInt32(currentLength)
        for term in charactersInDocument {
            occurrenceTerm.append(term)
            occurrenceDoc.append(doc)
            occurrencePosition.append(characterCountOfTerm[Int(term)])
            characterCountOfTerm[Int(term)] = 0
        }
        charactersInDocument.removeAll(keepingCapacity: true)
        // An article of a law counts towards its law's size (`ArticleTitle.countTerm`).
        if let law = ArticleTitle.lawName(documents[Int(doc)].title) {
            let term = ArticleTitle.countTerm(law: law).withUnsafeBufferPointer { terms.intern($0) }
            occurrenceTerm.append(UInt32(term))
            occurrenceDoc.append(doc)
            occurrencePosition.append(1)
        }
    }

    /// Character-count terms of the current document: their ids in order of first
    /// occurrence, and each one's count so far (indexed by term id, zero otherwise).
    private var charactersInDocument: [UInt32] = []
    /// For each character (by scalar; the rare ones past the basic planes' ideographs in a
    /// dictionary), the id of its count term in this segment (−1 until seen).
    private var characterTermOfScalar = [Int32](repeating: -1, count: 0x30000)
    private var characterTermOfOtherScalar: [UInt32: Int32] = [:]
    private var characterCountOfTerm: [Int32] = []

    // Scratch of `encodeAndEmpty`, kept between flushes for the same reason as `removeAll`.
    private var sortedDocs: [UInt32] = []
    private var sortedPositions: [Int32] = []
    private var termStart: [Int] = []
    private var termFill: [Int] = []
    private var rankOfTerm: [UInt32] = []

    /// Storage of the last image encoded, handed back by `recycle`.
    private var imageStorage: [UInt8] = []

    /// Gives back an image `encodeAndEmpty` returned, once written, for the next one to be
    /// encoded into: a fresh image faulted in its pages again and grew by doubling (a
    /// third of a build's page faults).
    mutating func recycle(_ image: consuming [UInt8]) { imageStorage = consume image }

    /// Encodes the contents as one segment and empties the builder (keeping its storage).
    mutating func encodeAndEmpty() -> [UInt8] {
        defer { removeAll() }
        let termCount = terms.count
        let docOf = occurrenceDoc, positionOf = occurrencePosition
        // Counting sort of occurrences by the rank of their term in byte order; stable, so
        // doc and position order hold, and the terms are then encoded walking the sorted
        // occurrences front to back (by term id, every term's first read was a cache miss:
        // 4% of a build's CPU). The occurrences' term ids become ranks in place.
        let order = terms.sortedTerms()
        var start = termStart, fill = termFill, docs = sortedDocs, positions = sortedPositions
        var rank = rankOfTerm, keys = occurrenceTerm
        (termStart, termFill, sortedDocs, sortedPositions, rankOfTerm, occurrenceTerm) = ([], [], [], [], [], [])
        defer { (termStart, termFill, sortedDocs, sortedPositions, rankOfTerm, occurrenceTerm) = (start, fill, docs, positions, rank, keys) }
        rank.removeAll(keepingCapacity: true)
        rank.append(contentsOf: repeatElement(0, count: termCount))
        for (r, term) in order.enumerated() { rank[Int(term.id)] = UInt32(r) }
        keys.withUnsafeMutableBufferPointer { keys in
            rank.withUnsafeBufferPointer { rank in
                for i in keys.indices { keys[i] = rank[Int(keys[i])] }
            }
        }
        start.removeAll(keepingCapacity: true)
        start.append(contentsOf: repeatElement(0, count: termCount + 1))
        start.withUnsafeMutableBufferPointer { start in
            for r in keys { start[Int(r) + 1] += 1 }
            for r in 0..<termCount { start[r + 1] += start[r] }
        }
        fill.removeAll(keepingCapacity: true)
        fill.append(contentsOf: start)
        docs.removeAll(keepingCapacity: true)
        docs.append(contentsOf: repeatElement(0, count: keys.count))
        positions.removeAll(keepingCapacity: true)
        positions.append(contentsOf: repeatElement(0, count: keys.count))
        // The scatter through buffers: array subscripts here checked uniqueness three times an
        // occurrence and, since those calls might alias, loaded fill[r] (a cache miss) twice.
        fill.withUnsafeMutableBufferPointer { fill in
            docs.withUnsafeMutableBufferPointer { docs in
                positions.withUnsafeMutableBufferPointer { positions in
                    for i in keys.indices {
                        let r = Int(keys[i])
                        let at = fill[r]
                        docs[at] = docOf[i]
                        positions[at] = positionOf[i]
                        fill[r] = at + 1
                    }
                }
            }
        }
        var storage: [UInt8] = []
        swap(&storage, &imageStorage)
        // About two bytes an occurrence (positions and postings, measured), for the first image.
        // The storage is moved, not copied: a second reference would make the encoder's first
        // write allocate a fresh buffer.
        let capacity = storage.isEmpty ? 2 * keys.count : 0
        var encoder = SegmentEncoder(capacity: capacity, reusing: consume storage)
        for record in documents { encoder.addDocument(record) }
        for (r, sorted) in order.enumerated() {
            // A term of eight bytes or fewer (nearly all: bigrams are six) is rebuilt from its
            // sort key; reading it from the table was a cache miss a term.
            if sorted.length <= 8 {
                withUnsafeBytes(of: sorted.key.bigEndian) { raw in
                    encoder.beginTerm(UnsafeRawBufferPointer(rebasing: raw[0..<Int(sorted.length)]))
                }
            } else {
                encoder.beginTerm(terms.bytes(Int(sorted.id)))
            }
            // Occurrences of terms without positions carry counts in the position slot.
            let range = start[r]..<start[r + 1]
            docs.withUnsafeBufferPointer { docs in
                positions.withUnsafeBufferPointer { positions in
                    encoder.addOccurrences(docs: UnsafeBufferPointer(rebasing: docs[range]),
                                           positions: UnsafeBufferPointer(rebasing: positions[range]))
                }
            }
            encoder.endTerm()
        }
        return encoder.finish()
    }
}
