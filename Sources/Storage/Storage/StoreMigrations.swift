import GRDB

/// The schema, as named migrations applied in order (GRDB `DatabaseMigrator`).
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-24-transactions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE transactions (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL,
                        chain TEXT NOT NULL,
                        txid TEXT NOT NULL,
                        block_height INTEGER,
                        block_hash TEXT,
                        block_time_us INTEGER,
                        seen_at_us INTEGER NOT NULL,
                        fee TEXT,
                        total_output TEXT NOT NULL,
                        input_count INTEGER NOT NULL,
                        output_count INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        risk_score INTEGER,
                        payload BLOB NOT NULL,
                        source_topic TEXT NOT NULL,
                        source_partition INTEGER NOT NULL,
                        source_offset INTEGER NOT NULL
                    );
                    CREATE TABLE transaction_addresses (
                        address_hash INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (address_hash, seq)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("2026-11-24-staged-indexes") { db in
            // The id and address indexes of transactions are two-level: new entries land in a small
            // `_recent` table (cheap to insert into at random) and move into the large index one key range
            // per write, so the large indexes are written in sorted runs instead of one random page per
            // entry. Lookups read both levels; a move is part of the writing transaction, so readers never
            // see an entry in neither.
            try db.execute(
                sql: """
                    CREATE TABLE transaction_ids (
                        id TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE transaction_ids_recent (
                        id TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE transaction_addresses_recent (
                        address_hash INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (address_hash, seq)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("2026-11-24-dead-letters") { db in
            try db.execute(
                sql: """
                    CREATE TABLE dead_letters (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        source TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        partition INTEGER,
                        "offset" INTEGER,
                        reason_code TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        rejected_by TEXT NOT NULL,
                        time_us INTEGER NOT NULL,
                        record_key BLOB NOT NULL,
                        payload BLOB NOT NULL
                    );
                    CREATE INDEX dead_letters_source ON dead_letters(source, seq);
                    """)
        }
        migrator.registerMigration("2026-11-24-alerts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE alerts (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        title TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        status TEXT NOT NULL,
                        finding_ids TEXT NOT NULL,
                        created_at_us INTEGER NOT NULL,
                        updated_at_us INTEGER NOT NULL
                    );
                    CREATE INDEX alerts_status ON alerts(status, seq);
                    """)
        }
        migrator.registerMigration("2026-11-24-users-configuration") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        username TEXT PRIMARY KEY,
                        display_name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        disabled INTEGER NOT NULL,
                        created_at_us INTEGER NOT NULL
                    );
                    CREATE TABLE configuration (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL,
                        updated_at_us INTEGER NOT NULL,
                        updated_by TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-11-25-id-keys") { db in
            // The id index is keyed by `IndexKey` (8 bytes) instead of the id text (68 bytes): a quarter of the
            // pages to stage, merge and cache. Lookups confirm the id on the transaction row.
            db.add(
                function: DatabaseFunction("csic_index_key", argumentCount: 1, pure: true) { values in
                    String.fromDatabaseValue(values[0]).map(IndexKey.of)
                })
            try db.execute(
                sql: """
                    CREATE TABLE transaction_id_keys (
                        id_key INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (id_key, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE transaction_id_keys_recent (
                        id_key INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (id_key, seq)
                    ) WITHOUT ROWID;
                    INSERT INTO transaction_id_keys SELECT csic_index_key(id), seq FROM transactions ORDER BY 1, 2;
                    DROP TABLE transaction_ids;
                    DROP TABLE transaction_ids_recent;
                    """)
        }
        migrator.registerMigration("2026-11-25-legal-holds") { db in
            try db.execute(
                sql: """
                    CREATE TABLE legal_holds (
                        id TEXT PRIMARY KEY,
                        record_class TEXT NOT NULL,
                        subject TEXT,
                        reason TEXT NOT NULL,
                        case_reference TEXT,
                        placed_by TEXT NOT NULL,
                        placed_at_us INTEGER NOT NULL,
                        released_by TEXT,
                        released_at_us INTEGER
                    );
                    """)
        }
        migrator.registerMigration("2026-12-05-transaction-id-unique") { db in
            // A transaction id is unique, enforced by the database: every new row's id key is staged in the
            // same write, and staging a key whose id another row already holds (at either index level) is
            // refused. The upsert relies on it instead of probing first (`TransactionRows.upsert`). A plain
            // UNIQUE index on the 68-byte id text would be a third large index written at random: about 30 %
            // of `csic bench pipeline` (docs/performance.md).
            try db.execute(
                sql: """
                    CREATE TRIGGER transaction_id_unique BEFORE INSERT ON transaction_id_keys_recent
                    WHEN EXISTS (
                        SELECT 1 FROM (
                            SELECT seq FROM transaction_id_keys_recent WHERE id_key = NEW.id_key
                            UNION ALL SELECT seq FROM transaction_id_keys WHERE id_key = NEW.id_key
                        ) k JOIN transactions t ON t.seq = k.seq
                        WHERE t.seq != NEW.seq AND t.id = (SELECT id FROM transactions WHERE seq = NEW.seq)
                    )
                    BEGIN SELECT RAISE(ABORT, 'duplicate transaction id: another row holds it'); END;
                    """)
        }
        registerAccounts(&migrator)
        RowCounts.register(&migrator)
        migrator.registerMigration("2026-12-05-transactions-time-amount") { db in
            // Lists filtered by time, chain and amount and sorted by time (`TransactionRows.page(_:)`): entries in
            // the order such a list reads them. Seen times grow with the chain, so new entries land at the
            // index's end rather than at random. `total_output` itself is in it too: SQLite 3.40 reads a row for
            // an indexed expression unless its column is in the index, and a page is chosen from the index alone.
            try db.execute(
                sql: "CREATE INDEX transactions_time ON transactions(seen_at_us, chain, \(TransactionRows.amountSQL), total_output)")
        }
        AlertTables.register(&migrator)
        return migrator
    }
}
