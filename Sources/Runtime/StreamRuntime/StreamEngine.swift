import CSICCore
import EventLog
import Storage

/// What processing a batch produced. The runtime makes it durable, then commits the batch's offsets.
public struct EngineOutput: Sendable {
    /// Applied atomically, before anything is published.
    public var storeWrites: [StoreWrite]
    /// New events for other topics (findings, interventions, ...).
    public var events: [(topic: String, record: ProducerRecord)]
    /// Records that failed decoding or validation, with the reason.
    public var deadLetters: [DeadLetter]

    public init(storeWrites: [StoreWrite] = [], events: [(topic: String, record: ProducerRecord)] = [], deadLetters: [DeadLetter] = []) {
        self.storeWrites = storeWrites
        self.events = events
        self.deadLetters = deadLetters
    }
}

/// A processing engine: a consumer group over some topics and a function from a batch to its effects.
///
/// `process` must be deterministic for a given batch (replays produce the same ids) and must not perform
/// the effects itself: the ``StreamProcessor`` applies them durably and only then commits offsets.
public protocol StreamEngine: Sendable {
    /// The consumer group name.
    var group: String { get }
    var topics: [String] { get }
    func process(_ batch: [LogRecord]) async throws -> EngineOutput
}
