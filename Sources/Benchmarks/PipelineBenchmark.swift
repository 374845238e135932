import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import StreamRuntime
import Synchronization
import TransactionAnalysis

/// `csic bench pipeline`: chain simulator -> `transactions` log -> transaction engine -> SQLite, all durable
/// (fsync per log batch, SQLite `synchronous=FULL`), with the producer held to a bounded backlog so the
/// measured rate is one the engine sustains. Latency is per transaction, from append to stored.
public enum PipelineBenchmark {
    public static func run(duration: Duration, maxBacklog: Int = 24_576, batchSize: Int = 2_000) async throws -> BenchmarkResult {
        let scratch = try ScratchDirectory(prefix: "csic-bench-pipeline")
        defer { scratch.remove() }
        let log = try EmbeddedEventLog(directory: "\(scratch.path)/log", options: EmbeddedLogOptions(fsync: .everyBatch))
        let store = try SQLiteStore(path: "\(scratch.path)/store/csic.sqlite", durability: .full)
        try await log.createPlatformTopics(partitions: 4)
        let processed = Atomic<Int>(0)
        let histogram = Mutex(LatencyHistogram())
        let processor = StreamProcessor(
            engine: TransactionEngine(), log: log, store: store,
            settings: StreamSettings(pollTimeout: .milliseconds(50))
        ) { report in
            processed.add(report.records, ordering: .relaxed)
            histogram.withLock { histogram in
                for latency in report.latenciesMicroseconds { histogram.record(microseconds: latency) }
            }
        }
        let engineTask = Task { try await processor.run() }
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: duration)
        var produced = 0
        while clock.now < deadline {
            while produced - processed.load(ordering: .relaxed) > maxBacklog, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            var records: [ProducerRecord] = []
            records.reserveCapacity(batchSize)
            for _ in 0..<batchSize {
                let event = simulator.next()
                records.append(ProducerRecord(key: event.recordKey, value: event.serializedProto()))
            }
            _ = try await log.append(.transactions, records: records)
            produced += records.count
        }
        let elapsed = clock.now - started
        let stored = try await store.transactionCount()
        engineTask.cancel()
        _ = try? await engineTask.value
        try await log.close()
        return BenchmarkResult(
            name: "pipeline", records: stored, duration: elapsed, latency: histogram.withLock { $0 },
            parameters: [
                "stages": "simulate,encode,append(fsync),poll,decode,validate,sqlite(upsert+address index,FULL),commit",
                "max_backlog": "\(maxBacklog)", "producer_batch": "\(batchSize)", "partitions": "4",
                "produced_records": "\(produced)", "latency": "append to stored, per transaction",
            ])
    }
}
