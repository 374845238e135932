import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import Storage
import StreamRuntime

/// The alert service's stream stage (`alert-service` group on `compliance`): every finding is stored and
/// folded into its alert episode (``AlertEpisodes``), and withdrawals withdraw the findings resting on orphaned
/// transactions, in one store transaction per batch (``AlertStore/record(_:at:)``). A record that is not a
/// finding (risk assessments, alerts) is not the service's; an undecodable one is dead-lettered.
public struct AlertServiceEngine: StreamEngine {
    public let group: String
    public let topics = [Topic.compliance.rawValue]

    public init(group: String = "alert-service") {
        self.group = group
    }

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput<[ComplianceFinding]> {
        var output = EngineOutput<[ComplianceFinding]>(effects: [])
        let now = Timestamp.now()
        for record in batch {
            do throws(ValidationError) {
                guard case .finding(let finding) = try ComplianceTopicEvent(protoBytes: record.value) else { continue }
                try finding.validate()
                output.effects.append(finding)
            } catch {
                output.deadLetters.append(DeadLetter(rejecting: record, by: group, error: error, now: now))
            }
        }
        return output
    }
}

extension AlertServiceEngine {
    /// Records a batch's findings in the alert store and counts the alert changes they made.
    public struct Sink: EffectSink {
        let store: any AlertStore
        let factory: any MetricsFactory

        public init(store: any AlertStore, metrics: any MetricsFactory = MetricsSystem.factory) {
            self.store = store
            factory = metrics
        }

        public func apply(_ findings: [ComplianceFinding]) async throws {
            let changes = try await store.record(findings, at: .now())
            var counts: [AlertAction: Int] = [:]
            for change in changes { counts[change.action, default: 0] += 1 }
            for (action, count) in counts {
                Counter(label: "csic_alert_changes_total", dimensions: [("action", action.rawValue)], factory: factory).increment(by: count)
            }
        }
    }
}

/// Analysts' changes of alerts through the store, each between an `attempt` and an `outcome` audit record
/// (`alert.<action>`, the alert as resource, the detail in the record).
public struct AuditedAlertActions: AlertActions {
    let store: any AlertStore
    let log: any EventLog

    public init(store: any AlertStore, log: any EventLog) {
        self.store = store
        self.log = log
    }

    public func change(alert id: String, _ action: AlertAction, detail: String?, by origin: ChangeOrigin) async throws -> Alert {
        let time = Timestamp.now()
        var details: [String: String] = [:]
        if let detail { details["detail"] = String(detail.prefix(500)) }
        return try await log.audited(
            "alert.\(action.rawValue)", resource: "alerts/\(id.prefix(300))", by: origin, details: details, at: time,
            outcome: { ["status": $0.status.rawValue] }
        ) {
            try await store.change(alert: id, action, detail: detail, by: origin.actor, at: time)
        }
    }
}
