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
        // One copy of the loop per width, so each runs with its width a constant (shifts and
        // masks fixed, loop unrollable).
        switch width {
        case 1: unpack(block, 1, out)
        case 2: unpack(block, 2, out)
        case 3: unpack(block, 3, out)
        case 4: unpack(block, 4, out)
        case 5: unpack(block, 5, out)
        case 6: unpack(block, 6, out)
        case 7: unpack(block, 7, out)
        case 8: unpack(block, 8, out)
        case 9: unpack(block, 9, out)
        case 10: unpack(block, 10, out)
        case 11: unpack(block, 11, out)
        case 12: unpack(block, 12, out)
        case 13: unpack(block, 13, out)
        case 14: unpack(block, 14, out)
        case 15: unpack(block, 15, out)
        case 16: unpack(block, 16, out)
        case 17: unpack(block, 17, out)
        case 18: unpack(block, 18, out)
        case 19: unpack(block, 19, out)
        case 20: unpack(block, 20, out)
        case 21: unpack(block, 21, out)
        case 22: unpack(block, 22, out)
        case 23: unpack(block, 23, out)
        case 24: unpack(block, 24, out)
        default: unpack(block, width, out)
        }
    }

    @inline(__always)
    static func unpack(_ block: UnsafeRawBufferPointer, _ width: Int, _ out: UnsafeMutablePointer<UInt32>) {
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
