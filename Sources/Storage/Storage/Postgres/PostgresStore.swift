import CSICCore
import Foundation
import Logging
import PostgresNIO

/// The scale-out ``PlatformStore``: PostgreSQL through a PostgresNIO connection pool, for several `csic`
/// processes on several machines at once.
///
/// Every write is one transaction; batches go as one multi-row `UNNEST` statement per table, upserting by event
/// id, so a replayed batch changes nothing. A lost connection fails the call in progress (the engine retries
/// the batch) and the pool connects again for the next one. SQL is parameterised throughout; the only text
/// spliced into statements is the schema name, validated as an identifier (``PostgresSettings/validate()``).
public final class PostgresStore: PlatformStore {
    /// The pool, for the tables that components add with their own migrations.
    public let client: PostgresClient
    public let settings: PostgresSettings
    public let logger: Logger
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, settings: PostgresSettings, logger: Logger, runner: Task<Void, Never>) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.runner = runner
    }

    /// Connects, creates the schema when missing and applies the platform's migrations, then each of
    /// `migrations` (a component's tables) in order.
    public static func open(
        _ settings: PostgresSettings, migrations: [StoreMigration] = [], logger: Logger = Logger(label: "csic.storage")
    ) async throws -> PostgresStore {
        try settings.validate()
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        // The pool runs until the store is closed, detached so that a graceful shutdown of whichever service
        // group opened the store does not stop it while other services still write. It has started when
        // `open` goes on, so the first lease does not find it idle.
        var runner: Task<Void, Never>?
        await withCheckedContinuation { started in
            runner = Task.detached {
                started.resume()
                await client.run()
            }
        }
        let store = PostgresStore(client: client, settings: settings, logger: logger, runner: runner!)
        do {
            try await PostgresSchema.migrate(client, schema: settings.schema, components: migrations, logger: logger)
        } catch {
            store.close()
            throw error
        }
        return store
    }

    /// Drops this store's schema with everything in it: only for the scratch schemas benchmarks make themselves
    /// (`bench_*`); any other schema is refused.
    public func dropScratchSchema() async throws {
        precondition(settings.schema.hasPrefix("bench_"), "only a benchmark's scratch schema is ever dropped")
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(PostgresSchema.withoutStatementLimit, logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(settings.schema) CASCADE"), logger: logger)
        }
    }

    /// Closes the pool's connections; calls after this fail.
    public func close() {
        runner.cancel()
    }

    deinit {
        runner.cancel()
    }

    /// Whether the server answers: `SELECT 1` on a pooled connection, within ``callLimit``.
    public func ping() async throws {
        try await read("SELECT 1") { _ in }
    }

    /// The server's SQLSTATE of `error` (`23505`: unique violation), also when it failed a transaction's body.
    public static func sqlState(of error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError, let body = error.closureError { return sqlState(of: body) }
        return nil
    }

    /// Runs `body` in one transaction, failing with ``PostgresStoreError/timedOut(_:)`` after ``callLimit``. An
    /// error of `body`'s own (not the server's) is rethrown as it is once the transaction is rolled back. The one
    /// way CSIC writes to PostgreSQL, with ``execute(_:)`` for a single statement.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let (client, logger) = (self.client, self.logger)
        do {
            return try await PostgresDeadline.run(within: callLimit) {
                try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch let error as PostgresTransactionError {
            if let own = error.closureError, error.rollbackError == nil, !(own is PSQLError) { throw own }
            throw error
        }
    }

    /// The longest one write transaction or read may take before it is abandoned with
    /// ``PostgresStoreError/timedOut(_:)`` (``PostgresSettings/statementTimeoutSeconds``, 30 s by default; a batch
    /// takes well under a second): a query in flight when the server dies may hang (``PostgresDeadline``), and an
    /// engine must fail and retry, not wait forever. The server ends the abandoned statement at the same limit.
    var callLimit: Duration { .seconds(settings.statementTimeoutSeconds) }

    /// Runs one statement on its own (its own transaction), failing with ``PostgresStoreError/timedOut(_:)`` after
    /// ``callLimit``.
    public func execute(_ query: PostgresQuery) async throws {
        let (client, logger) = (self.client, self.logger)
        try await PostgresDeadline.run(within: callLimit) { _ = try await client.query(query, logger: logger) }
    }

    /// The rows of `query`, decoded one by one, within ``callLimit``: with ``read(_:_:)``, the one way CSIC reads
    /// from PostgreSQL.
    public func rows<Item: Sendable>(
        _ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRandomAccessRow) throws -> Item
    )
        async throws -> [Item]
    {
        try await read(query) { rows in
            var items: [Item] = []
            for try await row in rows { items.append(try decode(row.makeRandomAccess())) }
            return items
        }
    }

    /// What `collect` makes of the rows of `query`, within ``callLimit``.
    public func read<Result: Sendable>(
        _ query: PostgresQuery, _ collect: @escaping @Sendable (PostgresRowSequence) async throws -> Result
    ) async throws -> Result {
        let (client, logger) = (self.client, self.logger)
        return try await PostgresDeadline.run(within: callLimit) { try await collect(try await client.query(query, logger: logger)) }
    }

    /// Groups the batch and encodes its rows for PostgreSQL ahead of the write (``PostgresBatch``).
    public func prepare(_ writes: [TransactionWrite]) -> PreparedTransactions {
        var prepared = PreparedTransactions(writes)
        prepared.postgres = PostgresBatch(prepared)
        return prepared
    }

    public func apply(_ prepared: PreparedTransactions) async throws {
        guard prepared.count > 0 else { return }
        let batch = prepared.postgres ?? PostgresBatch(prepared)
        let lock = feedLock("transactions")
        try await transaction { [self] connection in
            try await connection.query(lock, logger: self.logger)
            try await PostgresTransactionRows.upsert(batch, connection, logger: self.logger)
        }
    }

    /// The lock that orders the writers of a live-feed table (`transactions`, `dead_letters`), held until the
    /// writing transaction ends: with several `process` members writing at once, rows then get their `seq` and
    /// commit in the same order, so a feed reader that has seen `seq` n never later finds a new row below n.
    /// (Without it, a batch that took lower numbers could commit after one that took higher numbers.)
    public func feedLock(_ table: String) -> PostgresQuery {
        "SELECT pg_advisory_xact_lock(hashtext(\(settings.schema + ".feed." + table)))"
    }

    public func record(_ letters: [DeadLetter]) async throws {
        guard !letters.isEmpty else { return }
        var unique: [String: DeadLetter] = [:]
        for letter in letters where unique[letter.eventID] == nil { unique[letter.eventID] = letter }
        let rows = letters.filter { unique.removeValue(forKey: $0.eventID) != nil }
        let query: PostgresQuery = """
            WITH added AS (
                INSERT INTO dead_letters (id, source, topic, partition, "offset", reason_code, reason, rejected_by, time_us, record_key, payload)
                SELECT id, source, topic, NULLIF(partition, -1), CASE WHEN has_offset THEN "offset" END, reason_code, reason, rejected_by,
                    time_us, record_key, payload
                FROM UNNEST(\(rows.map(\.eventID)), \(rows.map(\.source)), \(rows.map(\.topic)), \(rows.map { $0.partition ?? -1 }),
                    \(rows.map { $0.offset ?? 0 }), \(rows.map { $0.offset != nil }), \(rows.map(\.reasonCode.rawValue)), \(rows.map(\.reason)),
                    \(rows.map(\.rejectedBy)), \(rows.map(\.time.microsecondsSinceEpoch)), \(rows.map { ByteBuffer(bytes: $0.key) }),
                    \(rows.map { ByteBuffer(bytes: $0.payload) }))
                    AS l(id, source, topic, partition, "offset", has_offset, reason_code, reason, rejected_by, time_us, record_key, payload)
                ON CONFLICT (id) DO NOTHING
                RETURNING 1
            )
            UPDATE row_counts SET rows = rows + (SELECT count(*) FROM added) WHERE table_name = 'dead_letters'
            """
        let lock = feedLock("dead_letters")
        try await transaction { [self] connection in
            try await connection.query(lock, logger: self.logger)
            try await connection.query(query, logger: self.logger)
        }
    }

    /// The bytes of CSIC's tables and their indexes in its schema.
    public func sizeBytes() async throws -> Int64 {
        try await rows(
            """
            SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r'
            """
        ) { try $0[0].decode(Int64.self) }.first ?? 0
    }

    // MARK: dead letters

    public func deadLetters(source: String?, limit: Int, cursor: String?) async throws -> Page<DeadLetter> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        let found = try await rows(
            """
            SELECT * FROM dead_letters WHERE (\(source)::text IS NULL OR source = \(source)) AND seq < \(before)
            ORDER BY seq DESC LIMIT \(limit)
            """
        ) { (try $0["seq"].decode(Int64.self), try PostgresRows.deadLetter($0)) }
        return Page(items: found.map(\.1), nextCursor: Cursor.next(found.map(\.0), limit: limit))
    }

    public func deadLetterCount() async throws -> Int {
        try await rowCount("dead_letters")
    }

    func rowCount(_ table: String) async throws -> Int {
        try await rows("SELECT rows FROM row_counts WHERE table_name = \(table)") { Int(try $0[0].decode(Int64.self)) }.first ?? 0
    }

    // MARK: configuration

    public func setConfiguration(_ entry: ConfigurationEntry) async throws {
        try await execute(
            """
            INSERT INTO configuration (key, value, updated_at_us, updated_by)
            VALUES (\(entry.key), \(entry.value), \(entry.updatedAt.microsecondsSinceEpoch), \(entry.updatedBy))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at_us = EXCLUDED.updated_at_us, updated_by = EXCLUDED.updated_by
            """)
    }

    public func configuration(key: String) async throws -> ConfigurationEntry? {
        try await rows("SELECT * FROM configuration WHERE key = \(key)", PostgresRows.configuration).first
    }

    public func configurationEntries() async throws -> [ConfigurationEntry] {
        try await rows("SELECT * FROM configuration ORDER BY key", PostgresRows.configuration)
    }
}
