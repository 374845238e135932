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

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput<[DeadLetter]> {
        var letters: [DeadLetter] = []
        letters.reserveCapacity(batch.count)
        for record in batch {
            do throws(ValidationError) {
                let letter = try DeadLetter(protoBytes: record.value)
                try letter.validate()
                letters.append(letter)
            } catch {
                letters.append(DeadLetter(rejecting: record, by: group, error: error))
            }
        }
        return EngineOutput(effects: letters)
    }

    /// Stores a batch's dead letters in one transaction (idempotent by dead-letter id).
    public struct Sink: EffectSink {
        let store: any DeadLetterStore

        public init(store: any DeadLetterStore) {
            self.store = store
        }

        public func apply(_ letters: [DeadLetter]) async throws {
            try await store.record(letters)
        }
    }
}
