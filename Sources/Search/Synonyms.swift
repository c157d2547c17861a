import Foundation
import Analysis

/// Query-time synonyms in Solr's `synonyms.txt` format (what Elasticsearch's synonym filter
/// reads): a query holding a word of the table also scores the words it maps to, so that a
/// question in everyday words (房东) reaches the statute that says 出租人.
///
///     房东, 房主 => 出租人      either word on the left adds the words on the right
///     工资, 薪水, 劳动报酬      each word adds the others
///
/// `#` starts a comment. Words are folded like any text (either script matches either). A
/// word matches only as a whole run of the query's ICU words (告 in 可以告他吗, not the 告 of
/// 报告), and the words it adds only score (`RankingOptions.synonymWeight`): they never make a
/// document contain the query, so the recall guarantee and the order it sets are untouched.
public struct SynonymTable: Sendable, Equatable {
    /// Folded word → the folded words it adds, in file order, without repeats.
    private var additions: [[UInt8]: [[UInt8]]] = [:]
    /// The longest word's length in bytes: how far a match is looked for.
    public private(set) var longestWord = 0

    public static let empty = SynonymTable()

    public init() {}

    public var isEmpty: Bool { additions.isEmpty }
    /// How many words add others.
    public var wordCount: Int { additions.count }

    /// The words `word` (folded bytes) adds, if it is in the table.
    public func words(addedBy word: ArraySlice<UInt8>) -> [[UInt8]]? {
        guard word.count <= longestWord else { return nil }
        return additions[Array(word)]
    }

    /// Parses a synonyms file. `skipped` describes the entries left out: a word holding
    /// white space can never match (queries are split at white space).
    public static func parse(_ text: String, normalizer: Normalizer) -> (table: SynonymTable, skipped: [String]) {
        var table = SynonymTable()
        var skipped: [String] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.prefix { $0 != "#" }
            func words(_ list: Substring) -> [[UInt8]] {
                var result: [[UInt8]] = []
                for entry in list.split(separator: ",") {
                    let word = entry.trimmingWhitespace()
                    guard !word.isEmpty else { continue }
                    let folded = normalizer.normalize(String(word)).bytes
                    if folded.contains(where: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }) || word.contains(where: \.isWhitespace) {
                        skipped.append("line \(index + 1): \"\(word)\" holds white space and can never match")
                        continue
                    }
                    if !result.contains(folded) { result.append(folded) }
                }
                return result
            }
            if let arrow = line.range(of: "=>") {
                let from = words(line[..<arrow.lowerBound]), to = words(line[arrow.upperBound...])
                for word in from { table.add(to, to: word) }
            } else {
                let group = words(line)
                for word in group { table.add(group, to: word) }
            }
        }
        return (table, skipped)
    }

    private mutating func add(_ words: [[UInt8]], to word: [UInt8]) {
        var list = additions[word] ?? []
        for w in words where w != word && !list.contains(w) { list.append(w) }
        guard !list.isEmpty else { return }
        additions[word] = list
        longestWord = max(longestWord, word.count)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}
