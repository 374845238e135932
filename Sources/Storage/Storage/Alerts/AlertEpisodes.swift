import CSICCore
import Foundation

/// How findings become alerts, the same on every backend: a finding joins the active alert (any status but
/// resolved) of its typology and subject, or starts a new episode; a withdrawn finding leaves its alert, which is
/// resolved when none of its findings still holds. Pure: the stores read the rows, call this and write the result.
public enum AlertEpisodes {
    /// The service's name as the actor of the changes it makes.
    public static let actor = "alert-service"

    /// `finding` added to `active` (the active alert of its typology and subject), or a new alert for it.
    public static func fold(_ finding: ComplianceFinding, into active: Alert?, at now: Timestamp) -> (Alert, AlertChange) {
        guard var alert = active else {
            let typology = finding.typology.isEmpty ? finding.kind.rawValue : finding.typology
            let alert = Alert(
                id: "alert:\(finding.id)", title: "\(typology.replacingOccurrences(of: "_", with: " ")) involving \(finding.subject)",
                subject: finding.subject, severity: finding.severity, status: .open, findingIDs: [finding.id], createdAt: now,
                updatedAt: now,
                typology: finding.typology, findingCount: 1, activeFindings: 1, lastFindingAt: finding.time)
            return (alert, AlertChange(alertID: alert.id, time: now, actor: actor, action: .raised, status: .open, detail: finding.id))
        }
        alert.findingIDs = Array((alert.findingIDs + [finding.id]).suffix(Alert.recentFindingLimit))
        alert.severity = max(alert.severity, finding.severity)
        alert.findingCount += 1
        alert.activeFindings += 1
        alert.lastFindingAt = max(alert.lastFindingAt, finding.time)
        alert.updatedAt = max(alert.updatedAt, now)
        return (alert, AlertChange(alertID: alert.id, time: now, actor: actor, action: .updated, status: alert.status, detail: finding.id))
    }

    /// `alert` without finding `findingID`, withdrawn because `txid` was orphaned; resolved when nothing is left.
    public static func withdraw(_ findingID: String, txid: String, from alert: Alert, at now: Timestamp) -> (Alert, AlertChange) {
        var alert = alert
        alert.activeFindings = max(0, alert.activeFindings - 1)
        alert.updatedAt = max(alert.updatedAt, now)
        if alert.activeFindings == 0, alert.status.isActive {
            alert.status = .resolved
            alert.resolution = "withdrawn: every finding rests on transactions orphaned by a reorganisation"
        }
        return (
            alert,
            AlertChange(
                alertID: alert.id, time: now, actor: actor, action: .findingWithdrawn, status: alert.status,
                detail: "\(findingID) (transaction \(txid) orphaned)")
        )
    }
}

/// Why an analyst's change of an alert cannot be made.
public enum AlertChangeError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(String)
    /// The action does not apply to an alert in this status.
    case invalidTransition(action: AlertAction, status: AlertStatus)
    /// The action needs a detail (the assignee, the reason) that was not given.
    case missingDetail(action: AlertAction, field: String)

    public var description: String {
        switch self {
        case .notFound(let id): "no alert \(id)"
        case .invalidTransition(let action, let status): "an alert that is \(status.rawValue) cannot be given \(action.rawValue)"
        case .missingDetail(let action, let field): "\(action.rawValue) needs \(field)"
        }
    }
}

/// The alert lifecycle an analyst drives: acknowledge an open or reopened alert; assign an active alert to
/// someone; resolve an active alert with a reason; reopen a resolved one.
public enum AlertLifecycle {
    /// `action` by `actor` with its `detail` (assignee for `assign`, reason for `resolve`, optional for `reopen`).
    public static func apply(
        _ action: AlertAction, detail: String?, to alert: Alert, by actor: String, at now: Timestamp
    )
        throws(AlertChangeError) -> (Alert, AlertChange)
    {
        var alert = alert
        let detail = detail?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        switch action {
        case .acknowledge:
            guard alert.status == .open || alert.status == .reopened else { throw .invalidTransition(action: action, status: alert.status) }
            alert.status = .acknowledged
        case .assign:
            guard alert.status.isActive else { throw .invalidTransition(action: action, status: alert.status) }
            guard !detail.isEmpty else { throw .missingDetail(action: action, field: "assignee") }
            alert.status = .assigned
            alert.assignee = detail
        case .resolve:
            guard alert.status.isActive else { throw .invalidTransition(action: action, status: alert.status) }
            guard !detail.isEmpty else { throw .missingDetail(action: action, field: "reason") }
            alert.status = .resolved
            alert.resolution = detail
        case .reopen:
            guard alert.status == .resolved else { throw .invalidTransition(action: action, status: alert.status) }
            alert.status = .reopened
            alert.resolution = nil
        case .raised, .updated, .findingWithdrawn:
            throw .invalidTransition(action: action, status: alert.status)
        }
        alert.updatedAt = max(alert.updatedAt, now)
        return (alert, AlertChange(alertID: alert.id, time: now, actor: actor, action: action, status: alert.status, detail: detail))
    }
}
