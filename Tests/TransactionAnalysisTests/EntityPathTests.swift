import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Storage
import Testing
import TransactionAnalysis

/// The funds graph between entities, read from the stored transactions and the stored clustering on every backend:
/// a flow that only entities reveal, its hops' addresses, the incoming side, and entity hubs.
@Suite struct EntityPathTests {
    /// Stores `transactions` through the transaction engine and their clustering.
    static func store(_ transactions: [ChainTransaction], in database: StoreDatabase) async throws {
        let records = transactions.enumerated().map { offset, transaction in
            LogRecord(
                topic: Topic.transactions.rawValue, partition: 0, offset: Int64(offset), timestamp: transaction.seenAt,
                key: Array(transaction.txid.utf8), value: TransactionTopicEvent.transaction(transaction).serializedProto())
        }
        let output = try await TransactionEngine().process(records)
        #expect(output.deadLetters.isEmpty)
        try await database.store.apply(database.store.prepare(output.effects))
        var clusters = AddressClusters()
        for transaction in transactions { _ = clusters.apply(transaction) }
        try await database.clusters.apply(clusters.takeChanges())
    }

    static func txid(_ number: Int) -> String { String(repeating: "0", count: 63) + "\(number)" }

    /// Transaction `number`: `payers` pay `payees`, spending outputs of a transaction the store has not seen.
    static func payment(_ number: Int, _ payers: [String], pay payees: String...) -> ChainTransaction {
        var transaction = spend(txid(number), payers, pay: payees.map { ($0, 500) })
        for index in transaction.inputs.indices { transaction.inputs[index].previousTxid = String(repeating: "f", count: 64) }
        return transaction
    }

    /// `a1` paid `w` and `b1`, `b2` paid `c1`, and `b1` and `b2` were later spent together: no flow of funds from `a1` to `c1`
    /// between addresses, one between entities, through the entity of `b1` and `b2`.
    @Test(arguments: StoreBackend.available) func entitiesRevealAFlowThatAddressesDoNot(_ backend: StoreBackend) async throws {
        let database = try await backend.database(migrations: ClusterTables.migrations)
        let (paid, paidOn, joined) = (
            Self.payment(1, ["a1"], pay: "w", "b1"), Self.payment(2, ["b2"], pay: "c1"), Self.payment(3, ["b1", "b2"], pay: "z")
        )
        try await Self.store([paid, paidOn, joined], in: database)
        let addressGraph = FundsGraph(store: database.store, chain: .bitcoin, maxDegree: 100)
        let betweenAddresses = try await PathSearch(maxDepth: 7).search(from: "a1", to: "c1") {
            try await addressGraph.neighbours(of: $0, $1)
        }
        #expect(betweenAddresses.path == nil)

        let graph = EntityFundsGraph(store: database.store, clusters: database.clusters, maxDegree: 100)
        let (a1, b, c1) = (try await graph.node(of: "a1"), try await graph.node(of: "b2"), try await graph.node(of: "c1"))
        #expect(a1.hasPrefix("entity:") && b.hasPrefix("entity:") && a1 != b)
        #expect(try await graph.node(of: "b1") == b, "spent together")
        #expect(c1 == "c1", "never spent: a node of its own")
        #expect(try await graph.neighbours(of: b, .outgoing)?.map(\.address) == ["z", "c1"], "newest first, its own addresses not")
        #expect(try await graph.neighbours(of: b, .incoming)?.map(\.address) == [a1])
        #expect(try await graph.neighbours(of: "c1", .incoming)?.map { "\($0.address) \($0.txid)" } == ["\(b) \(paidOn.txid)"])

        let found = try await PathSearch(maxDepth: 7).search(from: a1, to: "c1") { try await graph.neighbours(of: $0, $1) }
        let hops = try #require(found.path)
        #expect(hops == [PathHop(from: a1, to: b, txid: paid.txid), PathHop(from: b, to: "c1", txid: paidOn.txid)])
        #expect(try await graph.addresses(of: hops[0]).map { "\($0.from)>\($0.to)" } == "a1>b1")
        #expect(try await graph.addresses(of: hops[1]).map { "\($0.from)>\($0.to)" } == "b2>c1")
        #expect(try await graph.addresses(of: PathHop(from: a1, to: b, txid: Self.txid(9))) == nil, "no such transaction")

        let tight = EntityFundsGraph(store: database.store, clusters: database.clusters, maxDegree: 2)
        #expect(try await tight.neighbours(of: b, .outgoing) == nil, "three transactions together, above two")
        #expect(try await tight.neighbours(of: a1, .outgoing)?.map(\.address) == [b, "w"], "payees in address order")
        #expect(EntityFundsGraph.entityID("entity:12") == 12 && EntityFundsGraph.entityID("entity:-1") == nil)
        #expect(EntityFundsGraph.entityID("12") == nil && EntityFundsGraph.entityID("entity:x") == nil)
    }
}
