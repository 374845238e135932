import CSICTestSupport
import PostgresNIO
import Storage
import Testing

/// Writers of the live-feed tables take turns: a batch cannot commit while another writer holds the table's
/// feed lock, so `seq` order is commit order and a feed reader never skips a row that commits late.
@Suite(.enabled(if: TestPostgres.server != nil, "CSIC_TEST_POSTGRES_URL names a PostgreSQL server"))
struct PostgresFeedOrderTests {
    @Test func aBatchWaitsForTheWriterHoldingTheFeedLock() async throws {
        let store = try await PostgresStore.open(try #require(TestPostgres.settings()))
        defer { store.close() }
        let lock = store.feedLock("transactions")
        try await store.client.withConnection { other in
            // Another writer (another process) is inside its batch.
            try await other.query("BEGIN", logger: store.logger)
            try await other.query(lock, logger: store.logger)
            let writing = Task { try await store.apply([TransactionWrite(row(1), addresses: ["a"])]) }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await store.transactions(after: 0, limit: 10).isEmpty, "the batch waits for the other writer")
            try await other.query("COMMIT", logger: store.logger)
            try await writing.value
        }
        #expect(try await store.transactions(after: 0, limit: 10).map(\.item.id) == [row(1).id])
    }
}
