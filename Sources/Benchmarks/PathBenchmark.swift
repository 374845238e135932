import CSICCore
import Simulation
import Storage
import TransactionAnalysis

/// `csic bench paths`: the path search of `GET /api/v1/paths` (``PathSearch`` over ``FundsGraph``) on a store
/// filled with simulated transactions (``APIStoreFill``), one query at a time. Two classes of query: pairs joined by
/// a flow of 1 to 7 payments (a random walk of that many steps backwards along payments received, from a recent
/// payee; the search may find a shorter flow), and pairs of addresses drawn at random (mostly unjoined: the search
/// runs out of depth, frontier or budget), the latter also with ten times the degree limit. Then the same pairs
/// between their entities (`?over=entities`, ``EntityFundsGraph``): the transactions are clustered as they are
/// stored, as the risk engine does, and the clustering is stored beside them. Last, the largest entities' addresses
/// a page at a time, as `GET /api/v1/entities/{id}` reads them.
public enum PathBenchmark {
    /// The tables the benchmark needs beside the platform's: the clustering's.
    public static let storeMigrations = ClusterTables.migrations

    /// - Parameter database: a store with ``storeMigrations`` applied.
    public static func run(
        database: StoreDatabase, transactions: Int, queries: Int = 200, maxDepth: Int = 7, maxDegree: Int = 100,
        progress: (String) -> Void
    ) async throws -> [BenchmarkResult] {
        let store = database.store
        var addresses = Set<Int>()
        var clusters = AddressClusters()
        let before = try await store.transactionCount()
        try await APIStoreFill.fill(store, to: transactions) {
            progress("stored \($0) transactions")
        } written: { writes in
            for write in writes {
                for address in write.addresses { addresses.insert(address.hashValue) }
                if let transaction = StoredTransaction.event(payload: write.row.payload) { _ = clusters.apply(transaction) }
            }
        }
        try await database.clusters.apply(clusters.takeChanges())
        let graph = FundsGraph(store: store, chain: .bitcoin, maxDegree: maxDegree)
        var rng = SplitMix64(seed: 77)
        let recent = try await recentTransactions(store, count: 5_000)
        guard !recent.isEmpty else { throw BenchmarkError.noSample }
        let search = PathSearch(maxDepth: maxDepth)
        var joined: [(String, String)] = []
        var attempts = 0
        while joined.count < queries, attempts < queries * 20 {
            attempts += 1
            let payees = recent[Int(rng.next() % UInt64(recent.count))].outputs.compactMap(\.address)
            guard let end = payees.randomElement(using: &rng) else { continue }
            var start: String? = end
            for _ in 0..<(1 + Int(rng.next() % UInt64(maxDepth))) {
                guard let current = start else { break }
                start = try await graph.neighbours(of: current, .incoming)?.randomElement(using: &rng)?.address
            }
            // A walk that ran out of stored payers before its length, or that ends at a hub (never expanded), is
            // drawn again.
            if let start, start != end, try await graph.neighbours(of: start, .outgoing) != nil { joined.append((start, end)) }
        }
        let drawn = (0..<queries).compactMap { _ -> (String, String)? in
            let payer = recent[Int(rng.next() % UInt64(recent.count))].inputs.compactMap(\.address).first
            let payee = recent[Int(rng.next() % UInt64(recent.count))].outputs.compactMap(\.address).first
            return payer.flatMap { from in payee.map { (from, $0) } }
        }
        let parameters = [
            "transactions": "\(try await store.transactionCount())",
            "addresses": before == 0 ? "\(addresses.count)" : "unknown (the store held \(before) transactions before this run)",
            "max_depth": "\(maxDepth)", "max_degree": "\(maxDegree)",
            "budget": "\(search.budget) addresses or \(search.timeLimit.map { "\($0)" } ?? "no time limit")",
            "unit": "queries", "latency": "one path search, sequential",
        ]
        // The random pairs again with ten times the degree limit: busy addresses expanded, wider frontiers.
        let wide = FundsGraph(store: store, chain: .bitcoin, maxDegree: maxDegree * 10)
        let entities = EntityFundsGraph(store: store, clusters: database.clusters, maxDegree: maxDegree)
        var betweenEntities = parameters
        betweenEntities["over"] = "entities"
        betweenEntities["clustered_addresses"] = before == 0 ? "\(clusters.addressCount)" : "unknown (clustered in an earlier run)"
        return [
            try await measure("paths.joined", joined, search, parameters: parameters) { try await graph.neighbours(of: $0, $1) },
            try await measure("paths.random", drawn, search, parameters: parameters) { try await graph.neighbours(of: $0, $1) },
            try await measure(
                "paths.random_wide", drawn, search, parameters: parameters.merging(["max_degree": "\(maxDegree * 10)"]) { $1 }
            ) { try await wide.neighbours(of: $0, $1) },
            try await measure(
                "paths.entities.joined", try await nodes(of: joined, entities), search, parameters: betweenEntities
            ) { try await entities.neighbours(of: $0, $1) },
            try await measure(
                "paths.entities.random", try await nodes(of: drawn, entities), search, parameters: betweenEntities
            ) { try await entities.neighbours(of: $0, $1) },
            try await memberPages(database.clusters),
        ]
    }

    /// The addresses of the ten largest entities read as `GET /api/v1/entities/{id}` pages them: 100 at a time, each
    /// page from the last one's cursor, at most 100 pages (10,000 addresses) of each.
    private static func memberPages(_ clusters: any ClusterStore) async throws -> BenchmarkResult {
        let largest = try await clusters.load().nodes.filter { $0.parent == $0.id }.sorted { $0.size > $1.size }.prefix(10)
        var latency = LatencyHistogram()
        var (pages, read) = (0, 0)
        let clock = ContinuousClock()
        let started = clock.now
        for entity in largest {
            var cursor: String?
            var ofThis = 0
            repeat {
                let began = clock.now
                let page = try await clusters.addresses(ofEntity: entity.id, limit: 100, cursor: cursor)
                latency.record(microseconds: Int64((clock.now - began).seconds * 1_000_000))
                (ofThis, read, cursor) = (ofThis + 1, read + page.items.count, page.nextCursor)
            } while cursor != nil && ofThis < 100
            pages += ofThis
        }
        let parameters = [
            "entities": "the \(largest.count) largest", "sizes": largest.map { "\($0.size)" }.joined(separator: ","),
            "addresses_read": "\(read)", "unit": "pages of 100 addresses", "latency": "one page, sequential",
        ]
        return BenchmarkResult(
            name: "paths.entities.member_pages", records: pages, duration: clock.now - started, latency: latency, parameters: parameters)
    }

    /// The pairs of addresses as pairs of their nodes in the entity graph, those within one entity left out.
    private static func nodes(of pairs: [(String, String)], _ graph: EntityFundsGraph) async throws -> [(String, String)] {
        var nodes: [(String, String)] = []
        for (from, to) in pairs {
            let pair = (try await graph.node(of: from), try await graph.node(of: to))
            if pair.0 != pair.1 { nodes.append(pair) }
        }
        return nodes
    }

    /// The newest `count` stored transactions (Bitcoin), decoded.
    private static func recentTransactions(_ store: any PlatformStore, count: Int) async throws -> [ChainTransaction] {
        var found: [ChainTransaction] = []
        var cursor: String?
        repeat {
            let page = try await store.transactions(TransactionQuery(chain: .bitcoin), limit: 1_000, cursor: cursor)
            found += page.items.compactMap { StoredTransaction.event(payload: $0.payload) }
            cursor = page.nextCursor
        } while cursor != nil && found.count < count
        return found.filter { !$0.inputs.compactMap(\.address).isEmpty }
    }

    private static func measure(
        _ name: String, _ pairs: [(String, String)], _ search: PathSearch, parameters: [String: String],
        neighbours: (String, FundsDirection) async throws -> [(address: String, txid: String)]?
    ) async throws -> BenchmarkResult {
        var latency = LatencyHistogram()
        var (found, truncated, expanded, hops) = (0, 0, 0, 0)
        let clock = ContinuousClock()
        let started = clock.now
        for (from, to) in pairs {
            let began = clock.now
            let result = try await search.search(from: from, to: to, neighbours: neighbours)
            latency.record(microseconds: Int64((clock.now - began).seconds * 1_000_000))
            if let path = result.path { (found, hops) = (found + 1, hops + path.count) }
            if result.truncated { truncated += 1 }
            expanded += result.expanded
        }
        var measured = parameters
        measured["queries"] = "\(pairs.count)"
        measured["found"] = "\(found)"
        measured["mean_hops_found"] = found == 0 ? "0" : String(format: "%.2f", Double(hops) / Double(found))
        measured["stopped_at_budget_or_time"] = "\(truncated)"
        measured["mean_expanded"] = pairs.isEmpty ? "0" : "\(expanded / pairs.count)"
        return BenchmarkResult(name: name, records: pairs.count, duration: clock.now - started, latency: latency, parameters: measured)
    }
}
