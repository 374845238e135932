import AlertService
import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import StreamRuntime

/// `csic bench alerts`: findings appended to `compliance` at an offered rate (open loop, 40 appends a second) →
/// the alert service on the stream runtime (`alert-service`: every finding stored and folded into its episode,
/// one store transaction per batch) → the store, all durable (fsync per log batch; SQLite `synchronous=FULL`,
/// or PostgreSQL's commit). Latency per finding, from its append to its alert stored.
///
/// The findings are shaped as the risk engine's: every typology in turn, a subject drawn from `subjects`
/// addresses (so episodes are raised, then updated as they continue), two txids, an amount and evidence.
public enum AlertBenchmark {
    public static func run(
        duration: Duration, rate: Double, subjects: Int = 5_000, store backend: PipelineBenchmark.Store = .sqlite
    ) async throws -> BenchmarkResult {
        let scratch = try ScratchDirectory(prefix: "csic-bench-alerts")
        defer { scratch.remove() }
        let log = try EmbeddedEventLog(directory: "\(scratch.path)/log", options: EmbeddedLogOptions(fsync: .everyBatch))
        let (store, scratchSchema) = try await backend.open(in: scratch.path)
        try await log.createPlatformTopics(partitions: 4)
        let tally = StreamTally()
        let processor = StreamProcessor(
            engine: AlertServiceEngine(), sink: AlertServiceEngine.Sink(store: store), log: log,
            settings: StreamSettings(pollTimeout: .milliseconds(50)), observer: tally.observe)
        let serviceTask = Task { try await processor.run() }
        var findings = FindingSource(subjects: subjects)
        // One finding through the service before the clock starts (the consumer's first poll, the schema).
        _ = try await log.append(.compliance, records: [findings.next()])
        try await tally.warmUp(within: .seconds(60))

        let batchSize = max(1, Int(rate / 40))
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: duration)
        var produced = 0
        while clock.now < deadline {
            try await Task.sleep(until: started.advanced(by: .seconds(Double(produced) / rate)), clock: clock)
            _ = try await log.append(.compliance, records: (0..<batchSize).map { _ in findings.next() })
            produced += batchSize
        }
        let elapsed = clock.now - started
        // What was offered is all measured: the service is given a bounded time to finish the backlog.
        let drainDeadline = clock.now.advanced(by: .seconds(30))
        while tally.processed < produced, clock.now < drainDeadline { try await Task.sleep(for: .milliseconds(10)) }
        let stored = tally.processed
        var alerts = 0
        var cursor: String?
        repeat {
            let page = try await store.alerts(AlertQuery(), limit: 1_000, cursor: cursor)
            alerts += page.items.count
            cursor = page.nextCursor
        } while cursor != nil
        serviceTask.cancel()
        _ = try? await serviceTask.value
        try await log.close()
        try await scratchSchema?.dropScratchSchema()
        return BenchmarkResult(
            name: backend.name == "sqlite" ? "alerts" : "alerts.\(backend.name)", records: stored, duration: elapsed,
            latency: tally.latency,
            parameters: [
                "store": backend.name, "load": "open loop, \(rate) findings/s offered", "produced_findings": "\(produced)",
                "unstored_at_end": "\(produced - stored)", "subjects": "\(subjects)", "alerts": "\(alerts)",
                "latency": "finding appended to its alert stored", "unit": "findings",
            ])
    }
}

/// Findings as the risk engine writes them, deterministic: typologies in turn over a pool of subjects.
private struct FindingSource {
    let subjects: Int
    var rng = SplitMix64(seed: 20_261_206)
    var count = 0

    mutating func next() -> ProducerRecord {
        count += 1
        let typology = Typology.allCases[count % Typology.allCases.count]
        let subject = "bc1qbench\(rng.next() % UInt64(subjects))"
        let txid = rng.hex32()
        let finding = ComplianceFinding(
            id: "\(typology.rawValue):btc:\(subject):\(txid)", kind: typology == .sanctionedExposure ? .sanctionsHit : .pattern,
            subject: subject, severity: typology == .sanctionedExposure ? .critical : .medium, source: "risk-engine",
            summary: "\(typology.rawValue) of \(subject)", evidence: ["hops": "1", "window_seconds": "3600"], time: .now(),
            typology: typology.rawValue, subjects: [subject, "bc1qpeer\(rng.next() % 1_000)"], txids: [rng.hex32(), txid],
            amount: Amount(rng.next() % 100_000_000), chain: .bitcoin, ruleVersion: "\(typology.rawValue)@bench")
        return ProducerRecord(key: Array(subject.utf8), value: ComplianceTopicEvent.finding(finding).serializedProto())
    }
}
