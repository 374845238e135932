import CSICCore
import Logging

/// The purge's rules, the same on every backend: which expired records a hold keeps, and the run that purges a
/// class batch by batch and reports what it did.
enum PurgeRules {
    /// What the purge does with one expired transaction.
    enum Decision: Equatable {
        /// A hold covers it (its id, txid or one of its addresses), or its payload cannot be checked.
        case keep
        /// Delete the row and its index entries under these addresses.
        case delete(addresses: [String])
    }

    /// The decision for the transaction `id` / `txid` with `payload`, under the active transaction holds.
    static func decide(id: String, txid: String, payload: some Collection<UInt8>, holds: [LegalHold]) -> Decision {
        if holds.contains(where: { $0.subject == nil }) { return .keep }
        // An undecodable payload cannot be checked against address holds: it is kept, never purged blind.
        guard let addresses = StoredTransaction.event(payload: payload)?.addresses else { return .keep }
        let subjects = Set(holds.compactMap(\.subject))
        if subjects.contains(id) || subjects.contains(txid) || addresses.contains(where: subjects.contains) { return .keep }
        return .delete(addresses: addresses)
    }

    /// The table of alerts or dead letters, its time column, and the SQL condition (over the table's columns)
    /// "an active hold covers this record": a hold on the whole class, or on the record's id or subject / source.
    /// The same SQL on SQLite and PostgreSQL.
    static func simpleClass(_ recordClass: RecordClass) -> (table: String, time: String, held: String) {
        let (table, time, columns) =
            switch recordClass {
            case .alerts: ("alerts", "created_at_us", ["alerts.id", "alerts.subject"])
            default: ("dead_letters", "time_us", ["dead_letters.source", "dead_letters.id"])
            }
        let matches = (["h.subject IS NULL"] + columns.map { "h.subject = \($0)" }).joined(separator: " OR ")
        let held =
            "EXISTS (SELECT 1 FROM legal_holds h WHERE h.record_class = '\(recordClass.rawValue)' AND h.released_at_us IS NULL AND (\(matches)))"
        return (table, time, held)
    }

    /// Purges `recordClass` under `retention`: transactions a batch at a time after a position (`batch(cutoff, after)`
    /// returns purged, held and the last position examined, `nil` when none was left), the other classes in one
    /// call (`simple(cutoff)` returns purged and held). The audit class and permanent periods are refused.
    static func run(
        _ recordClass: RecordClass, retention: RecordRetention, logger: Logger,
        batch: (Timestamp, Int64) async throws -> (purged: Int, held: Int, last: Int64?),
        simple: (Timestamp) async throws -> (purged: Int, held: Int)
    ) async throws -> PurgeReport {
        let now = Timestamp.now()
        let period = retention[recordClass]
        guard recordClass != .audit, let cutoff = period.cutoff(at: now) else {
            throw RetentionError.permanent(recordClass)
        }
        var report = PurgeReport(recordClass: recordClass, period: period.description, cutoff: cutoff, ranAt: now)
        if recordClass == .transactions {
            var after = Int64.min
            while true {
                let (purged, held, last) = try await batch(cutoff, after)
                report.purged += purged
                report.held += held
                guard let last else { break }
                after = last
            }
        } else {
            (report.purged, report.held) = try await simple(cutoff)
        }
        if report.purged > 0 {
            logger.notice(
                "purged expired records",
                metadata: [
                    "class": "\(recordClass.rawValue)", "purged": "\(report.purged)", "held": "\(report.held)", "cutoff": "\(cutoff)",
                ])
        }
        return report
    }
}
