import CSICCore

/// Transaction writes grouped, ordered and keyed ahead of time, off the store's single writer thread.
///
/// The stream runtime prepares batch N+1 while batch N is being written, so the writer only binds and
/// steps statements. Index entries are sorted by key, so that consecutive B-tree inserts touch
/// neighbouring pages.
public struct PreparedTransactions: Sendable {
    struct Transaction: Sendable {
        var row: StoredTransaction
        /// The id index key of `row.id`.
        var idKey: Int64
        var feeText: String?
        var totalOutputText: String
    }

    var transactions: [Transaction]
    /// Positions in `transactions` ordered by (id key, id, position): the order the id index is probed in,
    /// which puts the repeats of an id next to each other.
    var idOrder: [Int]
    /// Address index entries: the address key and the position of the transaction in `transactions`.
    var addressEntries: [(key: Int64, transaction: Int)]
    /// The batch encoded for PostgreSQL, when a ``PostgresStore`` prepared it.
    var postgres: PostgresBatch?

    /// The number of writes prepared.
    public var count: Int { transactions.count }

    /// Groups `writes`; transactions keep their order (their row order is arrival order), index entries are sorted.
    public init(_ writes: [TransactionWrite]) {
        var transactions: [Transaction] = []
        var entries: [(key: Int64, transaction: Int)] = []
        transactions.reserveCapacity(writes.count)
        entries.reserveCapacity(writes.count * 6)
        for write in writes {
            for address in write.addresses { entries.append((IndexKey.of(address), transactions.count)) }
            transactions.append(
                Transaction(
                    row: write.row, idKey: IndexKey.of(write.row.id), feeText: write.row.fee?.decimalString,
                    totalOutputText: write.row.totalOutput.decimalString))
        }
        entries.sort { ($0.key, $0.transaction) < ($1.key, $1.transaction) }
        self.idOrder = transactions.indices.sorted { left, right in
            let (a, b) = (transactions[left], transactions[right])
            if a.idKey != b.idKey { return a.idKey < b.idKey }
            return a.row.id != b.row.id ? a.row.id < b.row.id : left < right
        }
        self.transactions = transactions
        self.addressEntries = entries
    }
}

/// The key of an id or address in the store's indexes: 64-bit FNV-1a of its UTF-8 bytes. An 8-byte key keeps
/// an index a fraction of the size of the text. A collision (about 1 in 2^64 per pair) can only add a
/// candidate row: id lookups compare the row's id, address queries check the transaction's addresses.
public enum IndexKey {
    public static func of(_ text: String) -> Int64 {
        if let hash = text.utf8.withContiguousStorageIfAvailable(fnv1a) { return hash }
        return fnv1a(Array(text.utf8))
    }

    private static func fnv1a<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}
