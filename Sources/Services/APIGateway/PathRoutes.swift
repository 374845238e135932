import CSICCore
import Hummingbird
import Storage

/// `/api/v1/paths`: how funds could have gone from one address or entity to another — the shortest chain of
/// payments of at most `max_depth` hops (up to 7) through the stored transactions, found by a bounded
/// bidirectional search (``PathSearch``) that does not expand hubs (nodes with more than `max_degree`
/// transactions) and stops, saying so, at the search's default bounds (20,000 nodes or 1.5 s). `over=entities`
/// searches between Bitcoin entities (``EntityFundsGraph``): `from` and `to` may then be `entity:<id>` or an
/// address, which stands for its entity, and each hop names the addresses that paid and were paid. On Ethereum an
/// account is its own entity, so both searches are the same.
public struct PathRoutes: APIRoutes {
    let transactions: any TransactionStore
    let clusters: any ClusterStore

    public init(transactions: any TransactionStore, clusters: any ClusterStore) {
        self.transactions = transactions
        self.clusters = clusters
    }

    /// What the nodes of a search are.
    enum Nodes: String, CaseIterable {
        case addresses, entities
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "paths", access: .transactionsRead,
                summary: "The shortest flow of funds from one address or entity to another within max_depth hops, hubs skipped",
                query: [
                    QueryParameter("from", .text, "the paying address, or with over=entities an entity:<id> (required)"),
                    QueryParameter("to", .text, "the paid address, or with over=entities an entity:<id> (required)"),
                    QueryParameter("max_depth", .integer(minimum: 1, maximum: 7), "the most hops (7 by default)"),
                    QueryParameter(
                        "max_degree", .integer(minimum: 1, maximum: 1_000),
                        "nodes with more stored transactions (entities: together) than this are hubs and are not expanded (100 by default)"
                    ),
                    QueryParameter("chain", .string(values: Chain.allCases.map(\.rawValue)), "the chain (default: by the address's form)"),
                    QueryParameter(
                        "over", .string(values: Nodes.allCases.map(\.rawValue)),
                        "search between addresses (default) or between entities, the addresses spent together"),
                ],
                response: .reference("Path")
            ) { request, _ in
                guard let fromText = try request.textParameter("from") else { throw APIError.invalid("from", "from is required") }
                guard let toText = try request.textParameter("to") else { throw APIError.invalid("to", "to is required") }
                let chain = try request.chainParameter(defaultingFor: fromText)
                let over: Nodes = try request.textParameter("over").map { try caseNamed($0, field: "over") } ?? .addresses
                let maxDepth = try request.boundedInteger("max_depth", default: 7, range: 1...7)
                let maxDegree = try request.boundedInteger("max_degree", default: 100, range: 1...1_000)
                let search = PathSearch(maxDepth: maxDepth)
                let view = PathView(over: over, chain: chain, maxDepth: maxDepth, maxDegree: maxDegree)
                guard over == .entities, chain == .bitcoin else {
                    let from = try Self.address(fromText, "from", on: chain)
                    let to = try Self.address(toText, "to", on: chain)
                    let graph = FundsGraph(store: transactions, chain: chain, maxDegree: maxDegree)
                    let found = try await search.search(from: from, to: to) { try await graph.neighbours(of: $0, $1) }
                    return view.with(from: from, to: to, found, hops: found.path?.map { PathView.Hop($0) })
                }
                let graph = EntityFundsGraph(store: transactions, clusters: clusters, maxDegree: maxDegree)
                let from = try await node(fromText, "from", graph)
                let to = try await node(toText, "to", graph)
                let found = try await search.search(from: from, to: to) { try await graph.neighbours(of: $0, $1) }
                var hops: [PathView.Hop] = []
                for hop in found.path ?? [] {
                    let addresses = try await graph.addresses(of: hop)
                    hops.append(PathView.Hop(hop, fromAddress: addresses?.from, toAddress: addresses?.to))
                }
                return view.with(from: from, to: to, found, hops: found.path == nil ? nil : hops)
            }
        ]
    }

    /// `text` as an address of `chain`, or a 400 naming `field`.
    private static func address(_ text: String, _ field: String, on chain: Chain) throws -> String {
        guard let address = chain.normalizedAddress(text) else {
            throw APIError.invalid(field, "\(field) is not a \(chain.rawValue) address")
        }
        return address
    }

    /// `text` as a node of the entity graph: `entity:<id>` of an entity that exists, or a Bitcoin address's node.
    private func node(_ text: String, _ field: String, _ graph: EntityFundsGraph) async throws -> String {
        guard text.hasPrefix("entity:") else { return try await graph.node(of: Self.address(text, field, on: .bitcoin)) }
        guard let id = EntityFundsGraph.entityID(text) else { throw APIError.invalid(field, "\(field) is not entity:<number>") }
        guard try await graph.exists(entity: id) else { throw APIError.notFound("entity \(id)") }
        return text
    }
}

/// `GET /api/v1/paths`.
struct PathView: ResponseEncodable {
    /// One payment of the path; between entities, with the addresses that paid and were paid.
    struct Hop: Codable, Sendable {
        var from: String
        var to: String
        var txid: String
        var fromAddress: String?
        var toAddress: String?

        init(_ hop: PathHop, fromAddress: String? = nil, toAddress: String? = nil) {
            from = hop.from
            to = hop.to
            txid = hop.txid
            self.fromAddress = fromAddress
            self.toAddress = toAddress
        }
    }

    var from = ""
    var to = ""
    var over: String
    var chain: Chain
    var maxDepth: Int
    var maxDegree: Int
    var found = false
    var hops: [Hop]?
    var expanded = 0
    var skippedHubs = 0
    var truncated = false

    init(over: PathRoutes.Nodes, chain: Chain, maxDepth: Int, maxDegree: Int) {
        self.over = over.rawValue
        self.chain = chain
        self.maxDepth = maxDepth
        self.maxDegree = maxDegree
    }

    /// This view with the search from `from` to `to` and what it found.
    func with(from: String, to: String, _ result: PathSearchResult, hops: [Hop]?) -> PathView {
        var view = self
        view.from = from
        view.to = to
        view.found = result.path != nil
        view.hops = hops
        view.expanded = result.expanded
        view.skippedHubs = result.skippedHubs
        view.truncated = result.truncated
        return view
    }
}
