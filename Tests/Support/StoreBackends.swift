import CSICCore
import Foundation
import Storage

/// The backends the store conformance suite runs on: SQLite always, PostgreSQL too when
/// `CSIC_TEST_POSTGRES_URL` names a server (``TestPostgres``), as `scripts/test` does.
public enum StoreBackend: String, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public static let available: [StoreBackend] = TestPostgres.server == nil ? [.sqlite] : [.sqlite, .postgres]

    public var description: String { rawValue }

    /// Where SQLite test stores go: one directory for the whole run, removed when the process exits (a store
    /// must outlive the test's last mention of its place, which Swift may release early).
    static let sqliteRoot: String = {
        let path = NSTemporaryDirectory() + "csic-store-tests-\(UUID().uuidString)"
        atexit { try? FileManager.default.removeItem(atPath: StoreBackend.sqliteRoot) }
        return path
    }()

    /// A new, empty place for a store of this backend: a directory, or a schema of its own.
    public func place() -> StorePlace {
        StorePlace(backend: self, name: TestPostgres.freshSchema())
    }

    /// A new store in a place of its own.
    public func open() async throws -> any PlatformStore {
        try await place().open()
    }

    /// A new database in a place of its own, with a component's `migrations` applied.
    public func database(migrations: [StoreMigration]) async throws -> StoreDatabase {
        try await place().database(migrations: migrations)
    }
}

/// Where one test's store lives; opened again to see what survived.
public struct StorePlace: Sendable {
    public let backend: StoreBackend
    /// The directory under ``StoreBackend/sqliteRoot``, or the PostgreSQL schema.
    public let name: String

    public func open() async throws -> any PlatformStore {
        try await database(migrations: []).store
    }

    public func database(migrations: [StoreMigration]) async throws -> StoreDatabase {
        switch backend {
        case .sqlite: return .sqlite(try SQLiteStore(path: "\(StoreBackend.sqliteRoot)/\(name)/csic.sqlite", migrations: migrations))
        case .postgres:
            guard var settings = TestPostgres.server else { throw TestPostgresMissing() }
            settings.schema = name
            return .postgres(try await PostgresStore.open(settings, migrations: migrations))
        }
    }
}

/// A PostgreSQL store was asked for without `CSIC_TEST_POSTGRES_URL`.
public struct TestPostgresMissing: Error {}
