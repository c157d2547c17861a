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

    var documentCount: Int { documents.count }
    var isEmpty: Bool { documents.isEmpty }
    var memoryUsage: Int { occurrenceTerm.capacity * 12 + terms.memoryUsage }

    /// Adds a document; `record.length` is set from the tokens.
    mutating func add(_ analyzed: AnalyzedText, record: DocumentRecord) {
        let doc = UInt32(documents.count)
        var record = record
        record.length = UInt32(analyzed.tokens.count)
        documents.append(record)
        analyzed.normalized.bytes.withUnsafeBufferPointer { text in
            for token in analyzed.tokens {
                let key = UnsafeBufferPointer(rebasing: text[Int(token.termStart)..<Int(token.termEnd)])
                occurrenceTerm.append(UInt32(terms.intern(key)))
                occurrenceDoc.append(doc)
                occurrencePosition.append(token.position)
            }
        }
    }

    func encode() -> [UInt8] {
        let termCount = terms.count
        let termOf = occurrenceTerm, docOf = occurrenceDoc, positionOf = occurrencePosition
        // Counting sort of occurrences by term; stable, so doc and position order hold.
        var start = [Int](repeating: 0, count: termCount + 1)
        for t in termOf { start[Int(t) + 1] += 1 }
        for t in 0..<termCount { start[t + 1] += start[t] }
        var fill = start
        var docs = [UInt32](repeating: 0, count: termOf.count)
        var positions = [Int32](repeating: 0, count: termOf.count)
        for i in termOf.indices {
            let t = Int(termOf[i])
            docs[fill[t]] = docOf[i]
            positions[fill[t]] = positionOf[i]
            fill[t] += 1
        }
        var encoder = SegmentEncoder()
        for record in documents { encoder.addDocument(record) }
        for id in terms.sortedIDs() {
            encoder.beginTerm(terms.bytes(id))
            var k = start[id]
            let end = start[id + 1]
            while k < end {
                let doc = docs[k]
                var next = k + 1
                while next < end && docs[next] == doc { next += 1 }
                encoder.addPosting(doc: Int(doc), freq: next - k, positions: positions[k..<next])
                k = next
            }
            encoder.endTerm()
        }
        return encoder.finish()
    }
}
