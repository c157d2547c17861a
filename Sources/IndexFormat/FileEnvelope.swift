/// Every index file is wrapped the same way (Lucene's codec discipline):
///
///     header:  magic "CZSX" (4 bytes) · kind (4 ASCII bytes) · format version (u32)
///     body
///     footer:  body length (u64) · CRC-32 of header+body (u32) · magic "XSZC" (4 bytes)
///
/// The header tells a foreign or too-new file from a damaged one; the footer tells a
/// truncated or extended file, and the checksum any flipped byte.
public enum FileEnvelope {
    public static let magic: [UInt8] = Array("CZSX".utf8)
    public static let footerMagic: [UInt8] = Array("XSZC".utf8)
    public static let headerSize = 12
    public static let footerSize = 16
    /// The format version of files whose kind does not name its own.
    public static let version: UInt32 = 1

    /// Starts a file image: a writer holding the header, ready for the body.
    /// `reusing`: storage of an earlier image to write into (its contents are dropped), so that
    /// a writer producing image after image does not fault in fresh pages for each one.
    public static func begin(kind: String, version: UInt32 = version, capacity: Int = 0, reusing storage: consuming [UInt8] = []) -> ByteWriter {
        var w = ByteWriter()
        w.bytes = consume storage
        w.bytes.removeAll(keepingCapacity: true)
        w.bytes.reserveCapacity(capacity + headerSize + footerSize)
        w.append(magic)
        w.append(Array(kind.utf8.prefix(4)))
        w.u32(version)
        return w
    }

    /// Appends the footer to an image started by `begin`.
    public static func finish(_ w: inout ByteWriter) -> [UInt8] {
        let crc = CRC32.checksum(w.bytes)
        w.u64(UInt64(w.count - headerSize))
        w.u32(crc)
        w.append(footerMagic)
        return w.bytes
    }

    /// Ends a file streamed through `sink` (which holds the header and body): appends the footer.
    public static func finish(_ sink: FileSink) throws {
        var footer = ByteWriter()
        footer.u64(UInt64(sink.count - headerSize))
        footer.u32(sink.checksum)
        footer.append(footerMagic)
        try sink.append(footer.bytes)
    }

    /// Wraps a body into a complete file image.
    public static func wrap(kind: String, body: [UInt8]) -> [UInt8] {
        var w = begin(kind: kind, capacity: body.count)
        w.append(body)
        return finish(&w)
    }

    /// Checks header and footer (and, when `verifyChecksum`, the CRC) and returns the
    /// body's byte range within `file`.
    public static func open(_ file: UnsafeRawBufferPointer, kind: String, version expected: UInt32 = version, name: String,
                            verifyChecksum: Bool) throws -> Range<Int> {
        let fail = { (reason: String) in CorruptIndexError(file: name, reason: reason) }
        guard file.count >= headerSize + footerSize else { throw fail("file is truncated (\(file.count) bytes)") }
        guard Array(file[0..<4]) == magic else { throw fail("not an index file (bad magic)") }
        guard Array(file[4..<8]) == Array(kind.utf8) else { throw fail("wrong file kind (expected \(kind))") }
        let reader = ByteReader(file, file: name)
        let version = try reader.u32(at: 8)
        guard version == expected else {
            if version < expected { throw OutdatedIndexError(file: name, version: version, current: expected) }
            throw fail("written by a newer version of search (format \(version), this one reads \(expected))")
        }
        let footer = file.count - footerSize
        guard Array(file[(footer + 12)..<(footer + 16)]) == footerMagic else { throw fail("footer missing: file truncated or extended") }
        let bodyLength = try reader.u64(at: footer)
        guard bodyLength == UInt64(footer - headerSize) else { throw fail("length mismatch: file truncated or extended") }
        if verifyChecksum {
            let stored = try reader.u32(at: footer + 8)
            let actual = CRC32.checksum(UnsafeRawBufferPointer(rebasing: file[0..<footer]))
            guard stored == actual else { throw fail("checksum mismatch") }
        }
        return headerSize..<footer
    }
}

/// A file written in an older format than this build reads: not damage, but the index must
/// be rebuilt (the writer does so by itself).
public struct OutdatedIndexError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var version: UInt32
    public var current: UInt32

    public init(file: String, version: UInt32, current: UInt32) {
        self.file = file
        self.version = version
        self.current = current
    }

    public var description: String {
        "index file \(file) was written in format \(version) by an older version of search (this one reads format \(current)); run `search index` to rebuild the index"
    }

    /// The format version in a file's header; nil when it cannot be read or is not an index file.
    public static func version(ofFileAt path: String) -> UInt32? {
        guard let header = try? FileSystem.read(path, offset: 0, length: FileEnvelope.headerSize),
              header.count == FileEnvelope.headerSize, Array(header[0..<4]) == FileEnvelope.magic else { return nil }
        return header.withUnsafeBytes { try? ByteReader($0, file: path).u32(at: 8) }
    }
}
