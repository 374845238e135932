import AlertService
import APIGateway
import CSICCore
import ServiceLifecycle
import Storage
import StreamRuntime

/// The alert service (`alerts:`): in the `process` role it consumes `compliance`, stores every finding and
/// folds it into an alert episode per typology and subject; `/api/v1/findings` and `/api/v1/alerts` read them
/// and carry the analysts' lifecycle changes, audited.
public struct AlertServiceComponent: PlatformComponent {
    public static let section = "alerts"
    public static let group = "alert-service"

    public init(_ section: ConfigSection) throws {}

    public var consumers: [String: String] { [Self.group: Topic.compliance.rawValue] }

    public var metricsHelp: [String: String] {
        ["csic_alert_changes_total": "Changes the alert service made to alerts (raised, updated, finding_withdrawn), by action."]
    }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        return [
            StreamProcessor(
                engine: AlertServiceEngine(group: Self.group),
                sink: AlertServiceEngine.Sink(store: context.store, metrics: context.metrics),
                log: context.log, logger: context.logger, metrics: context.metrics, health: context.health)
        ]
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [AlertRoutes(store: context.store, actions: AuditedAlertActions(store: context.store, log: context.log))]
    }
}
