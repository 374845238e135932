import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import StreamRuntime
import TransactionAnalysis

/// `csic bench pipeline`: chain simulator -> `transactions` log -> transaction engine -> store, all durable
/// (fsync per log batch; SQLite `synchronous=FULL`, or PostgreSQL's commit), with the producer held to a bounded
/// backlog so the measured rate is one the engine sustains. Latency is per transaction, from append to stored.
public enum PipelineBenchmark {
    /// The store the engine writes.
    public enum Store: Sendable {
        /// A scratch SQLite database.
        case sqlite
        /// A scratch schema (`bench_<random>`, dropped afterwards) on this server.
        case postgres(PostgresSettings)

        var name: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgres"
            }
        }

        /// Opens the store: SQLite under `directory` (`synchronous=FULL`), or the scratch schema, which is also
        /// returned to be dropped afterwards.
        public func open(in directory: String) async throws -> (store: any PlatformStore, scratchSchema: PostgresStore?) {
            switch self {
            case .sqlite: return (try SQLiteStore(path: "\(directory)/store/csic.sqlite", durability: .full), nil)
            case .postgres(var settings):
                settings.schema = "bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
                let opened = try await PostgresStore.open(settings)
                return (opened, opened)
            }
        }
    }

    /// The log the producer appends to and the engine consumes.
    public enum Log: Sendable {
        /// A scratch embedded log, fsync per batch.
        case embedded
        /// Another backend (Kafka), opened afresh for the run; `name` goes into the result's name.
        case other(name: String, open: @Sendable () async throws -> any EventLog)

        var name: String {
            switch self {
            case .embedded: "embedded"
            case .other(let name, _): name
            }
        }
    }

    /// Runs for `duration`. Without `rate` the producer appends batches of `batchSize` as fast as the engine
    /// keeps the backlog under `maxBacklog` (the capacity); with `rate` it offers that many transactions per
    /// second (open loop, 40 appends a second) and the result says whether the engine kept up.
    public static func run(
        duration: Duration, maxBacklog: Int = 24_576, batchSize: Int = 2_000, rate: Double? = nil, log logBackend: Log = .embedded,
        store backend: Store = .sqlite
    ) async throws -> BenchmarkResult {
        let batchSize = rate.map { max(1, min(batchSize, Int($0 / 40))) } ?? batchSize
        let scratch = try ScratchDirectory(prefix: "csic-bench-pipeline")
        defer { scratch.remove() }
        let log: any EventLog =
            switch logBackend {
            case .embedded: try EmbeddedEventLog(directory: "\(scratch.path)/log", options: EmbeddedLogOptions(fsync: .everyBatch))
            case .other(_, let open): try await open()
            }
        let (store, scratchSchema) = try await backend.open(in: scratch.path)
        try await log.createPlatformTopics(partitions: 4)
        let tally = StreamTally()
        let processor = StreamProcessor(
            engine: TransactionEngine(), log: log, store: store, settings: StreamSettings(pollTimeout: .milliseconds(50)),
            observer: tally.observe)
        let engineTask = Task { try await processor.run() }
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        // One record through the whole pipeline before the clock starts: a Kafka consumer group takes seconds to
        // form its first generation, which is start-up, not throughput. Not counted below.
        let warmUp = simulator.next()
        _ = try await log.append(.transactions, records: [ProducerRecord(key: warmUp.recordKey, value: warmUp.serializedProto())])
        try await tally.warmUp(within: .seconds(120))
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: duration)
        var produced = 0
        while clock.now < deadline {
            if let rate {
                try await Task.sleep(until: started.advanced(by: .seconds(Double(produced) / rate)), clock: clock)
            }
            while produced - tally.processed > maxBacklog, clock.now < deadline {
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
        let stored = try await store.transactionCount() - 1
        let bytes = try await store.sizeBytes()
        engineTask.cancel()
        _ = try? await engineTask.value
        try await log.close()
        try await scratchSchema?.dropScratchSchema()
        let name = ["pipeline", logBackend.name == "embedded" ? nil : logBackend.name, backend.name == "sqlite" ? nil : backend.name]
        return BenchmarkResult(
            name: name.compactMap { $0 }.joined(separator: "."), records: stored, duration: elapsed, latency: tally.latency,
            parameters: [
                "log": logBackend.name, "store": backend.name, "store_bytes": "\(bytes)",
                "load": rate.map { "open loop, \($0) transactions/s offered" } ?? "closed loop",
                "backlog_at_end": "\(produced - stored)",
                "store_bytes_per_million_transactions": "\(stored > 0 ? Int64(Double(bytes) / Double(stored) * 1_000_000) : 0)",
                "stages":
                    "simulate,encode,append(\(logBackend.name == "embedded" ? "fsync" : "acks=all")),poll,decode,validate,\(backend.name)(upsert+address index, durable commit),commit",
                "max_backlog": "\(maxBacklog)", "producer_batch": "\(batchSize)", "partitions": "4",
                "produced_records": "\(produced)", "latency": "append to stored, per transaction",
            ])
    }
}
