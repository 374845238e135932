import CSICCore
import CSICTestSupport
import Simulation
import Storage
import Testing
import TransactionAnalysis

/// The clustering persisted on every backend: what a restart loads is what was in memory, reverts included.
@Suite struct ClusterStoreTests {
    @Test(arguments: StoreBackend.available) func aRestartLoadsTheSameClustering(_ backend: StoreBackend) async throws {
        let store = try await backend.database(migrations: [ClusterTables.migration]).clusters
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
        repeat {
            let page = try await store.addresses(ofEntity: root, limit: 7, cursor: cursor)
            members += page.items
            cursor = page.nextCursor
        } while cursor != nil
        #expect(members.count == clusters.entitySize(of: "a0"))
        #expect(try await store.size(ofEntity: root).map(Int.init) == clusters.entitySize(of: "a0"), "read from the root")
        let member = try #require(nodes.first { $0.id != root && $0.parent != $0.id })
        #expect(try await store.size(ofEntity: member.id) == nil, "not a root")
        #expect(try await store.size(ofEntity: Int32.max) == nil)
        #expect(Set(members.map { clusters.entity(of: $0) }) == [root])
        #expect(try await store.entity(of: "never-spent") == nil)
    }

    @Test func aCorruptStoreIsRefusedNotGuessed() {
        let nodes = [ClusterNode(id: 0, address: "a", parent: 0, size: 1), ClusterNode(id: 1, address: "b", parent: 7, size: 1)]
        #expect(throws: ClusterStoreError.self) { _ = try AddressClusters(restoring: nodes, journal: []) }
        let fine = Array(nodes.prefix(1))
        let entry = ClusterJournalEntry(txid: "t", inputs: [0, 3], unions: [])
        #expect(throws: ClusterStoreError.self) { _ = try AddressClusters(restoring: fine, journal: [entry]) }
    }
}

extension Int {
    /// `nil` for 0.
    var nonZero: Int? { self == 0 ? nil : self }
}
