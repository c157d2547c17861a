import Analysis
import Foundation
import IndexFormat

/// A file found under an indexed root.
public struct SourceFile: Sendable {
    public enum Kind: Sendable { case plain, html, docx, pdf, collection }
    /// Absolute path.
    public var path: String
    /// The root it was found under (absolute); DOCIDs of plain files are relative to it.
    public var root: String
    public var size: UInt64
    public var modified: Int64
    public var kind: Kind

    public init(path: String, root: String, size: UInt64, modified: Int64, kind: Kind) {
        (self.path, self.root, self.size, self.modified, self.kind) = (path, root, size, modified, kind)
    }
}

/// A document read from a source file: its metadata and the text to analyse.
public struct SourceDocument {
    public var record: DocumentRecord
    public var text: [UInt8]
}

/// Finds indexable files and turns them into documents.
public enum DocumentSource {
    static let kinds: [String: SourceFile.Kind] = [
        "txt": .plain, "md": .plain, "markdown": .plain, "html": .html, "htm": .html,
        "docx": .docx, "pdf": .pdf, "jsonl": .collection,
    ]

    /// An absolute, symlink-free form of `path`, or nil when it does not exist.
    public static func absolutePath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func fileKind(_ name: String) -> SourceFile.Kind? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        return kinds[name[name.index(after: dot)...].lowercased()]
    }

    /// Every indexable file under `roots` (absolute paths; a root may be a file), sorted by
    /// path. Hidden entries are skipped; symbolic links are followed once (loops are cut).
    /// `skipped` counts files of other kinds.
    public static func walk(roots: [String], skipped: inout Int) -> [SourceFile] {
        var files: [SourceFile] = []
        var visited = Set<[UInt64]>()
        func visit(_ path: String, root: String, depth: Int) {
            var st = stat()
            guard stat(path, &st) == 0 else { return }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                guard depth < 256, visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { return }
                guard let names = try? FileSystem.list(path) else { return }
                for name in names.sorted(by: bytesPrecede) where !name.hasPrefix(".") {
                    visit(path == "/" ? "/" + name : path + "/" + name, root: root, depth: depth + 1)
                }
            } else if (st.st_mode & S_IFMT) == S_IFREG {
                let name = String(path[path.index(after: path.lastIndex(of: "/") ?? path.startIndex)...])
                guard let kind = fileKind(name) else {
                    skipped += 1
                    return
                }
                let modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
                files.append(SourceFile(path: path, root: root, size: UInt64(st.st_size), modified: modified, kind: kind))
            }
        }
        for root in roots {
            let base = FileSystem.isDirectory(root) ? root : FileSystem.parent(of: root)
            visit(root, root: base, depth: 0)
        }
        files.sort { bytesPrecede($0.path, $1.path) }
        return files
    }

    /// Unsigned byte order of two strings' UTF-8, compared with memcmp: a walk sorts every
    /// path, and comparing them a byte at a time through `utf8` was a tenth of its time.
    static func bytesPrecede(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return c != 0 ? c < 0 : x.count < y.count
            }
        }
    }

    /// The title of a plain text: its first Markdown heading, else its first non-empty line
    /// (of the first 200). Lines are judged by their first character that is not white
    /// space, so only a heading or the first non-empty line is ever made a String (making
    /// and trimming every line cost a tenth of a build of small files).
    static func title(of text: [UInt8]) -> String {
        var firstLine: String? = nil
        var lineStart = 0
        var linesSeen = 0
        while lineStart < text.count && linesSeen < 200 {
            var lineEnd = lineStart
            while lineEnd < text.count && text[lineEnd] != 0x0A { lineEnd += 1 }
            let lead = firstNonWhitespace(text, lineStart, lineEnd)
            if lead == "#" || (lead != nil && firstLine == nil) {
                let line = String(decoding: text[lineStart..<lineEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if line.hasPrefix("#") {
                    let heading = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
                    if !heading.isEmpty { return clip(heading) }
                } else if firstLine == nil && !line.isEmpty {
                    firstLine = line
                }
            }
            lineStart = lineEnd + 1
            linesSeen += 1
        }
        return clip(firstLine ?? "")
    }

    /// The first scalar of `text[start..<end]` that `trimmingCharacters(in: .whitespacesAndNewlines)`
    /// would keep, or nil for a blank line (invalid bytes decode to U+FFFD, as String does).
    static func firstNonWhitespace(_ text: [UInt8], _ start: Int, _ end: Int) -> Unicode.Scalar? {
        var i = start
        while i < end {
            let b = text[i]
            if b < 0x80 {
                if b == 0x20 || (b >= 0x09 && b <= 0x0D) { i += 1; continue }
                return Unicode.Scalar(b)
            }
            var decoder = UTF8()
            var bytes = text[i..<end].makeIterator()
            guard case let .scalarValue(scalar) = decoder.decode(&bytes) else { return "\u{FFFD}" }
            guard CharacterSet.whitespacesAndNewlines.contains(scalar) else { return scalar }
            i += UTF8.width(scalar)
        }
        return nil
    }

    static func clip(_ s: String, to limit: Int = 120) -> String {
        s.count > limit ? String(s.prefix(limit)) + "…" : s
    }

    /// The documents of `file` given its bytes (or, for a collection, the bytes of whole
    /// lines starting at `baseOffset`). Collections yield one document per valid JSON line;
    /// lines that are not documents are counted in `badLines`.
    public static func documents(of file: SourceFile, bytes: [UInt8], baseOffset: UInt64 = 0, badLines: inout Int) -> [SourceDocument] {
        var problem: String? = nil
        return documents(of: file, bytes: bytes, baseOffset: baseOffset, badLines: &badLines, problem: &problem)
    }

    /// As above; `problem` says why a file gave no document (e.g. pdftotext is missing).
    public static func documents(of file: SourceFile, bytes: [UInt8], baseOffset: UInt64 = 0, badLines: inout Int,
                                 problem: inout String?) -> [SourceDocument] {
        switch file.kind {
        case .plain, .html, .docx, .pdf:
            let extracted = extract(file.kind, path: file.path, bytes: bytes)
            if let p = extracted.problem {
                problem = p
                return []
            }
            let relative = file.path.hasPrefix(file.root + "/") ? String(file.path.dropFirst(file.root.count + 1)) : file.path
            let format: SourceFormat = switch file.kind {
            case .html: .html
            case .docx: .docx
            case .pdf: .pdf
            default: .plain
            }
            let record = DocumentRecord(
                file: file.path, collectionID: "", docID: relative, title: extracted.title.map { clip($0) } ?? title(of: extracted.text),
                format: format, fileSize: file.size, modified: file.modified, contentHash: ContentHash.hash(bytes),
                sourceOffset: 0, sourceLength: UInt64(bytes.count), length: 0, encoding: extracted.encoding)
            return [SourceDocument(record: withMetadata(record, extracted.text), text: extracted.text)]
        case .collection:
            var result: [SourceDocument] = []
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                let line = Array(bytes[lineStart..<lineEnd])
                if line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) {
                    if let parsed = parseCollectionLine(line) {
                        let record = DocumentRecord(
                            file: file.path, collectionID: parsed.id, docID: parsed.id,
                            title: parsed.title.isEmpty ? title(of: parsed.text) : clip(parsed.title), format: .jsonLine,
                            fileSize: file.size, modified: file.modified, contentHash: ContentHash.hash(line),
                            sourceOffset: baseOffset + UInt64(lineStart), sourceLength: UInt64(line.count), length: 0)
                        result.append(SourceDocument(record: withMetadata(record, parsed.text), text: parsed.text))
                    } else {
                        badLines += 1
                    }
                }
                lineStart = lineEnd + 1
            }
            return result
        }
    }

    /// Parses a BEIR (`_id`, `title`, `text`) or pyserini (`id`, `contents`) line. The text
    /// indexed is the title, a newline and the body.
    static func parseCollectionLine(_ line: [UInt8]) -> (id: String, title: String, text: [UInt8])? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        let id: String
        if let s = object["_id"] as? String ?? object["id"] as? String {
            id = s
        } else if let n = object["_id"] as? NSNumber ?? object["id"] as? NSNumber {
            id = n.stringValue
        } else {
            return nil
        }
        guard !id.isEmpty else { return nil }
        let title = object["title"] as? String ?? ""
        guard let body = object["text"] as? String ?? object["contents"] as? String else { return nil }
        let text = title.isEmpty ? body : title + "\n" + body
        return (id, title, Array(text.utf8))
    }

    /// The record with the date and document number its text states.
    static func withMetadata(_ record: DocumentRecord, _ text: [UInt8]) -> DocumentRecord {
        var r = record
        let bytes = text.count > 16_000 ? Array(text.prefix(8_000) + text.suffix(8_000)) : text
        // The head's scalars straight from the bytes (each invalid byte read as U+FFFD),
        // decoded through a buffer: the standard library's generic decoder over an array
        // iterator was 2% of an index build. The whole text becomes a String only when its
        // tail must be searched too.
        let limit = min(bytes.count, DocumentMetadata.headScalars)
        let head = [Unicode.Scalar](unsafeUninitializedCapacity: limit) { out, count in
            bytes.withUnsafeBufferPointer { buffer in
                var i = 0
                while count < limit && i < buffer.count {
                    let (scalar, length, _) = UTF8Decoding.decode(buffer, at: i)
                    (out.baseAddress! + count).initialize(to: Unicode.Scalar(scalar) ?? "\u{FFFD}")
                    count += 1
                    i += length
                }
            }
        }
        r.date = DocumentMetadata.date(head: head, text: String(decoding: bytes, as: UTF8.self)) ?? ""
        r.docNumber = DocumentMetadata.documentNumber(head: head) ?? ""
        return r
    }

    static func extract(_ kind: SourceFile.Kind, path: String, bytes: [UInt8]) -> ExtractedText {
        switch kind {
        case .html: DocumentFormats.html(bytes)
        case .docx: DocumentFormats.docx(path: path)
        case .pdf: DocumentFormats.pdf(path: path)
        default: DocumentFormats.plain(bytes)
        }
    }

    /// The text of an indexed document, read again from its source (for snippets).
    /// Nil when the source is gone or no longer holds the document.
    public static func text(of record: DocumentRecord) -> [UInt8]? {
        switch record.format {
        case .plain:
            return (try? FileSystem.read(record.file)).map { EncodingDetector.decode($0, as: record.encoding) }
        case .html:
            return (try? FileSystem.read(record.file)).map { DocumentFormats.html($0).text }
        case .docx:
            return DocumentFormats.docx(path: record.file).text
        case .pdf:
            let extracted = DocumentFormats.pdf(path: record.file)
            return extracted.problem == nil ? extracted.text : nil
        case .jsonLine:
            guard let line = try? FileSystem.read(record.file, offset: record.sourceOffset, length: Int(record.sourceLength)),
                  let parsed = parseCollectionLine(line), parsed.id == record.collectionID else { return nil }
            return parsed.text
        }
    }
}

extension DocumentSource {
    /// Cuts a collection file into byte ranges of about `chunkBytes`, each ending after a
    /// newline, so its lines can be analysed on every core.
    static func chunks(ofCollection path: String, chunkBytes: Int) throws -> [Range<UInt64>] {
        let bytes = try FileSystem.read(path)
        var ranges: [Range<UInt64>] = []
        var start = 0
        while start < bytes.count {
            var end = min(bytes.count, start + chunkBytes)
            while end < bytes.count && bytes[end - 1] != 0x0A { end += 1 }
            ranges.append(UInt64(start)..<UInt64(end))
            start = end
        }
        return ranges
    }
}
