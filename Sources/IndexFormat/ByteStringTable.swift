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
    /// Open addressing over pairs of words. Word 0 packs the key's 32-bit hash (high half),
    /// its length (5 bits, 31 for longer) and its id + 1 (27 bits; 0 marks an empty slot);
    /// word 1 holds the key's first 8 bytes, zero-padded. Keys of up to 8 bytes (every
    /// bigram of BMP characters) are thus compared without touching the arena: equal lengths
    /// and equal padded words mean equal keys.
    private var slots: [UInt64]
    private var mask: Int
    /// The commonest keys, two characters of three UTF-8 bytes each (every bigram of
    /// basic-plane Han), have a table of their own whose slot is one word: the two
    /// characters' 16-bit values (high half) and id + 1 (low half; 0 marks an empty slot).
    /// Half the size of a general slot, so more of it stays in the processor's cache.
    private var pairSlots: [UInt64]
    private var pairMask: Int
    private var pairCount = 0
    /// Keys in `slots`.
    private var generalCount = 0
    static let maxID = (1 << 27) - 2

    public init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: 2 * size)
        mask = size - 1
        pairSlots = [UInt64](repeating: 0, count: size)
        pairMask = size - 1
        arena.reserveCapacity(capacity * 6)
    }

    public var count: Int { starts.count - 1 }

    /// Approximate bytes the current terms need (storage kept by `removeAll` not counted).
    public var memoryInUse: Int { arena.count + count * (4 + 2 * 2 * 8) }

    /// Forgets every term but keeps the storage, so a table refilled to a similar size
    /// touches no fresh pages (large allocations are fresh mappings, faulted in page by page).
    public mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        pairSlots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        pairCount = 0
        generalCount = 0
    }

    @inline(__always)
    static func prefixWord(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        if key.count >= 8 { return UnsafeRawBufferPointer(key).loadUnaligned(as: UInt64.self) }
        var w: UInt64 = 0
        for i in 0..<key.count { w |= UInt64(key[i]) << (8 * UInt64(i)) }
        return w
    }

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
        if key.count == 6 && key[0] & 0xF0 == 0xE0 && key[3] & 0xF0 == 0xE0 { return internPair(key) }
        let h = Self.hash(key)
        let head = UInt64(h) << 32 | UInt64(min(key.count, 31)) << 27
        let prefix = Self.prefixWord(key)
        let short = key.count <= 8
        var slot = Int(h) & mask
        let found: Int? = slots.withUnsafeBufferPointer { slots in
            while true {
                let packed = slots[2 * slot]
                if packed == 0 { return nil }
                if packed & ~UInt64(0x7FF_FFFF) == head && slots[2 * slot + 1] == prefix {
                    let id = Int(packed & 0x7FF_FFFF) - 1
                    if short || equals(id, key) { return id }
                }
                slot = (slot + 1) & mask
            }
        }
        if let found { return found }
        let id = add(key)
        slots[2 * slot] = head | UInt64(id + 1)
        slots[2 * slot + 1] = prefix
        generalCount += 1
        if generalCount * 2 > mask { grow() }
        return id
    }

    /// `intern` for a key of two three-byte characters (valid UTF-8).
    @inline(__always)
    private mutating func internPair(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let first = UInt64(key[0] & 0x0F) << 12 | UInt64(key[1] & 0x3F) << 6 | UInt64(key[2] & 0x3F)
        let second = UInt64(key[3] & 0x0F) << 12 | UInt64(key[4] & 0x3F) << 6 | UInt64(key[5] & 0x3F)
        let pair = first << 16 | second
        var slot = Self.pairHome(pair, mask: pairMask)
        let found: Int? = pairSlots.withUnsafeBufferPointer { slots in
            while true {
                let packed = slots[slot]
                if packed == 0 { return nil }
                if packed >> 32 == pair { return Int(packed & 0xFFFF_FFFF) - 1 }
                slot = (slot + 1) & pairMask
            }
        }
        if let found { return found }
        let id = add(key)
        pairSlots[slot] = pair << 32 | UInt64(id + 1)
        pairCount += 1
        if pairCount * 2 > pairMask { growPairs() }
        return id
    }

    /// The slot where probing for `pair` starts.
    @inline(__always)
    private static func pairHome(_ pair: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (pair &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Stores a new key's bytes and returns its id; the caller files the id in a table.
    @inline(__always)
    private mutating func add(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let id = count
        precondition(id <= Self.maxID, "too many distinct terms in one segment")
        arena.append(contentsOf: key)
        starts.append(Int32(arena.count))
        return id
    }

    private mutating func growPairs() {
        let size = (pairMask + 1) * 2
        var newSlots = [UInt64](repeating: 0, count: size)
        let newMask = size - 1
        for packed in pairSlots where packed != 0 {
            let pair = packed >> 32
            var s = Self.pairHome(pair, mask: newMask)
            while newSlots[s] != 0 { s = (s + 1) & newMask }
            newSlots[s] = packed
        }
        pairSlots = newSlots
        pairMask = newMask
    }

    @inline(__always)
    private func equals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        starts.withUnsafeBufferPointer { starts in
            let s = Int(starts[id]), e = Int(starts[id + 1])
            guard e - s == key.count else { return false }
            return arena.withUnsafeBufferPointer { a in
                memcmp(a.baseAddress! + s, key.baseAddress!, key.count) == 0
            }
        }
    }

    private mutating func grow() {
        let size = (mask + 1) * 2
        var newSlots = [UInt64](repeating: 0, count: 2 * size)
        let newMask = size - 1
        for slot in 0...mask where slots[2 * slot] != 0 {
            var s = Int(slots[2 * slot] >> 32) & newMask
            while newSlots[2 * s] != 0 { s = (s + 1) & newMask }
            newSlots[2 * s] = slots[2 * slot]
            newSlots[2 * s + 1] = slots[2 * slot + 1]
        }
        slots = newSlots
        mask = newMask
    }

    /// Ids sorted by their bytes (unsigned lexicographic order). Each id is sorted by its
    /// first eight bytes packed big-endian into one integer, which decides almost every
    /// comparison (a bigram is six bytes); only equal keys compare the rest.
    public func sortedIDs() -> [Int] {
        arena.withUnsafeBufferPointer { a in
            var keyed = [(key: UInt64, id: Int32)]()
            keyed.reserveCapacity(count)
            for id in 0..<count {
                let s = Int(starts[id]), e = Int(starts[id + 1])
                var key: UInt64 = 0
                for k in 0..<8 { key = key << 8 | UInt64(s + k < e ? a[s + k] : 0) }
                keyed.append((key, Int32(id)))
            }
            keyed.sort { x, y in
                if x.key != y.key { return x.key < y.key }
                let xs = Int(starts[Int(x.id)]), xe = Int(starts[Int(x.id) + 1])
                let ys = Int(starts[Int(y.id)]), ye = Int(starts[Int(y.id) + 1])
                let n = min(xe - xs, ye - ys)
                for k in 0..<n where a[xs + k] != a[ys + k] { return a[xs + k] < a[ys + k] }
                return xe - xs < ye - ys
            }
            return keyed.map { Int($0.id) }
        }
    }
}
