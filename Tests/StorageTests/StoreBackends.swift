import CSICCore
import Foundation
import Storage
import Testing

/// The backends the store conformance suite runs on: SQLite always, PostgreSQL too when
/// `CSIC_TEST_POSTGRES_URL` (`postgres://user:password@127.0.0.1:port/database`) names a server, as
/// `scripts/test` does.
enum StoreBackend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static let available: [StoreBackend] = postgresSettings == nil ? [.sqlite] : [.sqlite, .postgres]

    /// The server of `CSIC_TEST_POSTGRES_URL`, without a schema (each test makes its own).
    static let postgresSettings: PostgresSettings? = {
        guard let text = ProcessInfo.processInfo.environment["CSIC_TEST_POSTGRES_URL"], let url = URLComponents(string: text),
            let host = url.host, let user = url.user
        else { return nil }
        return PostgresSettings(
            host: host, port: url.port ?? 5432, user: user, password: url.password, database: String(url.path.dropFirst()), tls: .disable)
    }()

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
        let name = "test_" + UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16)
        return StorePlace(backend: self, name: String(name))
    }

    /// A new store in a place of its own.
    func open() async throws -> any PlatformStore {
        try await place().open()
    }
}

/// Where one test's store lives; opened again to see what survived.
struct StorePlace: Sendable {
    let backend: StoreBackend
    /// The directory under ``StoreBackend/sqliteRoot``, or the PostgreSQL schema.
    let name: String

    func open() async throws -> any PlatformStore {
        switch backend {
        case .sqlite: return try SQLiteStore(path: "\(StoreBackend.sqliteRoot)/\(name)/csic.sqlite")
        case .postgres:
            var settings = try #require(StoreBackend.postgresSettings)
            settings.schema = name
            return try await PostgresStore.open(settings)
        }
    }
}
