import CSICCore
import EventLog

/// What processing a batch produced. The runtime makes it durable, then commits the batch's offsets.
public struct EngineOutput<Effects: Sendable>: Sendable {
    /// Made durable by the engine's ``EffectSink`` in one transaction, before anything is published.
    public var effects: Effects
    /// New events for other topics (findings, interventions, ...).
    public var events: [(topic: String, record: ProducerRecord)]
    /// Records that failed decoding or validation, with the reason.
    public var deadLetters: [DeadLetter]

    public init(effects: Effects, events: [(topic: String, record: ProducerRecord)] = [], deadLetters: [DeadLetter] = []) {
        self.effects = effects
        self.events = events
        self.deadLetters = deadLetters
    }
}

/// A processing engine: a consumer group over some topics and a function from a batch to its effects.
///
/// `process` must be deterministic for a given batch (replays produce the same ids) and must not perform
/// the effects itself: the ``StreamProcessor`` hands them to the engine's ``EffectSink`` and only then
/// commits offsets.
public protocol StreamEngine: Sendable {
    /// What one batch changes: store rows, WORM entries, ... — whatever the engine's sink makes durable.
    associatedtype Effects: Sendable
    /// The consumer group name.
    var group: String { get }
    var topics: [String] { get }
    func process(_ batch: [LogRecord]) async throws -> EngineOutput<Effects>
}

/// Where an engine's effects go: its store (one database transaction per batch) or the WORM audit log.
/// The stream runtime calls it without knowing what the effects are.
///
/// `apply` must be atomic (all of a batch or none) and idempotent (a batch replayed after a crash, because
/// its offsets were not yet committed, changes nothing).
public protocol EffectSink<Effects>: Sendable {
    associatedtype Effects: Sendable
    /// The effects made ready off the writer (grouped, sorted, keyed), while the previous batch is written.
    associatedtype Prepared: Sendable = Effects
    /// Called once before the first batch (opening files, catching up derived data).
    func start() async throws
    func prepare(_ effects: Effects) -> Prepared
    /// Makes one batch's effects durable.
    func apply(_ prepared: Prepared) async throws
    /// Called when a poll found nothing (time-based work, such as a checkpoint).
    func idle() async throws
    /// Called once after the last batch is committed, on shutdown.
    func stop() async throws
}

extension EffectSink {
    public func start() async throws {}
    public func idle() async throws {}
    public func stop() async throws {}
}

extension EffectSink where Prepared == Effects {
    public func prepare(_ effects: Effects) -> Effects { effects }
}
