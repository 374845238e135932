import CSICCore
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

    /// Newest first, or those touching `address`; 400 `invalid_cursor` for a cursor the store did not make.
    func transactions(address: String?, limit: Int, cursor: String?) async throws -> Page<StoredTransaction> {
        let page = try await pageOrBadCursor { try await store.transactions(address: address, limit: limit, cursor: cursor) }
        guard let address else { return page }
        // The address index is keyed by a 64-bit hash: keep only rows that really touch the address.
        let items = try page.items.filter { try TransactionView($0).addresses.contains(address) }
        return Page(items: items, nextCursor: page.nextCursor)
    }
}
