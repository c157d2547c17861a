import Analysis
import ArgumentParser
import Foundation
import Index

extension SearchCommand {
    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how a text is analysed: the normalised text and every token.",
            discussion: """
            Like Elasticsearch's _analyze. Texts come from the arguments, or one a line from \
            stdin. --json prints one object a line: {"text": NORMALISED, "tokens": [{"term", \
            "position", "start", "end", "kind"}]}, start and end being UTF-8 byte offsets into \
            the input text and kind one of word, subword, number, latin. Texts are cut with \
            the index's user dictionary, or with --dict FILE, and as documents are: ICU \
            reads Traditional text as written. --query cuts them as queries are, folded to \
            Simplified first (the words of a Traditional text may differ; the bigrams never do).
            """
        )

        @Flag(name: .long, help: "One JSON object a line.")
        var json = false

        @Flag(name: .long, help: "Cut the texts as queries are (folded to Simplified before ICU).")
        var query = false

        @OptionGroup var location: IndexLocation

        @Option(name: .long, help: ArgumentHelp("A dictionary file to cut with instead of the index's.", valueName: "file"))
        var dict: String?

        @Argument(help: "Texts to analyse (default: one a line from stdin).")
        var texts: [String] = []

        func run() throws {
            let analyzer = try Analyzer(dictionary: try loadDictionary(dict, index: location), script: query ? .folded : .own)
            var inputs = texts
            if inputs.isEmpty {
                while let line = readLine(strippingNewline: true) { inputs.append(line) }
            }
            for text in inputs {
                let analyzed = analyzer.analyze(text)
                if json {
                    let tokens = analyzed.tokens.map { t in
                        JSON.object([
                            ("term", JSON.string(analyzed.term(t))),
                            ("position", "\(t.position)"),
                            ("start", "\(t.start)"),
                            ("end", "\(t.end)"),
                            ("kind", JSON.string(t.kind.description)),
                        ])
                    }
                    print(JSON.object([("text", JSON.string(analyzed.normalized.string)), ("tokens", "[" + tokens.joined(separator: ",") + "]")]))
                } else {
                    print(analyzed.normalized.string)
                    let bytes = Array(text.utf8)
                    for t in analyzed.tokens {
                        let original = String(decoding: bytes[Int(t.start)..<Int(t.end)], as: UTF8.self)
                        print("  \(t.position)\t\(analyzed.term(t))\t\(t.kind)\t\(t.start)..<\(t.end)\t\(original)")
                    }
                }
            }
        }
    }
}

/// The dictionary a tool should cut text with: the file given, else the index's own copy
/// (what its queries use), else none.
func loadDictionary(_ path: String?, index: IndexLocation) throws -> UserDictionary? {
    if let path {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw UserError("\(path): cannot read") }
        return UserDictionary.parse(Array(bytes), normalizer: Normalizer())
    }
    guard IndexReader.exists(directory: index.index) else { return nil }
    do {
        return try IndexReader.open(directory: index.index).dictionary
    } catch {
        throw UserError(String(describing: error))
    }
}
