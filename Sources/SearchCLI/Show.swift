import ArgumentParser
import Foundation
import Index
import Search

extension SearchCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a document's stored metadata and its text without pronunciation annotations.",
            discussion: "DOCUMENT is a path (as listed in results), `FILE#ID` for a line of a collection, or a DOCID."
        )

        @OptionGroup var location: IndexLocation

        @Flag(name: .long, help: "Print the metadata only.")
        var metadataOnly = false

        @Argument(help: "The document.")
        var document: String

        func run() throws {
            let reader = try openIndex(location)
            let wanted = DocumentSource.absolutePath(document) ?? document
            var found: DocumentRecord? = nil
            try reader.forEachDocument { _, _, record in
                if found == nil && (record.path == wanted || record.path == document || record.docID == document
                                    || displayPath(record.path) == document) { found = record }
            }
            guard let record = found else { throw UserError("\(document) is not in the index (see `search stats` for its roots)") }
            let modified = Date(timeIntervalSince1970: Double(record.modified) / 1e9)
            print("path: \(displayPath(record.path))")
            print("docid: \(record.docID)")
            print("title: \(record.title)")
            print("size: \(record.fileSize) bytes, modified \(ISO8601DateFormatter().string(from: modified))")
            print("tokens: \(record.length)")
            print("format: \(record.format), encoding: \(record.encoding)")
            if !record.date.isEmpty { print("date: \(record.date)") }
            if !record.docNumber.isEmpty { print("document number: \(record.docNumber)") }
            print(String(format: "content hash: %016llx", record.contentHash))
            guard !metadataOnly else { return }
            guard let text = DocumentSource.text(of: record) else { throw UserError("\(record.file) can no longer be read") }
            let searcher = try Searcher(reader: reader)
            let normalized = text.withUnsafeBufferPointer { searcher.analyzer.normalizer.normalize($0) }
            if normalized.annotationsRemoved > 0 { print("pronunciation annotations removed: \(normalized.annotationsRemoved)") }
            print("")
            let clean = SnippetMaker.render(text, normalized: normalized, from: 0, to: normalized.bytes.count, flattenLines: false)
            print(String(decoding: clean, as: UTF8.self))
        }
    }
}
