import AuditTrail
import CSICCore
import EventLog
import Foundation

/// `csic bench audit`: durable appends to the audit trail (fsync per batch), inclusion proofs against the
/// resulting tree, and a full `csic audit verify` pass, on one data directory.
public enum AuditBenchmark {
    /// - Parameters:
    ///   - records: entries to append (10,000,000 for the issue's proof figure).
    ///   - directory: where the log is written; a temporary directory (removed after) when `nil`.
    ///   - progress: called after each durable batch with the number of entries acknowledged so far.
    public static func run(
        records: Int, batch: Int, segmentEntries: UInt64 = AuditDefaults.segmentEntries, directory given: String?,
        progress: (UInt64) -> Void = { _ in }
    ) throws -> BenchmarkResult {
        let directory = given ?? NSTemporaryDirectory() + "csic-bench-audit-\(UUID().uuidString)"
        defer { if given == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let log = try AuditLog(
            directory: directory + "/audit", settings: .init(origin: AuditDefaults.origin, segmentEntries: segmentEntries))
        let clock = ContinuousClock()
        let start = log.size
        let appendStarted = clock.now
        var batchLatency = LatencyHistogram()
        var written = 0
        while written < records {
            let count = min(batch, records - written)
            let batchStarted = clock.now
            try log.append((0..<count).map { record(UInt64(start) + UInt64(written + $0)) })
            batchLatency.record(microseconds: Int64((clock.now - batchStarted).seconds * 1e6))
            written += count
            if log.size / 10_000 != (log.size - UInt64(count)) / 10_000 { try log.issueCheckpoint() }
            progress(log.size)
        }
        try log.issueCheckpoint()
        let appendTime = clock.now - appendStarted

        var generator = SystemRandomNumberGenerator()
        var proofLatency = LatencyHistogram()
        let size = log.size
        for _ in 0..<2_000 {
            let index = UInt64.random(in: 0..<size, using: &generator)
            let started = clock.now
            let proof = try log.inclusionProof(index: index, size: size)
            proofLatency.record(microseconds: Int64((clock.now - started).seconds * 1e6))
            precondition(proof.count <= 64)
        }

        let verifyStarted = clock.now
        let report = AuditVerifier(directory: directory + "/audit").verify()
        let verifyTime = clock.now - verifyStarted
        guard report.ok else { throw NoteError("the benchmark's own log failed verification: \(report.problems.first ?? "")") }

        var result = BenchmarkResult(
            name: "audit", records: records, duration: appendTime, latency: batchLatency,
            parameters: [
                "batch": "\(batch)", "fsync": "the segment every batch; offsets and tree levels at each checkpoint",
                "entries_in_log": "\(size)",
                "checkpoint_every": "10000", "segment_entries": "\(segmentEntries)", "proofs_measured": "2000",
                "directory": given ?? "temporary",
            ])
        result.figures = [
            "records_per_s": Double(records) / appendTime.seconds,
            "proof_p50_ms": proofLatency.percentile(50) / 1000,
            "proof_p99_ms": proofLatency.percentile(99) / 1000,
            "verify_records_per_s": Double(report.entries) / verifyTime.seconds,
        ]
        return result
    }

    static func record(_ n: UInt64) -> AuditRecord {
        let actions = ["transactions.read", "alerts.read", "user.login", "config.update", "report.export", "intervention.create"]
        return AuditRecord(
            id: "bench-\(n)", time: .now(), actor: "analyst-\(n % 50)", action: actions[Int(n % UInt64(actions.count))],
            resource: "/api/v1/transactions/btc:\(n)", outcome: n % 97 == 0 ? .denied : .success, requestID: "req-\(n)",
            sourceAddress: "10.0.\(n % 200).\(n % 250)", details: ["user_agent": "csic-bench"])
    }
}
