/// A damaged or foreign index file. Decoding never traps on bad bytes: it throws this.
public struct CorruptIndexError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        "index file \(file) is corrupt: \(reason); run `search index --rebuild` to recreate the index from the documents"
    }
}

/// Appends little-endian integers, LEB128 varints and length-prefixed strings.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inlinable public var count: Int { bytes.count }

    @inlinable @inline(__always)
    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inlinable @inline(__always)
    public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    /// Bytes `varint(value)` writes.
    @inlinable @inline(__always)
    public static func varintSize(_ value: UInt64) -> Int { max(1, (64 - value.leadingZeroBitCount + 6) / 7) }

    @inlinable @inline(__always)
    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    @inlinable
    public mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func f64(_ value: Double) { u64(value.bitPattern) }

    public mutating func string(_ value: String) {
        var v = value
        v.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    @inlinable
    public mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Overwrites four bytes written earlier (a checksum reserved before its data).
    public mutating func patchU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }

    /// CRC-32 of the bytes from `offset` to the end.
    public func checksum(from offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
    }
}

/// Reads what `ByteWriter` wrote from a borrowed buffer, checking every bound.
/// The buffer must outlive the reader (it is a view into a mapped file or an array).
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var offset: Int
    public let file: String

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0, file: String) {
        self.buffer = buffer
        self.offset = offset
        self.file = file
    }

    public var isAtEnd: Bool { offset >= buffer.count }
    public var remaining: Int { buffer.count - offset }

    public func corrupt(_ reason: String) -> CorruptIndexError {
        CorruptIndexError(file: file, reason: reason)
    }

    @inline(__always)
    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < buffer.count else { throw corrupt("varint runs past the end at byte \(offset)") }
            let b = buffer[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw corrupt("varint too long at byte \(offset)") }
        }
    }

    /// A varint that must fit in `Int` and be at most `limit`.
    @inline(__always)
    public mutating func varint(max limit: Int) throws -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw corrupt("value \(v) out of range (max \(limit)) at byte \(offset)") }
        return Int(v)
    }

    public mutating func u8() throws -> UInt8 {
        guard offset < buffer.count else { throw corrupt("unexpected end at byte \(offset)") }
        defer { offset += 1 }
        return buffer[offset]
    }

    public mutating func u32() throws -> UInt32 {
        guard offset + 4 <= buffer.count else { throw corrupt("unexpected end at byte \(offset)") }
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public mutating func u64() throws -> UInt64 {
        guard offset + 8 <= buffer.count else { throw corrupt("unexpected end at byte \(offset)") }
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    public mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

    public mutating func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, offset + count <= buffer.count else { throw corrupt("a field of \(count) bytes runs past the end at byte \(offset)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }

    public mutating func string() throws -> String {
        let n = try varint(max: buffer.count)
        let raw = try bytes(n)
        return String(decoding: raw, as: UTF8.self)
    }

    /// A little-endian UInt32 at an absolute position, bounds-checked.
    @inline(__always)
    public func u32(at position: Int) throws -> UInt32 {
        guard position >= 0, position + 4 <= buffer.count else { throw corrupt("read at \(position) out of bounds") }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    /// A u64 at an absolute position that must be an offset no larger than `limit`.
    @inline(__always)
    public func offset(at position: Int, limit: Int) throws -> Int {
        let v = try u64(at: position)
        guard v <= UInt64(limit) else { throw corrupt("offset \(v) at \(position) beyond \(limit)") }
        return Int(v)
    }

    @inline(__always)
    public func u64(at position: Int) throws -> UInt64 {
        guard position >= 0, position + 8 <= buffer.count else { throw corrupt("read at \(position) out of bounds") }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
}

/// Varint streams walked without decoding them: every varint ends in its one byte below
/// 0x80, so eight bytes at a time are counted with one mask and a population count. A merge
/// copies position streams whole and needs only where their documents' positions begin.
public enum VarintScan {
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// How many varints end in `bytes`.
    public static func count(_ bytes: UnsafeRawBufferPointer) -> Int {
        var n = 0, i = 0
        while i + 8 <= bytes.count {
            n += (~bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits).nonzeroBitCount
            i += 8
        }
        while i < bytes.count {
            if bytes[i] < 0x80 { n += 1 }
            i += 1
        }
        return n
    }

    /// The offset just past the `n`th varint of `bytes` (0 for n = 0), nil when fewer end there.
    public static func offset(after n: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard n > 0 else { return 0 }
        var left = n, i = 0
        while i + 8 <= bytes.count {
            let ends = (~bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits).nonzeroBitCount
            if ends >= left { break }
            left -= ends
            i += 8
        }
        while i < bytes.count {
            if bytes[i] < 0x80 {
                left -= 1
                if left == 0 { return i + 1 }
            }
            i += 1
        }
        return nil
    }
}

/// Varints written through a pointer without a branch on their length: the length of a
/// position delta (one byte or two, about evenly) is unpredictable, and a mispredicted
/// branch a position was most of what encoding positions cost. Each value is spread into
/// 7-bit groups and stored as one 4-byte word, so the destination needs 4 bytes of room
/// past every varint; values of 2^28 and more (never positions) take the loop.
public enum VarintWriter {
    /// Most bytes `put` writes or touches for one value.
    public static let maxBytes = 5

    @inlinable @inline(__always)
    public static func put(_ value: UInt32, at out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if value >= 1 << 28 {
            var v = value, p = out
            while v >= 0x80 {
                p.pointee = UInt8(truncatingIfNeeded: v) | 0x80
                p += 1
                v >>= 7
            }
            p.pointee = UInt8(v)
            return p + 1
        }
        let spread = (value & 0x7F) | (value & 0x3F80) << 1 | (value & 0x1F_C000) << 2 | (value & 0xFE0_0000) << 3
        let bits = 32 - value.leadingZeroBitCount
        let length = max(1, (bits + 6) / 7)
        let continuation = UInt32(0x0080_8080) & (UInt32(1) << UInt32(8 * (length - 1)) &- 1)
        UnsafeMutableRawPointer(out).storeBytes(of: (spread | continuation).littleEndian, as: UInt32.self)
        return out + length
    }
}

/// A growable byte buffer owned through a pointer: what `VarintWriter` writes into, with the
/// room it needs past the bytes written. Reused from term to term.
public final class ScratchBytes {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var capacity: Int

    public init(capacity: Int = 1 << 12) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `count` bytes (contents are not kept).
    @inline(__always)
    public func reserve(_ count: Int) {
        guard count > capacity else { return }
        base.deallocate()
        capacity = max(count, 2 * capacity)
        base = .allocate(capacity: capacity)
    }
}
