import CSICCore

/// Which stored transactions a list selects and in what order: the filters of `GET /api/v1/transactions`.
public struct TransactionQuery: Sendable, Hashable {
    /// The order of a list; ties broken by storage order so that cursors are exact.
    public enum Order: String, Sendable, Hashable, CaseIterable {
        /// Most recently stored first (the default).
        case newest
        /// Seen time, latest first.
        case timeDescending = "-time"
        /// Seen time, earliest first.
        case timeAscending = "time"
        /// Total output, largest first.
        case amountDescending = "-amount"
        /// Total output, smallest first.
        case amountAscending = "amount"
    }

    /// Only transactions touching this address.
    public var address: String?
    public var chain: Chain?
    /// Seen at or after.
    public var from: Timestamp?
    /// Seen at or before.
    public var to: Timestamp?
    /// Total output at least this, in base units.
    public var minAmount: Amount?
    /// Total output at most this, in base units.
    public var maxAmount: Amount?
    public var order: Order

    public init(
        address: String? = nil, chain: Chain? = nil, from: Timestamp? = nil, to: Timestamp? = nil, minAmount: Amount? = nil,
        maxAmount: Amount? = nil, order: Order = .newest
    ) {
        self.address = address
        self.chain = chain
        self.from = from
        self.to = to
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.order = order
    }

    /// Only the address (or nothing), newest first: the list the address index answers directly.
    var isAddressHistory: Bool {
        chain == nil && from == nil && to == nil && minAmount == nil && maxAmount == nil && order == .newest
    }

    /// Whether `transaction` meets every filter but the address (checked exactly, amounts as integers).
    func admits(_ transaction: StoredTransaction) -> Bool {
        if let chain, transaction.chain != chain { return false }
        if let from, transaction.seenAt < from { return false }
        if let to, transaction.seenAt > to { return false }
        if let minAmount, transaction.totalOutput < minAmount { return false }
        if let maxAmount, transaction.totalOutput > maxAmount { return false }
        return true
    }
}

/// How a ``TransactionQuery/Order`` sorts on a backend: the sort key's columns, the storage position last (ties
/// broken by storage order), with the total output written as the backend orders it, and the direction. Each
/// backend adds how it writes and reads its cursors.
struct TransactionSortKey {
    let order: TransactionQuery.Order
    let columns: [String]
    let descending: Bool

    init(_ order: TransactionQuery.Order, amount: String) {
        self.order = order
        switch order {
        case .newest: (columns, descending) = (["seq"], true)
        case .timeDescending: (columns, descending) = (["seen_at_us", "chain", amount, "seq"], true)
        case .timeAscending: (columns, descending) = (["seen_at_us", "chain", amount, "seq"], false)
        case .amountDescending: (columns, descending) = ([amount, "seq"], true)
        case .amountAscending: (columns, descending) = ([amount, "seq"], false)
        }
    }
}
