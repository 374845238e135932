import CSICCore
import CSICProtos
import CSICTestSupport
import Storage
import Testing

/// The bounded bidirectional search on hand-built funds graphs, and the funds graph read from a store on both
/// backends.
@Suite struct PathSearchTests {
    /// Edges `payer -> payee` named by their txid; hubs answer `nil`.
    struct Graph {
        var edges: [(from: String, to: String, txid: String)]
        var hubs: Set<String> = []

        func neighbours(_ address: String, _ direction: FundsDirection) -> [(address: String, txid: String)]? {
            guard !hubs.contains(address) else { return nil }
            return switch direction {
            case .outgoing: edges.filter { $0.from == address }.map { ($0.to, $0.txid) }
            case .incoming: edges.filter { $0.to == address }.map { ($0.from, $0.txid) }
            }
        }
    }

    func search(_ graph: Graph, _ from: String, _ to: String, depth: Int = 7, budget: Int = 1_000) async throws -> PathSearchResult {
        try await PathSearch(maxDepth: depth, budget: budget).search(from: from, to: to) { graph.neighbours($0, $1) }
    }

    /// A chain `a -> b -> ... ` of `hops` payments.
    func chain(_ names: [String], prefix: String = "t") -> [(from: String, to: String, txid: String)] {
        zip(names, names.dropFirst()).enumerated().map { ($0.element.0, $0.element.1, "\(prefix)\($0.offset)") }
    }

    @Test func theShortestFlowIsFoundWithItsTransactionsInOrder() async throws {
        var graph = Graph(edges: chain(["a", "b", "c", "d", "e"], prefix: "long"))
        graph.edges += chain(["a", "x", "e"], prefix: "short")
        graph.edges += [("c", "noise", "n1"), ("noise2", "d", "n2")]
        let found = try await search(graph, "a", "e")
        #expect(found.path == [PathHop(from: "a", to: "x", txid: "short0"), PathHop(from: "x", to: "e", txid: "short1")])
        let long = try await search(Graph(edges: chain(["a", "b", "c", "d", "e"])), "a", "e")
        #expect(long.path?.map(\.txid) == ["t0", "t1", "t2", "t3"])
        #expect(long.path?.map(\.from) == ["a", "b", "c", "d"] && long.path?.last?.to == "e")
    }

    /// Seven hops are found at depth 7 and not at 6; funds do not flow backwards; an unknown address has no path.
    @Test func depthAndDirectionBoundTheSearch() async throws {
        let names = (0...7).map { "n\($0)" }
        let graph = Graph(edges: chain(names))
        #expect(try await search(graph, "n0", "n7", depth: 7).path?.count == 7)
        let shallow = try await search(graph, "n0", "n7", depth: 6)
        #expect(shallow.path == nil && !shallow.truncated)
        #expect(try await search(graph, "n7", "n0").path == nil)
        #expect(try await search(graph, "n0", "nowhere").path == nil)
        #expect(try await search(graph, "n3", "n3").path == [])
    }

    /// A path only through a hub is not a path; the hub is counted as skipped; the budget stops a wide search.
    @Test func hubsAreSkippedAndTheBudgetStopsTheSearch() async throws {
        var graph = Graph(edges: chain(["a", "exchange", "b"]), hubs: ["exchange"])
        let viaHub = try await search(graph, "a", "b")
        #expect(viaHub.path == nil && viaHub.skippedHubs >= 1)
        graph.hubs = []
        #expect(try await search(graph, "a", "b").path?.count == 2)

        let wide = Graph(edges: (0..<50).map { ("a", "m\($0)", "w\($0)") } + (0..<50).map { ("p\($0)", "target", "v\($0)") })
        let stopped = try await search(wide, "a", "target", budget: 10)
        #expect(stopped.truncated && stopped.expanded == 10 && stopped.path == nil)
        let late = try await PathSearch(maxDepth: 7, timeLimit: .zero).search(from: "a", to: "target") { wide.neighbours($0, $1) }
        #expect(late.truncated && late.expanded == 0, "out of time before the first expansion")
    }

    static func stored(_ transaction: ChainTransaction, offset: Int64, status: TransactionStatus = .confirmed) -> TransactionWrite {
        TransactionWrite(
            StoredTransaction(
                id: "\(transaction.chain.idPrefix):\(transaction.txid)", chain: transaction.chain, txid: transaction.txid,
                blockHeight: nil, blockHash: nil, blockTime: nil, seenAt: transaction.seenAt, fee: nil, totalOutput: Amount(1_000),
                inputCount: transaction.inputs.count, outputCount: transaction.outputs.count, status: status, riskScore: nil,
                payload: TransactionTopicEvent.transaction(transaction).serializedProto(),
                source: LogPosition(topic: "transactions", partition: 0, offset: offset)),
            addresses: transaction.addresses)
    }

    static func payment(_ number: Int, from payers: [String], to payees: [String]) -> ChainTransaction {
        ChainTransaction(
            chain: .bitcoin, txid: String(format: "%064x", number), block: nil,
            seenAt: Timestamp(secondsSinceEpoch: 1_796_000_000 + Int64(number)),
            inputs: payers.enumerated().map {
                TransactionInput(previousTxid: String(repeating: "f", count: 64), previousIndex: UInt32($0.offset), address: $0.element)
            },
            outputs: payees.enumerated().map {
                TransactionOutput(index: UInt32($0.offset), address: $0.element, value: Amount(100), scriptType: "p2wpkh")
            })
    }

    /// The graph read from stored transactions: payees of what an address paid (its change excluded), payers of
    /// what it received, a hub above the degree limit; the search over it finds the stored flow.
    @Test(arguments: StoreBackend.available) func theFundsGraphIsReadFromTheStore(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let hubPayments = (0..<4).map { Self.payment(100 + $0, from: ["hub"], to: ["h\($0)", "hub"]) }
        let transactions =
            [
                Self.payment(1, from: ["a"], to: ["b", "a"]), Self.payment(2, from: ["b", "b2"], to: ["c"]),
                Self.payment(4, from: ["a", "z"], to: ["a", "y"]),
                Self.payment(3, from: ["c"], to: ["hub"]),
            ] + hubPayments
        try await store.apply(transactions.enumerated().map { Self.stored($0.element, offset: Int64($0.offset)) })
        try await store.apply([
            Self.stored(Self.payment(5, from: ["a"], to: ["orphaned"]), offset: 20, status: .reverted),
            Self.stored(Self.payment(6, from: ["c"], to: ["failed"]), offset: 21, status: .failed),
        ])
        let graph = FundsGraph(store: store, chain: .bitcoin, maxDegree: 3)
        #expect(try await graph.neighbours(of: "a", .outgoing)?.map(\.address) == ["y", "b"], "its orphaned payment moved nothing")
        #expect(try await graph.neighbours(of: "c", .outgoing)?.map(\.address) == ["hub"], "its failed payment moved nothing")
        #expect(try await graph.neighbours(of: "a", .incoming)?.isEmpty == true)
        #expect(try await graph.neighbours(of: "c", .incoming)?.map(\.address) == ["b", "b2"])
        #expect(try await graph.neighbours(of: "b", .incoming)?.map(\.address) == ["a"])
        #expect(try await graph.neighbours(of: "a", .incoming)?.isEmpty == true, "its change is not paid to it by itself")
        #expect(try await graph.neighbours(of: "hub", .outgoing) == nil, "five transactions, above the limit of three")
        let found = try await PathSearch(maxDepth: 7).search(from: "a", to: "c") { try await graph.neighbours(of: $0, $1) }
        #expect(found.path?.map(\.txid) == [transactions[0].txid, transactions[1].txid])
        #expect(try await PathSearch(maxDepth: 7).search(from: "z", to: "a") { try await graph.neighbours(of: $0, $1) }.path == nil)
        let onEthereum = FundsGraph(store: store, chain: .ethereum, maxDegree: 3)
        #expect(try await onEthereum.neighbours(of: "a", .outgoing)?.isEmpty == true)
    }

    /// On Ethereum: the sender pays the recipient a non-zero value, a token transfer pays its recipient, a call that
    /// moves no ether and a failed transaction are no edges; a flow of ether then USDT is found.
    @Test(arguments: StoreBackend.available) func ethereumPaymentsAndTokenTransfersAreEdges(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let (alice, bob, carol, dave, usdt) = ("0xA1", "0xB0", "0xC0", "0xD0", "0x70")
        func call(
            _ number: Int, _ from: String, _ to: String, value: UInt64, transfers: [(String, String)] = [], failed: Bool = false
        )
            -> ChainTransaction
        {
            ChainTransaction(
                chain: .ethereum, txid: String(format: "%064x", number), block: nil,
                seenAt: Timestamp(secondsSinceEpoch: 1_796_000_000 + Int64(number)), from: from, to: to, value: Amount(value),
                tokenTransfers: transfers.enumerated().map {
                    TokenTransfer(token: usdt, from: $0.element.0, to: $0.element.1, value: Amount(5), logIndex: UInt32($0.offset))
                }, status: failed ? .failed : .confirmed)
        }
        let paid = call(1, alice, bob, value: 1_000)
        let tokens = call(2, bob, usdt, value: 0, transfers: [(bob, carol)])
        let transactions = [paid, tokens, call(3, alice, dave, value: 0), call(4, carol, dave, value: 9, failed: true)]
        try await store.apply(
            transactions.enumerated().map {
                Self.stored($0.element, offset: Int64($0.offset), status: $0.element.status)
            })
        let graph = FundsGraph(store: store, chain: .ethereum, maxDegree: 10)
        #expect(try await graph.neighbours(of: alice, .outgoing)?.map(\.address) == [bob], "the call to dave moved no ether")
        #expect(try await graph.neighbours(of: bob, .outgoing)?.map(\.address) == [carol], "USDT, not the token contract")
        #expect(try await graph.neighbours(of: carol, .incoming)?.map(\.address) == [bob])
        #expect(try await graph.neighbours(of: dave, .incoming)?.isEmpty == true, "a failed payment and a call without value")
        let found = try await PathSearch(maxDepth: 7).search(from: alice, to: carol) { try await graph.neighbours(of: $0, $1) }
        #expect(found.path == [PathHop(from: alice, to: bob, txid: paid.txid), PathHop(from: bob, to: carol, txid: tokens.txid)])
    }
}
