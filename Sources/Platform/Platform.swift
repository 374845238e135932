import AuditTrail
import APIGateway
import BlockchainAdapters
import CSICCore
import EventLog
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Simulation
import Storage
import StreamRuntime
import TransactionAnalysis

/// One `csic` process: the backends chosen by configuration and the services of its roles.
///
/// ```swift
/// let platform = try await Platform.open(configuration, logger: logger)
/// try await platform.run()   // until SIGTERM/SIGINT or `duration`
/// ```
public final class Platform: Sendable {
    public let configuration: PlatformConfiguration
    public let log: any EventLog
    public let store: any PlatformStore
    public let registry: PrometheusCollectorRegistry
    public let metrics: any MetricsFactory
    let logger: Logger

    /// The consumer group of the transaction engine.
    public static let transactionGroup = "transaction-engine"

    init(configuration: PlatformConfiguration, log: any EventLog, store: any PlatformStore, registry: PrometheusCollectorRegistry, metrics: any MetricsFactory, logger: Logger) {
        self.configuration = configuration
        self.log = log
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
    }

    /// Prometheus metrics with latency buckets from 100 µs to 2 min (the seed's limit for chain sync).
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        return factory
    }

    /// Opens the configured backends, creating the platform topics.
    public static func open(_ configuration: PlatformConfiguration, logger: Logger) async throws -> Platform {
        try configuration.validate()
        let registry = PrometheusCollectorRegistry()
        let metrics = metricsFactory(registry)
        let log: any EventLog
        switch configuration.logBackend {
        case .embedded:
            log = try EmbeddedEventLog(
                directory: "\(configuration.dataDirectory)/log", options: try logOptions(configuration),
                logger: logger, metrics: metrics)
        case .kafka:
            throw PlatformError.backendUnavailable("log.backend: kafka needs a build with the Kafka trait (not yet available); use embedded")
        }
        let store: any PlatformStore
        switch configuration.storeBackend {
        case .sqlite:
            store = try SQLiteStore(
                path: "\(configuration.dataDirectory)/store/csic.sqlite",
                durability: configuration.storeDurability == "normal" ? .normal : .full, logger: logger)
        case .postgres:
            throw PlatformError.backendUnavailable("store.backend: postgres is not yet available; use sqlite")
        }
        let retention = RetentionPolicy(
            maxAgeSeconds: configuration.logRetentionDays * 86_400,
            maxBytesPerPartition: configuration.logRetentionBytesPerPartition)
        try await log.createPlatformTopics(partitions: configuration.logPartitions, retention: retention)
        return Platform(configuration: configuration, log: log, store: store, registry: registry, metrics: metrics, logger: logger)
    }

    static func logOptions(_ configuration: PlatformConfiguration) throws -> EmbeddedLogOptions {
        let fsync: FsyncPolicy = switch configuration.logFsync {
        case "every_batch": .everyBatch
        case "never": .never
        default: .interval(milliseconds: Int(configuration.logFsync) ?? 5)
        }
        return EmbeddedLogOptions(segmentBytes: configuration.logSegmentBytes, fsync: fsync)
    }

    /// The services of the configured roles.
    public func services(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> [any Service] {
        var services: [any Service] = []
        if configuration.roles.contains(.process) {
            services.append(StreamProcessor(engine: TransactionEngine(group: Self.transactionGroup), log: log, store: store, logger: logger, metrics: metrics))
            services.append(StreamProcessor(engine: DeadLetterRecorder(), log: log, store: store, logger: logger, metrics: metrics))
            services.append(LogRetentionService(log: log, logger: logger))
            services.append(RecordPurgeService(
                store: store, log: log, retention: configuration.retention, interval: .seconds(configuration.retentionCheckHours * 3600), logger: logger))
            services.append(AuditTrailService(settings: auditSettings, log: log, metrics: metrics, logger: logger))
        }
        if configuration.roles.contains(.ingest), configuration.simulatorEnabled {
            services.append(ChainSimulatorService(settings: simulatorSettings, log: log, logger: logger))
        }
        if configuration.roles.contains(.ingest), let settings = bitcoinSettings {
            services.append(try BitcoinAdapter(settings: settings, log: log, metrics: metrics, logger: logger))
        }
        if configuration.roles.contains(.ingest), let settings = ethereumSettings {
            services.append(try EthereumAdapter(settings: settings, log: log, metrics: metrics, logger: logger))
        }
        if configuration.roles.contains(.api) {
            let dependencies = GatewayDependencies(
                store: store, log: log, registry: registry, metrics: metrics, transactionGroup: Self.transactionGroup,
                auditDirectory: auditSettings.directory, auditOrigin: configuration.auditOrigin, retention: configuration.retention)
            services.append(Gateway.application(dependencies, host: configuration.httpHost, port: configuration.httpPort, onServerRunning: onServerRunning))
        }
        return services
    }

    /// The Bitcoin adapter's settings, when nodes are configured. A node URL's own `user:password@` wins over
    /// the shared `rpc_user`/`rpc_password`/`rpc_cookie_file`.
    var bitcoinSettings: BitcoinAdapterSettings? {
        guard !configuration.bitcoinRPCURLs.isEmpty, let network = BitcoinNetwork.named(configuration.bitcoinNetwork) else { return nil }
        let shared: BitcoinRPCCredentials = configuration.bitcoinRPCUser.map {
            .password(user: $0, password: configuration.bitcoinRPCPassword ?? "")
        } ?? .cookieFile(configuration.bitcoinRPCCookieFile ?? "")
        let endpoints = configuration.bitcoinRPCURLs.compactMap(NodeURL.init).map { node in
            BitcoinNodeEndpoint(url: node.address, credentials: node.user.map { .password(user: $0, password: node.password ?? "") } ?? shared)
        }
        return BitcoinAdapterSettings(
            endpoints: endpoints,
            network: network, startHeight: configuration.bitcoinStartHeight, confirmations: configuration.bitcoinConfirmations,
            pollInterval: .seconds(configuration.bitcoinPollSeconds), statePath: "\(configuration.dataDirectory)/bitcoin/adapter.sqlite",
            blockNotifications: configuration.bitcoinZMQBlock.flatMap { ZMQSubscription(endpoint: $0, topics: ["hashblock"]) })
    }

    /// The audit trail's files (`<data>/audit`), mirror and checkpoint policy.
    var auditSettings: AuditTrailService.Settings {
        AuditTrailService.Settings(
            directory: "\(configuration.dataDirectory)/audit",
            log: AuditLog.Settings(origin: configuration.auditOrigin, mirror: configuration.auditMirrorDirectory),
            checkpointEvery: configuration.auditCheckpointEvery, checkpointInterval: .seconds(configuration.auditCheckpointSeconds))
    }

    /// The Ethereum adapter's settings, when nodes are configured; `user:password@` in a URL is that node's Basic auth.
    var ethereumSettings: EthereumAdapterSettings? {
        guard !configuration.ethereumRPCURLs.isEmpty else { return nil }
        return EthereumAdapterSettings(
            endpoints: configuration.ethereumRPCURLs.compactMap(NodeURL.init).map { EthereumNodeEndpoint(url: $0.address, authorization: $0.basicAuthorization) },
            chainID: configuration.ethereumChainID, startHeight: configuration.ethereumStartHeight,
            confirmations: configuration.ethereumConfirmations, pollInterval: .seconds(configuration.ethereumPollSeconds),
            statePath: "\(configuration.dataDirectory)/ethereum/adapter.sqlite",
            headSubscription: configuration.ethereumWebSocketURL.map(EthereumHeadSubscription.init(url:)))
    }

    /// A fixed seed replays the same chain from 2026-01-01 and keeps a cursor; without one the chain is live.
    var simulatorSettings: ChainSimulatorSettings {
        if let seed = configuration.simulatorSeed {
            return ChainSimulatorSettings(
                seed: seed, count: configuration.simulatorCount, ratePerSecond: configuration.simulatorRate,
                start: Timestamp(secondsSinceEpoch: 1_767_225_600),
                cursorPath: "\(configuration.dataDirectory)/simulator/chain-\(seed).cursor")
        }
        return ChainSimulatorSettings(
            seed: UInt64.random(in: 1...UInt64.max), count: configuration.simulatorCount,
            ratePerSecond: configuration.simulatorRate, start: .now(), liveClock: true)
    }

    /// Runs every service until SIGTERM/SIGINT, or for `duration` when given. The configuration is audited
    /// first: a process whose configuration cannot be recorded does not start.
    public func run(duration: Duration? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await log.appendAudit(ConfigurationAudit.record(configuration))
        var services = try services(onServerRunning: onServerRunning)
        if let duration { services.append(StopAfter(duration: duration)) }
        let group = ServiceGroup(configuration: .init(
            services: services.map { service in
                var configuration = ServiceGroupConfiguration.ServiceConfiguration(service: service)
                configuration.successTerminationBehavior = service is StopAfter ? .gracefullyShutdownGroup : .ignore
                return configuration
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        try await log.close()
    }
}

/// Errors of assembling the platform.
public enum PlatformError: Error, CustomStringConvertible {
    case backendUnavailable(String)

    public var description: String {
        switch self {
        case .backendUnavailable(let message): message
        }
    }
}

/// Ends the service group after a fixed time (`csic demo --duration`).
struct StopAfter: Service {
    let duration: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}

/// Applies the log's retention policies once a minute.
struct LogRetentionService: Service {
    let log: any EventLog
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                _ = try await log.enforceRetention(now: .now())
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
