import CSICCore
import Foundation
import Storage
import CSICTestSupport
import Testing

func row(_ index: Int, risk: Int? = nil) -> StoredTransaction {
    let txid = String(format: "%064x", index)
    return StoredTransaction(
        id: "btc:\(txid)", chain: .bitcoin, txid: txid, blockHeight: UInt64(index), blockHash: txid,
        blockTime: Timestamp(secondsSinceEpoch: 1_767_225_600), seenAt: Timestamp(secondsSinceEpoch: 1_767_225_600),
        fee: Amount(UInt64(index)), totalOutput: Amount.maximum, inputCount: 1, outputCount: 2, status: .confirmed,
        riskScore: risk, payload: [UInt8(index % 256)], source: LogPosition(topic: "transactions", partition: 0, offset: Int64(index)))
}

/// Every transaction id touching `address`, following the cursors page by page.
func allIDs(_ store: any PlatformStore, address: String, pageSize: Int) async throws -> [String] {
    var ids: [String] = []
    var cursor: String?
    repeat {
        let page = try await store.transactions(address: address, limit: pageSize, cursor: cursor)
        ids += page.items.map(\.id)
        cursor = page.nextCursor
    } while cursor != nil
    return ids
}

/// The store protocols' conformance suite for transactions, dead letters, alerts and configuration: the same tests
/// on every backend (`StoreBackend.available`).
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreBackend.available) func upsertsAreIdempotent(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let writes = (0..<100).map { TransactionWrite(row($0), addresses: ["addr-\($0 % 10)", "shared"]) }
        try await store.apply(writes)
        try await store.apply(writes)
        #expect(try await store.transactionCount() == 100)
        let fetched = try #require(try await store.transaction(id: row(7).id))
        #expect(fetched == row(7))
        #expect(try await store.transaction(id: "btc:missing") == nil)
    }
    @Test(arguments: StoreBackend.available) func anIDRepeatedWithinOneBatchIsStoredOnceWithTheLastVersion(
        _ backend: StoreBackend
    ) async throws {
        let store = try await backend.open()
        try await store.apply([
            TransactionWrite(row(1), addresses: ["a"]),
            TransactionWrite(row(2), addresses: ["a"]),
            TransactionWrite(row(1, risk: 80), addresses: ["a"]),
        ])
        #expect(try await store.transactionCount() == 2)
        #expect(try await store.transaction(id: row(1).id)?.riskScore == 80)
        #expect(try await allIDs(store, address: "a", pageSize: 10) == [row(2).id, row(1).id])
    }
    @Test(arguments: StoreBackend.available) func addressPagesAreNewestFirstWithCursors(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply((0..<25).map { TransactionWrite(row($0), addresses: [$0 % 2 == 0 ? "even" : "odd"]) })
        let ids = try await allIDs(store, address: "even", pageSize: 5)
        #expect(ids == stride(from: 24, through: 0, by: -2).map { row($0).id })
        let all = try await store.transactions(address: nil, limit: 3, cursor: nil)
        #expect(all.items.map(\.id) == [row(24).id, row(23).id, row(22).id])
        #expect(try await store.transactions(address: "nobody", limit: 5, cursor: nil).items.isEmpty)
        await #expect(throws: StoreError.invalidCursor("abc")) { try await store.transactions(address: nil, limit: 5, cursor: "abc") }
    }
    /// Address entries are staged and merged one key range per write; queries see both, in order, once.
    @Test(arguments: StoreBackend.available) func addressQueriesSpanStagedAndMergedEntries(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        var expected: [String] = []
        for batch in 0..<20 {
            let rows = (0..<10).map { batch * 10 + $0 }
            try await store.apply(rows.map { TransactionWrite(row($0), addresses: ["hot", "cold-\($0)"]) })
            // Replaying a batch (at-least-once) must not duplicate index entries.
            try await store.apply(rows.prefix(3).map { TransactionWrite(row($0), addresses: ["hot", "cold-\($0)"]) })
            expected = rows.reversed().map { row($0).id } + expected
            let seen = try await allIDs(store, address: "hot", pageSize: 7)
            #expect(seen == expected, "after batch \(batch)")
            #expect(
                try await store.transactions(address: "cold-\(batch * 10)", limit: 5, cursor: nil).items.map(\.id) == [row(batch * 10).id])
        }
    }
    /// A replayed batch (ids stored before, some repeated inside the batch, addresses new and old) updates the
    /// stored rows: one row per id, the last version of each, its address entries pointing at the stored row.
    @Test(arguments: StoreBackend.available) func aReplayRelyingOnTheConstraintUpdatesTheStoredRows(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply((0..<50).map { TransactionWrite(row($0, risk: 5), addresses: ["old"]) })
        try await store.apply(
            (40..<60).map { TransactionWrite(row($0), addresses: ["new"]) } + [TransactionWrite(row(45, risk: 70), addresses: ["new"])])
        #expect(try await store.transactionCount() == 60)
        #expect(try await store.transactions(address: nil, limit: 100, cursor: nil).items.count == 60)
        #expect(try await store.transaction(id: row(41).id)?.riskScore == 5, "a replay without a risk score keeps the stored one")
        #expect(try await store.transaction(id: row(45).id)?.riskScore == 70, "the last version in the batch wins")
        #expect(try await allIDs(store, address: "new", pageSize: 7).sorted() == (40..<60).map { row($0).id }.sorted())
        #expect(try await allIDs(store, address: "old", pageSize: 7).count == 50)
    }
    /// Ids are staged and merged into the main id index by key range; an id is found at either level,
    /// also when it repeats inside one batch, and whatever its first digit.
    @Test(arguments: StoreBackend.available) func idsAreUniqueAcrossStagingAndMerges(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        var odd = row(1)
        odd.id = "x"
        for round in 0..<12 {
            let rows = (0..<40).map { row($0 * 7919 % 100_000) }
            try await store.apply(
                rows.map { TransactionWrite($0, addresses: []) } + [
                    TransactionWrite(rows[0], addresses: []), TransactionWrite(odd, addresses: []),
                ])
            #expect(try await store.transactionCount() == 41, "round \(round)")
        }
        for index in [0, 17, 39] {
            let id = row(index * 7919 % 100_000).id
            #expect(try await store.transaction(id: id)?.id == id)
        }
        #expect(try await store.transaction(id: "x")?.id == "x")
    }
    /// An address a transaction both spends from and pays to (change back to itself) is listed once.
    @Test(arguments: StoreBackend.available) func anAddressTwiceInOneTransactionIsListedOnce(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply([TransactionWrite(row(1), addresses: ["self", "other", "self"])])
        try await store.apply([TransactionWrite(row(1), addresses: ["self", "self", "third"])])
        #expect(try await allIDs(store, address: "self", pageSize: 10) == [row(1).id])
        #expect(try await allIDs(store, address: "third", pageSize: 10) == [row(1).id], "a replay adds what is new")
    }

    @Test(arguments: StoreBackend.available) func riskScoreSurvivesAReplayWithoutIt(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply([TransactionWrite(row(1, risk: 88), addresses: [])])
        try await store.apply([TransactionWrite(row(1), addresses: [])])
        #expect(try await store.transaction(id: row(1).id)?.riskScore == 88)
    }
    @Test(arguments: StoreBackend.available) func dataSurvivesReopen(_ backend: StoreBackend) async throws {
        let place = backend.place()
        let time = Timestamp(secondsSinceEpoch: 1_767_225_600)
        do {
            let store = try await place.open()
            try await store.apply([TransactionWrite(row(3), addresses: ["a"])])
            try await store.record([
                DeadLetter(
                    source: "transactions", topic: "transactions", partition: 1, offset: 2, key: [1], payload: [9, 9],
                    reasonCode: .undecodable, reason: "bad bytes", rejectedBy: "engine", time: time)
            ])
            try await store.upsert([
                Alert(
                    id: "alert:1", title: "Large transfer", subject: "bc1q", severity: .high, status: .open, findingIDs: ["f1", "f2"],
                    createdAt: time, updatedAt: time)
            ])
            try await store.upsertUser(
                UserAccount(username: "alice", displayName: "Alice", role: .supervisor, passwordHash: "$argon2id$x", createdAt: time))
            try await store.setConfiguration(ConfigurationEntry(key: "alerts.email", value: "on", updatedAt: time, updatedBy: "alice"))
        }
        let store = try await place.open()
        #expect(try await store.transactionCount() == 1)
        #expect(try await store.transaction(id: row(3).id) == row(3))
        let letters = try await store.deadLetters(source: nil, limit: 10, cursor: nil)
        #expect(letters.items.map(\.reason) == ["bad bytes"])
        #expect(letters.items.first?.payload == [9, 9])
        #expect(try await store.deadLetters(source: "other", limit: 10, cursor: nil).items.isEmpty)
        #expect(try await store.deadLetterCount() == 1)
        #expect(try await store.alert(id: "alert:1")?.findingIDs == ["f1", "f2"])
        #expect(try await store.alerts(status: .open, limit: 10, cursor: nil).items.count == 1)
        #expect(try await store.alerts(status: .resolved, limit: 10, cursor: nil).items.isEmpty)
        #expect(try await store.user(username: "alice")?.role == .supervisor)
        #expect(try await store.users().count == 1)
        #expect(try await store.configuration(key: "alerts.email")?.value == "on")
        #expect(try await store.configurationEntries().count == 1)
        #expect(try await store.sizeBytes() > 0)
    }
    @Test(arguments: StoreBackend.available) func deadLettersAreKeptOncePerRecord(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let letter = DeadLetter(
            source: "s", topic: "t", partition: 0, offset: 1, key: [], payload: [], reasonCode: .malformed, reason: "r", rejectedBy: "g",
            time: .now())
        try await store.record([letter, letter])
        #expect(try await store.deadLetterCount() == 1)
    }

}
