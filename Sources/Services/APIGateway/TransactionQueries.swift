import CSICCore
import Hummingbird
import Storage

/// What REST and gRPC ask of stored transactions, with the same checks and the same errors.
public struct TransactionQueries: Sendable {
    let store: any TransactionStore

    public init(store: any TransactionStore) {
        self.store = store
    }

    /// The transaction with event id `id` (`btc:<txid>`) or bare txid; 404 when none is stored.
    func transaction(id: String) async throws -> StoredTransaction {
        guard id.utf8.count <= 200 else { throw APIError.invalid("id", "id must be at most 200 characters") }
        let candidates = id.contains(":") ? [id] : Chain.allCases.map { "\($0.idPrefix):\(id.lowercased())" }
        for candidate in candidates {
            if let row = try await store.transaction(id: candidate) { return row }
        }
        throw APIError.notFound("transaction \(id)")
    }

    /// What `query` selects, a page at a time; 400 `invalid_cursor` for a cursor the store did not make (or
    /// made for another order).
    func transactions(_ query: TransactionQuery, limit: Int, cursor: String?) async throws -> Page<StoredTransaction> {
        let page = try await pageOrBadCursor { try await store.transactions(query, limit: limit, cursor: cursor) }
        guard let address = query.address else { return page }
        // The address index is keyed by a 64-bit hash: keep only rows that really touch the address.
        let items = try page.items.filter { try TransactionView($0).addresses.contains(address) }
        return Page(items: items, nextCursor: page.nextCursor)
    }
}

extension TransactionQuery {
    /// A query from its parts as REST's query parameters and gRPC's request fields carry them, each checked
    /// (400 / INVALID_ARGUMENT naming the field).
    static func parsing(
        address: String?, chain: String?, from: Timestamp?, to: Timestamp?, minAmount: String?, maxAmount: String?, sort: String?
    ) throws -> TransactionQuery {
        TransactionQuery(
            address: address, chain: try chain.map { try caseNamed($0, field: "chain") }, from: from, to: to,
            minAmount: try minAmount.map { try amount($0, "min_amount") }, maxAmount: try maxAmount.map { try amount($0, "max_amount") },
            order: try sort.map { try caseNamed($0, field: "sort") } ?? .newest)
    }

    /// A non-negative integer amount in base units (at most 78 digits, below 2^256).
    private static func amount(_ text: String, _ field: String) throws -> Amount {
        guard text.utf8.count <= 78, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let amount = Amount(decimal: text) else {
            throw APIError.invalid(field, "\(field) must be an integer amount in base units (satoshi, wei)")
        }
        return amount
    }
}

extension Request {
    /// The filters and order of a transaction list from its query parameters.
    func transactionQuery() throws -> TransactionQuery {
        try .parsing(
            address: try textParameter("address"), chain: try textParameter("chain"), from: try timeParameter("from"),
            to: try timeParameter("to"), minAmount: try textParameter("min_amount"), maxAmount: try textParameter("max_amount"),
            sort: try textParameter("sort"))
    }
}
