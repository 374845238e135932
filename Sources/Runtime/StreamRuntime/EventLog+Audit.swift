import CSICCore
import CSICProtos
import EventLog

extension EventLog {
    /// Appends `record` to the `audit` topic (keyed by actor); returns once the log has it durably.
    public func appendAudit(_ record: AuditRecord) async throws {
        _ = try await append(.audit, records: [ProducerRecord(key: record.actor, value: record.serializedProto())])
    }
}
