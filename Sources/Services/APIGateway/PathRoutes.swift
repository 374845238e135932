import CSICCore
import Hummingbird
import Storage

/// `/api/v1/paths`: how funds could have gone from one address to another — the shortest chain of payments
/// of at most `max_depth` hops (up to 7) through the stored transactions, found by a bounded bidirectional
/// search (``PathSearch``) that does not expand hubs (addresses with more than `max_degree` transactions) and
/// stops, saying so, at the search's default bounds (20,000 addresses or 1.5 s).
public struct PathRoutes: APIRoutes {
    let transactions: any TransactionStore

    public init(transactions: any TransactionStore) {
        self.transactions = transactions
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "paths", access: .transactionsRead,
                summary: "The shortest flow of funds from one address to another within max_depth hops, hubs skipped",
                query: [
                    QueryParameter("from", .text, "the paying address (required)"),
                    QueryParameter("to", .text, "the paid address (required)"),
                    QueryParameter("max_depth", .integer(minimum: 1, maximum: 7), "the most hops (7 by default)"),
                    QueryParameter(
                        "max_degree", .integer(minimum: 1, maximum: 1_000),
                        "addresses with more stored transactions than this are hubs and are not expanded (100 by default)"),
                    QueryParameter("chain", .string(values: Chain.allCases.map(\.rawValue)), "the chain (default: by the address's form)"),
                ],
                response: .reference("Path")
            ) { request, _ in
                guard let fromText = try request.textParameter("from") else { throw APIError.invalid("from", "from is required") }
                guard let toText = try request.textParameter("to") else { throw APIError.invalid("to", "to is required") }
                let chain = try request.chainParameter(defaultingFor: fromText)
                guard let from = chain.normalizedAddress(fromText) else {
                    throw APIError.invalid("from", "from is not a \(chain.rawValue) address")
                }
                guard let to = chain.normalizedAddress(toText) else {
                    throw APIError.invalid("to", "to is not a \(chain.rawValue) address")
                }
                let maxDepth = try request.boundedInteger("max_depth", default: 7, range: 1...7)
                let maxDegree = try request.boundedInteger("max_degree", default: 100, range: 1...1_000)
                let graph = FundsGraph(store: transactions, chain: chain, maxDegree: maxDegree)
                let found = try await PathSearch(maxDepth: maxDepth).search(
                    from: from, to: to
                ) {
                    try await graph.neighbours(of: $0, $1)
                }
                return PathView(
                    from: from, to: to, chain: chain, maxDepth: maxDepth, maxDegree: maxDegree, found: found.path != nil,
                    hops: found.path, expanded: found.expanded, skippedHubs: found.skippedHubs, truncated: found.truncated)
            }
        ]
    }
}

/// `GET /api/v1/paths`.
struct PathView: ResponseEncodable {
    var from: String
    var to: String
    var chain: Chain
    var maxDepth: Int
    var maxDegree: Int
    var found: Bool
    var hops: [PathHop]?
    var expanded: Int
    var skippedHubs: Int
    var truncated: Bool
}
