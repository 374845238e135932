import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import TransactionAnalysis

/// `csic bench stages`: each pipeline stage alone on the same transactions, to show where time goes.
public enum StageBenchmark {
    public static func run(transactions count: Int = 100_000) async throws -> [BenchmarkResult] {
        let clock = ContinuousClock()
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        var started = clock.now
        var events: [TransactionTopicEvent] = []
        events.reserveCapacity(count)
        for _ in 0..<count { events.append(simulator.next()) }
        let simulate = clock.now - started

        started = clock.now
        let records = events.enumerated().map { index, event in
            LogRecord(
                topic: "transactions", partition: 0, offset: Int64(index), timestamp: .now(), key: event.recordKey,
                value: event.serializedProto())
        }
        let encode = clock.now - started

        started = clock.now
        let output = try await TransactionEngine().process(records)
        let process = clock.now - started

        let scratch = try ScratchDirectory(prefix: "csic-bench-stages")
        defer { scratch.remove() }
        let store = try SQLiteStore(path: "\(scratch.path)/csic.sqlite", durability: .full)
        started = clock.now
        var offset = 0
        while offset < output.effects.count {
            let end = min(offset + 4_096, output.effects.count)
            try await store.apply(Array(output.effects[offset..<end]))
            offset = end
        }
        let apply = clock.now - started

        let bytes = records.reduce(0) { $0 + $1.value.count }
        let parameters = ["transactions": "\(count)", "mean_record_bytes": "\(bytes / max(1, count))"]
        return [
            BenchmarkResult(
                name: "stage.simulate", records: count, duration: simulate, latency: LatencyHistogram(), parameters: parameters),
            BenchmarkResult(name: "stage.encode", records: count, duration: encode, latency: LatencyHistogram(), parameters: parameters),
            BenchmarkResult(
                name: "stage.decode_validate", records: count, duration: process, latency: LatencyHistogram(), parameters: parameters),
            BenchmarkResult(
                name: "stage.sqlite_apply", records: output.effects.count, duration: apply, latency: LatencyHistogram(),
                parameters: parameters.merging(["batch": "4096"]) { $1 }),
        ]
    }
}
