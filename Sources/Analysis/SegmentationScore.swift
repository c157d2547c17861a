/// Word-segmentation quality the way the SIGHAN bakeoffs score it: a word is a span of
/// characters, and a system word is correct when a gold word has exactly its span.
/// Spans are counted over the whole text with white space removed, so a gold file that
/// moves a character to the neighbouring line (MSR does, 16 times) still lines up.
public struct SegmentationScore: Sendable, Equatable {
    public var goldWords = 0
    public var systemWords = 0
    public var correct = 0
    /// Gold words absent from the training word list, and how many of them were found.
    public var goldOOV = 0
    public var correctOOV = 0

    public var precision: Double { systemWords == 0 ? 0 : Double(correct) / Double(systemWords) }
    public var recall: Double { goldWords == 0 ? 0 : Double(correct) / Double(goldWords) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    public var oovRate: Double { goldWords == 0 ? 0 : Double(goldOOV) / Double(goldWords) }
    public var oovRecall: Double { goldOOV == 0 ? 0 : Double(correctOOV) / Double(goldOOV) }

    /// Scores `system` against `gold`, both sequences of words in text order (white space
    /// inside words is ignored). `knownWords`, when given, defines out-of-vocabulary.
    public init(gold: [Substring], system: [Substring], knownWords: Set<Substring>? = nil) {
        func spans(_ words: [Substring]) -> [(Int, Int)] {
            var result: [(Int, Int)] = []
            result.reserveCapacity(words.count)
            var at = 0
            for w in words {
                let length = w.unicodeScalars.reduce(0) { $0 + ($1.properties.isWhitespace ? 0 : 1) }
                guard length > 0 else { continue }
                result.append((at, at + length))
                at += length
            }
            return result
        }
        let goldSpans = spans(gold), systemSpans = spans(system)
        let goldNonEmpty = gold.filter { w in w.unicodeScalars.contains { !$0.properties.isWhitespace } }
        goldWords = goldSpans.count
        systemWords = systemSpans.count
        var s = 0
        for (g, span) in goldSpans.enumerated() {
            let isOOV = knownWords.map { !$0.contains(goldNonEmpty[g]) } ?? false
            if isOOV { goldOOV += 1 }
            while s < systemSpans.count && systemSpans[s].0 < span.0 { s += 1 }
            if s < systemSpans.count && systemSpans[s] == span {
                correct += 1
                if isOOV { correctOOV += 1 }
            }
        }
    }
}
