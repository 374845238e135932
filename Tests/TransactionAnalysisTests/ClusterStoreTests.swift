import CSICCore
import CSICTestSupport
import Simulation
@testable import Storage
import Testing
import TransactionAnalysis

/// The clustering persisted on every backend: what a restart loads is what was in memory, reverts included.
@Suite struct ClusterStoreTests {
    @Test(arguments: StoreBackend.available) func aRestartLoadsTheSameClustering(_ backend: StoreBackend) async throws {
        let store = try await backend.database(migrations: ClusterTables.migrations).clusters
        var generator = SplitMix64(seed: 21)
        var clusters = AddressClusters()
        for batch in 0..<20 {
            for step in 0..<25 {
                let number = batch * 25 + step
                if step % 3 == 2 {
                    clusters.revert(txid: "t\(generator.next() % UInt64(number))")
                } else {
                    _ = clusters.apply(spend("t\(number)", (0..<3).map { _ in "a\(generator.next() % 120)" }, pay: [("x", 1)]))
                }
            }
            if batch % 5 == 4 { clusters.trimJournal(keeping: 200) }
            let changes = clusters.takeChanges()
            try await store.apply(changes)
            if batch == 10 { try await store.apply(changes) }
        }
        _ = clusters.apply(spend("apart", ["z1", "z2"], pay: [("x", 1)]))
        try await store.apply(clusters.takeChanges())
        let (nodes, journal) = try await store.load()
        let restored = try AddressClusters(restoring: nodes, journal: journal)
        #expect(restored.addressCount == clusters.addressCount)
        #expect(journal == clusters.journalEntries, "the stored journal is the live one, in order")
        for a in 0..<120 {
            let address = "a\(a)"
            #expect(restored.entity(of: address) == clusters.entity(of: address))
            #expect(restored.entitySize(of: address) == clusters.entitySize(of: address))
            let stored = try await store.entity(of: address)
            #expect(stored?.id == clusters.entity(of: address) && stored.map { Int($0.size) } == clusters.entitySize(of: address).nonZero)
        }
        var reverted = restored
        var live = clusters
        for txid in journal.suffix(30).map(\.txid).shuffled(using: &generator) {
            reverted.revert(txid: txid)
            live.revert(txid: txid)
        }
        for a in 0..<120 { #expect(reverted.entity(of: "a\(a)") == live.entity(of: "a\(a)"), "the loaded journal undoes as the live one") }

        let root = try #require(clusters.entity(of: "a0"))
        var members: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.addresses(ofEntity: root, limit: 7, cursor: cursor)
            members += page.items
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil
        #expect(members.count == clusters.entitySize(of: "a0") && Set(members).count == members.count, "each member once")
        #expect(members.first == clusters.address(id: root), "the root first")
        #expect(pages == (members.count + 6) / 7, "the last full page says there is no more")
        let whole = try await store.addresses(ofEntity: root, limit: members.count, cursor: nil)
        #expect(whole.items == members && whole.nextCursor == nil, "a page that ends the list exactly has no cursor")
        let outsider = try #require(nodes.first { clusters.entity(of: $0.address) != root })
        await #expect(throws: StoreError.invalidCursor(String(outsider.id)), "a cursor outside the entity") {
            _ = try await store.addresses(ofEntity: root, limit: 7, cursor: String(outsider.id))
        }
        await #expect(throws: StoreError.invalidCursor("-1")) { _ = try await store.addresses(ofEntity: root, limit: 7, cursor: "-1") }
        #expect(try await store.size(ofEntity: root).map(Int.init) == clusters.entitySize(of: "a0"), "read from the root")
        let member = try #require(nodes.first { $0.id != root && $0.parent != $0.id })
        #expect(try await store.size(ofEntity: member.id) == nil, "not a root")
        #expect(try await store.addresses(ofEntity: member.id, limit: 7, cursor: nil).items.isEmpty, "not an entity")
        #expect(try await store.addresses(ofEntity: member.id, limit: 7, cursor: String(member.id)).items.isEmpty)
        #expect(try await store.size(ofEntity: Int32.max) == nil)
        #expect(Set(members.map { clusters.entity(of: $0) }) == [root])
        #expect(try await store.entity(of: "never-spent") == nil)
    }

    @Test func aCorruptStoreIsRefusedNotGuessed() {
        let nodes = [node(0, parent: 0, size: 1, next: 0), node(1, parent: 7, size: 1, next: 1)]
        #expect(throws: ClusterStoreError.self) { _ = try AddressClusters(restoring: nodes, journal: []) }
        let fine = Array(nodes.prefix(1))
        let entry = ClusterJournalEntry(txid: "t", inputs: [0, 3], unions: [])
        #expect(throws: ClusterStoreError.self) { _ = try AddressClusters(restoring: fine, journal: [entry]) }
        let pair = [node(0, parent: 0, size: 2, next: 1), node(1, parent: 0, size: 1, next: 0)]
        #expect(throws: Never.self) { _ = try AddressClusters(restoring: pair, journal: []) }
        let unlisted = [node(0, parent: 0, size: 2, next: 0), node(1, parent: 0, size: 1, next: 1)]
        #expect(throws: ClusterStoreError.self, "a member missing from its entity's list") {
            _ = try AddressClusters(restoring: unlisted, journal: [])
        }
        let crossed = [node(0, parent: 0, size: 1, next: 1), node(1, parent: 1, size: 1, next: 0)]
        #expect(throws: ClusterStoreError.self, "one list over two entities") { _ = try AddressClusters(restoring: crossed, journal: []) }
        let loop = [node(0, parent: 1, size: 1, next: 0), node(1, parent: 0, size: 1, next: 1)]
        #expect(throws: ClusterStoreError.self, "parents in a cycle") { _ = try AddressClusters(restoring: loop, journal: []) }
    }

    /// A store written before entities had member lists gets them from its forest: each one's root, then the rest by id.
    @Test(arguments: StoreBackend.available) func existingEntitiesGetTheirMemberLists(_ backend: StoreBackend) async throws {
        let place = backend.place()
        let rows: [(id: Int, parent: Int, size: Int)] = [(0, 2, 1), (1, 5, 1), (2, 2, 3), (3, 3, 1), (4, 0, 1), (5, 5, 2)]
        switch try await place.database(migrations: [ClusterTables.nodes]) {
        case .sqlite(let store):
            try await store.pool.write { db in
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO cluster_nodes (id, address, parent, size) VALUES (?, ?, ?, ?)",
                        arguments: [row.id, "a\(row.id)", row.parent, row.size])
                }
            }
        case .postgres(let store):
            for row in rows {
                try await store.client.query(
                    "INSERT INTO cluster_nodes (id, address, parent, size) VALUES (\(row.id), \("a\(row.id)"), \(row.parent), \(row.size))")
            }
        }
        let store = try await place.database(migrations: ClusterTables.migrations).clusters
        let (nodes, journal) = try await store.load()
        #expect(nodes.map(\.next) == [4, 5, 0, 3, 2, 1])
        let restored = try AddressClusters(restoring: nodes, journal: journal)
        #expect(restored.entity(of: "a4") == 2 && restored.entitySize(of: "a4") == 3)
        let first = try await store.addresses(ofEntity: 2, limit: 2, cursor: nil)
        #expect(first.items == ["a2", "a0"])
        let rest = try await store.addresses(ofEntity: 2, limit: 2, cursor: first.nextCursor)
        #expect(rest.items == ["a4"] && rest.nextCursor == nil)
    }

    private func node(_ id: Int32, parent: Int32, size: Int32, next: Int32) -> ClusterNode {
        ClusterNode(id: id, address: "a\(id)", parent: parent, size: size, next: next)
    }
}

extension Int {
    /// `nil` for 0.
    var nonZero: Int? { self == 0 ? nil : self }
}
