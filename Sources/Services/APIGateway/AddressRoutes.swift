import CSICCore
import Hummingbird
import Storage

/// `/api/v1/addresses/{address}` and `/api/v1/entities/{id}`: what the platform knows of an address — its tags in
/// force, its entity (the multi-input cluster), when it was first and last seen, the risk of its recent
/// transactions and the findings about it — and of an entity: its addresses a page at a time with their tags.
public struct AddressRoutes: APIRoutes {
    let transactions: any TransactionStore
    let tags: any TagStore
    let clusters: any ClusterStore
    let assessments: any RiskAssessmentStore
    let findings: any AlertStore

    /// How many of the address's newest transactions its risk summary reads.
    static let recentTransactions = 50
    /// How many of the address's newest transactions its totals read.
    static let totalsTransactions = 5_000

    public init(
        transactions: any TransactionStore, tags: any TagStore, clusters: any ClusterStore, assessments: any RiskAssessmentStore,
        findings: any AlertStore
    ) {
        self.transactions = transactions
        self.tags = tags
        self.clusters = clusters
        self.assessments = assessments
        self.findings = findings
    }

    public var routes: [APIRoute] {
        [
            APIRoute(
                .get, "addresses/{address}", access: .transactionsRead,
                summary: "An address: tags in force, entity, first and last seen, the risk of its newest transactions, findings about it",
                query: [
                    QueryParameter("chain", .string(values: Chain.allCases.map(\.rawValue)), "the chain (default: by the address's form)")
                ],
                response: .reference("Address")
            ) { request, context in
                let text = try context.parameters.require("address")
                let chain = try request.chainParameter(defaultingFor: text)
                guard text.utf8.count <= 200, let address = chain.normalizedAddress(text) else {
                    throw APIError(.badRequest, code: "invalid_address", message: "not a \(chain.rawValue) address")
                }
                return try await view(address, chain: chain)
            },
            APIRoute(
                .get, "entities/{id}", access: .transactionsRead,
                summary:
                    "An entity (addresses spent together): its size, category, the tags of its addresses, its counterparties, and its addresses a page at a time",
                query: [.limit(default: 100, maximum: 1000), .cursor], response: .reference("Entity")
            ) { request, context in
                let text = try context.parameters.require("id")
                guard let id = Int32(text.hasPrefix("entity:") ? String(text.dropFirst(7)) : text), id >= 0 else {
                    throw APIError(.badRequest, code: "invalid_entity", message: "an entity id is entity:<number> or <number>")
                }
                let page = try await pageOrBadCursor {
                    try await clusters.addresses(
                        ofEntity: id, limit: try request.boundedInteger("limit", default: 100, range: 1...1000),
                        cursor: try request.textParameter("cursor"))
                }
                // A page holds only the entity's own members, and none when `id` is no entity.
                guard !page.items.isEmpty, let size = try await clusters.size(ofEntity: id) else {
                    throw APIError.notFound("entity \(text.prefix(200))")
                }
                let tagged = try await tags.tags(chain: .bitcoin, addresses: page.items)
                let summary = try await EntitySummary.read(entity: id, clusters: clusters, tags: tags, transactions: transactions)
                return EntityView(
                    id: "entity:\(id)", size: Int(size), category: summary.category, categories: summary.categories,
                    tags: summary.tags, counterparties: summary.counterparties, membersRead: summary.membersRead,
                    transactionsRead: summary.transactionsRead, complete: summary.complete,
                    addresses: page.items.map { EntityView.Member(address: $0, tags: tagged[$0]?.map(TagView.init) ?? []) },
                    nextCursor: page.nextCursor)
            },
        ]
    }

    private func view(_ address: String, chain: Chain) async throws -> AddressView {
        let (history, complete) = try await newestTransactions(of: address)
        let first = try await transactions.transactions(TransactionQuery(address: address, order: .timeAscending), limit: 1, cursor: nil)
        let listed = try await tags.tags(chain: chain, addresses: [address])[address] ?? []
        let entity = chain == .bitcoin ? try await clusters.entity(of: address) : nil
        guard !history.isEmpty || !listed.isEmpty || entity != nil else { throw APIError.notFound("address \(address)") }
        let mine = history.prefix(Self.recentTransactions).filter { $0.chain == chain }
        let risks = try await assessments.latest(chain: chain, txids: mine.map(\.txid))
        let scored = mine.compactMap { stored in risks[stored.txid].map { (stored, $0) } }
        let about = try await findings.findings(FindingQuery(subject: address), limit: 20, cursor: nil)
        return AddressView(
            address: address, chain: chain, tags: listed.map(TagView.init),
            entity: entity.map { AddressView.Entity(id: "entity:\($0.id)", size: Int($0.size)) },
            firstSeen: first.items.first?.seenAt, lastSeen: mine.map(\.seenAt).max(),
            totals: AddressTotals(address, chain: chain, history: history, complete: complete),
            risk: AddressView.Risk(
                transactionsRead: mine.count, maxScore: scored.map(\.1.score).max(),
                recent: scored.prefix(20).map {
                    AddressView.Scored(txid: $0.0.txid, seenAt: $0.0.seenAt, score: $0.1.score, band: $0.1.band)
                }),
            findings: about.items)
    }

    /// The address's newest transactions, at most ``totalsTransactions``, and whether that is all of them.
    private func newestTransactions(of address: String) async throws -> ([StoredTransaction], complete: Bool) {
        var history: [StoredTransaction] = []
        var cursor: String?
        repeat {
            let page = try await transactions.transactions(
                TransactionQuery(address: address), limit: min(1_000, Self.totalsTransactions - history.count), cursor: cursor)
            history += page.items
            cursor = page.nextCursor
        } while cursor != nil && history.count < Self.totalsTransactions
        return (history, cursor == nil)
    }
}

/// A tag in force as the address views show it.
struct TagView: Codable, Sendable {
    var label: String
    var category: TagCategory?
    var source: String
    var confidence: Int
    var actor: String?
    var list: String
    var listVersion: Int

    init(_ listed: ListedTag) {
        label = listed.tag.label
        category = listed.tag.category
        source = listed.tag.source
        confidence = listed.tag.confidence
        actor = listed.tag.actor
        list = listed.list
        listVersion = listed.version
    }
}

/// `GET /api/v1/addresses/{address}`.
struct AddressView: ResponseEncodable {
    struct Entity: Codable, Sendable {
        var id: String
        var size: Int
    }

    struct Scored: Codable, Sendable {
        var txid: String
        var seenAt: Timestamp
        var score: Int
        var band: RiskBand
    }

    /// The risk of the address's newest transactions (at most ``AddressRoutes/recentTransactions`` read).
    struct Risk: Codable, Sendable {
        var transactionsRead: Int
        var maxScore: Int?
        var recent: [Scored]
    }

    var address: String
    var chain: Chain
    var tags: [TagView]
    var entity: Entity?
    var firstSeen: Timestamp?
    var lastSeen: Timestamp?
    var totals: AddressTotals
    var risk: Risk
    var findings: [ComplianceFinding]
}

/// `GET /api/v1/entities/{id}`.
struct EntityView: ResponseEncodable {
    struct Member: Codable, Sendable {
        var address: String
        var tags: [TagView]
    }

    var id: String
    var size: Int
    /// ``EntitySummary``: what all its addresses say, within bounds.
    var category: TagCategory?
    var categories: [String: Int]
    var tags: [EntitySummary.EntityTag]
    var counterparties: [EntitySummary.Counterparty]
    var membersRead: Int
    var transactionsRead: Int
    var complete: Bool
    /// This page of its addresses.
    var addresses: [Member]
    var nextCursor: String?
}
