import CSICTestSupport
import PostgresNIO
import Storage
import Testing

/// What the client abandons at its limit (``PostgresStore``'s deadline) the server ends at the same limit: a
/// statement past it is cancelled, so it holds neither a pooled connection nor its locks until it would end.
@Suite(.enabled(if: TestPostgres.server != nil, "CSIC_TEST_POSTGRES_URL names a PostgreSQL server"))
struct PostgresStatementLimitTests {
    @Test func theServerEndsTheStatementTheClientAbandoned() async throws {
        var settings = try #require(TestPostgres.settings())
        settings.statementTimeoutSeconds = 1
        let store = try await PostgresStore.open(settings)
        defer { store.close() }
        #expect(try await store.rows("SHOW statement_timeout") { try $0[0].decode(String.self) } == ["1s"])
        #expect(try await store.rows("SHOW idle_in_transaction_session_timeout") { try $0[0].decode(String.self) } == ["1s"])

        let observer = try await PostgresStore.open(try #require(TestPostgres.settings()))
        defer { observer.close() }
        let marker = "csic-limit-\(settings.schema)"
        let running: PostgresQuery =
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE \("%" + marker + "%") AND pid <> pg_backend_pid()"
        let started = ContinuousClock.now
        // Either side may answer first: the client's deadline, or the server's cancellation.
        await #expect(throws: (any Error).self) {
            try await store.execute(PostgresQuery(unsafeSQL: "SELECT pg_sleep(30) /* \(marker) */"))
        }
        var left = Int64.max
        while ContinuousClock.now - started < .seconds(10) {
            left = try await observer.rows(running) { try $0[0].decode(Int64.self) }.first ?? 0
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left == 0, "the statement still runs on the server after the client gave up")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// A migration over millions of rows may take minutes: the limit is not theirs.
    @Test func aMigrationMayTakeLongerThanTheLimit() async throws {
        var settings = try #require(TestPostgres.settings())
        settings.statementTimeoutSeconds = 1
        let slow = StoreMigration("test-slow-migration", sqlite: { _ in }, postgres: ["SELECT pg_sleep(1.5)"])
        let store = try await PostgresStore.open(settings, migrations: [slow])
        store.close()
    }
}
