import CSICCore
import CSICProtos
import EventLog
import Storage

/// Stores every `dead_letter` record so operators can list them (`GET /api/v1/dead-letters`).
///
/// A record on `dead_letter` that is itself undecodable is stored as a dead letter of the recorder,
/// not republished, so a bad record cannot loop.
public struct DeadLetterRecorder: StreamEngine {
    public let group = "dead-letter-recorder"
    public let topics = [Topic.deadLetter.rawValue]

    public init() {}

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput {
        var writes: [StoreWrite] = []
        writes.reserveCapacity(batch.count)
        for record in batch {
            do throws(ValidationError) {
                let letter = try DeadLetter(protoBytes: record.value)
                try letter.validate()
                writes.append(.upsertDeadLetter(letter))
            } catch {
                writes.append(.upsertDeadLetter(DeadLetter(rejecting: record, by: group, error: error)))
            }
        }
        return EngineOutput(storeWrites: writes)
    }
}
