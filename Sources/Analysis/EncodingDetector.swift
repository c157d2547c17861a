import CICUShim

/// Turns the bytes of a document into UTF-8. Valid UTF-8 (with or without a byte-order
/// mark) is taken as it is; otherwise ICU's charset detection guesses among the encodings
/// older Chinese government files use (GB18030 and its subsets GBK/GB2312, Big5) and
/// UTF-16, and converts. Anything else stays as it was, to be decoded with replacement
/// characters (and reported).
public enum EncodingDetector {
    public struct Decoded {
        public var utf8: [UInt8]
        /// The encoding the bytes were in ("UTF-8", "GB18030", "Big5", "UTF-16LE", …).
        public var encoding: String
    }

    /// Charsets accepted from the detector, by ICU's name.
    static let accepted: Set<String> = ["GB18030", "Big5"]

    public static func decode(_ bytes: [UInt8]) -> Decoded {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if isValidUTF8(body) { return Decoded(utf8: Array(body), encoding: "UTF-8") }
        // UTF-16 only with its byte-order mark: guessing it turns binary files into Han text.
        for (bom, charset) in [([UInt8(0xFF), 0xFE], "UTF-16LE"), ([0xFE, 0xFF], "UTF-16BE")] where bytes.starts(with: bom) {
            if let converted = convert(Array(bytes.dropFirst(2)), from: charset) { return Decoded(utf8: converted, encoding: charset) }
        }
        // Binary files (NUL bytes) are not text in any of these encodings.
        if !bytes.prefix(8192).contains(0), let charset = detect(bytes), let converted = convert(bytes, from: charset) {
            return Decoded(utf8: converted, encoding: charset)
        }
        return Decoded(utf8: bytes, encoding: "UTF-8")
    }

    /// Decodes bytes known to be in `encoding` (as `decode` reported it).
    public static func decode(_ bytes: [UInt8], as encoding: String) -> [UInt8] {
        if encoding == "UTF-8" || encoding.isEmpty {
            return bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        }
        let body = encoding.hasPrefix("UTF-16") && bytes.count >= 2 ? Array(bytes.dropFirst(2)) : bytes
        return convert(body, from: encoding) ?? bytes
    }

    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            let n = buffer.count
            while i < n {
                let b0 = buffer[i]
                if b0 < 0x80 { i += 1; continue }
                // Three-byte sequences (all of Han) checked in place, without decoding: two
                // continuation bytes, and neither an overlong form (E0 80–9F) nor a
                // surrogate (ED A0–BF).
                if b0 & 0xF0 == 0xE0 && i + 2 < n {
                    let b1 = buffer[i + 1], b2 = buffer[i + 2]
                    if b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 && (b0 != 0xE0 || b1 >= 0xA0) && (b0 != 0xED || b1 < 0xA0) {
                        i += 3
                        continue
                    }
                    return false
                }
                let (_, length, valid) = UTF8Decoding.decode(buffer, at: i)
                if !valid { return false }
                i += length
            }
            return true
        }
    }

    static func detect(_ bytes: [UInt8]) -> String? {
        var name = [CChar](repeating: 0, count: 64)
        // Detection looks at a prefix; 64 KB is plenty for these encodings.
        let sample = Array(bytes.prefix(1 << 16))
        let confidence = sample.withUnsafeBufferPointer { cicu_detect_charset($0.baseAddress, Int32($0.count), &name, 64) }
        let charset = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard confidence >= 10, accepted.contains(charset) else { return nil }
        return charset
    }

    static func convert(_ bytes: [UInt8], from charset: String) -> [UInt8]? {
        guard !bytes.isEmpty else { return [] }
        var capacity = bytes.count * 2 + 16
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            let written = bytes.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { cicu_convert_to_utf8(charset, input.baseAddress, Int32(input.count), $0.baseAddress, Int32(capacity)) }
            }
            if written < 0 { return nil }
            if Int(written) <= capacity {
                out.removeSubrange(Int(written)...)
                return out
            }
            capacity = Int(written) + 16
        }
    }
}
