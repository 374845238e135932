import ArgumentParser
import AuditTrail
import BlockchainAdapters
import CSICBenchmarks
import CSICPlatform
import Foundation

/// `csic bench <name>`: measured figures for one workload.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure one workload: log, pipeline, stages, parse, audit.")

    enum Name: String, ExpressibleByArgument, CaseIterable {
        case log, pipeline, stages, parse, audit
    }

    @Argument(help: "The workload: log, pipeline, stages (each pipeline stage alone), or parse (Bitcoin blocks).") var name: Name
    @Option(help: "Seconds to measure.") var duration: Double = 10
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "pipeline: the most records produced but not yet stored; bounds latency.") var backlog: Int = 24_576
    @Option(help: "parse: Bitcoin blocks to parse (raw, hex or blk*.dat); default a synthetic mainnet-like block.") var file: String?
    @Option(help: "audit: entries to append.") var records: Int = 200_000
    @Option(help: "audit: entries per durable batch.") var batch: Int = 1_000
    @Option(help: "audit: entries per segment file before it is sealed.") var segmentEntries: UInt64 = AuditDefaults.segmentEntries
    @Option(name: .customLong("data-dir"), help: "audit: keep the log in this data directory (default: a temporary one).")
    var dataDirectory: String?
    @Flag(help: "audit: print `acknowledged N` after each durable batch.") var progress = false

    func run() async throws {
        let results: [BenchmarkResult] =
            switch name {
            case .log: [try await LogBenchmark.run(duration: .seconds(duration))]
            case .pipeline: [try await PipelineBenchmark.run(duration: .seconds(duration), maxBacklog: backlog)]
            case .stages: try await StageBenchmark.run()
            case .parse: [try ParseBenchmark.run(duration: .seconds(duration), blocks: try file.map(Self.blocks))]
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

    private static func blocks(in file: String) throws -> [[UInt8]] {
        try BlockInput.blocks(in: Array(try Data(contentsOf: URL(fileURLWithPath: file)))).map(\.bytes)
    }
}
