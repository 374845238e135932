import CSICCore

/// Incremental multi-input clustering (the common-input-ownership heuristic): the addresses a transaction
/// spends from are one entity, grown transaction by transaction rather than recomputed in batch. Inputs of
/// CoinJoin-shaped transactions are not merged (their inputs belong to different people); a merge that would
/// make an entity larger than `maxClusterSize` is refused unless the tags of both sides agree; a reverted
/// (reorged) transaction's merges are undone.
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

    /// The largest entity a merge may make unless the tags of the merged sides agree.
    public let maxClusterSize: Int
    private(set) var sets = DisjointSets()
    private(set) var ids: [String: Int32] = [:]
    /// The unions each applied transaction made, newest last, for undoing reorged transactions.
    private(set) var journal: [(txid: String, unions: [DisjointSets.Union])] = []

    public init(maxClusterSize: Int = 100_000) {
        self.maxClusterSize = maxClusterSize
    }

    /// How many addresses have spent (are known).
    public var addressCount: Int { ids.count }

    /// The entity of `address` (its set's root id), `nil` for an address never seen spending.
    public func entity(of address: String) -> Int32? {
        ids[address].map(sets.find)
    }

    /// How many addresses `address`'s entity holds (1 for an address on its own).
    public func entitySize(of address: String) -> Int {
        ids[address].map(sets.setSize) ?? 0
    }

    /// Applies one transaction: its input addresses become known, and one entity unless it is a CoinJoin or the
    /// merge is refused (an address only paid to is an entity of its own until it spends). `tagsAgree` says whether two entities (by root id) carry consistent
    /// tags (the same actor), which lets a merge past `maxClusterSize` through.
    public mutating func apply(_ transaction: ChainTransaction, tagsAgree: (Int32, Int32) -> Bool = { _, _ in false }) -> Outcome {
        var inputs: [Int32] = []
        for input in transaction.inputs {
            guard let address = input.address else { continue }
            let id = id(address)
            if !inputs.contains(id) { inputs.append(id) }
        }
        guard inputs.count >= 2 else { return .nothingToMerge }
        if let shape = CoinJoinShape(transaction) { return .coinJoin(shape) }
        var roots: [Int32] = []
        for id in inputs {
            let root = sets.find(id)
            if !roots.contains(root) { roots.append(root) }
        }
        guard roots.count >= 2 else { return .merged(merges: 0) }
        let total = roots.reduce(0) { $0 + sets.setSize($1) }
        if total > maxClusterSize, !zip(roots, roots.dropFirst()).allSatisfy({ tagsAgree($0, $1) }) {
            return .refusedSupercluster(size: total)
        }
        var unions: [DisjointSets.Union] = []
        for root in roots.dropFirst() {
            if let union = sets.union(roots[0], root) { unions.append(union) }
        }
        journal.append((transaction.txid, unions))
        return .merged(merges: unions.count)
    }

    /// Undoes the merges of transactions reverted by a reorganisation. The adapters revert a reorg's
    /// transactions newest first, so they are the journal's newest entries; a txid that merged nothing is
    /// ignored. Throws when `txid` merged but is not the newest merge (undoing it would undo later ones).
    public mutating func revert(txid: String) throws(ClusteringError) {
        guard let index = journal.lastIndex(where: { $0.txid == txid }) else { return }
        guard index == journal.count - 1 else { throw ClusteringError.revertOutOfOrder(txid: txid) }
        for union in journal.removeLast().unions.reversed() { sets.undo(union) }
    }

    /// Forgets the undo entries older than the last `keep` merges (past the deepest reorg the adapters undo).
    public mutating func trimJournal(keeping keep: Int) {
        if journal.count > keep { journal.removeFirst(journal.count - keep) }
    }

    private mutating func id(_ address: String) -> Int32 {
        if let id = ids[address] { return id }
        let id = sets.add()
        ids[address] = id
        return id
    }
}

/// A clustering step that cannot be made.
public enum ClusteringError: Error, Equatable, CustomStringConvertible {
    case revertOutOfOrder(txid: String)

    public var description: String {
        switch self {
        case .revertOutOfOrder(let txid): "transaction \(txid) is reverted before merges made after it"
        }
    }
}
