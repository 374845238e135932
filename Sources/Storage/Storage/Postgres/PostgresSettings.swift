import CSICCore
import NIOSSL
import PostgresNIO

extension PostgresSettings {
    /// The PostgresNIO client configuration: the schema as the connections' search path, the statement limit as
    /// the server's own.
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tlsSetting = .prefer(configuration)
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
            tlsSetting = .require(configuration)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.maximumConnections = maxConnections
        // The server ends what the client abandons at the same limit (`PostgresDeadline`): a statement still
        // running, a transaction left open. Migrations lift the statement limit for themselves.
        configuration.options.additionalStartupParameters = [
            ("search_path", schema), ("application_name", "csic"), ("statement_timeout", "\(statementTimeoutSeconds)s"),
            ("idle_in_transaction_session_timeout", "\(statementTimeoutSeconds)s"),
        ]
        return configuration
    }
}

/// Failures of the PostgreSQL store that are not the server's own errors.
public enum PostgresStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A component's migration has no PostgreSQL form.
    case migrationUnavailable(String)
    /// A call took longer than its limit and was abandoned (``PostgresDeadline``).
    case timedOut(Duration)

    public var description: String {
        switch self {
        case .migrationUnavailable(let name): "migration \(name) has no PostgreSQL form"
        case .timedOut(let limit): "the PostgreSQL server did not answer within \(limit)"
        }
    }
}
