import CSICCore
import Storage

/// The tags that define their address's entity (a TagPack's `is_cluster_definer`, GraphSense's rule), lent to
/// every other address of that entity as the clustering grows: a deposit address that spends together with an
/// exchange's tagged hot wallet is the exchange's, and one that spends with a tagged darknet market's address is
/// the market's. Tags that do not define an entity (an OFAC SDN address among them) stay with their address.
///
/// Kept by entity root: a union moves the child's tags to the new root, an input address with a defining tag is
/// filed under its root when it first spends, and a revert (or a new tag list) files them all again.
struct EntityTags: Sendable {
    /// The defining tags in force, by their own address.
    private var byAddress: [String: [ListedTag]] = [:]
    /// The defining tags of each entity, by the root id of its cluster.
    private var byRoot: [Int32: [ListedTag]] = [:]
    /// The defining addresses filed in `byRoot`.
    private var filed: Set<String> = []

    var isEmpty: Bool { byAddress.isEmpty }

    /// Uses `tags` (the defining tags in force, by address; others are ignored) from now on.
    mutating func replace(with tags: [String: [ListedTag]], clusters: AddressClusters) {
        byAddress = tags.compactMapValues { tags in
            let defining = tags.filter(\.tag.definesEntity)
            return defining.isEmpty ? nil : defining
        }
        refile(clusters)
    }

    /// Files every defining address under its entity's current root (after a revert rebuilt the clustering).
    mutating func refile(_ clusters: AddressClusters) {
        byRoot = [:]
        filed = []
        for (address, tags) in byAddress {
            guard let root = clusters.entity(of: address) else { continue }
            byRoot[root, default: []] += tags
            filed.insert(address)
        }
    }

    /// Follows what applying `transaction` did to `clusters`: the unions of its journal entry, then its input
    /// addresses that carry a defining tag and were not filed yet.
    mutating func applied(_ transaction: ChainTransaction, clusters: AddressClusters) {
        guard !byAddress.isEmpty else { return }
        if let entry = clusters.journalEntries.last, entry.txid == transaction.txid {
            for union in entry.unions {
                if let moved = byRoot.removeValue(forKey: union.child) { byRoot[union.root, default: []] += moved }
            }
        }
        for input in transaction.inputs {
            guard let address = input.address, let tags = byAddress[address], !filed.contains(address),
                let root = clusters.entity(of: address)
            else { continue }
            byRoot[root, default: []] += tags
            filed.insert(address)
        }
    }

    /// The defining tags `address` has through its entity, other than its own.
    func tags(of address: String, in clusters: AddressClusters) -> [ListedTag] {
        guard !byRoot.isEmpty, clusters.entitySize(of: address) > 1, let root = clusters.entity(of: address),
            let tags = byRoot[root]
        else { return [] }
        return tags.filter { $0.tag.address != address }
    }
}
