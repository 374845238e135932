import CSICCore
import CSICProtos
import EventLog
import Foundation

extension AuditRecord {
    /// A record of something the platform did by itself: a fresh id (also its request id), from `local`.
    public static func system(actor: String, action: String, resource: String, outcome: AuditOutcome = .success, time: Timestamp = .now(), details: [String: String]) -> AuditRecord {
        let id = UUID().uuidString.lowercased()
        return AuditRecord(id: id, time: time, actor: actor, action: action, resource: resource, outcome: outcome,
                           requestID: id, sourceAddress: "local", details: details)
    }
}

extension EventLog {
    /// Appends `record` to the `audit` topic; returns once the log has it durably.
    public func appendAudit(_ record: AuditRecord) async throws {
        _ = try await append(.audit, records: [ProducerRecord(key: record.actor, value: record.serializedProto())])
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
        record(purgeAction, resource: "store/\(recordClass.rawValue)", outcome: .success, time: time,
               details: ["phase": "attempt", "record_class": recordClass.rawValue, "period": period.description])
    }

    /// What a purge did.
    public static func purgeOutcome(_ report: PurgeReport, time: Timestamp = .now()) -> AuditRecord {
        record(purgeAction, resource: "store/\(report.recordClass.rawValue)", outcome: .success, time: time, details: [
            "phase": "outcome", "record_class": report.recordClass.rawValue, "period": report.period,
            "cutoff": report.cutoff.iso8601, "ran_at": report.ranAt.iso8601, "purged": String(report.purged), "held": String(report.held),
        ])
    }

    /// A purge that failed part-way (the store's transactions keep what was not purged intact).
    public static func purgeFailure(_ recordClass: RecordClass, period: RetentionPeriod, error: String, time: Timestamp = .now()) -> AuditRecord {
        record(purgeAction, resource: "store/\(recordClass.rawValue)", outcome: .failure, time: time, details: [
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

    private static func record(_ action: String, resource: String, outcome: AuditOutcome, time: Timestamp, details: [String: String]) -> AuditRecord {
        .system(actor: systemActor, action: action, resource: resource, outcome: outcome, time: time, details: details)
    }

    /// The retention rules over the retention records of a log, fed in log order.
    struct Rules {
        /// The periods of the last recorded policy.
        private var policy: [RecordClass: RetentionPeriod] = [:]

        /// What the retention entries of one segment (in log order) break, each naming its place.
        mutating func problems(in entries: [(index: UInt64, offset: Int, leaf: [UInt8])], path: String) -> [String] {
            entries.compactMap { entry in
                let place = "entry \(entry.index) (\(path), byte \(entry.offset))"
                guard let record = try? AuditLeaf.record(entry.leaf) else { return "\(place): a retention record that cannot be read" }
                return check(record).map { "\(place): retention rule broken: \($0)" }
            }
        }

        /// The rule `record` breaks, if any.
        mutating func check(_ record: AuditRecord) -> String? {
            if record.action == policyAction {
                for recordClass in RecordClass.allCases {
                    if let text = record.details[recordClass.rawValue], let period = RetentionPeriod(text) { policy[recordClass] = period }
                }
                if policy[.audit].map({ $0 != .permanent }) ?? false { return "a retention policy that does not keep audit records permanently" }
                return nil
            }
            guard record.action == purgeAction, record.details["phase"] == "outcome", record.outcome == .success else { return nil }
            guard let recordClass = record.details["record_class"].flatMap(RecordClass.init(rawValue:)) else {
                return "a purge of an unknown record class"
            }
            guard recordClass != .audit else { return "a purge of audit records, which are kept permanently" }
            guard let period = record.details["period"].flatMap(RetentionPeriod.init), let cutoff = record.details["cutoff"].flatMap(Timestamp.init(iso8601:)),
                  let ranAt = record.details["ran_at"].flatMap(Timestamp.init(iso8601:))
            else { return "a purge record without its period, cutoff and time" }
            guard ranAt <= record.time else { return "a purge that states it ran after it was recorded" }
            for (what, allowed) in [("its stated period \(period)", period), ("the recorded policy's \(policy[recordClass] ?? period)", policy[recordClass] ?? period)] {
                guard let limit = allowed.cutoff(at: ranAt) else { return "a purge of \(recordClass.rawValue), which \(what) keeps permanently" }
                if cutoff > limit {
                    return "a purge of \(recordClass.rawValue) records up to \(cutoff.iso8601), later than \(what) allows on \(ranAt.iso8601) (\(limit.iso8601))"
                }
            }
            return nil
        }
    }
}
