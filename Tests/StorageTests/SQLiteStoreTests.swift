import CSICCore
import Foundation
import GRDB
import Storage
import CSICTestSupport
import Testing

/// What only the SQLite backend has: its two-level id index and the trigger that keeps ids unique.
@Suite struct SQLiteStoreTests {
    /// The database itself refuses a second row with a stored id, whichever index level holds it: a write
    /// path that skipped the upsert fails when it stages the id's key, and nothing of it is kept.
    @Test func theDatabaseRefusesASecondRowWithAStoredID() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: "\(directory.path)/csic.sqlite")
        for batch in 0..<40 { try await store.apply((0..<25).map { TransactionWrite(row(batch * 25 + $0), addresses: []) }) }
        for index in [0, 500, 999] {
            let error = await #expect(throws: DatabaseError.self) {
                try await store.pool.write { db in
                    try db.execute(
                        sql: """
                            INSERT INTO transactions SELECT NULL, id, chain, txid, block_height, block_hash, block_time_us,
                                seen_at_us, fee, total_output, input_count, output_count, status, risk_score, payload,
                                source_topic, source_partition, source_offset
                            FROM transactions WHERE id = ?
                            """, arguments: [row(index).id])
                    try db.execute(
                        sql: "INSERT INTO transaction_id_keys_recent (id_key, seq) VALUES (?, ?)",
                        arguments: [IndexKey.of(row(index).id), db.lastInsertedRowID])
                }
            }
            #expect(error?.message?.contains("duplicate transaction id") == true, "\(String(describing: error))")
        }
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM transactions") } == 1_000)
    }
}
