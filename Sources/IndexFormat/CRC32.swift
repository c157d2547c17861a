import CChecksum

/// CRC-32 (IEEE 802.3, the zlib polynomial). On x86-64 CPUs with carry-less multiplication
/// the bulk of a buffer is folded in C (`CChecksum`, 16 GB/s here), the rest by slicing-by-8
/// tables (2.3 GB/s): checksums were 5% of an index build's CPU with the tables alone.
public enum CRC32 {
    static let folds = cchecksum_crc32_folding_available() != 0

    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[0][i] = c
        }
        for i in 0..<256 {
            for t in 1..<8 {
                let prev = tables[t - 1][i]
                tables[t][i] = tables[0][Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return tables
    }()

    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard bytes.count >= 64 && folds else { return checksumByTables(bytes, seed: seed) }
        let folded = bytes.count & ~15
        let state = cchecksum_crc32_fold(~seed, bytes.baseAddress!, folded)
        return checksumByTables(UnsafeRawBufferPointer(rebasing: bytes[folded...]), seed: ~state)
    }

    /// The same checksum from the tables alone (what other CPUs use; tests compare the two).
    public static func checksumByTables(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        let n = bytes.count
        var i = 0
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while i + 8 <= n {
                let lo = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
                let hi = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc = t7[Int(lo & 0xFF)] ^ t6[Int((lo >> 8) & 0xFF)] ^ t5[Int((lo >> 16) & 0xFF)] ^ t4[Int(lo >> 24)]
                    ^ t3[Int(hi & 0xFF)] ^ t2[Int((hi >> 8) & 0xFF)] ^ t1[Int((hi >> 16) & 0xFF)] ^ t0[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = t0[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return ~crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
