import AuditTrail
import CSICCore
import CSICTestSupport
import Storage
import Testing

/// The audit search index behaves the same on SQLite (FTS5) and on PostgreSQL (tsvector + GIN).
@Suite struct AuditSearchIndexTests {
    enum Backend: String, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        static let available: [Backend] = TestPostgres.server == nil ? [.sqlite] : [.sqlite, .postgres]
        var testDescription: String { rawValue }
    }

    /// An index of `backend` in a place of its own, and what keeps that place alive.
    func open(_ backend: Backend) async throws -> (any AuditSearchIndex, Any) {
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory()
            return (try AuditSearchBackend.sqlite(directory: directory.path).open(readOnly: false), directory)
        case .postgres:
            let store = try await PostgresStore.open(try #require(TestPostgres.settings()), migrations: [PostgresAuditIndex.migration])
            return (try AuditSearchBackend.postgres(store).open(readOnly: false), store)
        }
    }

    static let base = Timestamp(secondsSinceEpoch: 1_767_225_600)

    static func record(
        _ n: Int, actor: String, action: String, resource: String, outcome: AuditOutcome = .success, details: [String: String] = [:]
    )
        -> AuditRecord
    {
        AuditRecord(
            id: "rec-\(n)", time: Timestamp(microsecondsSinceEpoch: base.microsecondsSinceEpoch + Int64(n) * 1_000_000), actor: actor,
            action: action, resource: resource, outcome: outcome, requestID: "req-\(n)", sourceAddress: "10.0.0.\(n)", details: details)
    }

    static let records: [AuditRecord] = [
        record(0, actor: "alice", action: "http.GET /api/v1/transactions/{id}", resource: "/api/v1/transactions/btc:ab12"),
        record(1, actor: "bob", action: "http.GET /api/v1/transactions", resource: "/api/v1/transactions?chain=bitcoin", outcome: .denied),
        record(
            2, actor: "alice", action: "retention.hold.place", resource: "legal_hold/h-1", details: ["case_reference": "Case C-17 Übung"]),
        record(3, actor: "system:startup", action: "configuration.load", resource: "configuration", details: ["store.backend": "postgres"]),
        record(4, actor: "bob", action: "http.GET /api/v1/audit/records", resource: "/api/v1/audit/records?text=hold", outcome: .failure),
        record(5, actor: "alice", action: "http.GET /api/v1/transactions/{id}", resource: "/api/v1/transactions/eth:cd34"),
    ]

    func search(
        _ index: any AuditSearchIndex, _ filter: AuditFilter, _ range: Range<UInt64> = 0..<6, order: AuditOrder = .oldestFirst,
        limit: Int = 10
    )
        async throws -> [UInt64]
    {
        try await index.leafIndexes(matching: filter, in: range, order: order, limit: limit)
    }

    @Test(arguments: Backend.available) func everyFilterFindsTheSameEntriesOnEveryBackend(_ backend: Backend) async throws {
        let (index, place) = try await open(backend)
        defer { withExtendedLifetime(place) {} }
        #expect(try await index.indexedCount() == 0)
        try await index.index(Array(Self.records[0..<4]), first: 0)
        try await index.index(Array(Self.records[4...]), first: 4)
        #expect(try await index.indexedCount() == 6)
        #expect(try await index.leafIndex(ofRecord: "rec-4") == 4)
        #expect(try await index.leafIndex(ofRecord: "rec-9") == nil)
        #expect(try await search(index, AuditFilter(actor: "alice")) == [0, 2, 5])
        #expect(try await search(index, AuditFilter(action: "http.GET /api/v1/transactions/{id}")) == [0, 5])
        #expect(try await search(index, AuditFilter(resource: "/api/v1/transactions")) == [0, 1, 5], "a resource is a prefix")
        #expect(try await search(index, AuditFilter(outcome: "denied")) == [1])
        let from = Timestamp(microsecondsSinceEpoch: Self.base.microsecondsSinceEpoch + 2_000_000)
        let to = Timestamp(microsecondsSinceEpoch: Self.base.microsecondsSinceEpoch + 4_000_000)
        #expect(try await search(index, AuditFilter(from: from, to: to)) == [2, 3], "from inclusive, to exclusive")
        // Text: words of the id, actor, action, resource, request id, source address and details, as a phrase.
        #expect(try await search(index, AuditFilter(text: "transactions")) == [0, 1, 5])
        #expect(try await search(index, AuditFilter(text: "TRANSACTIONS")) == [0, 1, 5], "any case")
        #expect(try await search(index, AuditFilter(text: "v1 transactions btc")) == [0], "words in order")
        #expect(try await search(index, AuditFilter(text: "btc v1")) == [], "not in that order")
        #expect(try await search(index, AuditFilter(text: "case c-17")) == [2], "details; punctuation separates words")
        #expect(try await search(index, AuditFilter(text: "übung")) == [2], "letters beyond ASCII")
        #expect(try await search(index, AuditFilter(text: "postgres")) == [3], "a detail's value")
        #expect(try await search(index, AuditFilter(text: "10.0.0.4")) == [4], "the source address")
        #expect(try await search(index, AuditFilter(text: "req-5")) == [5], "the request id")
        #expect(try await search(index, AuditFilter(text: "' OR 1=1 --")) == [], "hostile text is words, not syntax")
        #expect(try await search(index, AuditFilter(text: "?!/")) == [], "no words, no match")
        #expect(try await search(index, AuditFilter(actor: "bob", text: "hold")) == [4])
        // Ranges, order and limits.
        #expect(try await search(index, AuditFilter(actor: "alice"), order: .newestFirst) == [5, 2, 0])
        #expect(try await search(index, AuditFilter(actor: "alice"), order: .newestFirst, limit: 2) == [5, 2])
        #expect(try await search(index, AuditFilter(actor: "alice"), 1..<5) == [2])
        #expect(try await search(index, AuditFilter(), 3..<3) == [])
        // Indexing an entry again (after a crash) replaces it.
        try await index.index([Self.record(5, actor: "carol", action: "x", resource: "y")], first: 5)
        #expect(try await search(index, AuditFilter(actor: "alice")) == [0, 2])
        #expect(try await index.indexedCount() == 6)
    }
}
