import CSICCore
import CSICTestSupport
import GRDB
@testable import Storage
import Testing

@Suite struct StoreMigrationTests {
    /// A database written before the id index was keyed by `IndexKey` keeps finding its transactions.
    @Test func idKeysAreBuiltFromExistingTransactions() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/csic.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try StoreMigrations.migrator.migrate(queue, upTo: "2026-11-24-users-configuration")
            try await queue.write { db in
                for index in 0..<3 {
                    let stored = row(index)
                    try db.execute(
                        sql: """
                            INSERT INTO transactions (\(TransactionRows.columns))
                            VALUES (?, 'bitcoin', ?, NULL, NULL, NULL, 0, NULL, '1', 1, 1, 'confirmed', NULL, x'00', 'transactions', 0, ?)
                            """, arguments: [stored.id, stored.txid, index])
                    try db.execute(
                        sql: "INSERT INTO transaction_ids_recent (id, seq) VALUES (?, ?)",
                        arguments: [stored.id, db.lastInsertedRowID])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try await store.transaction(id: row(1).id)?.txid == row(1).txid)
        try await store.apply([TransactionWrite(row(1), addresses: ["a"])])
        #expect(try await store.transactionCount() == 3)
    }
}
