import CSICCore
import Storage

/// Incremental multi-input clustering (the common-input-ownership heuristic): the addresses a transaction
/// spends from are one entity, grown transaction by transaction rather than recomputed in batch. Inputs of
/// CoinJoin-shaped transactions are not merged (their inputs belong to different people); a merge that would
/// make an entity larger than `maxClusterSize` is refused unless the tags of both sides agree; a reverted
/// (reorged) transaction's merges are undone, in whatever order reverts arrive.
///
/// The structure is what is persisted (``ClusterChanges``): each address's id, its parent, its set's size and its
/// successor in its set's list of members, and the journal of recent merges, so a restart continues where the last
/// durable batch left off.
public struct AddressClusters: Sendable {
    /// What applying one transaction did.
    public enum Outcome: Sendable, Equatable {
        /// Its input addresses are now one entity (`merges` unions were made; 0 when they already were).
        case merged(merges: Int)
        /// Fewer than two distinct input addresses: nothing to merge.
        case nothingToMerge
        /// A CoinJoin: its inputs are not merged.
        case coinJoin(CoinJoinShape)
        /// The merge would make an entity of `size` addresses, over the limit, and the tags do not agree.
        case refusedSupercluster(size: Int)
    }

    public typealias JournalEntry = ClusterJournalEntry

    /// The largest entity a merge may make unless the tags of the merged sides agree.
    public let maxClusterSize: Int
    private(set) var sets = DisjointSets()
    /// Each known address's id (the ids of `sets`).
    private var index = AddressIndex()
    /// The applied multi-input transactions (merging or not), oldest first, for undoing reorged ones.
    private(set) var journal: [JournalEntry] = []
    private var changes = ClusterChanges()
    /// The ids below ``firstNewID`` whose parent or size changed since the changes were last taken.
    private var dirty: Set<Int32> = []
    /// Every id from this one on was added since the changes were last taken (so is stored whole, not tracked
    /// in `dirty`).
    private var firstNewID: Int32 = 0

    public init(maxClusterSize: Int = 100_000) {
        self.maxClusterSize = maxClusterSize
    }

    /// The clusters as persisted: `nodes` in id order (id `i` at index `i`) and the journal oldest first.
    public init(maxClusterSize: Int = 100_000, restoring nodes: [ClusterNode], journal: [JournalEntry]) throws(ClusterStoreError) {
        self.maxClusterSize = maxClusterSize
        var parents: [Int32] = []
        var sizes: [Int32] = []
        var successors: [Int32] = []
        for (position, node) in nodes.enumerated() {
            guard node.id == Int32(position), node.parent >= 0, Int(node.parent) < nodes.count, node.size >= 1, node.next >= 0,
                Int(node.next) < nodes.count
            else {
                throw ClusterStoreError.corrupt(
                    "node \(node.id) at position \(position): parent \(node.parent), size \(node.size), next \(node.next)")
            }
            guard index.insert(node.address) == (node.id, true) else {
                throw ClusterStoreError.corrupt(
                    "node \(node.id): address \(node.address.prefix(100)) has id \(index.id(of: node.address) ?? -1) already")
            }
            parents.append(node.parent)
            sizes.append(node.size)
            successors.append(node.next)
        }
        sets = DisjointSets(parents: parents, sizes: sizes, successors: successors)
        guard sets.isConsistent() else {
            throw ClusterStoreError.corrupt("the parents, sizes and member lists of \(nodes.count) nodes do not describe the same sets")
        }
        firstNewID = Int32(nodes.count)
        for entry in journal {
            let ids = entry.inputs + entry.unions.flatMap { [$0.child, $0.root] }
            guard ids.allSatisfy({ $0 >= 0 && Int($0) < nodes.count }) else {
                throw ClusterStoreError.corrupt("journal entry \(entry.txid) names an address id beyond \(nodes.count)")
            }
        }
        self.journal = journal
    }

    /// The journal, oldest first: what a reorg can still undo.
    public var journalEntries: [JournalEntry] { journal }

    /// How many addresses have spent (are known).
    public var addressCount: Int { index.count }

    /// The entity of `address` (its set's root id), `nil` for an address never seen spending.
    public func entity(of address: String) -> Int32? {
        index.id(of: address).map(sets.find)
    }

    /// The entity (root id) of `address` when it holds more addresses than this one: one lookup.
    public func entityOfSeveral(_ address: String) -> Int32? {
        guard let id = index.id(of: address), sets.setSize(id) > 1 else { return nil }
        return sets.find(id)
    }

    /// How many addresses `address`'s entity holds (1 for an address on its own).
    public func entitySize(of address: String) -> Int {
        index.id(of: address).map(sets.setSize) ?? 0
    }

    /// The address with id `id`.
    public func address(id: Int32) -> String? {
        Int(id) < index.count && id >= 0 ? index.addresses[Int(id)] : nil
    }

    /// Applies one transaction: its input addresses become known, and one entity unless it is a CoinJoin or the
    /// merge is refused (an address only paid to is an entity of its own until it spends). `tagsAgree` says
    /// whether two entities (by root id) carry consistent tags (the same actor), which lets a merge past
    /// `maxClusterSize` through.
    public mutating func apply(_ transaction: ChainTransaction, tagsAgree: (Int32, Int32) -> Bool = { _, _ in false }) -> Outcome {
        var inputs: [Int32] = []
        for input in transaction.inputs {
            guard let address = input.address else { continue }
            let id = id(address)
            if !inputs.contains(id) { inputs.append(id) }
        }
        guard inputs.count >= 2 else { return .nothingToMerge }
        if let shape = CoinJoinShape(transaction) { return .coinJoin(shape) }
        let roots = roots(of: inputs)
        let total = roots.reduce(0) { $0 + sets.setSize($1) }
        if roots.count >= 2, total > maxClusterSize, !zip(roots, roots.dropFirst()).allSatisfy({ tagsAgree($0, $1) }) {
            return .refusedSupercluster(size: total)
        }
        // Journalled even when the inputs are one entity already: if the merge that joined them is reverted,
        // this transaction's own evidence must join them again.
        let entry = JournalEntry(txid: transaction.txid, inputs: inputs, unions: merge(roots))
        journal.append(entry)
        changes.appended.append(entry)
        return .merged(merges: entry.unions.count)
    }

    /// Undoes the merges of a transaction reverted by a reorganisation; a txid that merged nothing is ignored.
    /// Merges made after it are undone with it and made again without it, so reverts may come in any order.
    public mutating func revert(txid: String) {
        guard let index = journal.lastIndex(where: { $0.txid == txid }) else { return }
        let later = journal[(index + 1)...]
        for entry in later.reversed() { undo(entry) }
        undo(journal[index])
        var redone: [JournalEntry] = []
        for entry in later {
            redone.append(JournalEntry(txid: entry.txid, inputs: entry.inputs, unions: merge(roots(of: entry.inputs))))
        }
        journal.replaceSubrange(index..., with: redone)
        changes.removed.insert(txid)
        changes.appended.removeAll { $0.txid == txid }
        changes.replaced[txid] = nil
        for entry in redone {
            if let position = changes.appended.firstIndex(where: { $0.txid == entry.txid }) {
                changes.appended[position] = entry
            } else {
                changes.replaced[entry.txid] = entry
            }
        }
    }

    /// Forgets the undo entries older than the last `keep` merges (past the deepest reorg the adapters undo).
    public mutating func trimJournal(keeping keep: Int) {
        guard journal.count > keep else { return }
        let trimmed = Set(journal.prefix(journal.count - keep).map(\.txid))
        changes.removed.formUnion(trimmed)
        changes.appended.removeAll { trimmed.contains($0.txid) }
        for txid in trimmed { changes.replaced[txid] = nil }
        journal.removeFirst(journal.count - keep)
    }

    /// What changed since the last call, for the store; clears it.
    public mutating func takeChanges() -> ClusterChanges {
        var taken = changes
        taken.nodes = (dirty.sorted() + Array(firstNewID..<Int32(sets.count))).map {
            ClusterNode(
                id: $0, address: index.addresses[Int($0)], parent: sets.parent[Int($0)], size: sets.size[Int($0)],
                next: sets.next[Int($0)])
        }
        changes = ClusterChanges()
        dirty = []
        firstNewID = Int32(sets.count)
        return taken
    }

    private func roots(of inputs: [Int32]) -> [Int32] {
        var roots: [Int32] = []
        for id in inputs {
            let root = sets.find(id)
            if !roots.contains(root) { roots.append(root) }
        }
        return roots
    }

    private mutating func merge(_ roots: [Int32]) -> [DisjointSets.Union] {
        var unions: [DisjointSets.Union] = []
        for root in roots.dropFirst() {
            if let union = sets.union(roots[0], root) {
                unions.append(union)
                changed(union)
            }
        }
        return unions
    }

    private mutating func undo(_ entry: JournalEntry) {
        for union in entry.unions.reversed() {
            sets.undo(union)
            changed(union)
        }
    }

    /// Notes the two ids of `union` as changed (those added since the last take are stored anyway).
    private mutating func changed(_ union: DisjointSets.Union) {
        if union.child < firstNewID { dirty.insert(union.child) }
        if union.root < firstNewID { dirty.insert(union.root) }
    }

    /// The id of `address`, a new one in a set of its own if it has none.
    private mutating func id(_ address: String) -> Int32 {
        let (id, inserted) = index.insert(address)
        if inserted { _ = sets.add() }
        return id
    }
}
