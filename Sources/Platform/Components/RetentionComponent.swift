import APIGateway
import CSICCore
import ServiceLifecycle

/// Retention and legal holds (`retention:`): the period of each record class, the purge in the `process`
/// role (one process at a time), and `/api/v1/retention` for the periods and holds. The audit class is always permanent.
public struct RetentionComponent: PlatformComponent {
    public static let section = "retention"

    /// How long each record class is kept (seven years by default; the audit trail permanently).
    public var retention: RecordRetention
    /// Expired records are purged this often (and once at start), except those under a legal hold.
    public var checkHours: Double

    public init(_ section: ConfigSection) throws {
        var periods: [RecordClass: RetentionPeriod] = [:]
        for recordClass in RecordClass.allCases {
            guard let text = section.string(recordClass.rawValue) else { continue }
            guard let period = RetentionPeriod(text) else {
                throw section.malformed(recordClass.rawValue, "\(text) is not a period: use permanent, <years>y or <days>d")
            }
            periods[recordClass] = period
        }
        retention = try RecordRetention(overrides: periods)
        checkHours = try section.number("check_hours", default: 24, in: 0.001...8760)
    }

    public var settingsDescription: [String: String] {
        retention.descriptions.merging(["check_hours": String(checkHours)]) { period, _ in period }
    }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        // One purge at a time when several processes run the process role.
        return context.oneAtATime(
            "retention-purge",
            [
                RecordPurgeService(
                    store: context.store, log: context.log, retention: retention, interval: .seconds(checkHours * 3600),
                    logger: context.logger)
            ])
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [RetentionRoutes(store: context.store, log: context.log, retention: retention)]
    }
}
