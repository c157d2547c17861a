import Analysis

/// A term a query looks up. Text is indexed as character bigrams (plus a unigram at a
/// run's end), so a lone character is found through every term it begins: `characterPrefix`.
public enum QueryTerm: Hashable, Sendable, CustomStringConvertible {
    case exact([UInt8])
    case characterPrefix([UInt8])

    public var bytes: [UInt8] {
        switch self {
        case let .exact(b), let .characterPrefix(b): b
        }
    }

    public var description: String {
        switch self {
        case let .exact(b): String(decoding: b, as: UTF8.self)
        case let .characterPrefix(b): String(decoding: b, as: UTF8.self) + "*"
        }
    }
}

/// One whitespace-separated part of a query as a phrase: terms at relative positions.
/// A document "contains" the part when every element occurs at its offset.
public struct PhrasePart: Sendable {
    public var text: String
    public var normalized: [UInt8]
    public var elements: [(term: QueryTerm, offset: Int32)]
}

/// What a query string means to the index.
public struct QueryPlan: Sendable {
    /// Distinct terms that score (bigrams, lone characters, ICU words of three or more characters).
    public var terms: [QueryTerm]
    /// The parts a document must contain contiguously to be an exact match.
    public var parts: [PhrasePart]

    public var isEmpty: Bool { terms.isEmpty }

    public init(query: String, analyzer: Analyzer) {
        var terms: [QueryTerm] = []
        var seen = Set<QueryTerm>()
        var parts: [PhrasePart] = []
        for piece in query.split(whereSeparator: { $0.isWhitespace }) {
            let analyzed = analyzer.analyze(String(piece))
            let tokens = analyzed.tokens
            var elements: [(QueryTerm, Int32)] = []
            let base = tokens.first?.position ?? 0
            for (i, token) in tokens.enumerated() {
                let bytes = Array(analyzed.normalized.bytes[Int(token.termStart)..<Int(token.termEnd)])
                let term: QueryTerm
                switch token.kind {
                case .subword:
                    let isBigram = bytes.count > UTF8Decoding.encodedLength(firstScalar(bytes))
                    if isBigram {
                        term = .exact(bytes)
                    } else {
                        // A run's last character: covered by the bigram before it, if any.
                        let coveredByBigram = tokens[..<i].contains {
                            $0.kind == .subword && $0.termEnd == token.termEnd && $0.termStart < token.termStart
                        }
                        if coveredByBigram { continue }
                        term = .characterPrefix(bytes)
                    }
                    elements.append((term, token.position - base))
                case .word, .number, .latin:
                    term = .exact(bytes)  // scores; containment is checked through its bigrams
                }
                if seen.insert(term).inserted { terms.append(term) }
            }
            if !elements.isEmpty {
                parts.append(PhrasePart(text: String(piece), normalized: analyzed.normalized.bytes, elements: elements))
            }
        }
        self.terms = terms
        self.parts = parts
    }
}

@inline(__always)
func firstScalar(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UTF8Decoding.decode($0, at: 0).scalar }
}
