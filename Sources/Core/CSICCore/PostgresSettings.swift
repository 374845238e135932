/// Where the PostgreSQL store is and how to reach it (`store.postgres` in the configuration file; the password
/// preferably from `CSIC_STORE_POSTGRES_PASSWORD`). The password is never logged or audited
/// (``redactedDescription``).
public struct PostgresSettings: Sendable, Hashable {
    /// How the connection is encrypted.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (loopback or a trusted network only).
        case disable
        /// TLS when the server offers it, without verifying the certificate.
        case prefer
        /// TLS required and the server's certificate verified (against `caFile`, or the system's roots).
        case require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema that holds CSIC's tables (created when missing): several platforms can share a database.
    public var schema: String
    public var tls: TLSMode
    /// PEM file of the certificate authority that signed the server's certificate (`tls: require`).
    public var caFile: String?
    /// Connections the pool opens at most.
    public var maxConnections: Int
    /// The longest one call (a statement, or a write transaction) may take: past it the call fails and is retried,
    /// and the server cancels the statement (`statement_timeout`) or ends a transaction left idle
    /// (`idle_in_transaction_session_timeout`), so an abandoned call holds neither a connection nor a lock.
    public var statementTimeoutSeconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 5432, user: String = "csic", password: String? = nil, database: String = "csic",
        schema: String = "csic", tls: TLSMode = .prefer, caFile: String? = nil, maxConnections: Int = 8,
        statementTimeoutSeconds: Int = 30
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
        self.tls = tls
        self.caFile = caFile
        self.maxConnections = maxConnections
        self.statementTimeoutSeconds = statementTimeoutSeconds
    }

    /// Everything but the password, for logs and the `configuration.load` audit record.
    public var redactedDescription: [String: String] {
        [
            "host": host, "port": String(port), "user": user, "database": database, "schema": schema, "tls": tls.rawValue,
            "password": password == nil ? "(not set)" : "(redacted)", "max_connections": String(maxConnections), "ca_file": caFile ?? "",
            "statement_timeout_seconds": String(statementTimeoutSeconds),
        ]
    }

    /// Refuses values that cannot work: a schema name that is not a plain lower-case identifier (it is spliced
    /// into `CREATE SCHEMA`), ports, pool sizes, empty names.
    public func validate() throws(ValidationError) {
        let identifier =
            schema.utf8.count <= 63 && schema.utf8.first.map { $0 == UInt8(ascii: "_") || (0x61...0x7A).contains($0) } == true
            && schema.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
        guard identifier else {
            throw ValidationError(
                .malformed, field: "store.postgres.schema", "must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63)")
        }
        guard (1...65_535).contains(port) else { throw ValidationError(.outOfRange, field: "store.postgres.port", "\(port) is not a port") }
        guard (1...1_000).contains(maxConnections) else {
            throw ValidationError(.outOfRange, field: "store.postgres.max_connections", "must be 1...1000")
        }
        guard (1...3_600).contains(statementTimeoutSeconds) else {
            throw ValidationError(.outOfRange, field: "store.postgres.statement_timeout_seconds", "must be 1...3600")
        }
        try Check.nonEmpty(host, "store.postgres.host")
        try Check.nonEmpty(user, "store.postgres.user")
        try Check.nonEmpty(database, "store.postgres.database")
    }
}
