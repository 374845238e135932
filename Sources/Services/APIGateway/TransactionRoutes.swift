import CSICCore
import Hummingbird
import Storage

/// `/api/v1/transactions` and `/api/v1/transactions/{id}`, each transaction with its latest risk score (and, for
/// one transaction, the whole assessment) when `assessments` are given.
public struct TransactionRoutes: APIRoutes {
    let queries: TransactionQueries
    let assessments: (any RiskAssessmentStore)?

    public init(store: any TransactionStore, assessments: (any RiskAssessmentStore)? = nil) {
        queries = TransactionQueries(store: store)
        self.assessments = assessments
    }

    /// The latest assessment of each of `rows` that has one, by chain and txid.
    private func risks(_ rows: [StoredTransaction]) async throws -> [Chain: [String: RiskAssessment]] {
        guard let assessments else { return [:] }
        var found: [Chain: [String: RiskAssessment]] = [:]
        for chain in Chain.allCases {
            let txids = rows.filter { $0.chain == chain }.map(\.txid)
            if !txids.isEmpty { found[chain] = try await assessments.latest(chain: chain, txids: txids) }
        }
        return found
    }

    public func storedCounts() async throws -> [String: Int] {
        ["transactions": try await queries.store.transactionCount()]
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "transactions/{id}", access: .transactionsRead,
                summary: "One transaction by event id (btc:<txid>) or bare txid", response: .reference("Transaction")
            ) { _, context in
                let row = try await queries.transaction(id: try context.parameters.require("id"))
                return try TransactionView(row, risk: try await risks([row])[row.chain]?[row.txid], detailed: true)
            },
            APIRoute(
                .get, "transactions", access: .transactionsRead,
                summary: "Transactions newest first, or filtered by address, chain, time and amount and sorted",
                query: [
                    .text("address", "only transactions touching this address"),
                    QueryParameter("chain", .string(values: Chain.allCases.map(\.rawValue)), "only this chain"),
                    .time("from", "seen at or after"), .time("to", "seen at or before"),
                    QueryParameter("min_amount", .string(pattern: "^[0-9]{1,78}$"), "total output at least this, in base units"),
                    QueryParameter("max_amount", .string(pattern: "^[0-9]{1,78}$"), "total output at most this, in base units"),
                    QueryParameter(
                        "sort", .string(values: TransactionQuery.Order.allCases.map(\.rawValue)),
                        "newest (stored, the default), -time/time (seen), -amount/amount (total output)"),
                    .limit(default: 50, maximum: 1000), .cursor,
                ],
                response: .reference("TransactionPage")
            ) { request, _ in
                let page = try await queries.transactions(
                    try request.transactionQuery(), limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                    cursor: try request.textParameter("cursor"))
                let risks = try await risks(page.items)
                return PageView(
                    items: try page.items.map { try TransactionView($0, risk: risks[$0.chain]?[$0.txid]) }, nextCursor: page.nextCursor)
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
                redaction: .deadLetterBytes
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
