import CSICCore
import EventLog
import Logging
import Metrics
import CSICProtos
import ServiceLifecycle
import Storage

/// Tuning of a ``StreamProcessor``.
public struct StreamSettings: Sendable, Hashable {
    /// The most records one batch (one store transaction) holds. Under light load batches are as small as
    /// what arrived; under heavy load large batches spread each commit's fixed costs (sync, index merges).
    public var maxBatchRecords: Int
    public var pollTimeout: Duration
    /// First delay before retrying a batch whose effects failed; doubles up to `maxRetryDelay`.
    public var retryDelay: Duration
    public var maxRetryDelay: Duration

    var backoff: Backoff { Backoff(initial: retryDelay, maximum: maxRetryDelay) }

    public init(
        maxBatchRecords: Int = 16_384, pollTimeout: Duration = .milliseconds(200), retryDelay: Duration = .milliseconds(50),
        maxRetryDelay: Duration = .seconds(5)
    ) {
        self.maxBatchRecords = maxBatchRecords
        self.pollTimeout = pollTimeout
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
    }
}

/// What one committed batch did, for observers such as benchmarks.
public struct BatchReport: Sendable {
    public var group: String
    public var records: Int
    public var deadLetters: Int
    /// Per record: microseconds from append to the batch's effects being durable.
    public var latenciesMicroseconds: [Int64]
}

/// Runs a ``StreamEngine`` as a service: poll, process, hand the effects to the engine's ``EffectSink``,
/// publish, commit. The one stream loop of the platform: every engine (the transaction engine, the
/// dead-letter recorder, the audit engine appending to its WORM log) runs on it.
///
/// Delivery is at-least-once: offsets are committed only after the effects, new events and dead letters of
/// the batch are durable; a crash in between replays the batch, and idempotent sinks make the replay
/// harmless. A batch whose effects fail is retried with backoff, never skipped. On graceful shutdown
/// (SIGTERM) the current batch finishes and is committed before `run` returns.
public final class StreamProcessor<Engine: StreamEngine, Sink: EffectSink>: Service where Sink.Effects == Engine.Effects {
    private let engine: Engine
    private let sink: Sink
    private let log: any EventLog
    private let settings: StreamSettings
    private let logger: Logger
    private let observer: (@Sendable (BatchReport) -> Void)?
    private let metrics: StreamMetrics
    /// Where a sink that cannot start, or a log that cannot be read, is reported while it lasts (`/health`).
    private let health: HealthBoard?

    public init(
        engine: Engine, sink: Sink, log: any EventLog, settings: StreamSettings = StreamSettings(),
        logger: Logger = Logger(label: "csic.stream"), metrics: any MetricsFactory = MetricsSystem.factory,
        observer: (@Sendable (BatchReport) -> Void)? = nil, health: HealthBoard? = nil
    ) {
        self.health = health
        self.engine = engine
        self.sink = sink
        self.log = log
        self.settings = settings
        self.logger = logger
        self.observer = observer
        self.metrics = StreamMetrics(group: engine.group, factory: metrics)
    }

    public func run() async throws {
        // A sink that cannot start (a damaged audit log) stops this engine, not the process: it is tried
        // again after a backoff until it starts or the service stops.
        var startBackoff = settings.backoff
        while true {
            do {
                try await sink.start()
                health?.report("engine \(engine.group)", problems: [])
                break
            } catch {
                guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
                health?.report("engine \(engine.group)", problems: ["cannot start: \(error)"])
                metrics.processingErrors.increment()
                let delay = startBackoff.next()
                logger.critical(
                    "engine cannot start; retrying", metadata: ["group": "\(engine.group)", "error": "\(error)", "retry_in": "\(delay)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
        }
        var consumer = try await log.groupConsumer(group: engine.group, topics: engine.topics)
        logger.info("stream processor started", metadata: ["group": "\(engine.group)", "topics": "\(engine.topics)"])
        // The batch whose effects are being made durable, and the positions to commit once they are.
        // Processing batch N+1 overlaps with applying batch N; effects and commits stay in batch order.
        var inFlight: (effects: Task<Void, any Error>, positions: [TopicPartition: Int64])?
        var pollBackoff = settings.backoff
        var skipped: Int64 = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let batch: [LogRecord]
            do {
                batch = try await consumer.poll(maxRecords: settings.maxBatchRecords, timeout: settings.pollTimeout)
                if pollBackoff.current != pollBackoff.initial { health?.report("engine \(engine.group)", problems: []) }
                pollBackoff.reset()
                if consumer.skippedByRetention > skipped {
                    logger.error(
                        "records removed by the log's retention before this engine read them",
                        metadata: ["group": "\(engine.group)", "records": "\(consumer.skippedByRetention - skipped)"])
                    metrics.skippedByRetention.increment(by: consumer.skippedByRetention - skipped)
                    skipped = consumer.skippedByRetention
                }
            } catch is CancellationError {
                break
            } catch {
                // The log cannot be read (a damaged segment): this engine waits and tries again; it does not
                // stop the process, and the other engines and the API go on.
                metrics.processingErrors.increment()
                health?.report("engine \(engine.group)", problems: ["cannot read the log: \(error)"])
                let delay = pollBackoff.next()
                logger.error("poll failed; retrying", metadata: ["group": "\(engine.group)", "error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                continue
            }
            if batch.isEmpty {
                if let pending = inFlight {
                    try await complete(pending, consumer)
                    inFlight = nil
                }
                try await sink.idle()
                await metrics.recordLag(try consumer.lag())
            } else {
                let started = ContinuousClock.now
                let output = try await processWithRetry(batch)
                let prepared = sink.prepare(output.effects)
                let positions = consumer.positions
                if let pending = inFlight { try await complete(pending, consumer) }
                inFlight = (
                    Task { try await self.applyUntilDurable(output, prepared: prepared, batch: batch, started: started) }, positions
                )
            }
            if consumer.revocationPending {
                // The group moves partitions to another member: it starts after this member's last durable batch.
                if let pending = inFlight {
                    try await complete(pending, consumer)
                    inFlight = nil
                }
                try await consumer.finishRevocation()
                logger.info("partitions handed over", metadata: ["group": "\(engine.group)"])
            }
        }
        if let pending = inFlight { try await complete(pending, consumer) }
        await consumer.close()
        try await sink.stop()
        logger.info("stream processor stopped", metadata: ["group": "\(engine.group)"])
    }

    /// Waits for a batch's effects, then commits the offsets that cover it. Runs to the end even when the
    /// processor is being cancelled: effects that are durable get their commit, so a restart does not redo them.
    private func complete(
        _ pending: (effects: Task<Void, any Error>, positions: [TopicPartition: Int64]), _ consumer: any GroupConsumer
    ) async throws {
        try await Task {
            try await pending.effects.value
            try await consumer.commit(pending.positions)
        }.value
    }

    /// Runs the engine, retrying with backoff if it throws (its output must not depend on the attempt).
    private func processWithRetry(_ batch: [LogRecord]) async throws -> EngineOutput<Engine.Effects> {
        var backoff = settings.backoff
        while true {
            do {
                return try await engine.process(batch)
            } catch {
                try await pause(after: error, batch: batch, backoff: &backoff)
            }
        }
    }

    /// Applies a batch's effects, retrying with backoff until they are durable; never skips a batch.
    private func applyUntilDurable(
        _ output: EngineOutput<Engine.Effects>, prepared: Sink.Prepared, batch: [LogRecord], started: ContinuousClock.Instant
    ) async throws {
        var backoff = settings.backoff
        while true {
            do {
                try await apply(output, prepared: prepared)
                break
            } catch {
                try await pause(after: error, batch: batch, backoff: &backoff)
            }
        }
        metrics.recordBatch(batch, deadLetters: output.deadLetters, duration: ContinuousClock.now - started)
        if let observer {
            let now = Timestamp.now().microsecondsSinceEpoch
            observer(
                BatchReport(
                    group: engine.group, records: batch.count, deadLetters: output.deadLetters.count,
                    latenciesMicroseconds: batch.map { now - $0.timestamp.microsecondsSinceEpoch }))
        }
    }

    /// Waits out a failed attempt before the next; a stage being cancelled stops here, its batch not committed
    /// (it is read again at the next start) and not reported as a failure.
    private func pause(after error: any Error, batch: [LogRecord], backoff: inout Backoff) async throws {
        guard !Task.isCancelled else { throw CancellationError() }
        let delay = backoff.next()
        metrics.processingErrors.increment()
        logger.error(
            "batch failed; retrying",
            metadata: [
                "group": "\(engine.group)", "first_offset": "\(batch[0].topicPartition)@\(batch[0].offset)",
                "error": "\(error)", "retry_in": "\(delay)",
            ])
        try await Task.sleep(for: delay)
    }

    private func apply(_ output: EngineOutput<Engine.Effects>, prepared: Sink.Prepared) async throws {
        try await sink.apply(prepared)
        var byTopic: [String: [ProducerRecord]] = [:]
        for event in output.events { byTopic[event.topic, default: []].append(event.record) }
        if !output.deadLetters.isEmpty {
            byTopic[Topic.deadLetter.rawValue, default: []] += output.deadLetters.map {
                ProducerRecord(key: $0.source, value: $0.serializedProto())
            }
        }
        for (topic, records) in byTopic.sorted(by: { $0.key < $1.key }) {
            _ = try await log.append(topic: topic, records: records)
        }
    }
}

extension StreamProcessor where Engine == DeadLetterRecorder, Sink == DeadLetterRecorder.Sink {
    /// The dead-letter recorder storing into `store`.
    public convenience init(
        engine: DeadLetterRecorder, log: any EventLog, store: any DeadLetterStore, settings: StreamSettings = StreamSettings(),
        logger: Logger = Logger(label: "csic.stream"), metrics: any MetricsFactory = MetricsSystem.factory,
        observer: (@Sendable (BatchReport) -> Void)? = nil, health: HealthBoard? = nil
    ) {
        self.init(
            engine: engine, sink: DeadLetterRecorder.Sink(store: store), log: log, settings: settings, logger: logger, metrics: metrics,
            observer: observer, health: health)
    }
}
