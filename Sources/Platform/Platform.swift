import APIGateway
import CSICCore
import EventLog
import KafkaEventLog
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Storage
import StreamRuntime

/// One `csic` process: the backends chosen by configuration and the services of its components in its roles.
///
/// ```swift
/// let configuration = try await ConfigurationLoader.load(file: "csic.yaml", environment: [:])
/// let platform = try await Platform.open(configuration, logger: logger)
/// try await platform.run()   // until SIGTERM/SIGINT or `duration`
/// ```
public final class Platform: Sendable {
    public let configuration: PlatformConfiguration
    public let components: [any PlatformComponent]
    public let log: any EventLog
    public let store: any PlatformStore
    public let registry: PrometheusCollectorRegistry
    public let metrics: any MetricsFactory
    /// Accounts, credentials and tokens of the API (`auth:`).
    public let access: AccessControl
    /// What the components report as not ok while they run; `/health` lists it.
    public let health = HealthBoard()
    /// The database behind `store`, for components' own tables.
    public let database: StoreDatabase
    let logger: Logger

    /// The platform's systems, in the order their services start (and stop in reverse). A new system is one
    /// more line here.
    public static let standardComponents: [any PlatformComponent.Type] = [
        AuthComponent.self,
        TransactionAnalysisComponent.self,
        AlertServiceComponent.self,
        DeadLetterComponent.self,
        RetentionComponent.self,
        AuditTrailComponent.self,
        SimulatorComponent.self,
        BitcoinComponent.self,
        EthereumComponent.self,
    ]

    init(
        configuration: PlatformConfiguration, components: [any PlatformComponent], log: any EventLog, database: StoreDatabase,
        registry: PrometheusCollectorRegistry, metrics: any MetricsFactory, access: AccessControl, logger: Logger
    ) {
        self.access = access
        self.configuration = configuration
        self.components = components
        self.log = log
        self.store = database.store
        self.database = database
        self.registry = registry
        self.metrics = metrics
        self.logger = logger
    }

    /// Opens the configured backends with the standard components at their default settings.
    public static func open(_ configuration: PlatformConfiguration, logger: Logger) async throws -> Platform {
        let components = try standardComponents.map { type in try type.init(.empty(type.section)) }
        return try await open(LoadedConfiguration(platform: configuration, components: components), logger: logger)
    }

    /// Opens the configured backends, creating the platform topics and every component's tables.
    public static func open(_ configuration: LoadedConfiguration, logger: Logger) async throws -> Platform {
        let platform = configuration.platform
        try platform.validate()
        let registry = PrometheusCollectorRegistry()
        let metrics = metricsFactory(
            registry,
            help: configuration.components.reduce(into: PlatformMetrics.help) { help, component in
                help.merge(component.metricsHelp) { first, _ in first }
            })
        let log: any EventLog
        switch platform.logBackend {
        case .embedded:
            log = try EmbeddedEventLog(
                directory: "\(platform.dataDirectory)/log", options: try logOptions(platform), logger: logger, metrics: metrics)
        case .kafka:
            #if Kafka
                log = try KafkaEventLog(
                    options: KafkaLogOptions(settings: platform.logKafka, knownGroups: configuration.components.flatMap(\.consumers.keys))
                )
            #else
                throw PlatformError.backendUnavailable(
                    "log.backend: kafka needs a build with the Kafka trait (swift build --traits Kafka, with librdkafka-dev); use embedded")
            #endif
        }
        let migrations = configuration.components.flatMap(\.storeMigrations)
        let database: StoreDatabase
        switch platform.storeBackend {
        case .sqlite:
            database = .sqlite(
                try SQLiteStore(
                    path: "\(platform.dataDirectory)/store/csic.sqlite", durability: platform.storeDurability == "normal" ? .normal : .full,
                    migrations: migrations, logger: logger))
        case .postgres:
            database = .postgres(try await PostgresStore.open(platform.storePostgres, migrations: migrations, logger: logger))
        }
        let retention = RetentionPolicy(
            maxAgeSeconds: platform.logRetentionDays * 86_400, maxBytesPerPartition: platform.logRetentionBytesPerPartition,
            removesUnconsumed: platform.logRetentionRemovesUnconsumed)
        try await log.createPlatformTopics(partitions: platform.logPartitions, retention: retention)
        let authSettings = configuration.components.lazy.compactMap { $0 as? AuthComponent }.first?.settings ?? AuthSettings()
        let access = try await AccessControl(
            settings: authSettings, store: database.store, log: log, keyDirectory: "\(platform.dataDirectory)/auth/keys")
        return Platform(
            configuration: platform, components: configuration.components, log: log, database: database, registry: registry,
            metrics: metrics, access: access, logger: logger)
    }

    static func logOptions(_ configuration: PlatformConfiguration) throws -> EmbeddedLogOptions {
        let fsync: FsyncPolicy =
            switch configuration.logFsync {
            case "every_batch": .everyBatch
            case "never": .never
            default: .interval(milliseconds: Int(configuration.logFsync) ?? 5)
            }
        return EmbeddedLogOptions(segmentBytes: configuration.logSegmentBytes, fsync: fsync)
    }

    /// What every component is given.
    public var context: ComponentContext {
        ComponentContext(
            configuration: configuration, log: log, store: store, database: database, metrics: metrics, health: health, logger: logger)
    }

    /// The services of the configured roles: the log's retention, every component's, and the API.
    public func services(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onGRPCRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> [any Service] {
        let context = context
        var services: [any Service] = []
        if configuration.roles.contains(.process) { services.append(LogRetentionService(log: log, logger: logger)) }
        if case .postgres(let store) = database {
            services.append(
                StoreMonitor(backend: "postgres", probe: { try await store.ping() }, health: health, metrics: metrics, logger: logger))
        }
        for component in components {
            let section = type(of: component).section
            services += try component.services(context).map { service in
                ContainedService(service: service, section: section, health: health, logger: logger)
            }
        }
        if configuration.roles.contains(.api) {
            services += try Gateway.services(
                gatewayDependencies, host: configuration.httpHost, httpPort: configuration.httpPort, grpcPort: configuration.grpcPort,
                onServerRunning: onServerRunning, onGRPCRunning: onGRPCRunning)
        }
        return services
    }

    /// The API over this platform: every component's routes, stats and consumer groups.
    public var gatewayDependencies: GatewayDependencies {
        let context = context
        let store = store
        return GatewayDependencies(
            log: log, registry: registry, metrics: metrics, routes: components.flatMap { $0.routes(context) },
            consumers: components.reduce(into: [:]) { consumers, component in consumers.merge(component.consumers) { first, _ in first } },
            storeBytes: { try await store.sizeBytes() }, access: access,
            settings: GatewaySettings(
                corsOrigins: configuration.httpCORSOrigins,
                tls: configuration.httpTLSCertificate.flatMap { certificate in configuration.httpTLSKey.map { (certificate, $0) } },
                idleTimeoutSeconds: configuration.httpIdleTimeoutSeconds, eventStreamSeconds: Double(configuration.httpEventStreamSeconds),
                readTimeoutSeconds: configuration.httpReadTimeoutSeconds),
            feed: store, transactions: store,
            audit: components.lazy.compactMap { $0 as? AuditTrailComponent }.first?.queries(context), health: health)
    }

    /// Runs every service until SIGTERM/SIGINT, or for `duration` when given. The configuration is audited
    /// first: a process whose configuration cannot be recorded does not start.
    public func run(
        duration: Duration? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onGRPCRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try await log.appendAudit(ConfigurationAudit.record(configuration, components: components))
        var services = try services(onServerRunning: onServerRunning, onGRPCRunning: onGRPCRunning)
        if let duration { services.append(StopAfter(duration: duration)) }
        let group = ServiceGroup(
            configuration: .init(
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

/// Applies the log's retention policies once a minute. Segments kept because a consumer group has not read
/// them are an alert-level event: logged as errors by the log, and an audit record each time the set changes.
struct LogRetentionService: Service {
    let log: any EventLog
    let logger: Logger

    func run() async throws {
        var reported: [String] = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let kept = try await log.enforceRetention(now: .now()).keptUnconsumed
                if kept != reported {
                    if !kept.isEmpty {
                        try await log.appendAudit(
                            .system(
                                actor: "csic:retention", action: "log.retention.kept_unconsumed", resource: "log",
                                details: ["segments": kept.joined(separator: "\n")]))
                    }
                    reported = kept
                }
            } catch {
                logger.error("retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
    }
}
