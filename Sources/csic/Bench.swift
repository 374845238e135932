import ArgumentParser
import AuditTrail
import BlockchainAdapters
import CSICBenchmarks
import CSICPlatform
import CSICCore
import Configuration
import Foundation
import KafkaEventLog
import Logging
import RiskEngine

/// `csic bench <name>`: measured figures for one workload.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure one workload: log, pipeline, stages, parse, audit, api, clustering, model, analysis, detection, alerts, paths.")

    enum Name: String, ExpressibleByArgument, CaseIterable {
        case log, pipeline, stages, parse, audit, api, clustering, model, analysis, detection, alerts, paths
    }

    @Argument(
        help:
            "The workload: log, pipeline, stages (each pipeline stage alone), parse (Bitcoin blocks), audit (the audit log), api (authenticated HTTP queries), clustering (multi-input clustering), model (gradient-boosted tree scoring), analysis (clustering and every typology detector), detection (precision and recall per typology on a labelled scenario set from --seed), alerts (findings appended to the alert service's alerts stored), paths (the path search over a filled store)."
    )
    var name: Name
    @Option(help: "Seconds to measure.") var duration: Double = 10
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "pipeline: the most records produced but not yet stored; bounds latency.") var backlog: Int = 24_576
    @Option(
        help:
            "parse: Bitcoin blocks to parse (raw, hex or blk*.dat; default a synthetic mainnet-like block); model: an XGBoost JSON model (default a random 100-tree depth-6 one); detection: the risk model (default the committed one)."
    )
    var file: String?
    @Option(name: .customLong("rows"), help: "model: rows to score, little-endian float32, the model's feature count per row.")
    var rowsFile: String?
    @Option(help: "audit: entries to append.") var records: Int = 200_000
    @Option(help: "audit: entries per durable batch.") var batch: Int = 1_000
    @Option(help: "audit: entries per segment file before it is sealed.") var segmentEntries: UInt64 = AuditDefaults.segmentEntries
    @Option(
        name: .customLong("data-dir"),
        help:
            "audit, api, paths: keep the log (audit) or the platform's data (api, paths: a store filled once, reused) here (default: a temporary one)."
    )
    var dataDirectory: String?
    @Option(
        help:
            "api, paths: transactions in the store (added when it holds fewer; default 10,000,000 for api, 7,000,000 — about 10 million addresses — for paths); clustering, analysis: transactions applied (default 500,000); detection: benign background transactions (default 100,000)."
    )
    var transactions: Int?
    @Option(help: "detection: the seed of the scenario set (use one never used for tuning).") var seed: UInt64 = 20_261_206
    @Option(help: "detection: the logistic-regression baseline, an XGBoost gblinear JSON model (default the committed one).")
    var baseline: String?
    @Option(name: .customLong("export-features"), help: "detection: write every transaction's risk features and label here (CSV).")
    var exportFeatures: String?
    @Option(help: "api: concurrent HTTP connections.") var connections: Int = 100
    @Option(help: "paths: queries of each class.") var queries: Int = 200
    @Option(name: .customLong("window-hours"), help: "api: the time range of the filtered query.") var windowHours: Double = 1
    @Option(
        help:
            "api: requests per second offered to each query class; pipeline: transactions per second offered (open loop); default: as fast as answered; alerts: findings per second offered (default 1,000)."
    )
    var rate: Double?
    @Flag(help: "audit: print `acknowledged N` after each durable batch.") var progress = false
    @Option(help: "pipeline, api, alerts: the configuration file whose store (store.backend, store.postgres) is measured.")
    var config: String?
    @Flag(help: "pipeline: measure SQLite and the configured PostgreSQL server one after the other in this run.") var compare = false
    @Flag(help: "pipeline: the log is librdkafka's mock cluster (3 brokers, csic-kafka-mock beside csic; Kafka trait).")
    var kafkaMock = false
    @Flag(
        help:
            "pipeline: the risk engine runs beside the transaction engine (clustering, every typology, the committed model scoring every transaction), as the platform runs it."
    )
    var analysis = false
    @Flag(name: .customLong("no-scoring"), help: "pipeline with --analysis: the risk engine without the model.") var noScoring = false

    func run() async throws {
        let results: [BenchmarkResult] =
            switch name {
            case .log: [try await LogBenchmark.run(duration: .seconds(duration))]
            case .pipeline: try await pipeline()
            case .stages: try await StageBenchmark.run()
            case .parse: [try ParseBenchmark.run(duration: .seconds(duration), blocks: try file.map(Self.blocks))]
            case .api: try await api()
            case .clustering: [AnalysisBenchmark.clustering(transactions: transactions ?? 500_000)]
            case .model: [try AnalysisBenchmark.model(file: file, rows: rowsFile, duration: .seconds(duration))]
            case .analysis:
                [
                    AnalysisBenchmark.analysis(
                        transactions: transactions ?? 500_000, scorer: try TransactionAnalysisComponent(.empty("analysis")).scorer)
                ]
            case .alerts: [try await alerts()]
            case .paths: try await paths()
            case .detection:
                [
                    try AnalysisBenchmark.detection(
                        seed: seed, background: transactions ?? 100_000, models: try riskModels(), exportFeatures: exportFeatures)
                ]
            case .audit:
                [
                    try AuditBenchmark.run(records: records, batch: batch, segmentEntries: segmentEntries, directory: dataDirectory) {
                        acknowledged in
                        if progress { FileHandle.standardOutput.write(Data("acknowledged \(acknowledged)\n".utf8)) }
                    }
                ]
            }
        for result in results { print(json ? result.json : result.text) }
    }

    /// The risk model and its baseline for `detection`: the files given, else the committed ones (none before the
    /// first training, when the benchmark only exports features).
    private func riskModels() throws -> (risk: any RiskModel, baseline: any RiskModel)? {
        func load(_ path: String?, _ committed: String) throws -> (any RiskModel)? {
            if let path { return try RiskModels.load(json: Array(try Data(contentsOf: URL(fileURLWithPath: path)))) }
            return committed.isEmpty ? nil : try RiskModels.load(json: Array(committed.utf8))
        }
        guard let risk = try load(file, DefaultRiskModels.model), let baseline = try load(baseline, DefaultRiskModels.baseline) else {
            return nil
        }
        return (risk, baseline)
    }

    /// The configured log and store; with `--compare`, SQLite then the configured PostgreSQL server on the
    /// embedded log, then PostgreSQL on Kafka when there is one (`log.backend: kafka` or `--kafka-mock`).
    private func pipeline() async throws -> [BenchmarkResult] {
        let configuration = try await ConfigurationLoader.load(file: config, environment: ProcessInfo.processInfo.environment).platform
        let postgres = PipelineBenchmark.Store.postgres(configuration.storePostgres)
        let kafka = try kafkaLog(configuration)
        let runs: [(PipelineBenchmark.Log, PipelineBenchmark.Store)]
        if compare {
            guard configuration.storeBackend == .postgres else {
                throw ValidationError("--compare needs --config with store.backend: postgres and its server")
            }
            runs = [(.embedded, .sqlite), (.embedded, postgres)] + (kafka.map { [($0, postgres)] } ?? [])
        } else {
            runs = [(kafka ?? .embedded, configuration.storeBackend == .postgres ? postgres : .sqlite)]
        }
        // The services are tagged as of what a run at 60,000 transactions/s would produce.
        let component = try TransactionAnalysisComponent(.empty("analysis"))
        let analysis =
            analysis
            ? PipelineBenchmark.Analysis(
                scorer: noScoring ? nil : component.scorer, migrations: component.storeMigrations,
                taggedAhead: Int(max(duration, 1) * 60_000)) : nil
        var results: [BenchmarkResult] = []
        for (log, store) in runs {
            results.append(
                try await PipelineBenchmark.run(
                    duration: .seconds(duration), maxBacklog: backlog, rate: rate, log: log, store: store, analysis: analysis))
        }
        return results
    }

    /// The path search on a SQLite store under `--data-dir` (filled once, reused) or a scratch one.
    private func paths() async throws -> [BenchmarkResult] {
        let scratch = dataDirectory == nil ? try ScratchDirectory(prefix: "csic-bench-paths") : nil
        defer { scratch?.remove() }
        let (database, _) = try await PipelineBenchmark.Store.sqlite.openDatabase(
            in: dataDirectory ?? scratch!.path, migrations: PathBenchmark.storeMigrations)
        return try await PathBenchmark.run(database: database, transactions: transactions ?? 7_000_000, queries: queries) { line in
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    private func alerts() async throws -> BenchmarkResult {
        let configuration = try await ConfigurationLoader.load(file: config, environment: ProcessInfo.processInfo.environment).platform
        return try await AlertBenchmark.run(
            duration: .seconds(duration), rate: rate ?? 1_000,
            store: configuration.storeBackend == .postgres ? .postgres(configuration.storePostgres) : .sqlite)
    }

    /// The Kafka log of the configuration, or a mock cluster started for each run (`--kafka-mock`).
    private func kafkaLog(_ configuration: PlatformConfiguration) throws -> PipelineBenchmark.Log? {
        #if Kafka
            if kafkaMock {
                let helper = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                    "csic-kafka-mock"
                ).path
                return .other(name: "kafka-mock") {
                    let cluster = try KafkaMockCluster(brokers: 3, helper: helper)
                    return try KafkaEventLog(options: cluster.logOptions(clientID: "csic-bench"), stopping: cluster)
                }
            }
            guard configuration.logBackend == .kafka else { return nil }
            let options = KafkaLogOptions(settings: configuration.logKafka)
            return .other(name: "kafka") { try KafkaEventLog(options: options) }
        #else
            if kafkaMock || configuration.logBackend == .kafka {
                throw ValidationError("Kafka needs a build with the Kafka trait (swift build -c release --traits Kafka)")
            }
            return nil
        #endif
    }

    /// The platform on `--data-dir` (embedded backends, or the store of `--config`; API only, no simulator, rate
    /// limits out of the way).
    private func api() async throws -> [BenchmarkResult] {
        // The benchmark's own scratch store (no `--data-dir`): made here, removed here.
        let scratch = dataDirectory == nil ? try ScratchDirectory(prefix: "csic-bench-api") : nil
        defer { scratch?.remove() }
        let values: [String: ConfigValue] = [
            "data_dir": ConfigValue(.string(dataDirectory ?? scratch!.path), isSecret: false),
            "grpc.enabled": ConfigValue(.bool(false), isSecret: false),
            "auth.rate_limits.read.per_principal": ConfigValue(.int(10_000_000), isSecret: false),
            "auth.rate_limits.read.per_address": ConfigValue(.int(10_000_000), isSecret: false),
        ]
        // With --config, the file's store (e.g. PostgreSQL) under the same overrides.
        let configuration = try await ConfigurationLoader.load(
            file: config, environment: config == nil ? [:] : ProcessInfo.processInfo.environment, values: values)
        let platform = try await Platform.open(configuration, logger: Logger(label: "bench"))
        let results = try await APIBenchmark.run(
            platform,
            options: .init(
                transactions: transactions ?? 10_000_000, connections: connections, seconds: duration, windowHours: windowHours, rate: rate)
        ) { line in
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
        try await platform.log.close()
        return results
    }

    private static func blocks(in file: String) throws -> [[UInt8]] {
        try BlockInput.blocks(in: Array(try Data(contentsOf: URL(fileURLWithPath: file)))).map(\.bytes)
    }
}
