import Logging
import PostgresNIO

/// The PostgreSQL schema as named migrations, applied in order, each in its own transaction, recorded in
/// `schema_migrations`. Processes that start together take turns through an advisory lock, so a migration
/// runs once however many `csic` processes open the store at the same moment.
///
/// The tables hold what SQLite's do, in PostgreSQL's own types: amounts as `NUMERIC` (exact at any size),
/// payloads as `BYTEA`, times as microseconds since the epoch (`BIGINT`), as everywhere in CSIC.
enum PostgresSchema {
    static let platform: [(name: String, statements: [String])] = [
        (
            "2026-12-06-transactions",
            [
                """
                CREATE TABLE transactions (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    chain TEXT NOT NULL,
                    txid TEXT NOT NULL,
                    block_height BIGINT,
                    block_hash TEXT,
                    block_time_us BIGINT,
                    seen_at_us BIGINT NOT NULL,
                    fee NUMERIC,
                    total_output NUMERIC NOT NULL,
                    input_count INTEGER NOT NULL,
                    output_count INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    risk_score INTEGER,
                    payload BYTEA NOT NULL,
                    source_topic TEXT NOT NULL,
                    source_partition INTEGER NOT NULL,
                    source_offset BIGINT NOT NULL
                )
                """,
                // The address index is keyed by `IndexKey` (8 bytes), as on SQLite.
                """
                CREATE TABLE transaction_addresses (
                    address_hash BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY (address_hash, seq)
                )
                """,
                // Filtered and sorted lists (`PostgresTransactionQueries`): time, chain, amount, position.
                "CREATE INDEX transactions_time ON transactions (seen_at_us, chain, total_output, seq)",
            ]
        ),
        (
            "2026-12-06-dead-letters-alerts",
            [
                """
                CREATE TABLE dead_letters (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    source TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    partition INTEGER,
                    "offset" BIGINT,
                    reason_code TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    rejected_by TEXT NOT NULL,
                    time_us BIGINT NOT NULL,
                    record_key BYTEA NOT NULL,
                    payload BYTEA NOT NULL
                )
                """,
                "CREATE INDEX dead_letters_source ON dead_letters (source, seq)",
                """
                CREATE TABLE alerts (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    status TEXT NOT NULL,
                    finding_ids TEXT NOT NULL,
                    created_at_us BIGINT NOT NULL,
                    updated_at_us BIGINT NOT NULL
                )
                """,
                "CREATE INDEX alerts_status ON alerts (status, seq)",
                // Row counts kept by the writes, as on SQLite: stats never count ten million rows.
                "CREATE TABLE row_counts (table_name TEXT PRIMARY KEY, rows BIGINT NOT NULL)",
                "INSERT INTO row_counts VALUES ('transactions', 0), ('dead_letters', 0)",
            ]
        ),
        (
            "2026-12-06-accounts-configuration-holds",
            [
                """
                CREATE TABLE users (
                    username TEXT PRIMARY KEY,
                    display_name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    disabled BOOLEAN NOT NULL,
                    created_at_us BIGINT NOT NULL,
                    entity_id TEXT,
                    totp_secret TEXT
                )
                """,
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    username TEXT NOT NULL REFERENCES users(username),
                    secret_sha256 TEXT NOT NULL,
                    label TEXT NOT NULL,
                    created_at_us BIGINT NOT NULL,
                    revoked_at_us BIGINT
                )
                """,
                "CREATE INDEX api_keys_username ON api_keys (username)",
                """
                CREATE TABLE refresh_tokens (
                    token_sha256 TEXT PRIMARY KEY,
                    family TEXT NOT NULL,
                    username TEXT NOT NULL REFERENCES users(username),
                    issued_at_us BIGINT NOT NULL,
                    expires_at_us BIGINT NOT NULL,
                    used_at_us BIGINT,
                    revoked_at_us BIGINT
                )
                """,
                "CREATE INDEX refresh_tokens_family ON refresh_tokens (family)",
                "CREATE INDEX refresh_tokens_username ON refresh_tokens (username)",
                """
                CREATE TABLE configuration (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at_us BIGINT NOT NULL,
                    updated_by TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE legal_holds (
                    position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    record_class TEXT NOT NULL,
                    subject TEXT,
                    reason TEXT NOT NULL,
                    case_reference TEXT,
                    placed_by TEXT NOT NULL,
                    placed_at_us BIGINT NOT NULL,
                    released_by TEXT,
                    released_at_us BIGINT
                )
                """,
            ]
        ),
        AlertTables.postgres,
    ]

    /// Lifts the statement limit (``PostgresSettings/statementTimeoutSeconds``) for the rest of one transaction:
    /// for the work that may rightly take minutes (migrations, dropping a benchmark's schema).
    static let withoutStatementLimit: PostgresQuery = "SET LOCAL statement_timeout = 0"

    /// Creates the schema if needed and applies the platform's migrations, then `components`' in order.
    static func migrate(_ client: PostgresClient, schema: String, components: [StoreMigration], logger: Logger) async throws {
        // One migrator at a time per schema (`CREATE SCHEMA IF NOT EXISTS` itself races); the lock ends with
        // each transaction. A migration over millions of rows may take minutes, and a second migrator waits for
        // the first: the statement limit (``PostgresSettings/statementTimeoutSeconds``) is lifted for them.
        let lock: PostgresQuery = "SELECT pg_advisory_xact_lock(hashtext(\(schema)))"
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(withoutStatementLimit, logger: logger)
            try await connection.query(lock, logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
        }
        let all = platform + components.map { ($0.name, $0.postgres) }
        for migration in all {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(withoutStatementLimit, logger: logger)
                try await connection.query(lock, logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger)
                let applied = try await connection.query(
                    "SELECT 1 FROM schema_migrations WHERE name = \(migration.name)", logger: logger
                ).collect()
                guard applied.isEmpty else { return }
                guard !migration.statements.isEmpty else { throw PostgresStoreError.migrationUnavailable(migration.name) }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
                logger.info("applied migration", metadata: ["name": "\(migration.name)", "backend": "postgres"])
            }
        }
    }
}
