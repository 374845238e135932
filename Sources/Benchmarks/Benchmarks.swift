import CSICCore
import EventLog
import Foundation

/// One benchmark's measured figures, printed by `csic bench <name> --json`.
public struct BenchmarkResult: Encodable, Sendable {
    public var name: String
    /// Records per second over the measured window.
    public var throughputPerS: Double
    /// Latency figures; absent when the benchmark measures throughput only.
    public var p50LatencyMs: Double?
    public var p99LatencyMs: Double?
    public var maxLatencyMs: Double?
    public var records: Int
    public var durationS: Double
    /// What was measured and how (batch size, fsync policy, partitions, ...).
    public var parameters: [String: String]
    /// Figures particular to one benchmark (e.g. `mb_per_s`), printed as top-level JSON keys.
    public var figures: [String: Double] = [:]

    enum CodingKeys: String, CodingKey {
        case name, records, parameters
        case throughputPerS = "throughput_per_s"
        case p50LatencyMs = "p50_latency_ms"
        case p99LatencyMs = "p99_latency_ms"
        case maxLatencyMs = "max_latency_ms"
        case durationS = "duration_s"
    }

    private struct FigureKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(records, forKey: .records)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(throughputPerS, forKey: .throughputPerS)
        try container.encodeIfPresent(p50LatencyMs, forKey: .p50LatencyMs)
        try container.encodeIfPresent(p99LatencyMs, forKey: .p99LatencyMs)
        try container.encodeIfPresent(maxLatencyMs, forKey: .maxLatencyMs)
        try container.encode(durationS, forKey: .durationS)
        var extra = encoder.container(keyedBy: FigureKey.self)
        for (key, value) in figures { try extra.encode(value, forKey: FigureKey(stringValue: key)) }
    }

    init(name: String, records: Int, duration: Duration, latency: LatencyHistogram, parameters: [String: String]) {
        let seconds = duration.seconds
        self.name = name
        self.records = records
        durationS = seconds
        throughputPerS = Double(records) / seconds
        if latency.count > 0 {
            p50LatencyMs = latency.percentile(50) / 1000
            p99LatencyMs = latency.percentile(99) / 1000
            maxLatencyMs = Double(latency.maxMicroseconds) / 1000
        }
        self.parameters = parameters
    }

    /// One line of JSON.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A short human-readable summary.
    public var text: String {
        var line = String(format: "%@: %.0f records/s", name, throughputPerS)
        if let p50LatencyMs, let p99LatencyMs, let maxLatencyMs {
            line += String(format: ", p50 %.2f ms, p99 %.2f ms, max %.2f ms", p50LatencyMs, p99LatencyMs, maxLatencyMs)
        }
        line += String(format: " (%d records in %.1f s) ", records, durationS)
        line += figures.sorted { $0.key < $1.key }.map { String(format: "%@=%.3f ", $0.key, $0.value) }.joined()
        return line + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// A scratch directory for a benchmark, removed afterwards.
public struct ScratchDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        path = NSTemporaryDirectory() + "/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// `csic bench log`: appends of 200-byte records in batches, fsync per batch, from concurrent producers.
public enum LogBenchmark {
    public static func run(
        duration: Duration, batchSize: Int = 1_000, producers: Int = 2, partitions: Int32 = 4, recordBytes: Int = 200
    ) async throws -> BenchmarkResult {
        let scratch = try ScratchDirectory(prefix: "csic-bench-log")
        defer { scratch.remove() }
        let log = try EmbeddedEventLog(directory: scratch.path, options: EmbeddedLogOptions(fsync: .everyBatch))
        try await log.createTopic("bench", configuration: TopicConfiguration(partitions: partitions))
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: duration)
        let results = try await withThrowingTaskGroup(of: (Int, LatencyHistogram).self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var histogram = LatencyHistogram()
                    var appended = 0
                    var sequence = UInt64(producer) << 48
                    let value = [UInt8](repeating: 0x5A, count: recordBytes - 16)
                    while clock.now < deadline {
                        var batch: [ProducerRecord] = []
                        batch.reserveCapacity(batchSize)
                        for _ in 0..<batchSize {
                            sequence += 1
                            let key = withUnsafeBytes(of: sequence.bigEndian) { Array($0) }
                            batch.append(ProducerRecord(key: key, value: key + value))
                        }
                        let before = clock.now
                        _ = try await log.append(topic: "bench", records: batch)
                        histogram.record(microseconds: Int64((clock.now - before) / .microseconds(1)))
                        appended += batchSize
                    }
                    return (appended, histogram)
                }
            }
            var total = 0
            var histogram = LatencyHistogram()
            for try await (count, partial) in group {
                total += count
                histogram.merge(partial)
            }
            return (total, histogram)
        }
        let elapsed = clock.now - started
        let bytes = try await log.describe(topic: "bench").reduce(Int64(0)) { $0 + $1.sizeBytes }
        try await log.close()
        // Opening verifies every batch of every segment: the start-up cost of what was just written.
        let opening = clock.now
        let reopened = try EmbeddedEventLog(directory: scratch.path)
        let reopen = clock.now - opening
        try await reopened.close()
        return BenchmarkResult(
            name: "log", records: results.0, duration: elapsed, latency: results.1,
            parameters: [
                "record_bytes": "\(recordBytes)", "batch_size": "\(batchSize)", "producers": "\(producers)",
                "partitions": "\(partitions)", "fsync": "every_batch", "latency": "append call, whole batch durable",
                "reopen_verified_bytes": "\(bytes)", "reopen_seconds": String(format: "%.3f", reopen.seconds),
                "reopen_mb_per_s": String(format: "%.0f", Double(bytes) / 1e6 / max(reopen.seconds, 1e-9)),
            ])
    }
}
