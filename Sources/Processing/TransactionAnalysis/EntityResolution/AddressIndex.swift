/// Dense ids for addresses: id `i` is the `i`-th address added. An open-addressing table of 8-byte slots, each
/// 32 bits of the address's hash beside its id + 1 (0 is an empty slot), at most half full: a probe compares
/// strings only when those 32 bits match, so looking up a new address (most inputs spend a fresh address) reads
/// no stored string and finding a known one reads one. A dictionary keyed by the strings compares the key of
/// every occupied slot it probes, each a load from another heap string.
///
/// Hashes are Swift's per-process seeded `Hasher`, so addresses chosen to collide cannot be made to fill one
/// run of the table (addresses come from outside), and each id's hash is kept so that growing the table hashes
/// no string again.
struct AddressIndex: Sendable {
    /// The addresses by id.
    private(set) var addresses: [String] = []
    private var hashes: [Int] = []
    private var slots = [UInt64](repeating: 0, count: 16)
    /// The bits of each hash used: all of them, except in tests that make addresses collide.
    private let hashMask: Int

    init() {
        hashMask = -1
    }

    /// An index that keeps only the `hashMask` bits of every hash: with a small mask, addresses share tags and
    /// buckets, so every lookup runs through the string comparisons a full hash almost never needs.
    init(hashMask: Int) {
        self.hashMask = hashMask
    }

    /// How many addresses have ids.
    var count: Int { addresses.count }

    /// The id of `address`, nil when it has none.
    func id(of address: String) -> Int32? {
        find(address, hash: address.hashValue & hashMask).id
    }

    /// The id of `address`, the next id when it had none (`inserted`).
    mutating func insert(_ address: String) -> (id: Int32, inserted: Bool) {
        let hash = address.hashValue & hashMask
        let (found, free) = find(address, hash: hash)
        if let found { return (found, false) }
        let id = Int32(addresses.count)
        addresses.append(address)
        hashes.append(hash)
        slots[free] = Self.slot(hash: hash, id: id)
        if addresses.count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The id of `address` if it has one, else the free slot where it would go.
    private func find(_ address: String, hash: Int) -> (id: Int32?, free: Int) {
        let mask = slots.count - 1
        let tag = Self.tag(hash)
        var position = hash & mask
        while true {
            let slot = slots[position]
            if slot == 0 { return (nil, position) }
            if slot >> 32 == tag {
                let id = Int32(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                if addresses[Int(id)] == address { return (id, position) }
            }
            position = (position &+ 1) & mask
        }
    }

    /// Twice the slots, every id placed again from its kept hash.
    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, hash) in hashes.enumerated() {
            var position = hash & mask
            while slots[position] != 0 { position = (position &+ 1) & mask }
            slots[position] = Self.slot(hash: hash, id: Int32(id))
        }
    }

    private static func tag(_ hash: Int) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: hash >> 32)) }

    private static func slot(hash: Int, id: Int32) -> UInt64 { tag(hash) << 32 | UInt64(UInt32(id) + 1) }
}
