import Foundation

extension AuditRecord {
    /// A record of something the platform did by itself: a fresh id (also its request id), from `local`.
    public static func system(
        actor: String, action: String, resource: String, outcome: AuditOutcome = .success, time: Timestamp = .now(),
        details: [String: String]
    ) -> AuditRecord {
        let id = UUID().uuidString.lowercased()
        return AuditRecord(
            id: id, time: time, actor: actor, action: action, resource: resource, outcome: outcome,
            requestID: id, sourceAddress: "local", details: details)
    }
}

/// The audit records of retention — the policy in force, each purge's attempt and result, legal holds
/// placed and released — and the rules `csic audit verify` checks them against: the audit class is never
/// purged, and no purge's cutoff is later than both the period it states and the policy last recorded allow.
public enum RetentionAudit {
    public static let policyAction = "retention.policy"
    public static let purgeAction = "retention.purge"
    public static let holdPlaceAction = "retention.hold.place"
    public static let holdReleaseAction = "retention.hold.release"
    /// The actor of what the platform does by itself.
    public static let systemActor = "system:retention"

    /// The policy in force, recorded at every start.
    public static func policy(_ retention: RecordRetention, time: Timestamp = .now()) -> AuditRecord {
        record(policyAction, resource: "retention", outcome: .success, time: time, details: retention.descriptions)
    }

    /// Recorded before a purge runs; a purge whose attempt cannot be recorded does not run.
    public static func purgeAttempt(_ recordClass: RecordClass, period: RetentionPeriod, time: Timestamp = .now()) -> AuditRecord {
        record(
            purgeAction, resource: "store/\(recordClass.rawValue)", outcome: .success, time: time,
            details: ["phase": "attempt", "record_class": recordClass.rawValue, "period": period.description])
    }

    /// What a purge did.
    public static func purgeOutcome(_ report: PurgeReport, time: Timestamp = .now()) -> AuditRecord {
        record(
            purgeAction, resource: "store/\(report.recordClass.rawValue)", outcome: .success, time: time,
            details: [
                "phase": "outcome", "record_class": report.recordClass.rawValue, "period": report.period,
                "cutoff": report.cutoff.iso8601, "ran_at": report.ranAt.iso8601, "purged": String(report.purged),
                "held": String(report.held),
            ])
    }

    /// A purge that failed part-way (the store's transactions keep what was not purged intact).
    public static func purgeFailure(
        _ recordClass: RecordClass, period: RetentionPeriod, error: String, time: Timestamp = .now()
    ) -> AuditRecord {
        record(
            purgeAction, resource: "store/\(recordClass.rawValue)", outcome: .failure, time: time,
            details: [
                "phase": "outcome", "record_class": recordClass.rawValue, "period": period.description, "error": String(error.prefix(300)),
            ])
    }

    /// A legal hold placed or released, with everything it says.
    public static func hold(_ hold: LegalHold, action: String, actor: String, requestID: String, sourceAddress: String) -> AuditRecord {
        var details = ["hold_id": hold.id, "record_class": hold.recordClass.rawValue, "reason": hold.reason]
        details["subject"] = hold.subject
        details["case_reference"] = hold.caseReference
        return AuditRecord(
            id: UUID().uuidString.lowercased(), time: .now(), actor: actor, action: action, resource: "retention/holds/\(hold.id)",
            outcome: .success, requestID: requestID, sourceAddress: sourceAddress, details: details)
    }

    private static func record(
        _ action: String, resource: String, outcome: AuditOutcome, time: Timestamp, details: [String: String]
    ) -> AuditRecord {
        .system(actor: systemActor, action: action, resource: resource, outcome: outcome, time: time, details: details)
    }
}
