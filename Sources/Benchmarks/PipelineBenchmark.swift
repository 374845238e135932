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
/// With the analysis on, the risk engine consumes the same log beside it (``Analysis``).
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
            let (database, scratchSchema) = try await openDatabase(in: directory)
            return (database.store, scratchSchema)
        }

        /// ``open(in:)`` with the tables of `migrations` (a component's own) created too.
        public func openDatabase(
            in directory: String, migrations: [StoreMigration] = []
        ) async throws -> (database: StoreDatabase, scratchSchema: PostgresStore?) {
            switch self {
            case .sqlite:
                return (.sqlite(try SQLiteStore(path: "\(directory)/store/csic.sqlite", durability: .full, migrations: migrations)), nil)
            case .postgres(var settings):
                settings.schema = "bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
                let opened = try await PostgresStore.open(settings, migrations: migrations)
                return (.postgres(opened), opened)
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

    /// The risk engine beside the transaction engine, as the platform runs it when the analysis is on: its own
    /// consumer group on `transactions`, clustering, every typology detector with its defaults, `scorer` scoring
    /// every transaction, the clustering's changes and the assessments stored in the same store.
    public struct Analysis: Sendable {
        /// Scores every transaction when set.
        public var scorer: RiskScorer?
        /// The tables the analysis component stores its tags, clusters and assessments in (its own migrations).
        public var migrations: [StoreMigration]
        /// The simulated economy's services are tagged as a regulator's TagPack would tag them, as of this many
        /// simulated events ahead (more than a run produces), before the clock starts.
        public var taggedAhead: Int

        public init(scorer: RiskScorer?, migrations: [StoreMigration], taggedAhead: Int = 1_000_000) {
            self.scorer = scorer
            self.migrations = migrations
            self.taggedAhead = taggedAhead
        }
    }

    /// Runs for `duration`. Without `rate` the producer appends batches of `batchSize` as fast as the engines
    /// keep the backlog under `maxBacklog` (the capacity); with `rate` it offers that many transactions per
    /// second (open loop, 40 appends a second) and the result says whether the engines kept up. With `analysis`
    /// the risk engine runs too, and a transaction counts once both engines have stored what it gave them.
    public static func run(
        duration: Duration, maxBacklog: Int = 24_576, batchSize: Int = 2_000, rate: Double? = nil, log logBackend: Log = .embedded,
        store backend: Store = .sqlite, analysis: Analysis? = nil
    ) async throws -> BenchmarkResult {
        let batchSize = rate.map { max(1, min(batchSize, Int($0 / 40))) } ?? batchSize
        let scratch = try ScratchDirectory(prefix: "csic-bench-pipeline")
        defer { scratch.remove() }
        let log: any EventLog =
            switch logBackend {
            case .embedded: try EmbeddedEventLog(directory: "\(scratch.path)/log", options: EmbeddedLogOptions(fsync: .everyBatch))
            case .other(_, let open): try await open()
            }
        let (database, scratchSchema) = try await backend.openDatabase(in: scratch.path, migrations: analysis?.migrations ?? [])
        let store = database.store
        try await log.createPlatformTopics(partitions: 4)
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        let tally = StreamTally()
        let processor = StreamProcessor(
            engine: TransactionEngine(), log: log, store: store, settings: StreamSettings(pollTimeout: .milliseconds(50)),
            observer: tally.observe)
        let engineTask = Task { try await processor.run() }
        let analysed: (task: Task<Void, any Error>, tally: StreamTally)?
        if let analysis {
            analysed = try await startAnalysis(analysis, database: database, log: log, simulator: simulator)
        } else {
            analysed = nil
        }
        // One record through the whole pipeline before the clock starts: a Kafka consumer group takes seconds to
        // form its first generation, which is start-up, not throughput. Not counted below.
        let warmUp = simulator.next()
        _ = try await log.append(.transactions, records: [ProducerRecord(key: warmUp.recordKey, value: warmUp.serializedProto())])
        try await tally.warmUp(within: .seconds(120))
        try await analysed?.tally.warmUp(within: .seconds(120))
        let done = { min(tally.processed, analysed?.tally.processed ?? .max) }
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: duration)
        var produced = 0
        while clock.now < deadline {
            if let rate {
                try await Task.sleep(until: started.advanced(by: .seconds(Double(produced) / rate)), clock: clock)
            }
            while produced - done() > maxBacklog, clock.now < deadline {
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
        let stored = min(try await store.transactionCount() - 1, analysed?.tally.processed ?? .max)
        let bytes = try await store.sizeBytes()
        engineTask.cancel()
        analysed?.task.cancel()
        _ = try? await engineTask.value
        _ = try? await analysed?.task.value
        try await log.close()
        try await scratchSchema?.dropScratchSchema()
        let name = [
            "pipeline", logBackend.name == "embedded" ? nil : logBackend.name, backend.name == "sqlite" ? nil : backend.name,
            analysis == nil ? nil : "analysis",
        ]
        var parameters = [
            "log": logBackend.name, "store": backend.name, "store_bytes": "\(bytes)",
            "load": rate.map { "open loop, \($0) transactions/s offered" } ?? "closed loop",
            "backlog_at_end": "\(produced - stored)",
            "store_bytes_per_million_transactions": "\(stored > 0 ? Int64(Double(bytes) / Double(stored) * 1_000_000) : 0)",
            "stages":
                "simulate,encode,append(\(logBackend.name == "embedded" ? "fsync" : "acks=all")),poll,decode,validate,\(backend.name)(upsert+address index, durable commit),commit",
            "max_backlog": "\(maxBacklog)", "producer_batch": "\(batchSize)", "partitions": "4",
            "produced_records": "\(produced)", "latency": "append to stored, per transaction",
        ]
        if let analysis, let analysed {
            let latency = analysed.tally.latency
            parameters["analysis"] =
                "risk engine: poll,decode,validate,tags in force,clustering,\(Typology.allCases.count) typologies,scoring \(analysis.scorer?.version ?? "off"),\(backend.name)(clusters+assessments),commit"
            parameters["analysed_records"] = "\(analysed.tally.processed)"
            parameters["analysis_p50_latency_ms"] = String(format: "%.1f", latency.percentile(50) / 1_000)
            parameters["analysis_p99_latency_ms"] = String(format: "%.1f", latency.percentile(99) / 1_000)
            parameters["services_tagged"] = "as of \(analysis.taggedAhead) simulated events"
        }
        return BenchmarkResult(
            name: name.compactMap { $0 }.joined(separator: "."), records: stored, duration: elapsed, latency: tally.latency,
            parameters: parameters)
    }

    /// Starts the risk engine's stream processor on `log` and `database`, with the services of `simulator`'s economy
    /// tagged as of `analysis.taggedAhead` events ahead.
    private static func startAnalysis(
        _ analysis: Analysis, database: StoreDatabase, log: any EventLog, simulator: ChainSimulator
    ) async throws -> (task: Task<Void, any Error>, tally: StreamTally) {
        var ahead = simulator
        for _ in 0..<analysis.taggedAhead { _ = ahead.next() }
        let services = ahead.serviceTags()
        _ = try await database.tags.importList(
            name: "services", format: "tagpack", sha256: "", importedBy: "csic:bench", at: .now(), tags: services)
        let tally = StreamTally()
        let state = AnalysisState(scorer: analysis.scorer)
        let processor = StreamProcessor(
            engine: AnalysisEngine(state: state, tags: database.tags),
            sink: AnalysisEngine.Sink(state: state, clusters: database.clusters, assessments: database.riskAssessments, log: log),
            log: log, settings: StreamSettings(pollTimeout: .milliseconds(50)), observer: tally.observe)
        return (Task { try await processor.run() }, tally)
    }
}
