import CSICCore

/// The funds graph between entities, for Bitcoin: a node is an entity (`entity:<id>`, the addresses spent together,
/// ``ClusterStore``) or an address that has never spent (a node of its own), and an edge `A → B` is a transaction
/// in which addresses of `A` paid addresses of `B` outside `A` — the address graph (``FundsGraph``) with each
/// entity's addresses taken together. A node whose addresses have more than `maxDegree` stored transactions
/// together (or more than `maxDegree` addresses) is a hub and is not expanded: an exchange or a pool says nothing
/// about where funds went.
public struct EntityFundsGraph: Sendable {
    let addressGraph: FundsGraph
    let clusters: any ClusterStore

    public var maxDegree: Int { addressGraph.maxDegree }

    public init(store: any TransactionStore, clusters: any ClusterStore, maxDegree: Int) {
        addressGraph = FundsGraph(store: store, chain: .bitcoin, maxDegree: maxDegree)
        self.clusters = clusters
    }

    /// The node written `entity:<id>`'s entity id, `nil` for any other text.
    public static func entityID(_ node: String) -> Int32? {
        guard node.hasPrefix("entity:"), let id = Int32(node.dropFirst(7)), id >= 0 else { return nil }
        return id
    }

    /// The node of `address`: its entity when it has spent, the address itself otherwise.
    public func node(of address: String) async throws -> String {
        try await clusters.entity(of: address).map { "entity:\($0.id)" } ?? address
    }

    /// Whether `id` is an entity.
    public func exists(entity id: Int32) async throws -> Bool {
        try await clusters.size(ofEntity: id) != nil
    }

    /// The nodes `node` paid (`outgoing`) or was paid by (`incoming`), each with the transaction, in the order of
    /// its addresses and their transactions (newest first); `nil` for a hub.
    public func neighbours(of node: String, _ direction: FundsDirection) async throws -> [(address: String, txid: String)]? {
        guard let members = try await members(of: node) else { return nil }
        let own = Set(members)
        var read = Set<String>()
        var counterparties: [(address: String, txid: String)] = []
        for member in members {
            guard let transactions = try await addressGraph.movements(of: member) else { return nil }
            for transaction in transactions where read.insert(transaction.txid).inserted {
                counterparties += FundsGraph.counterparties(in: transaction, of: own, direction).map { ($0, transaction.txid) }
            }
            guard read.count <= maxDegree else { return nil }
        }
        var nodes: [String: String] = [:]
        var found: [(address: String, txid: String)] = []
        for (address, txid) in counterparties {
            let neighbour: String
            if let known = nodes[address] {
                neighbour = known
            } else {
                neighbour = try await self.node(of: address)
                nodes[address] = neighbour
            }
            if neighbour != node { found.append((neighbour, txid)) }
        }
        return found
    }

    /// The addresses behind a hop between nodes: the first payer of its transaction in `hop.from` and the first of its
    /// payees in `hop.to`; `nil` when the transaction is no longer stored.
    public func addresses(of hop: PathHop) async throws -> (from: String, to: String)? {
        guard let stored = try await addressGraph.store.transaction(id: "\(Chain.bitcoin.idPrefix):\(hop.txid)"),
            let transaction = StoredTransaction.event(payload: stored.payload)
        else { return nil }
        guard let payer = try await first(of: transaction.inputs.compactMap(\.address), in: hop.from),
            let payee = try await first(of: transaction.outputs.compactMap(\.address), in: hop.to)
        else { return nil }
        return (payer, payee)
    }

    /// The first of `addresses` whose node is `node`.
    private func first(of addresses: [String], in node: String) async throws -> String? {
        for address in addresses {
            if try await self.node(of: address) == node { return address }
        }
        return nil
    }

    /// The addresses of `node`; `nil` when there are more than ``maxDegree`` (known from the entity's size, before a
    /// large entity's addresses are walked).
    private func members(of node: String) async throws -> [String]? {
        guard let id = Self.entityID(node) else { return [node] }
        guard let size = try await clusters.size(ofEntity: id) else { return [] }
        guard size <= maxDegree else { return nil }
        let page = try await clusters.addresses(ofEntity: id, limit: maxDegree + 1, cursor: nil)
        return page.items.count > maxDegree ? nil : page.items
    }
}
