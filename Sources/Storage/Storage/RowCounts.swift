import GRDB

/// Row counts of the large tables, kept in `row_counts` by the writes that add and remove rows, in the same
/// transaction: `/api/v1/stats` and `/metrics` read one row instead of counting ten million.
enum RowCounts {
    static func add(_ table: String, _ delta: Int, _ db: Database) throws {
        guard delta != 0 else { return }
        try db.cachedStatement(sql: "UPDATE row_counts SET rows = rows + ? WHERE table_name = ?").execute(arguments: [delta, table])
    }

    static func read(_ table: String, _ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT rows FROM row_counts WHERE table_name = ?", arguments: [table]) ?? 0
    }

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("2026-12-05-row-counts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE row_counts (table_name TEXT PRIMARY KEY, rows INTEGER NOT NULL);
                    INSERT INTO row_counts SELECT 'transactions', count(*) FROM transactions;
                    INSERT INTO row_counts SELECT 'dead_letters', count(*) FROM dead_letters;
                    """)
        }
    }
}
