import CICUShim

/// The Traditional→Simplified table, parsed once from the generated pairs.
let traditionalToSimplified: [UInt32: UInt32] = {
    var table: [UInt32: UInt32] = [:]
    var pending: UInt32? = nil
    for scalar in traditionalToSimplifiedPairs.unicodeScalars where scalar.value != 0x0A {
        if let from = pending {
            table[from] = scalar.value
            pending = nil
        } else {
            pending = scalar.value
        }
    }
    return table
}()

/// Folds one character at a time: NFKC case folding (ICU's nfkc_cf: full-width forms to
/// ASCII, Latin lower-cased, compatibility forms decomposed, default-ignorables removed),
/// then Traditional→Simplified through a per-character table generated from ICU's
/// `Traditional-Simplified` rules.
///
/// Folding per character (rather than per string) keeps a one-to-many map from every
/// output character back to exactly one input character, which is what token offsets
/// need. Results are cached per code point; a cache belongs to one thread.
public final class CharacterFolder {
    private static let unknown: UInt32 = 0xFFFF_FFFF
    private static let multiple: UInt32 = 0xFFFF_FFFE
    private static let directLimit = 0x32000

    /// Single-scalar results for code points below `directLimit`; `unknown` until computed.
    private var direct: [UInt32]
    /// Results that are not exactly one scalar, and code points above `directLimit`.
    private var other: [UInt32: [UInt32]] = [:]

    /// Whether Traditional characters fold to Simplified (off only to measure segmentation
    /// on unfolded text; the index always folds).
    public let simplify: Bool

    public init(simplify: Bool = true) {
        self.simplify = simplify
        direct = [UInt32](repeating: Self.unknown, count: Self.directLimit)
    }

    /// Appends the folded form of `scalar` to `out`.
    @inline(__always)
    public func fold(_ scalar: UInt32, into out: inout [UInt32]) {
        if let single = foldedScalar(scalar) {
            out.append(single)
        } else {
            out.append(contentsOf: foldedScalars(scalar))
        }
    }

    /// The folded form of `scalar` when it is exactly one scalar below `directLimit` (most
    /// characters), else nil: then `fold(_:into:)` gives it. Spares the caller an array on
    /// the common path.
    @inline(__always)
    public func foldedScalar(_ scalar: UInt32) -> UInt32? {
        if scalar < 0x80 { return scalar >= 0x41 && scalar <= 0x5A ? scalar + 0x20 : scalar }
        guard Int(scalar) < Self.directLimit else { return nil }
        if direct[Int(scalar)] == Self.unknown {
            let folded = compute(scalar)
            if folded.count == 1 {
                direct[Int(scalar)] = folded[0]
            } else {
                direct[Int(scalar)] = Self.multiple
                other[scalar] = folded
            }
        }
        let cached = direct[Int(scalar)]
        return cached < Self.multiple ? cached : nil
    }

    /// The fold of a scalar `foldedScalar` leaves out (several scalars, or a code point past
    /// `directLimit`), computed once.
    private func foldedScalars(_ scalar: UInt32) -> [UInt32] {
        if let folded = other[scalar] { return folded }
        let folded = compute(scalar)
        other[scalar] = folded
        return folded
    }

    /// Folds a whole string (for tests and tools; the analyzer folds per character).
    public func fold(_ text: String) -> String {
        var scalars: [UInt32] = []
        for s in text.unicodeScalars { fold(s.value, into: &scalars) }
        var result = String.UnicodeScalarView()
        for v in scalars { if let s = Unicode.Scalar(v) { result.append(s) } }
        return String(result)
    }

    private func compute(_ scalar: UInt32) -> [UInt32] {
        // CJK unified ideographs (the basic block and extension A) have no compatibility
        // decomposition and no case: NFKC case folding leaves them as they are (a test checks
        // every one against ICU). Skipping ICU for them makes a fresh process's first
        // documents fold several times faster.
        if CharClass.isBasicHan(scalar) {
            return [simplify ? traditionalToSimplified[scalar] ?? scalar : scalar]
        }
        return computeWithICU(scalar)
    }

    /// NFKC case folding through ICU, then Traditional→Simplified.
    func computeWithICU(_ scalar: UInt32) -> [UInt32] {
        var input: [UInt16] = []
        if scalar < 0x10000 {
            input.append(UInt16(scalar))
        } else {
            let v = scalar - 0x10000
            input.append(UInt16(0xD800 + (v >> 10)))
            input.append(UInt16(0xDC00 + (v & 0x3FF)))
        }
        var output = [UInt16](repeating: 0, count: 32)
        let written = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { inp in
                cicu_nfkc_casefold(inp.baseAddress, Int32(inp.count), out.baseAddress, Int32(out.count))
            }
        }
        let units: ArraySlice<UInt16>
        if written < 0 || written > 32 {
            units = input[...]  // ICU failed or the expansion is absurd: keep the character.
        } else {
            units = output[0..<Int(written)]
        }
        var result: [UInt32] = []
        for s in String(decoding: Array(units), as: UTF16.self).unicodeScalars {
            result.append(simplify ? traditionalToSimplified[s.value] ?? s.value : s.value)
        }
        return result
    }
}
