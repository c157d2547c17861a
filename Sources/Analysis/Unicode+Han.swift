/// Character classes the analysis chain needs, decided on Unicode scalar values.
public enum CharClass {
    /// Han ideographs (CJK Unified Ideographs, extensions A–H, compatibility ideographs)
    /// and 〇. These are indexed character by character (see `Analyzer`).
    @inline(__always)
    public static func isHan(_ v: UInt32) -> Bool {
        switch v {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x323AF, 0xF900...0xFAFF,
             0x2F800...0x2FA1F, 0x3007:
            return true
        default:
            return false
        }
    }

    /// CJK unified ideographs of the basic block and extension A: NFKC case folding leaves
    /// them as they are, so only Traditional→Simplified can change them.
    @inline(__always)
    public static func isBasicHan(_ v: UInt32) -> Bool {
        (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3400 && v <= 0x4DBF)
    }

    /// Places where a text may be cut into segmentation windows without splitting a word:
    /// white space and punctuation (after NFKC folding most full-width punctuation is ASCII).
    @inline(__always)
    public static func isWindowBreak(_ v: UInt32) -> Bool {
        if v < 0x80 {
            let b = UInt8(v)
            let isDigit = b >= 0x30 && b <= 0x39
            let isLetter = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
            return !(isDigit || isLetter)
        }
        switch v {
        case 0x2000...0x206F, 0x3000...0x3006, 0x3008...0x303F, 0xFF01...0xFF0F,
             0xFF1A...0xFF20, 0xFF3B...0xFF40, 0xFF5B...0xFF65:
            return true
        default:
            return false
        }
    }
}

/// Minimal UTF-8 decoding over byte buffers, with invalid sequences reported rather than
/// trapped on. Used where `String` would cost an allocation per character.
public enum UTF8Decoding {
    public static let replacement: UInt32 = 0xFFFD

    /// Decodes the scalar starting at `i`. Returns the scalar (U+FFFD for an invalid
    /// sequence) and its length in bytes (at least 1), and whether it was valid.
    @inline(__always)
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int, valid: Bool) {
        let n = bytes.count
        let b0 = bytes[i]
        if b0 < 0x80 { return (UInt32(b0), 1, true) }
        @inline(__always) func cont(_ k: Int) -> UInt32? {
            guard i + k < n else { return nil }
            let b = bytes[i + k]
            return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
        }
        if b0 >= 0xC2 && b0 <= 0xDF {
            if let c1 = cont(1) { return ((UInt32(b0 & 0x1F) << 6) | c1, 2, true) }
        } else if b0 >= 0xE0 && b0 <= 0xEF {
            if let c1 = cont(1), let c2 = cont(2) {
                let v = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
                if v >= 0x800 && !(0xD800...0xDFFF).contains(v) { return (v, 3, true) }
            }
        } else if b0 >= 0xF0 && b0 <= 0xF4 {
            if let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
                let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
                if v >= 0x10000 && v <= 0x10FFFF { return (v, 4, true) }
            }
        }
        return (replacement, 1, false)
    }

    /// Writes `v` as UTF-8 at `out + offset` (room for four bytes needed); returns the
    /// offset past it.
    @inline(__always)
    public static func put(_ v: UInt32, into out: UnsafeMutablePointer<UInt8>, at offset: Int) -> Int {
        let p = out + offset
        if v < 0x80 {
            p[0] = UInt8(v)
            return offset + 1
        } else if v < 0x800 {
            p[0] = UInt8(0xC0 | (v >> 6))
            p[1] = UInt8(0x80 | (v & 0x3F))
            return offset + 2
        } else if v < 0x10000 {
            p[0] = UInt8(0xE0 | (v >> 12))
            p[1] = UInt8(0x80 | ((v >> 6) & 0x3F))
            p[2] = UInt8(0x80 | (v & 0x3F))
            return offset + 3
        } else {
            p[0] = UInt8(0xF0 | (v >> 18))
            p[1] = UInt8(0x80 | ((v >> 12) & 0x3F))
            p[2] = UInt8(0x80 | ((v >> 6) & 0x3F))
            p[3] = UInt8(0x80 | (v & 0x3F))
            return offset + 4
        }
    }

    @inline(__always)
    public static func append(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Number of bytes of a scalar's UTF-8 encoding.
    @inline(__always)
    public static func encodedLength(_ v: UInt32) -> Int {
        v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4
    }

    /// Number of bytes of the character a (valid) UTF-8 lead byte starts.
    @inline(__always)
    public static func encodedLength(leadByte b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }
}
