import CSICCore

extension RetentionAudit {
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
                if policy[.audit].map({ $0 != .permanent }) ?? false {
                    return "a retention policy that does not keep audit records permanently"
                }
                return nil
            }
            guard record.action == purgeAction, record.details["phase"] == "outcome", record.outcome == .success else { return nil }
            guard let recordClass = record.details["record_class"].flatMap(RecordClass.init(rawValue:)) else {
                return "a purge of an unknown record class"
            }
            guard recordClass != .audit else { return "a purge of audit records, which are kept permanently" }
            guard let period = record.details["period"].flatMap(RetentionPeriod.init),
                let cutoff = record.details["cutoff"].flatMap(Timestamp.init(iso8601:)),
                let ranAt = record.details["ran_at"].flatMap(Timestamp.init(iso8601:))
            else { return "a purge record without its period, cutoff and time" }
            guard ranAt <= record.time else { return "a purge that states it ran after it was recorded" }
            for (what, allowed) in [
                ("its stated period \(period)", period),
                ("the recorded policy's \(policy[recordClass] ?? period)", policy[recordClass] ?? period),
            ] {
                guard let limit = allowed.cutoff(at: ranAt) else {
                    return "a purge of \(recordClass.rawValue), which \(what) keeps permanently"
                }
                if cutoff > limit {
                    return
                        "a purge of \(recordClass.rawValue) records up to \(cutoff.iso8601), later than \(what) allows on \(ranAt.iso8601) (\(limit.iso8601))"
                }
            }
            return nil
        }
    }
}
