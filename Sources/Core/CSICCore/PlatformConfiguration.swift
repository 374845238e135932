/// The platform-wide part of a `csic` process's configuration: data directory, roles, HTTP, log and store.
/// Each component reads its own section (`bitcoin:`, `audit:`, ...). Loaded from a YAML file plus `CSIC_*`
/// environment overrides by `csic serve --config`, or built from flags by `csic demo`.
public struct PlatformConfiguration: Sendable, Hashable {
    /// The parts of the platform one process can run.
    public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
        /// Sources and adapters writing to the log (the simulators, later the chain and exchange adapters).
        case ingest
        /// Engines consuming the log and writing the stores.
        case process
        /// The HTTP API, dashboard and metrics.
        case api
    }

    public enum LogBackend: String, Sendable, Hashable, Codable {
        case embedded, kafka
    }

    public enum StoreBackend: String, Sendable, Hashable, Codable {
        case sqlite, postgres
    }

    public var dataDirectory: String = "./csic-data"
    public var roles: Set<Role> = Set(Role.allCases)
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8080
    /// Browser origins (`https://console.example.org`) allowed to call the API cross-origin; none by default.
    public var httpCORSOrigins: [String] = []
    /// PEM certificate chain and private key: HTTPS instead of HTTP when both are set.
    public var httpTLSCertificate: String? = nil
    public var httpTLSKey: String? = nil
    /// A connection idle this long (no request, or a request not sent in full) is closed.
    public var httpIdleTimeoutSeconds: Int = 60
    /// How long one `/api/v1/events` stream lasts before its client reconnects with its last event id.
    public var httpEventStreamSeconds: Int = 600
    /// The longest a read may take before it is answered 503 `timeout`.
    public var httpReadTimeoutSeconds: Double = 10
    /// The gRPC API's port on `httpHost` (0: any free port), with the REST TLS settings; `nil` when off.
    public var grpcPort: Int? = 9090

    public var logBackend: LogBackend = .embedded
    /// Partitions of each platform topic except `audit`.
    public var logPartitions: Int32 = 4
    /// `every_batch`, `never`, or a number of milliseconds between syncs.
    public var logFsync: String = "every_batch"
    public var logSegmentBytes: Int64 = 64 << 20
    /// Log retention; the stores keep data for their own (longer) periods.
    public var logRetentionDays: Int64 = 30
    public var logRetentionBytesPerPartition: Int64? = nil
    /// Whether log retention removes a segment a consumer group has not read (by default it keeps it and
    /// reports it).
    public var logRetentionRemovesUnconsumed = false
    /// The cluster of `log.backend: kafka`.
    public var logKafka = KafkaSettings()

    public var storeBackend: StoreBackend = .sqlite
    /// `full` (survives power loss) or `normal` (survives a process crash).
    public var storeDurability: String = "full"
    /// The server of `store.backend: postgres`.
    public var storePostgres = PostgresSettings()

    public init() {}

    /// Checks the values that flags and files can get wrong.
    public func validate() throws(ValidationError) {
        try Check.nonEmpty(dataDirectory, "data_dir")
        guard (0...65535).contains(httpPort) else { throw ValidationError(.outOfRange, field: "http.port", "\(httpPort) is not a port") }
        if let grpcPort, !(0...65535).contains(grpcPort) {
            throw ValidationError(.outOfRange, field: "grpc.port", "\(grpcPort) is not a port")
        }
        guard (httpTLSCertificate == nil) == (httpTLSKey == nil) else {
            throw ValidationError(
                .missing, field: httpTLSCertificate == nil ? "http.tls_certificate" : "http.tls_key",
                "TLS needs both a certificate and a key")
        }
        guard (1...3600).contains(httpIdleTimeoutSeconds) else {
            throw ValidationError(.outOfRange, field: "http.idle_timeout_seconds", "must be 1...3600")
        }
        guard (0.1...300).contains(httpReadTimeoutSeconds) else {
            throw ValidationError(.outOfRange, field: "http.read_timeout_seconds", "must be 0.1...300")
        }
        guard (1...3600).contains(httpEventStreamSeconds) else {
            throw ValidationError(.outOfRange, field: "http.event_stream_seconds", "must be 1...3600")
        }
        for origin in httpCORSOrigins {
            let parts = origin.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, ["http:", "https:"].contains(parts[0]), parts[1].isEmpty, !parts[2].isEmpty, origin.utf8.count <= 200
            else {
                throw ValidationError(
                    .malformed, field: "http.cors_origins", "\(origin.prefix(200)) is not an origin (https://host[:port])")
            }
        }
        guard (1...1024).contains(logPartitions) else { throw ValidationError(.outOfRange, field: "log.partitions", "must be 1...1024") }
        guard logFsync == "every_batch" || logFsync == "never" || (Int(logFsync).map { $0 > 0 } ?? false) else {
            throw ValidationError(.malformed, field: "log.fsync", "must be every_batch, never or milliseconds")
        }
        guard logSegmentBytes >= 1 << 16 else { throw ValidationError(.outOfRange, field: "log.segment_bytes", "must be at least 65536") }
        guard (1...36_500).contains(logRetentionDays) else {
            throw ValidationError(.outOfRange, field: "log.retention_days", "must be 1...36500 (100 years)")
        }
        guard storeDurability == "full" || storeDurability == "normal" else {
            throw ValidationError(.malformed, field: "store.durability", "must be full or normal")
        }
        if storeBackend == .postgres { try storePostgres.validate() }
        if logBackend == .kafka { try logKafka.validate() }
        guard !roles.isEmpty else { throw ValidationError(.missing, field: "roles", "at least one role") }
    }
}
