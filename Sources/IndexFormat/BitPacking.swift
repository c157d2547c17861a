/// Fixed-width bit packing of blocks of `blockSize` integers, least significant bits
/// first: the postings' document deltas and frequencies. A block of width w takes
/// `blockSize * w / 8` bytes.
public enum BitPacking {
    public static let blockSize = 128

    /// Bits needed for the largest value.
    @inline(__always)
    public static func width(_ values: [UInt32]) -> Int {
        var all: UInt32 = 0
        for v in values { all |= v }
        return all == 0 ? 0 : 32 - all.leadingZeroBitCount
    }

    public static func byteCount(width: Int) -> Int { blockSize * width / 8 }

    /// Appends `blockSize` values packed at `width` bits.
    public static func pack(_ values: [UInt32], width: Int, into w: inout ByteWriter) {
        precondition(values.count == blockSize)
        guard width > 0 else { return }
        var accumulator: UInt64 = 0
        var bits = 0
        for v in values {
            accumulator |= UInt64(v) << UInt64(bits)
            bits += width
            while bits >= 8 {
                w.u8(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
    }

    /// Reads a block packed at `width` bits into `out` (which holds `blockSize` values).
    /// The block's extent is checked once; the loop reads without further checks.
    @inline(__always)
    public static func unpack(_ r: inout ByteReader, width: Int, into out: UnsafeMutablePointer<UInt32>) throws {
        guard width <= 32 else { throw r.corrupt("bit width \(width) out of range") }
        if width == 0 {
            out.update(repeating: 0, count: blockSize)
            return
        }
        let block = try r.bytes(byteCount(width: width))
        let mask: UInt64 = (1 << UInt64(width)) - 1
        var accumulator: UInt64 = 0
        var bits = 0
        var p = 0
        for i in 0..<blockSize {
            while bits < width {
                accumulator |= UInt64(block[p]) << UInt64(bits)
                p += 1
                bits += 8
            }
            out[i] = UInt32(truncatingIfNeeded: accumulator & mask)
            accumulator >>= UInt64(width)
            bits -= width
        }
    }
}
