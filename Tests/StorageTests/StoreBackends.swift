import CSICCore
import CSICTestSupport
import Foundation
import Storage
import Testing

/// The backends the store conformance suite runs on: SQLite always, PostgreSQL too when
/// `CSIC_TEST_POSTGRES_URL` names a server (``TestPostgres``), as `scripts/test` does.
enum StoreBackend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let available: [StoreBackend] = TestPostgres.server == nil ? [.sqlite] : [.sqlite, .postgres]

    var testDescription: String { rawValue }

    /// Where SQLite test stores go: one directory for the whole run, removed when the process exits (a store
    /// must outlive the test's last mention of its place, which Swift may release early).
    static let sqliteRoot: String = {
        let path = NSTemporaryDirectory() + "csic-store-tests-\(UUID().uuidString)"
        atexit { try? FileManager.default.removeItem(atPath: StoreBackend.sqliteRoot) }
        return path
    }()

    /// A new, empty place for a store of this backend: a directory, or a schema of its own.
    func place() -> StorePlace {
        StorePlace(backend: self, name: TestPostgres.freshSchema())
    }

    /// A new store in a place of its own.
    func open() async throws -> any PlatformStore {
        try await place().open()
    }

    /// A new database in a place of its own, with a component's `migrations` applied.
    func database(migrations: [StoreMigration]) async throws -> StoreDatabase {
        try await place().database(migrations: migrations)
    }
}

/// Where one test's store lives; opened again to see what survived.
struct StorePlace: Sendable {
    let backend: StoreBackend
    /// The directory under ``StoreBackend/sqliteRoot``, or the PostgreSQL schema.
    let name: String

    func open() async throws -> any PlatformStore {
        try await database(migrations: []).store
    }

    func database(migrations: [StoreMigration]) async throws -> StoreDatabase {
        switch backend {
        case .sqlite: return .sqlite(try SQLiteStore(path: "\(StoreBackend.sqliteRoot)/\(name)/csic.sqlite", migrations: migrations))
        case .postgres:
            var settings = try #require(TestPostgres.server)
            settings.schema = name
            return .postgres(try await PostgresStore.open(settings, migrations: migrations))
        }
    }
}
