import CSICCore
import EventLog
import StreamRuntime
import Synchronization
import CSICTestSupport
import Testing

/// An engine whose sink cannot start (a damaged audit log, say) is listed by the health board while it
/// retries, and taken off once it starts: `/health` shows a stopped engine instead of answering ok.
@Suite struct StreamProcessorHealthTests {
    struct Engine: StreamEngine {
        var group: String { "health-test" }
        var topics: [String] { ["t"] }
        func process(_ batch: [LogRecord]) async throws -> EngineOutput<Int> { EngineOutput(effects: batch.count) }
    }

    /// Fails its first `failures` starts.
    final class Sink: EffectSink, Sendable {
        let failures: Int
        let attempts = Atomic<Int>(0)
        init(failures: Int) { self.failures = failures }

        func start() async throws {
            if attempts.add(1, ordering: .relaxed).newValue <= failures { throw EventLogError.writeFailed(path: "x", reason: "damaged") }
        }
        func apply(_ prepared: Int) async throws {}
    }

    @Test func aSinkThatCannotStartIsOnTheHealthBoardUntilItStarts() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path)
        try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        let health = HealthBoard()
        let sink = Sink(failures: 3)
        let processor = StreamProcessor(
            engine: Engine(), sink: sink, log: log,
            settings: StreamSettings(retryDelay: .milliseconds(500), maxRetryDelay: .milliseconds(500)), health: health)
        let task = Task { try await processor.run() }
        // Each wait is bounded generously: on a loaded machine the first start may come seconds late. The
        // report appears after the first failed start, stays through the retries, and is cleared just after
        // the fourth start returns.
        var seen: [String] = []
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while seen.isEmpty, ContinuousClock.now < deadline {
            seen = health.current
            try await Task.sleep(for: .milliseconds(10))
        }
        while sink.attempts.load(ordering: .relaxed) <= 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        while !health.current.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(seen == ["engine health-test: cannot start: x takes no appends: damaged"])
        #expect(health.current.isEmpty, "cleared once the sink started")
        task.cancel()
        _ = try? await task.value
        try await log.close()
    }
}
