#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CIntrinsics

/// Interns byte strings (terms) to dense ids without allocating per lookup: the bytes live
/// in one arena, the table is open addressing over ids. The indexer's hot path.
public struct ByteStringTable {
    /// The keys' bytes, one after another (internal, not private, for the inlinable interning).
    @usableFromInline var arena: [UInt8] = []
    /// Arena start of each id; the end is the next id's start (or `arena.count`).
    @usableFromInline var starts: [Int32] = [0]
    /// Open addressing over pairs of words. Word 0 packs the key's 32-bit hash (high half),
    /// its length (5 bits, 31 for longer) and its id + 1 (27 bits; 0 marks an empty slot);
    /// word 1 holds the key's first 8 bytes, zero-padded. Keys of up to 8 bytes (every
    /// bigram of BMP characters) are thus compared without touching the arena: equal lengths
    /// and equal padded words mean equal keys.
    @usableFromInline var slots: [UInt64]
    @usableFromInline var mask: Int
    /// The commonest keys, two characters of three UTF-8 bytes each (every bigram of
    /// basic-plane Han), have a table of their own whose slot is one word: the two
    /// characters' 16-bit values (high half) and id + 1 (low half; 0 marks an empty slot).
    /// Half the size of a general slot, so more of it stays in the processor's cache.
    @usableFromInline var pairSlots: [UInt64]
    @usableFromInline var pairMask: Int
    @usableFromInline var pairCount = 0
    /// Keys in `slots`.
    @usableFromInline var generalCount = 0
    @usableFromInline static let maxID = (1 << 27) - 2

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

    @inlinable @inline(__always)
    static func prefixWord(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        if key.count >= 8 { return UnsafeRawBufferPointer(key).loadUnaligned(as: UInt64.self) }
        var w: UInt64 = 0
        for i in 0..<key.count { w |= UInt64(key[i]) << (8 * UInt64(i)) }
        return w
    }

    /// Terms are short (a bigram is 6 bytes): mix 8 bytes at a time.
    @inlinable @inline(__always)
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
    @inlinable @inline(__always)
    public mutating func intern(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        if Self.isPair(key) { return internPair(key) }
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

    /// Starts loading the slot where interning `key` will begin probing, so that when the
    /// caller interns it a few keys later the slot is in cache: that load was a cache miss
    /// for most tokens, over half of the interning's time.
    /// (Mutating only so that a caller holding the table inout does not copy it to call this.)
    @inlinable @inline(__always)
    public mutating func prefetch(_ key: UnsafeBufferPointer<UInt8>) {
        if Self.isPair(key) {
            let slot = Self.pairHome(Self.pairValue(key), mask: pairMask)
            pairSlots.withUnsafeBufferPointer { cintrinsics_prefetch_for_write($0.baseAddress! + slot) }
        } else {
            let slot = Int(Self.hash(key)) & mask
            slots.withUnsafeBufferPointer { cintrinsics_prefetch_for_write($0.baseAddress! + 2 * slot) }
        }
    }

    /// Two three-byte characters: the keys of the pair table.
    @inlinable @inline(__always)
    static func isPair(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        key.count == 6 && key[0] & 0xF0 == 0xE0 && key[3] & 0xF0 == 0xE0
    }

    /// The two characters' 16-bit values, the first in the high half.
    @inlinable @inline(__always)
    static func pairValue(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let first = UInt64(key[0] & 0x0F) << 12 | UInt64(key[1] & 0x3F) << 6 | UInt64(key[2] & 0x3F)
        let second = UInt64(key[3] & 0x0F) << 12 | UInt64(key[4] & 0x3F) << 6 | UInt64(key[5] & 0x3F)
        return first << 16 | second
    }

    /// `intern` for a key of two three-byte characters (valid UTF-8).
    @inlinable @inline(__always)
    mutating func internPair(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let pair = Self.pairValue(key)
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
    @inlinable @inline(__always)
    static func pairHome(_ pair: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (pair &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Stores a new key's bytes and returns its id; the caller files the id in a table.
    @inlinable @inline(__always)
    mutating func add(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let id = count
        precondition(id <= Self.maxID, "too many distinct terms in one segment")
        arena.append(contentsOf: key)
        starts.append(Int32(arena.count))
        return id
    }

    @usableFromInline
    mutating func growPairs() {
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

    @inlinable @inline(__always)
    func equals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        starts.withUnsafeBufferPointer { starts in
            let s = Int(starts[id]), e = Int(starts[id + 1])
            guard e - s == key.count else { return false }
            return arena.withUnsafeBufferPointer { a in
                memcmp(a.baseAddress! + s, key.baseAddress!, key.count) == 0
            }
        }
    }

    @usableFromInline
    mutating func grow() {
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

    /// A term in byte order: its first eight bytes packed big-endian (which are the whole
    /// term when `length` ≤ 8, so a caller walking the terms in order need not read the
    /// arena, where each term would be a cache miss), its id and its length.
    public struct SortedTerm {
        public var key: UInt64
        public var id: Int32
        public var length: Int32
    }

    /// Every term, sorted by its bytes (unsigned lexicographic order): a radix sort on the
    /// first eight bytes (skipping the byte places all keys share, such as the lead bytes of
    /// Han characters), then the few runs of equal keys — terms longer than eight bytes, or
    /// differing only in trailing zero bytes — sorted on their whole bytes.
    public func sortedTerms() -> [SortedTerm] {
        let n = count
        var terms = [SortedTerm](repeating: SortedTerm(key: 0, id: 0, length: 0), count: n)
        var counts = [Int](repeating: 0, count: 8 * 256)
        arena.withUnsafeBufferPointer { a in
            starts.withUnsafeBufferPointer { starts in
                for id in 0..<n {
                    let s = Int(starts[id]), e = Int(starts[id + 1])
                    var key: UInt64 = 0
                    for k in 0..<8 { key = key << 8 | UInt64(s + k < e ? a[s + k] : 0) }
                    terms[id] = SortedTerm(key: key, id: Int32(id), length: Int32(e - s))
                    for place in 0..<8 { counts[place * 256 + Int((key >> UInt64(8 * place)) & 0xFF)] += 1 }
                }
            }
        }
        // Least significant byte first; each pass is stable, so the order is by the whole key.
        var scratch = terms
        for place in 0..<8 {
            let histogram = counts[(place * 256)..<(place * 256 + 256)]
            if histogram.contains(n) { continue }  // every key has the same byte here
            var next = [Int](repeating: 0, count: 256)
            var total = 0
            for b in 0..<256 {
                next[b] = total
                total += histogram[place * 256 + b]
            }
            terms.withUnsafeBufferPointer { from in
                scratch.withUnsafeMutableBufferPointer { to in
                    for t in from {
                        let b = Int((t.key >> UInt64(8 * place)) & 0xFF)
                        to[next[b]] = t
                        next[b] += 1
                    }
                }
            }
            swap(&terms, &scratch)
        }
        // Runs of equal keys, ordered on the bytes past the first eight, then by length.
        var i = 0
        while i < n {
            var j = i + 1
            while j < n && terms[j].key == terms[i].key { j += 1 }
            if j - i > 1 {
                terms[i..<j].sort { x, y in
                    let xb = bytes(Int(x.id)), yb = bytes(Int(y.id))
                    return xb.lexicographicallyPrecedes(yb)
                }
            }
            i = j
        }
        return terms
    }
}
