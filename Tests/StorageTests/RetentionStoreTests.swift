import CSICCore
import CSICProtos
import CSICTestSupport
import Storage
import Testing

/// A transaction of `year` (1 July, UTC) paying `to` from `from`, stored as the engine stores it.
private func transaction(_ index: Int, year: Int, from: String, to: String) -> TransactionWrite {
    let txid = String(repeating: "0", count: 56) + String(format: "%08x", index)
    let time = Timestamp(iso8601: "\(year)-07-01T00:00:00Z")!
    let event = ChainTransaction(
        chain: .bitcoin, txid: txid, block: BlockRef(height: UInt64(index), hash: txid, time: time), seenAt: time,
        inputs: [TransactionInput(previousTxid: txid, previousIndex: 0, address: from, value: Amount(1_000))],
        outputs: [TransactionOutput(index: 0, address: to, value: Amount(900), scriptType: "p2wpkh")], fee: Amount(100))
    let row = StoredTransaction(
        id: event.eventID, chain: .bitcoin, txid: txid, blockHeight: UInt64(index), blockHash: txid, blockTime: time, seenAt: time,
        fee: Amount(100), totalOutput: Amount(900), inputCount: 1, outputCount: 1, status: .confirmed, riskScore: nil,
        payload: TransactionTopicEvent.transaction(event).serializedProto(),
        source: LogPosition(topic: "transactions", partition: 0, offset: Int64(index)))
    return TransactionWrite(row, addresses: event.addresses)
}

private func hold(_ id: String, _ recordClass: RecordClass, subject: String?) -> LegalHold {
    LegalHold(
        id: id, recordClass: recordClass, subject: subject, reason: "case 42 preservation order", caseReference: "42",
        placedBy: "examiner", placedAt: .now())
}

private func ids(_ store: any PlatformStore, address: String) async throws -> Set<String> {
    Set(try await allIDs(store, address: address, pageSize: 3))
}

@Suite struct RetentionStoreTests {
    @Test(arguments: StoreBackend.available) func onlyExpiredUnheldTransactionsArePurgedWithTheirIndexEntries(
        _ backend: StoreBackend
    ) async throws {
        let store = try await backend.open()
        // 2010..2012 are past seven years; 2024 is not. Address "held" is under a hold.
        try await store.apply(
            (0..<30).map { transaction($0, year: 2010 + $0 % 3, from: "old-\($0 % 5)", to: $0 % 10 == 0 ? "held" : "shared") })
        try await store.apply((30..<40).map { transaction($0, year: 2024, from: "new", to: "shared") })
        try await store.placeHold(hold("h1", .transactions, subject: "held"))
        let report = try await store.purgeExpired(.transactions, retention: RecordRetention())
        #expect(report.purged == 27)
        #expect(report.held == 3)
        #expect(report.period == "7y")
        #expect(try await store.transactionCount() == 13)
        // Index entries went with the rows: every address page is whole and names only what is left.
        #expect(try await ids(store, address: "shared").count == 10)
        #expect(try await ids(store, address: "old-1").isEmpty)
        #expect(try await ids(store, address: "held").count == 3)
        let heldID = try #require(try await ids(store, address: "held").first)
        #expect(try await store.transaction(id: heldID) != nil)
        let purgedTxid = String(repeating: "0", count: 56) + String(format: "%08x", 1)
        #expect(try await store.transaction(id: "btc:\(purgedTxid)") == nil)
        // Released, the hold no longer protects.
        #expect(try await store.releaseHold(id: "h1", by: "examiner", at: .now())?.isActive == false)
        #expect(try await store.releaseHold(id: "h1", by: "examiner", at: .now()) == nil)
        let second = try await store.purgeExpired(.transactions, retention: RecordRetention())
        #expect(second.purged == 3 && second.held == 0)
        #expect(try await store.transactionCount() == 10)
    }

    @Test(arguments: StoreBackend.available) func aHoldOnTheWholeClassOrOneIDKeepsEverythingItCovers(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await store.apply((0..<6).map { transaction($0, year: 2011, from: "a", to: "b") })
        try await store.placeHold(hold("all", .transactions, subject: nil))
        #expect(try await store.purgeExpired(.transactions, retention: RecordRetention()).held == 6)
        #expect(try await store.transactionCount() == 6)
        _ = try await store.releaseHold(id: "all", by: "examiner", at: .now())
        let kept = "btc:" + String(repeating: "0", count: 56) + String(format: "%08x", 4)
        try await store.placeHold(hold("one", .transactions, subject: kept))
        let report = try await store.purgeExpired(.transactions, retention: RecordRetention())
        #expect(report.purged == 5 && report.held == 1)
        #expect(try await store.transaction(id: kept) != nil)
        // A shorter configured period purges more; nothing is ever purged before its expiry.
        try await store.apply([transaction(50, year: 2025, from: "c", to: "d")])
        let oneYear = try RecordRetention(overrides: [.transactions: .years(1)])
        #expect(try await store.purgeExpired(.transactions, retention: oneYear).purged == 1)
        try await store.apply([transaction(51, year: 2026, from: "c", to: "d")])
        #expect(try await store.purgeExpired(.transactions, retention: oneYear).purged == 0)
        // A row whose event cannot be read cannot be checked against the holds: it is kept, not purged blind.
        try await store.apply([TransactionWrite(row(999), addresses: ["c"])])
        let unreadable = try await store.purgeExpired(.transactions, retention: try RecordRetention(overrides: [.transactions: .days(30)]))
        #expect(unreadable.purged == 1 && unreadable.held == 2)
        #expect(try await store.transaction(id: row(999).id) != nil)
    }

    @Test(arguments: StoreBackend.available) func alertsAndDeadLettersHonourHoldsBySubjectAndSource(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let old = Timestamp(iso8601: "2015-03-01T00:00:00Z")!
        let recent = Timestamp.now()
        try await store.upsert([
            Alert(id: "a1", title: "t", subject: "addr-x", severity: .high, status: .open, findingIDs: [], createdAt: old, updatedAt: old),
            Alert(id: "a2", title: "t", subject: "addr-y", severity: .high, status: .open, findingIDs: [], createdAt: old, updatedAt: old),
            Alert(
                id: "a3", title: "t", subject: "addr-y", severity: .high, status: .open, findingIDs: [], createdAt: recent,
                updatedAt: recent),
        ])
        try await store.record([
            DeadLetter(
                source: "bitcoin", topic: "t", partition: nil, offset: nil, key: [], payload: [1], reasonCode: .malformed, reason: "r",
                rejectedBy: "x", time: old),
            DeadLetter(
                source: "kraken", topic: "t", partition: nil, offset: nil, key: [], payload: [2], reasonCode: .malformed, reason: "r",
                rejectedBy: "x", time: old),
        ])
        try await store.placeHold(hold("hx", .alerts, subject: "addr-x"))
        try await store.placeHold(hold("hk", .deadLetters, subject: "kraken"))
        let alerts = try await store.purgeExpired(.alerts, retention: RecordRetention())
        #expect(alerts.purged == 1 && alerts.held == 1)
        #expect(try await store.alert(id: "a1") != nil)
        #expect(try await store.alert(id: "a2") == nil)
        #expect(try await store.alert(id: "a3") != nil)
        let letters = try await store.purgeExpired(.deadLetters, retention: RecordRetention())
        #expect(letters.purged == 1 && letters.held == 1)
        #expect(try await store.deadLetters(source: nil, limit: 10, cursor: nil).items.map(\.source) == ["kraken"])
        #expect(try await store.deadLetterCount() == 1, "the kept count follows the purge")
        #expect(try await store.holds(active: nil, limit: 1000, cursor: nil).items.map(\.id).sorted() == ["hk", "hx"])
    }

    @Test(arguments: StoreBackend.available) func theAuditClassCannotBePurgedAndBadHoldsAreRefused(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        await #expect(throws: RetentionError.permanent(.audit)) { try await store.purgeExpired(.audit, retention: RecordRetention()) }
        let forever = try RecordRetention(overrides: [.alerts: .permanent])
        await #expect(throws: RetentionError.permanent(.alerts)) { try await store.purgeExpired(.alerts, retention: forever) }
        await #expect(throws: ValidationError.self) { try await store.placeHold(hold("x", .audit, subject: nil)) }
        var noReason = hold("y", .alerts, subject: nil)
        noReason.reason = ""
        await #expect(throws: ValidationError.self) { try await store.placeHold(noReason) }
        #expect(try await store.holds(active: nil, limit: 1000, cursor: nil).items.isEmpty)
    }

    @Test(arguments: StoreBackend.available) func holdsArePagedNewestFirstAndFilteredByState(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        for n in 0..<5 { try await store.placeHold(hold("h\(n)", .alerts, subject: "s\(n)")) }
        _ = try await store.releaseHold(id: "h1", by: "admin", at: .now())
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.holds(active: nil, limit: 2, cursor: cursor)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(ids == ["h4", "h3", "h2", "h1", "h0"])
        #expect(try await store.holds(active: true, limit: 10, cursor: nil).items.map(\.id) == ["h4", "h3", "h2", "h0"])
        #expect(try await store.holds(active: false, limit: 10, cursor: nil).items.map(\.id) == ["h1"])
        await #expect(throws: StoreError.self) { try await store.holds(active: nil, limit: 2, cursor: "-1") }
    }
}
