import CSICCore
import CSICProtos
import EventLog
import Foundation

extension EventLog {
    /// Appends `record` to the `audit` topic (keyed by actor); returns once the log has it durably.
    public func appendAudit(_ record: AuditRecord) async throws {
        _ = try await append(.audit, records: [ProducerRecord(key: record.actor, value: record.serializedProto())])
    }

    /// Makes an audited change: an `attempt` record first (a change that cannot be recorded is not made), then
    /// `change`, then an `outcome` record: success with `outcome`'s details, or failure with the error.
    public func audited<Result: Sendable>(
        _ action: String, resource: String, by origin: ChangeOrigin, details: [String: String] = [:], at time: Timestamp = .now(),
        outcome: (Result) -> [String: String] = { _ in [:] }, _ change: () async throws -> Result
    ) async throws -> Result {
        func record(_ phase: String, _ result: AuditOutcome, _ extra: [String: String]) -> AuditRecord {
            AuditRecord(
                id: UUID().uuidString.lowercased(), time: time, actor: origin.actor, action: action, resource: resource, outcome: result,
                requestID: origin.requestID, sourceAddress: origin.sourceAddress,
                details: details.merging(extra.merging(["phase": phase]) { first, _ in first }) { first, _ in first })
        }
        try await appendAudit(record("attempt", .success, [:]))
        let result: Result
        do {
            result = try await change()
        } catch {
            try? await appendAudit(record("outcome", .failure, ["error": String("\(error)".prefix(300))]))
            throw error
        }
        try await appendAudit(record("outcome", .success, outcome(result)))
        return result
    }
}
