import CSICCore
import EventLog
import Metrics

/// The metrics of one stream processor (Prometheus names in `docs/architecture.md`).
struct StreamMetrics: Sendable {
    let group: String
    let factory: any MetricsFactory
    let processingErrors: Counter
    let batchDuration: Metrics.Timer
    let latency: Metrics.Timer
    /// Records the log's retention removed before this group read them.
    let skippedByRetention: Counter

    init(group: String, factory: any MetricsFactory) {
        self.group = group
        self.factory = factory
        processingErrors = Counter(label: "csic_errors_total", dimensions: [("source", group), ("kind", "processing")], factory: factory)
        batchDuration = Metrics.Timer(label: "csic_batch_duration_seconds", dimensions: [("stage", group)], factory: factory)
        latency = Metrics.Timer(label: "csic_stage_latency_seconds", dimensions: [("stage", group)], factory: factory)
        skippedByRetention = Counter(label: "csic_stream_records_skipped_total", dimensions: [("group", group)], factory: factory)
    }

    func recordBatch(_ batch: [LogRecord], deadLetters: [DeadLetter], duration: Duration) {
        batchDuration.record(duration: duration)
        let now = Timestamp.now().microsecondsSinceEpoch
        var perTopic: [String: Int] = [:]
        for record in batch {
            perTopic[record.topic, default: 0] += 1
            latency.recordMicroseconds(max(0, now - record.timestamp.microsecondsSinceEpoch))
        }
        for (topic, count) in perTopic {
            Counter(label: "csic_stream_records_total", dimensions: [("group", group), ("topic", topic)], factory: factory)
                .increment(by: count)
        }
        for letter in deadLetters {
            Counter(
                label: "csic_dead_letters_total", dimensions: [("source", letter.source), ("reason", letter.reasonCode.rawValue)],
                factory: factory
            )
            .increment()
            Counter(label: "csic_errors_total", dimensions: [("source", letter.source), ("kind", "invalid_input")], factory: factory)
                .increment()
        }
    }

    func recordLag(_ lag: [TopicPartition: Int64]) async {
        var perTopic: [String: Int64] = [:]
        for (tp, value) in lag { perTopic[tp.topic, default: 0] += value }
        for (topic, value) in perTopic {
            Gauge(label: "csic_consumer_lag", dimensions: [("group", group), ("topic", topic)], factory: factory).record(value)
        }
    }
}
