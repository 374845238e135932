import CSICCore
import EventLog
import Logging
import Metrics
import ServiceLifecycle
import Storage

/// What the platform gives a component: the platform-wide settings, the log, the store and metrics.
public struct ComponentContext: Sendable {
    /// Data directory, roles, HTTP, log and store settings.
    public let configuration: PlatformConfiguration
    public let log: any EventLog
    /// The platform's store (transactions, dead letters, alerts, holds, ...).
    public let store: any PlatformStore
    /// The database that holds the components' own tables (``PlatformComponent/storeMigrations``): SQLite or
    /// PostgreSQL, as configured.
    public let database: StoreDatabase
    public let metrics: any MetricsFactory
    /// Where a component reports what is not ok while it runs (listed by `/health`).
    public let health: HealthBoard
    public let logger: Logger

    /// Whether this process runs `role`.
    public func runs(_ role: PlatformConfiguration.Role) -> Bool {
        configuration.roles.contains(role)
    }

    /// `services` as they must run when several processes of the platform share the store: on PostgreSQL, in
    /// one process at a time (elected as `name`, ``LeaderElectedService``); on SQLite, one process holds the
    /// store anyway, so as they are.
    public func oneAtATime(_ name: String, _ services: [any Service]) -> [any Service] {
        guard case .postgres(let store) = database, !services.isEmpty else { return services }
        return [LeaderElectedService(name: name, store: store, services: services, metrics: metrics, logger: logger)]
    }

    /// `<data_dir>/<name>`: where a component keeps its own files.
    public func directory(_ name: String) -> String {
        "\(configuration.dataDirectory)/\(name)"
    }
}
