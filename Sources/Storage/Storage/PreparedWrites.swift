import CSICCore

/// Store writes grouped, ordered and keyed ahead of time, off the store's single writer thread.
///
/// The stream runtime prepares batch N+1 while batch N is being written, so the writer only binds and
/// steps statements. Transactions are sorted by id and address entries by key, so that consecutive
/// B-tree inserts touch neighbouring pages.
public struct PreparedWrites: Sendable {
    struct Transaction: Sendable {
        var row: StoredTransaction
        var feeText: String?
        var totalOutputText: String
    }

    var transactions: [Transaction]
    /// Address index entries: the address key and the position of the transaction in `transactions`.
    var addressEntries: [(key: Int64, transaction: Int)]
    var deadLetters: [DeadLetter]
    var alerts: [Alert]

    /// The number of writes prepared.
    public var count: Int { transactions.count + deadLetters.count + alerts.count }

    /// Groups and orders `writes`.
    public init(_ writes: [StoreWrite]) {
        var transactions: [(StoredTransaction, [String])] = []
        var deadLetters: [DeadLetter] = []
        var alerts: [Alert] = []
        for write in writes {
            switch write {
            case .upsertTransaction(let row, let addresses): transactions.append((row, addresses))
            case .upsertDeadLetter(let letter): deadLetters.append(letter)
            case .upsertAlert(let alert): alerts.append(alert)
            }
        }
        transactions.sort { $0.0.id < $1.0.id }
        var entries: [(key: Int64, transaction: Int)] = []
        entries.reserveCapacity(transactions.count * 6)
        for (position, (_, addresses)) in transactions.enumerated() {
            for address in addresses { entries.append((AddressKey.of(address), position)) }
        }
        entries.sort { ($0.key, $0.transaction) < ($1.key, $1.transaction) }
        self.transactions = transactions.map { row, _ in
            Transaction(row: row, feeText: row.fee?.decimalString, totalOutputText: row.totalOutput.decimalString)
        }
        self.addressEntries = entries
        self.deadLetters = deadLetters
        self.alerts = alerts
    }
}

/// The index key of an address: 64-bit FNV-1a of its UTF-8 bytes. An 8-byte key keeps the address index a
/// fraction of the size of the text; a collision (about 1 in 2^64 per pair) can only add a row to a query,
/// which readers drop by checking the decoded transaction's addresses.
public enum AddressKey {
    public static func of(_ address: String) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in address.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}
