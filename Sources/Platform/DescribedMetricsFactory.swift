import CoreMetrics
import Prometheus

/// A swift-metrics factory over a Prometheus registry that gives every metric its `# HELP` text, looked up
/// by name in what the platform and its components declare (``PlatformComponent/metricsHelp``).
/// A metric nobody described has no HELP line, which `promtool check metrics` reports in `scripts/test`.
struct DescribedMetricsFactory: CoreMetrics.MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let help: [String: String]
    let durationBuckets: [Duration]
    let valueBuckets: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    /// The metric's name exactly as given, with its HELP text.
    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

/// HELP text of the metrics of the platform's own parts: the log, the stream runtime, the store and the API.
enum PlatformMetrics {
    static let help = [
        "csic_log_appended_records_total": "Records appended to the event log, by topic.",
        "csic_log_appended_bytes_total": "Bytes appended to the event log, by topic.",
        "csic_log_append_duration_seconds": "Time to append a batch durably to the event log, by topic.",
        "csic_log_size_bytes": "Bytes the event log holds, by topic.",
        "csic_log_records": "Records the event log holds, by topic.",
        "csic_log_damaged_partitions": "Partitions whose acknowledged data is damaged and that take no appends until repaired.",
        "csic_stream_records_total": "Records an engine processed, by consumer group and topic.",
        "csic_stream_records_skipped_total": "Records the log's retention removed before the consumer group read them.",
        "csic_stage_latency_seconds": "Time from a record's append to its batch's effects being durable, by engine.",
        "csic_batch_duration_seconds": "Time to process a batch and make its effects durable, by engine.",
        "csic_dead_letters_total": "Rejected input sent to dead_letter, by source and reason.",
        "csic_errors_total": "Errors, by source and kind.",
        "csic_consumer_lag": "Records a consumer group has not yet committed, by group and topic.",
        "csic_store_size_bytes": "Bytes the store occupies on disk.",
        "csic_store_rows": "Rows stored, by table.",
        "csic_store_up": "Whether the store server answered within 2 s (1) or not (0), by backend (PostgreSQL only).",
        "csic_store_unreachable_total": "Times the store server stopped answering, by backend (PostgreSQL only).",
        "csic_http_requests_total": "HTTP requests answered, by route and status.",
        "csic_http_request_duration_seconds": "Time to answer an HTTP request, by route.",
    ]
}

extension Platform {
    /// Prometheus metrics with HELP text and latency buckets from 100 µs to 2 min (the seed's limit for chain sync).
    static func metricsFactory(_ registry: PrometheusCollectorRegistry, help: [String: String]) -> DescribedMetricsFactory {
        DescribedMetricsFactory(
            registry: registry, help: help,
            durationBuckets: [
                .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
            ])
    }
}
