/// What a token stands for. `subword` tokens are the Han character bigrams (and the
/// unigram of a run's last character) that make any substring findable.
public enum TokenKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case word = 0, subword = 1, number = 2, latin = 3

    public var description: String {
        switch self {
        case .word: "word"
        case .subword: "subword"
        case .number: "number"
        case .latin: "latin"
        }
    }
}

/// A token: its term is `normalized[termStart..<termEnd]`; `start..<end` is its byte range
/// in the original text (filters never change those); `position` counts Han characters
/// and non-Han words, so consecutive characters have consecutive positions.
public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var position: Int32
    public var termStart: Int32
    public var termEnd: Int32
    public var start: Int32
    public var end: Int32
}

/// The result of analysing one text.
public struct AnalyzedText: Sendable {
    public var normalized: NormalizedText
    public var tokens: [Token]
    /// Positions used (one past the largest position).
    public var positionCount: Int32

    public func term(_ token: Token) -> String {
        String(decoding: normalized.bytes[Int(token.termStart)..<Int(token.termEnd)], as: UTF8.self)
    }

    public var terms: [String] { tokens.map(term) }
}

/// The analysis chain, identical for documents and queries:
/// `Normalizer` (annotation removal, NFKC case folding, Traditional→Simplified) →
/// `WordBreaker` (ICU words) → token emission:
/// - every Han character gets its own position; each pair of adjacent Han characters is
///   a `subword` bigram at the first one's position, and the last character of a Han run
///   is a `subword` unigram. So every Han substring of two or more characters is a phrase
///   of bigrams, and a single character is found through the terms it begins;
/// - ICU words of three or more Han characters are `word` tokens at their first
///   character's position (two-character words are exactly a bigram);
/// - other ICU words (numbers, Latin, kana) are one token at one position each;
///   spaces and punctuation produce nothing.
///
/// Not thread-safe (it owns an ICU iterator and a fold cache): use one per thread.
public final class Analyzer {
    public let normalizer: Normalizer
    private let breaker: WordBreaker

    public init() throws {
        normalizer = Normalizer()
        breaker = try WordBreaker()
    }

    public func analyze(_ text: String) -> AnalyzedText {
        var copy = text
        return copy.withUTF8 { analyze($0) }
    }

    public func analyze(_ input: UnsafeBufferPointer<UInt8>) -> AnalyzedText {
        let normalized = normalizer.normalize(input)
        let (tokens, positionCount) = normalized.bytes.withUnsafeBufferPointer { text in
            breaker.segment(text, into: &segments)
            return tokenize(text, normalized: normalized)
        }
        return AnalyzedText(normalized: normalized, tokens: tokens, positionCount: positionCount)
    }

    /// Reused between calls.
    private var segments: [WordSegment] = []
    private var hanStart: [Int32] = []
    private var hanEnd: [Int32] = []
    private var hanPosition: [Int32] = []

    private func tokenize(_ text: UnsafeBufferPointer<UInt8>, normalized: NormalizedText) -> ([Token], Int32) {
        var tokens: [Token] = []
        tokens.reserveCapacity(text.count / 2)
        var position: Int32 = 0
        // Han characters in order: byte start, byte end, position.
        var hanStart = self.hanStart, hanEnd = self.hanEnd, hanPosition = self.hanPosition
        hanStart.removeAll(keepingCapacity: true)
        hanEnd.removeAll(keepingCapacity: true)
        hanPosition.removeAll(keepingCapacity: true)
        defer { (self.hanStart, self.hanEnd, self.hanPosition) = (hanStart, hanEnd, hanPosition) }
        let originalStart = normalized.originalStart, originalEnd = normalized.originalEnd

        for segment in segments {
            var i = segment.start
            var hanCount = 0
            var allHan = true
            let firstPosition = position
            // Any Han character is indexed, whatever ICU's status says.
            while i < segment.end {
                let (v, len, _) = UTF8Decoding.decode(text, at: i)
                if CharClass.isHan(v) {
                    hanStart.append(Int32(i))
                    hanEnd.append(Int32(i + len))
                    hanPosition.append(position)
                    position += 1
                    hanCount += 1
                } else {
                    allHan = false
                }
                i += len
            }
            if hanCount > 0 {
                if allHan && hanCount >= 3 {
                    tokens.append(Token(kind: .word, position: firstPosition,
                                        termStart: Int32(segment.start), termEnd: Int32(segment.end),
                                        start: originalStart[segment.start], end: originalEnd[segment.end - 1]))
                }
                continue
            }
            guard segment.status >= 100 else { continue }
            // ICU calls "pm2.5" a number; a token with any letter in it is a word of letters.
            var hasLetter = segment.status >= 200
            for k in segment.start..<segment.end where !hasLetter {
                let b = text[k]
                hasLetter = b >= 0x80 || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
            }
            tokens.append(Token(kind: hasLetter ? .latin : .number, position: position,
                                termStart: Int32(segment.start), termEnd: Int32(segment.end),
                                start: originalStart[segment.start], end: originalEnd[segment.end - 1]))
            position += 1
        }
        // Bigrams between adjacent Han characters; a unigram for each run's last one.
        let count = hanStart.count
        for k in 0..<count {
            let adjacent = k + 1 < count && hanEnd[k] == hanStart[k + 1]
            let termEnd = adjacent ? hanEnd[k + 1] : hanEnd[k]
            tokens.append(Token(kind: .subword, position: hanPosition[k], termStart: hanStart[k], termEnd: termEnd,
                                start: originalStart[Int(hanStart[k])], end: originalEnd[Int(termEnd) - 1]))
        }
        tokens.sort { a, b in
            a.position != b.position ? a.position < b.position : a.kind.rawValue > b.kind.rawValue
        }
        return (tokens, position)
    }
}
