import CSICCore
import Foundation

/// The PostgreSQL server of `CSIC_TEST_POSTGRES_URL` (`postgres://user:password@127.0.0.1:port/database`), which
/// `scripts/test` starts: tests of a PostgreSQL backend run when it is set, each in a schema of its own.
public enum TestPostgres {
    /// The server, without a schema; `nil` when the variable is not set.
    public static let server: PostgresSettings? = {
        guard let text = ProcessInfo.processInfo.environment["CSIC_TEST_POSTGRES_URL"], let url = URLComponents(string: text),
            let host = url.host, let user = url.user
        else { return nil }
        return PostgresSettings(
            host: host, port: url.port ?? 5432, user: user, password: url.password, database: String(url.path.dropFirst()), tls: .disable)
    }()

    /// A schema name no other test uses.
    public static func freshSchema() -> String {
        "test_" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16))
    }

    /// The server with a fresh schema; `nil` when there is no server.
    public static func settings() -> PostgresSettings? {
        guard var settings = server else { return nil }
        settings.schema = freshSchema()
        return settings
    }
}
