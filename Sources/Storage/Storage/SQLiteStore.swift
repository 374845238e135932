import CSICCore
import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded ``PlatformStore``: one SQLite database in WAL mode (GRDB `DatabasePool`).
///
/// Writes go through one writer connection; readers run concurrently on snapshot connections.
/// `synchronous = FULL` by default, so an applied batch survives power loss, not only a process crash.
public final class SQLiteStore: PlatformStore {
    public let path: String
    /// The database, for the tables that components add with their own migrations.
    public let pool: DatabasePool
    private let logger: Logger
    /// Which key range of staged address entries the next write merges.
    private let mergeSlice = Atomic<Int>(0)

    /// How hard SQLite syncs a commit.
    public enum Durability: String, Sendable {
        /// WAL synced on every commit: survives power loss.
        case full = "FULL"
        /// WAL synced at checkpoints: survives a process crash, may lose the last commits on power loss.
        case normal = "NORMAL"
    }

    /// Opens (creating and migrating) the database at `path`: the platform's tables, then each of
    /// `migrations` (a component's tables) in order.
    public init(
        path: String, durability: Durability = .full, migrations: [StoreMigration] = [], logger: Logger = Logger(label: "csic.storage")
    ) throws {
        self.path = path
        self.logger = logger
        var configuration = Configuration()
        configuration.label = "csic"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability.rawValue)")
            // A large page cache and memory-mapped reads keep index inserts off the read() path.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA cache_size = -262144")
            try db.execute(sql: "PRAGMA mmap_size = 4294967296")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Checkpoint the WAL every 32 MiB: pages rewritten by several commits are copied once, and no
            // single checkpoint stalls the writer long (256 MiB checkpoints doubled the pipeline's p99).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 2048")
            try db.execute(sql: "PRAGMA journal_size_limit = 134217728")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = StoreMigrations.migrator
        for migration in migrations { migrator.registerMigration(migration.name, migrate: migration.sqlite) }
        try migrator.migrate(pool)
    }

    public func apply(_ prepared: PreparedTransactions) async throws {
        guard prepared.count > 0 else { return }
        let slice = mergeSlice.wrappingAdd(1, ordering: .relaxed).oldValue
        try await pool.write { db in try TransactionRows.upsert(prepared, mergeSlice: slice, db) }
    }

    public func record(_ letters: [DeadLetter]) async throws {
        guard !letters.isEmpty else { return }
        try await pool.write { db in
            for letter in letters { try DeadLetterRecord.upsert(letter, db) }
        }
    }

    public func sizeBytes() async throws -> Int64 {
        var total: Int64 = 0
        for suffix in ["", "-wal", "-shm"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix),
                let size = attributes[.size] as? NSNumber
            {
                total += size.int64Value
            }
        }
        return total
    }

    // MARK: retention

    public func placeHold(_ hold: LegalHold) async throws {
        try hold.validate()
        try await pool.write { db in try RetentionRows.insert(hold, db) }
    }

    public func releaseHold(id: String, by actor: String, at time: Timestamp) async throws -> LegalHold? {
        try await pool.write { db in try RetentionRows.release(id: id, by: actor, at: time, db) }
    }

    public func holds(active: Bool?, limit: Int, cursor: String?) async throws -> Page<LegalHold> {
        let before = try Cursor.decode(cursor)
        return try await pool.read { db in try RetentionRows.page(active: active, limit: limit, before: before, db) }
    }

    public func purgeExpired(_ recordClass: RecordClass, retention: RecordRetention) async throws -> PurgeReport {
        try await PurgeRules.run(
            recordClass, retention: retention, logger: logger,
            batch: { cutoff, after in try await pool.write { db in try RetentionRows.purgeTransactions(cutoff: cutoff, after: after, db) }
            },
            simple: { cutoff in try await pool.write { db in try RetentionRows.purgeSimple(recordClass, cutoff: cutoff, db) } })
    }

    // MARK: transactions

    public func transaction(id: String) async throws -> StoredTransaction? {
        try await pool.read { db in try TransactionRows.fetch(id: id, db) }
    }

    public func transactions(_ query: TransactionQuery, limit: Int, cursor: String?) async throws -> Page<StoredTransaction> {
        try await pool.read { db in try TransactionRows.page(query, limit: limit, cursor: cursor, db) }
    }

    public func transactionCount() async throws -> Int {
        try await pool.read { db in try RowCounts.read("transactions", db) }
    }

    // MARK: dead letters

    public func deadLetters(source: String?, limit: Int, cursor: String?) async throws -> Page<DeadLetter> {
        let before = try Cursor.decode(cursor)
        return try await pool.read { db in try DeadLetterRecord.page(source: source, limit: limit, before: before, db) }
    }

    public func deadLetterCount() async throws -> Int {
        try await pool.read { db in try RowCounts.read("dead_letters", db) }
    }

    // MARK: configuration

    public func setConfiguration(_ entry: ConfigurationEntry) async throws {
        try await pool.write { db in try ConfigurationRecord.upsert(entry, db) }
    }

    public func configuration(key: String) async throws -> ConfigurationEntry? {
        try await pool.read { db in try ConfigurationRecord.fetch(key: key, db) }
    }

    public func configurationEntries() async throws -> [ConfigurationEntry] {
        try await pool.read { db in try ConfigurationRecord.all(db) }
    }
}

/// Opaque page cursors: the row sequence number of the last item returned, as text.
enum Cursor {
    static func decode(_ cursor: String?) throws -> Int64? {
        guard let cursor else { return nil }
        guard let value = Int64(cursor), value > 0 else { throw StoreError.invalidCursor(cursor) }
        return value
    }

    static func next(_ sequences: [Int64], limit: Int) -> String? {
        sequences.count == limit ? sequences.last.map(String.init) : nil
    }
}
