#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns byte strings (terms) to dense ids without allocating per lookup: the bytes live
/// in one arena, the table is open addressing over ids. The indexer's hot path.
public struct ByteStringTable {
    public private(set) var arena: [UInt8] = []
    /// Arena start of each id; the end is the next id's start (or `arena.count`).
    public private(set) var starts: [Int32] = [0]
    private var slots: [Int32]
    private var slotHashes: [UInt32]
    private var mask: Int

    public init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        slotHashes = [UInt32](repeating: 0, count: size)
        mask = size - 1
        arena.reserveCapacity(capacity * 6)
    }

    public var count: Int { starts.count - 1 }

    /// Approximate bytes held.
    public var memoryUsage: Int { arena.capacity + starts.capacity * 4 + slots.count * 8 }

    /// Terms are short (a bigram is 6 bytes): mix 8 bytes at a time.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(key.count)
        let raw = UnsafeRawBufferPointer(key)
        var i = 0
        while i + 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xD6E8_FEB8_6659_FD93
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < key.count {
            tail |= UInt64(key[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    public func bytes(_ id: Int) -> ArraySlice<UInt8> {
        arena[Int(starts[id])..<Int(starts[id + 1])]
    }

    /// The id of `key`, adding it when new.
    @inline(__always)
    public mutating func intern(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let h = Self.hash(key)
        var slot = Int(h) & mask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            if slotHashes[slot] == h && equals(Int(id), key) { return Int(id) }
            slot = (slot + 1) & mask
        }
        let id = count
        arena.append(contentsOf: key)
        starts.append(Int32(arena.count))
        slots[slot] = Int32(id)
        slotHashes[slot] = h
        if count * 2 > mask { grow() }
        return id
    }

    @inline(__always)
    private func equals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(starts[id]), e = Int(starts[id + 1])
        guard e - s == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            memcmp(a.baseAddress! + s, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        let size = (mask + 1) * 2
        var newSlots = [Int32](repeating: -1, count: size)
        var newHashes = [UInt32](repeating: 0, count: size)
        let newMask = size - 1
        for slot in 0...mask where slots[slot] >= 0 {
            var s = Int(slotHashes[slot]) & newMask
            while newSlots[s] >= 0 { s = (s + 1) & newMask }
            newSlots[s] = slots[slot]
            newHashes[s] = slotHashes[slot]
        }
        slots = newSlots
        slotHashes = newHashes
        mask = newMask
    }

    /// Ids sorted by their bytes (unsigned lexicographic order).
    public func sortedIDs() -> [Int] {
        arena.withUnsafeBufferPointer { a in
            var ids = Array(0..<count)
            ids.sort { x, y in
                let xs = Int(starts[x]), xe = Int(starts[x + 1])
                let ys = Int(starts[y]), ye = Int(starts[y + 1])
                let n = min(xe - xs, ye - ys)
                for k in 0..<n where a[xs + k] != a[ys + k] { return a[xs + k] < a[ys + k] }
                return xe - xs < ye - ys
            }
            return ids
        }
    }
}
