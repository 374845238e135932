import CSICCore
import Configuration
import SystemPackage

/// Reads a ``PlatformConfiguration`` from a YAML file with `CSIC_*` environment overrides
/// (`log.partitions` in the file, `CSIC_LOG_PARTITIONS` in the environment).
///
/// ```yaml
/// data_dir: /var/lib/csic
/// roles: [ingest, process, api]
/// http: { host: 0.0.0.0, port: 8080 }
/// log: { backend: embedded, partitions: 8, fsync: every_batch, retention_days: 30 }
/// store: { backend: sqlite, durability: full }
/// simulator: { enabled: false }
/// bitcoin: { rpc_urls: [http://127.0.0.1:8332/], rpc_cookie_file: /var/lib/bitcoind/.cookie,
///            network: mainnet, start_height: 870000, confirmations: 1, poll_seconds: 2, zmq_block: tcp://127.0.0.1:28332 }
/// ethereum: { rpc_urls: [http://127.0.0.1:8545/], ws_url: ws://127.0.0.1:8546/, chain_id: 1,
///             start_height: 21000000, confirmations: 12, poll_seconds: 2 }
/// audit: { origin: regulator.example/audit, mirror_dir: /mnt/worm2/csic-audit, checkpoint_every: 10000, checkpoint_seconds: 10 }
/// retention: { transactions: 7y, alerts: 7y, dead_letters: 365d, check_hours: 24 }   # audit is always permanent
/// ```
public enum ConfigurationLoader {
    /// Loads the file (and environment), validates, and returns the configuration.
    public static func load(file: String?, environment: [String: String]) async throws -> PlatformConfiguration {
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "csic")
        ]
        if let file {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
        }
        return try read(ConfigReader(providers: providers))
    }

    static func read(_ config: ConfigReader) throws -> PlatformConfiguration {
        var result = PlatformConfiguration()
        result.dataDirectory = config.string(forKey: "data_dir", default: result.dataDirectory)
        if let roles = config.stringArray(forKey: "roles") {
            result.roles = try Set(roles.map { name in
                guard let role = PlatformConfiguration.Role(rawValue: name) else {
                    throw ValidationError(.malformed, field: "roles", "unknown role \(name); use ingest, process, api")
                }
                return role
            })
        }
        result.httpHost = config.string(forKey: "http.host", default: result.httpHost)
        result.httpPort = config.int(forKey: "http.port", default: result.httpPort)
        result.grpcPort = config.int(forKey: "grpc.port", default: result.grpcPort)
        result.logBackend = try enumValue(config, "log.backend", default: result.logBackend)
        result.logPartitions = Int32(clamping: config.int(forKey: "log.partitions", default: Int(result.logPartitions)))
        result.logFsync = config.string(forKey: "log.fsync", default: result.logFsync)
        result.logSegmentBytes = Int64(config.int(forKey: "log.segment_bytes", default: Int(result.logSegmentBytes)))
        result.logRetentionDays = Int64(config.int(forKey: "log.retention_days", default: Int(result.logRetentionDays)))
        result.logRetentionBytesPerPartition = config.int(forKey: "log.retention_bytes_per_partition").map(Int64.init)
        result.storeBackend = try enumValue(config, "store.backend", default: result.storeBackend)
        result.storeDurability = config.string(forKey: "store.durability", default: result.storeDurability)
        result.simulatorEnabled = config.bool(forKey: "simulator.enabled", default: result.simulatorEnabled)
        result.simulatorSeed = config.int(forKey: "simulator.seed").map { UInt64(bitPattern: Int64($0)) }
        result.simulatorCount = config.int(forKey: "simulator.count")
        result.simulatorRate = config.double(forKey: "simulator.rate") ?? result.simulatorRate
        result.bitcoinRPCURLs = config.stringArray(forKey: "bitcoin.rpc_urls", isSecret: true) ?? []
        result.bitcoinRPCUser = config.string(forKey: "bitcoin.rpc_user")
        result.bitcoinRPCPassword = config.string(forKey: "bitcoin.rpc_password", isSecret: true)
        result.bitcoinRPCCookieFile = config.string(forKey: "bitcoin.rpc_cookie_file")
        result.bitcoinNetwork = config.string(forKey: "bitcoin.network", default: result.bitcoinNetwork)
        result.bitcoinStartHeight = UInt64(max(0, config.int(forKey: "bitcoin.start_height", default: 0)))
        result.bitcoinConfirmations = UInt64(max(0, config.int(forKey: "bitcoin.confirmations", default: 1)))
        result.bitcoinPollSeconds = config.double(forKey: "bitcoin.poll_seconds") ?? result.bitcoinPollSeconds
        result.bitcoinZMQBlock = config.string(forKey: "bitcoin.zmq_block")
        result.ethereumRPCURLs = config.stringArray(forKey: "ethereum.rpc_urls", isSecret: true) ?? []
        result.ethereumWebSocketURL = config.string(forKey: "ethereum.ws_url", isSecret: true)
        result.ethereumChainID = config.int(forKey: "ethereum.chain_id").map { UInt64(max(0, $0)) }
        result.ethereumStartHeight = UInt64(max(0, config.int(forKey: "ethereum.start_height", default: 0)))
        result.ethereumConfirmations = UInt64(max(0, config.int(forKey: "ethereum.confirmations", default: 1)))
        result.ethereumPollSeconds = config.double(forKey: "ethereum.poll_seconds") ?? result.ethereumPollSeconds
        result.auditOrigin = config.string(forKey: "audit.origin", default: result.auditOrigin)
        result.auditMirrorDirectory = config.string(forKey: "audit.mirror_dir")
        result.auditCheckpointEvery = UInt64(max(0, config.int(forKey: "audit.checkpoint_every", default: Int(result.auditCheckpointEvery))))
        result.auditCheckpointSeconds = config.double(forKey: "audit.checkpoint_seconds") ?? result.auditCheckpointSeconds
        var periods: [RecordClass: RetentionPeriod] = [:]
        for recordClass in RecordClass.allCases {
            let key = "retention.\(recordClass.rawValue)"
            guard let text = config.string(forKey: ConfigKey(key)) else { continue }
            guard let period = RetentionPeriod(text) else {
                throw ValidationError(.malformed, field: key, "\(text) is not a period: use permanent, <years>y or <days>d")
            }
            periods[recordClass] = period
        }
        result.retention = try RecordRetention(overrides: periods)
        result.retentionCheckHours = config.double(forKey: "retention.check_hours") ?? result.retentionCheckHours
        try result.validate()
        return result
    }

    private static func enumValue<Value: RawRepresentable>(_ config: ConfigReader, _ key: String, default value: Value) throws -> Value where Value.RawValue == String {
        guard let text = config.string(forKey: ConfigKey(key)) else { return value }
        guard let parsed = Value(rawValue: text) else {
            throw ValidationError(.malformed, field: key, "unknown value \(text)")
        }
        return parsed
    }
}
