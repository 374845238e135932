import CSICCore
import StreamRuntime
import Synchronization

/// What a stream stage under measurement has done: records processed and each one's latency, from the
/// processor's batch reports (``observe(_:)`` is its observer).
final class StreamTally: Sendable {
    private let processedRecords = Atomic<Int>(0)
    private let histogram = Mutex(LatencyHistogram())

    var processed: Int { processedRecords.load(ordering: .relaxed) }
    var latency: LatencyHistogram { histogram.withLock { $0 } }

    func observe(_ report: BatchReport) {
        processedRecords.add(report.records, ordering: .relaxed)
        histogram.withLock { histogram in
            for latency in report.latenciesMicroseconds { histogram.record(microseconds: latency) }
        }
    }

    /// Waits until a first record went through (the warm-up: a consumer's first poll, a group forming), at most
    /// `limit`, then starts counting afresh.
    func warmUp(within limit: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while processed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        processedRecords.store(0, ordering: .relaxed)
        histogram.withLock { $0 = LatencyHistogram() }
    }
}
