import Analysis
import ArgumentParser
import Foundation

extension SearchCommand {
    struct Segment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut text into words as the index cuts documents (ICU, plus a user dictionary), or score the cut against a gold standard.",
            discussion: """
            Reads FILE (or stdin) a line at a time and prints each line's words separated by \
            single spaces. With --gold, prints precision, recall and F1 the way the SIGHAN \
            bakeoffs score them (words as character spans; punctuation counts as words), and \
            with --training-words the out-of-vocabulary rate and recall. Example, on the SIGHAN \
            2005 PKU test set with its training words as the dictionary:
              search segment --dict pku_training_words.utf8 --gold pku_test_gold.utf8 \
            --training-words pku_training_words.utf8 pku_test.utf8
            """
        )

        @Option(name: .long, help: "A dictionary file: one word a line (the first field counts).")
        var dict: String?

        @Option(name: .long, help: "Gold segmentation (words separated by white space) to score against.")
        var gold: String?

        @Option(name: .long, help: "Training word list defining out-of-vocabulary words (with --gold).")
        var trainingWords: String?

        @Flag(name: .long, help: "Leave the dictionary's words and the terms unfolded (to measure what folding costs).")
        var noSimplify = false

        @Flag(name: .long, help: "Cut as queries are: folded to Simplified before ICU (documents are cut as written).")
        var query = false

        // Costs of the dictionary cut, for tuning experiments.
        @Option(name: .long, help: .hidden) var icuWordCost: Float?
        @Option(name: .long, help: .hidden) var loneCost: Float?
        @Option(name: .long, help: .hidden) var agreedCost: Float?

        @Argument(help: "Text file (default: stdin).")
        var file: String?

        func run() throws {
            let simplify = !noSimplify
            var dictionary: UserDictionary? = nil
            if let dict {
                guard let bytes = FileManager.default.contents(atPath: dict) else { throw UserError("\(dict): cannot read") }
                dictionary = UserDictionary.parse(Array(bytes), normalizer: Normalizer(folder: CharacterFolder(simplify: simplify)))
            }
            let analyzer = try Analyzer(dictionary: dictionary, script: query ? .folded : .own, simplify: simplify)
            if let icuWordCost { analyzer.dictionaryCosts.icuWord = icuWordCost }
            if let loneCost { analyzer.dictionaryCosts.lone = loneCost }
            if let agreedCost { analyzer.dictionaryCosts.agreed = agreedCost }

            let input: String
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw UserError("\(file): cannot read") }
                input = text
            } else {
                input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            var system: [Substring] = []
            var out = ""
            for line in input.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                let words = Self.words(of: String(line), analyzer: analyzer)
                if gold == nil {
                    out += words.joined(separator: " ")
                    out += "\n"
                    if out.utf8.count > 1 << 16 {
                        FileHandle.standardOutput.write(Data(out.utf8))
                        out = ""
                    }
                } else {
                    system.append(contentsOf: words)
                }
            }
            guard let gold else {
                FileHandle.standardOutput.write(Data(out.utf8))
                return
            }
            guard let goldText = try? String(contentsOfFile: gold, encoding: .utf8) else { throw UserError("\(gold): cannot read") }
            let goldWords = goldText.split(whereSeparator: { $0.isWhitespace || $0 == "\u{FEFF}" })
            var known: Set<Substring>? = nil
            if let trainingWords {
                guard let text = try? String(contentsOfFile: trainingWords, encoding: .utf8) else { throw UserError("\(trainingWords): cannot read") }
                known = Set(text.split(whereSeparator: { $0.isWhitespace || $0 == "\u{FEFF}" }))
            }
            let score = SegmentationScore(gold: goldWords, system: system, knownWords: known)
            func f(_ x: Double) -> String { String(format: "%.3f", x) }
            var line = "P \(f(score.precision))  R \(f(score.recall))  F1 \(f(score.f1))  words gold \(score.goldWords) system \(score.systemWords)"
            if known != nil { line += "  OOV rate \(f(score.oovRate)) recall \(f(score.oovRecall))" }
            print(line)
        }

        /// The words of one line as the analyzer cuts it, as pieces of the original line;
        /// white space is dropped, punctuation stays as words.
        static func words(of line: String, analyzer: Analyzer) -> [Substring] {
            var text = line
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            let normalized = analyzer.normalize(text)
            let utf8 = Array(text.utf8)
            // Original byte ranges; one original character that folds into several (… into
            // ...) may be cut inside: such pieces join into one word.
            var ranges: [Range<Int>] = []
            for segment in analyzer.segments(of: normalized) {
                let range = normalized.originalRange(segment.start, segment.end)
                if let last = ranges.last, range.lowerBound < last.upperBound {
                    ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
                } else {
                    ranges.append(range)
                }
            }
            return ranges.compactMap { range in
                let word = String(decoding: utf8[range], as: UTF8.self)
                return word.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) ? nil : Substring(word)
            }
        }
    }
}
