import CSICCore
import Configuration
import SystemPackage

/// A process's configuration: the platform-wide settings and every component, each built from its own
/// section and validated.
@dynamicMemberLookup
public struct LoadedConfiguration: Sendable {
    public var platform: PlatformConfiguration
    /// The components, in the order of the list they were loaded from.
    public var components: [any PlatformComponent]

    public init(platform: PlatformConfiguration, components: [any PlatformComponent]) {
        self.platform = platform
        self.components = components
    }

    /// The loaded component of type `type`, if it is in the list.
    public func component<Component: PlatformComponent>(_ type: Component.Type) -> Component? {
        components.lazy.compactMap { $0 as? Component }.first
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<PlatformConfiguration, Value>) -> Value {
        platform[keyPath: keyPath]
    }
}

/// Reads the configuration from a YAML file with `CSIC_*` environment overrides (`log.partitions` in the
/// file, `CSIC_LOG_PARTITIONS` in the environment), or from `csic demo`'s flags. The platform-wide keys are
/// read here; every other section is read and validated by the component that owns it.
///
/// ```yaml
/// data_dir: /var/lib/csic
/// roles: [ingest, process, api]
/// http: { host: 0.0.0.0, port: 8443, tls_certificate: /etc/csic/tls.crt, tls_key: /etc/csic/tls.key,
///         cors_origins: [https://console.example.org], idle_timeout_seconds: 60, event_stream_seconds: 600,
///         read_timeout_seconds: 10 }
/// grpc: { enabled: true, port: 9090 }   # on http.host, with http's TLS settings
/// log: { backend: embedded, partitions: 8, fsync: every_batch, retention_days: 30, retention_removes_unconsumed: false }
/// log.kafka: { bootstrap_servers: "k1:9092,k2:9092", client_id: csic, replication_factor: 3,
///             properties: [security.protocol=SASL_SSL, sasl.mechanisms=SCRAM-SHA-512, sasl.username=csic] }
///             # with log.backend: kafka; the SASL password in CSIC_LOG_KAFKA_SASL_PASSWORD
/// store: { backend: sqlite, durability: full }   # or backend: postgres with
///   postgres: { host: db.example, port: 5432, user: csic, database: csic, schema: csic, tls: require, ca_file: /etc/csic/db-ca.pem,
///               max_connections: 8, statement_timeout_seconds: 30 }   # the password in CSIC_STORE_POSTGRES_PASSWORD (or store.postgres.password)
/// simulator: { enabled: false }
/// bitcoin: { rpc_urls: [http://127.0.0.1:8332/], rpc_cookie_file: /var/lib/bitcoind/.cookie,
///            network: mainnet, start_height: 870000, confirmations: 1, poll_seconds: 2, zmq_block: tcp://127.0.0.1:28332 }
/// ethereum: { rpc_urls: [http://127.0.0.1:8545/], ws_url: ws://127.0.0.1:8546/, chain_id: 1,
///             start_height: 21000000, confirmations: 12, poll_seconds: 2 }
/// audit: { origin: regulator.example/audit, mirror_dir: /mnt/worm2/csic-audit, checkpoint_every: 10000, checkpoint_seconds: 10 }
/// retention: { transactions: 7y, alerts: 7y, dead_letters: 365d, check_hours: 24 }   # audit is always permanent
/// ```
public enum ConfigurationLoader {
    /// Loads the file (and environment), validates, and builds `components` from their sections. `values` given
    /// by key (`csic demo`'s flags) take precedence over both.
    public static func load(
        file: String?, environment: [String: String], values: [String: ConfigValue] = [:],
        components: [any PlatformComponent.Type] = Platform.standardComponents
    ) async throws -> LoadedConfiguration {
        var providers: [any ConfigProvider] = [
            inMemory(values), EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "csic"),
        ]
        if let file {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
        }
        return try read(ConfigReader(providers: providers), components: components)
    }

    /// Builds the configuration from values given by key (`"simulator.rate": 50`), as `csic demo`'s flags do.
    public static func load(
        values: [String: ConfigValue], components: [any PlatformComponent.Type] = Platform.standardComponents
    ) throws -> LoadedConfiguration {
        try read(ConfigReader(provider: inMemory(values)), components: components)
    }

    private static func inMemory(_ values: [String: ConfigValue]) -> InMemoryProvider {
        InMemoryProvider(
            name: "flags", values: Dictionary(uniqueKeysWithValues: values.map { (AbsoluteConfigKey(ConfigKey($0.key)), $0.value) }))
    }

    static func read(_ config: ConfigReader, components: [any PlatformComponent.Type]) throws -> LoadedConfiguration {
        var result = PlatformConfiguration()
        result.dataDirectory = config.string(forKey: "data_dir", default: result.dataDirectory)
        if let roles = config.stringArray(forKey: "roles") {
            result.roles = try Set(
                roles.map { name in
                    guard let role = PlatformConfiguration.Role(rawValue: name) else {
                        throw ValidationError(.malformed, field: "roles", "unknown role \(name); use ingest, process, api")
                    }
                    return role
                })
        }
        result.httpHost = config.string(forKey: "http.host", default: result.httpHost)
        result.httpPort = config.int(forKey: "http.port", default: result.httpPort)
        result.httpCORSOrigins = config.stringArray(forKey: "http.cors_origins", default: [])
        result.httpTLSCertificate = config.string(forKey: "http.tls_certificate")
        result.httpTLSKey = config.string(forKey: "http.tls_key")
        result.httpIdleTimeoutSeconds = config.int(forKey: "http.idle_timeout_seconds", default: result.httpIdleTimeoutSeconds)
        result.httpEventStreamSeconds = config.int(forKey: "http.event_stream_seconds", default: result.httpEventStreamSeconds)
        result.httpReadTimeoutSeconds = config.double(forKey: "http.read_timeout_seconds", default: result.httpReadTimeoutSeconds)
        result.grpcPort =
            config.bool(forKey: "grpc.enabled", default: true) ? config.int(forKey: "grpc.port", default: result.grpcPort ?? 9090) : nil
        result.logBackend = try enumValue(config, "log.backend", default: result.logBackend)
        result.logPartitions = Int32(clamping: config.int(forKey: "log.partitions", default: Int(result.logPartitions)))
        result.logFsync = config.string(forKey: "log.fsync", default: result.logFsync)
        result.logSegmentBytes = Int64(config.int(forKey: "log.segment_bytes", default: Int(result.logSegmentBytes)))
        result.logRetentionDays = Int64(config.int(forKey: "log.retention_days", default: Int(result.logRetentionDays)))
        result.logRetentionBytesPerPartition = config.int(forKey: "log.retention_bytes_per_partition").map(Int64.init)
        result.logRetentionRemovesUnconsumed = config.bool(
            forKey: "log.retention_removes_unconsumed", default: result.logRetentionRemovesUnconsumed)
        result.storeBackend = try enumValue(config, "store.backend", default: result.storeBackend)
        result.storeDurability = config.string(forKey: "store.durability", default: result.storeDurability)
        result.storePostgres = try postgresSettings(config, default: result.storePostgres)
        result.logKafka = try kafkaSettings(config, default: result.logKafka)
        try result.validate()
        let loaded = try components.map { type in try type.init(ConfigSection(name: type.section, root: config)) }
        return LoadedConfiguration(platform: result, components: loaded)
    }

    /// `log.kafka.*`; librdkafka properties as `KEY=VALUE` entries; the SASL password is read as a secret.
    static func kafkaSettings(_ config: ConfigReader, default settings: KafkaSettings) throws -> KafkaSettings {
        var result = settings
        result.bootstrapServers = config.string(forKey: "log.kafka.bootstrap_servers", default: result.bootstrapServers)
        result.clientID = config.string(forKey: "log.kafka.client_id", default: result.clientID)
        result.replicationFactor = config.int(forKey: "log.kafka.replication_factor", default: result.replicationFactor)
        for entry in config.stringArray(forKey: "log.kafka.properties", default: []) {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError(.malformed, field: "log.kafka.properties", "entries are KEY=VALUE (librdkafka properties)")
            }
            result.properties[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        result.saslPassword = config.string(forKey: "log.kafka.sasl_password", isSecret: true) ?? result.saslPassword
        return result
    }

    /// `store.postgres.*`; the password is read as a secret (never printed by the configuration reader).
    static func postgresSettings(_ config: ConfigReader, default settings: PostgresSettings) throws -> PostgresSettings {
        var result = settings
        result.host = config.string(forKey: "store.postgres.host", default: result.host)
        result.port = config.int(forKey: "store.postgres.port", default: result.port)
        result.user = config.string(forKey: "store.postgres.user", default: result.user)
        result.password = config.string(forKey: "store.postgres.password", isSecret: true) ?? result.password
        result.database = config.string(forKey: "store.postgres.database", default: result.database)
        result.schema = config.string(forKey: "store.postgres.schema", default: result.schema)
        result.tls = try enumValue(config, "store.postgres.tls", default: result.tls)
        result.caFile = config.string(forKey: "store.postgres.ca_file") ?? result.caFile
        result.maxConnections = config.int(forKey: "store.postgres.max_connections", default: result.maxConnections)
        result.statementTimeoutSeconds = config.int(
            forKey: "store.postgres.statement_timeout_seconds", default: result.statementTimeoutSeconds)
        return result
    }

    private static func enumValue<Value: RawRepresentable>(_ config: ConfigReader, _ key: String, default value: Value) throws -> Value
    where Value.RawValue == String {
        guard let text = config.string(forKey: ConfigKey(key)) else { return value }
        guard let parsed = Value(rawValue: text) else {
            throw ValidationError(.malformed, field: key, "unknown value \(text)")
        }
        return parsed
    }
}
