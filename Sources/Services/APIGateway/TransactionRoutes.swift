import CSICCore
import Hummingbird
import Storage

/// `/api/v1/transactions` and `/api/v1/transactions/{id}`.
public struct TransactionRoutes: APIRoutes {
    let store: any TransactionStore

    public init(store: any TransactionStore) {
        self.store = store
    }

    public func storedCounts() async throws -> [String: Int] {
        ["transactions": try await store.transactionCount()]
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "transactions/{id}", access: .roles("transactions.read", .admin, .supervisor, .analyst, .auditor),
                summary: "One transaction by event id (btc:<txid>) or bare txid", response: .reference("Transaction")
            ) { _, context in
                let id = try context.parameters.require("id")
                guard id.utf8.count <= 200 else { throw APIError.invalid("id", "id must be at most 200 characters") }
                // Accept the event id (`btc:<txid>`) or a bare txid.
                let candidates = id.contains(":") ? [id] : Chain.allCases.map { "\($0.idPrefix):\(id.lowercased())" }
                for candidate in candidates {
                    if let row = try await store.transaction(id: candidate) { return try TransactionView(row) }
                }
                throw APIError.notFound("transaction \(id)")
            },
            APIRoute(
                .get, "transactions", access: .roles("transactions.read", .admin, .supervisor, .analyst, .auditor),
                summary: "Transactions newest first, or those touching an address",
                query: [.text("address", "only transactions touching this address"), .limit(default: 50, maximum: 1000), .cursor],
                response: .reference("TransactionPage")
            ) { request, _ in
                let address = try request.textParameter("address")
                let page = try await pageOrBadCursor {
                    try await store.transactions(
                        address: address,
                        limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                // The address index is keyed by a 64-bit hash: keep only rows that really touch the address.
                let items = try page.items.map(TransactionView.init).filter { view in address.map(view.addresses.contains) ?? true }
                return PageView(items: items, nextCursor: page.nextCursor)
            },
        ]
    }
}

/// `/api/v1/dead-letters`: rejected input with its raw bytes and the reason.
public struct DeadLetterRoutes: APIRoutes {
    let store: any DeadLetterStore

    public init(store: any DeadLetterStore) {
        self.store = store
    }

    public func storedCounts() async throws -> [String: Int] {
        ["dead_letters": try await store.deadLetterCount()]
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "dead-letters", access: .roles("dead_letters.read", .admin, .supervisor, .analyst, .auditor),
                summary: "Rejected input with its reason, newest first",
                query: [.text("source", "only what this source sent"), .limit(default: 50, maximum: 1000), .cursor],
                response: .reference("DeadLetterPage"),
                redaction: Redaction(fields: ["key_base64", "payload_base64"], visibleTo: [.admin, .supervisor])
            ) { request, context in
                let page = try await pageOrBadCursor {
                    try await store.deadLetters(
                        source: try request.textParameter("source"),
                        limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                let hidden = context.hiddenFields
                return PageView(items: page.items.map { DeadLetterView($0, hiding: hidden) }, nextCursor: page.nextCursor)
            }
        ]
    }
}
