import IndexFormat

/// How a document's text is obtained from its source file (needed again for snippets).
public enum SourceFormat: UInt8, Sendable {
    /// The whole file is the text (`.txt`, `.md`).
    case plain = 0
    /// One line of a `.jsonl` collection: BEIR `{"_id","title","text"}` or pyserini `{"id","contents"}`.
    case jsonLine = 1
    /// The visible text of an HTML page.
    case html = 2
    /// The body of a Word document.
    case docx = 3
    /// A PDF through pdftotext.
    case pdf = 4
}

/// What the index stores per document.
public struct DocumentRecord: Sendable, Equatable {
    /// Absolute path of the source file.
    public var file: String
    /// The document's id inside a `.jsonl` collection; empty for a plain file.
    public var collectionID: String
    /// The identifier written in TREC runs: the collection id, or the path relative to the indexed root.
    public var docID: String
    public var title: String
    public var format: SourceFormat
    /// Size and modification time (ns since 1970) of the source file when it was indexed.
    public var fileSize: UInt64
    public var modified: Int64
    /// Content hash of the document's bytes (the file, or its line).
    public var contentHash: UInt64
    /// Where the document's bytes are inside the file (a line of a collection).
    public var sourceOffset: UInt64
    public var sourceLength: UInt64
    /// Number of tokens, the length BM25 normalises by.
    public var length: UInt32
    /// The character encoding the source was in (UTF-8, GB18030, Big5, UTF-16LE/BE).
    public var encoding: String
    /// The date the document states (ISO 8601, "2020-03-05"), or empty.
    public var date: String = ""
    /// The document number (文號) it states, as written, or empty.
    public var docNumber: String = ""

    public init(file: String, collectionID: String, docID: String, title: String, format: SourceFormat,
                fileSize: UInt64, modified: Int64, contentHash: UInt64, sourceOffset: UInt64,
                sourceLength: UInt64, length: UInt32, encoding: String = "UTF-8") {
        self.encoding = encoding
        self.file = file
        self.collectionID = collectionID
        self.docID = docID
        self.title = title
        self.format = format
        self.fileSize = fileSize
        self.modified = modified
        self.contentHash = contentHash
        self.sourceOffset = sourceOffset
        self.sourceLength = sourceLength
        self.length = length
    }

    /// The document's path: the file, or `FILE#ID` for a line of a collection.
    public var path: String { collectionID.isEmpty ? file : file + "#" + collectionID }

    /// `file` cut after its last "/": the directory (with the slash; "" for none) and the name.
    static func split(_ file: String) -> (directory: Substring, name: Substring) {
        guard let slash = file.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", Substring(file)) }
        let cut = file.utf8.index(after: slash)
        return (file[..<cut], file[cut...])
    }

    /// Writes the record; `directory` gives the number under which the segment stores the
    /// directory part of `file` (one copy for all the files of a folder). The DOCID is written
    /// as a tag: 0 and the string, 1 when it is the collection id, or 2 + n when it is the
    /// last n bytes of the file's path (a plain file's path relative to the indexed folder).
    /// UTF-8, the usual encoding, is written as an empty string.
    func encode(into w: inout ByteWriter, directory: (Substring) -> Int) {
        let (dir, name) = Self.split(file)
        w.varint(directory(dir))
        w.string(String(name))
        w.string(collectionID)
        if !docID.isEmpty && docID == collectionID {
            w.varint(1)
        } else if !docID.isEmpty && file.utf8.count >= docID.utf8.count && file.utf8.reversed().starts(with: docID.utf8.reversed()) {
            w.varint(2 + docID.utf8.count)
        } else {
            w.varint(0)
            w.string(docID)
        }
        w.string(title)
        w.u8(format.rawValue)
        w.varint(fileSize)
        w.u64(UInt64(bitPattern: modified))
        w.u64(contentHash)
        w.varint(sourceOffset)
        w.varint(sourceLength)
        w.varint(UInt64(length))
        w.string(encoding == "UTF-8" ? "" : encoding)
        w.string(date)
        w.string(docNumber)
    }

    /// Reads what `encode` wrote; `directory` returns the directory stored under a number.
    static func decode(_ r: inout ByteReader, directory: (Int) throws -> String) throws -> DocumentRecord {
        let file = try directory(try r.varint(max: Int(UInt32.max))) + r.string()
        let collectionID = try r.string()
        let docID: String
        switch try r.varint(max: file.utf8.count + 2) {
        case 0: docID = try r.string()
        case 1: docID = collectionID
        case let tag: docID = String(decoding: file.utf8.suffix(tag - 2), as: UTF8.self)
        }
        let title = try r.string()
        guard let format = SourceFormat(rawValue: try r.u8()) else { throw r.corrupt("unknown source format") }
        let fileSize = try r.varint()
        let modified = Int64(bitPattern: try r.u64())
        let contentHash = try r.u64()
        let sourceOffset = try r.varint()
        let sourceLength = try r.varint()
        let length = try r.varint(max: Int(UInt32.max))
        let encoding = try r.string()
        let date = try r.string()
        let docNumber = try r.string()
        var record = DocumentRecord(file: file, collectionID: collectionID, docID: docID, title: title, format: format,
                              fileSize: fileSize, modified: modified, contentHash: contentHash,
                              sourceOffset: sourceOffset, sourceLength: sourceLength, length: UInt32(length),
                              encoding: encoding.isEmpty ? "UTF-8" : encoding)
        record.date = date
        record.docNumber = docNumber
        return record
    }
}

/// A fast non-cryptographic 64-bit content hash (8 bytes a step, multiply-xorshift mixing).
public enum ContentHash {
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        @inline(__always) func mix(_ v: UInt64) -> UInt64 {
            var x = v
            x ^= x >> 32
            x &*= 0xD6E8_FEB8_6659_FD93
            x ^= x >> 32
            return x
        }
        while i + 8 <= n {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ mix(w)) &* 0x9FB2_1C65_1E98_DF25
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ mix(tail ^ 0xFF)) &* 0x9FB2_1C65_1E98_DF25
        return mix(h)
    }

    public static func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { hash($0) } }
}
