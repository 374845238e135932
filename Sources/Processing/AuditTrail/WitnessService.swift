import CSICCore
import DurableFiles
import EventLog
import Logging
import Metrics
import ServiceLifecycle
import StreamRuntime

/// Asks each configured witness to cosign the audit log's newest checkpoint (C2SP tlog-witness), with a
/// consistency proof from the size that witness last cosigned; keeps each witness's latest cosigned checkpoint
/// in `<audit>/witnesses/<key id>.cosigned`. A witness that knows a larger tree (409 with a size above the
/// log's) or rejects the proof (422) has caught the log rolled back or rewritten: that is reported at
/// critical level, in `/health`, in `csic_audit_witness_rejections_total` and in the audit trail.
public struct WitnessService: Service {
    public let directory: String
    public let origin: String
    public let witnesses: [WitnessEndpoint]
    public let interval: Duration
    let log: any EventLog
    let health: HealthBoard
    let logger: Logger
    let rejections: Counter

    public init(
        directory: String, origin: String, witnesses: [WitnessEndpoint], interval: Duration, log: any EventLog, health: HealthBoard,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.directory = directory
        self.origin = origin
        self.witnesses = witnesses
        self.interval = interval
        self.log = log
        self.health = health
        self.logger = logger
        rejections = Counter(label: "csic_audit_witness_rejections_total", factory: metrics)
    }

    public func run() async throws {
        var recorded: Set<String> = []
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var problems: [String] = []
            for witness in witnesses {
                do {
                    if let problem = try await submit(to: witness) { problems.append(problem) }
                } catch {
                    logger.warning("witness not reached", metadata: ["witness": "\(witness.url)", "error": "\(error)"])
                }
            }
            health.report("audit witnesses", problems: problems)
            for problem in problems where !recorded.contains(problem) {
                recorded.insert(problem)
                rejections.increment()
                logger.critical("a witness refused the audit log's checkpoint", metadata: ["problem": "\(problem)"])
                try? await log.appendAudit(
                    .system(actor: "csic:audit", action: "audit.witness.rejected", resource: "audit", details: ["problem": problem]))
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One round with one witness: `nil` when it cosigned (or already had) the newest checkpoint, otherwise
    /// what it caught. Unreachable witnesses and other refusals throw (tried again next round).
    public func submit(to witness: WitnessEndpoint) async throws -> String? {
        let directory = directory
        let origin = origin
        guard let (checkpoint, note) = try await BlockingIO.run({ try Self.readOnly(directory, origin).latestCheckpoint() }) else {
            return nil
        }
        let statePath = "\(directory)/witnesses/\(Hex.encode(witness.key.keyID)).cosigned"
        let cosigned = try await BlockingIO.run { try DurableFile.read(statePath) }.flatMap { bytes -> Checkpoint? in
            let text = String(decoding: bytes, as: UTF8.self)
            guard (try? witness.key.verify(text)) != nil, let body = try? NoteText.split(text).body else { return nil }
            return try? Checkpoint(body: body)
        }
        if cosigned == checkpoint { return nil }
        var old = cosigned?.size ?? 0
        let client = WitnessClient(endpoint: witness)
        for _ in 0..<2 {
            guard old <= checkpoint.size else {
                return "witness \(witness.key.name) cosigned a tree of size \(old), but the log's newest checkpoint has size "
                    + "\(checkpoint.size): the audit log was rolled back"
            }
            let from = old
            let proof =
                from == 0
                ? [] : try await BlockingIO.run { try Self.readOnly(directory, origin).consistencyProof(old: from, new: checkpoint.size) }
            switch try await client.addCheckpoint(WitnessRequest(oldSize: from, proof: proof, note: note)) {
            case .cosigned(let line):
                try await BlockingIO.run {
                    try FileIO.makeDirectory("\(directory)/witnesses")
                    try FileIO.writeAtomically(Array((note + line).utf8), to: statePath)
                }
                return nil
            case .conflict(let size) where size == from:
                return "witness \(witness.key.name) cosigned another tree of size \(size): the audit log was rewritten (a fork)"
            case .conflict(let size):
                old = size
            case .inconsistent:
                return "witness \(witness.key.name) rejects the consistency proof from its cosigned size \(from) to \(checkpoint.size): "
                    + "the audit log was rewritten"
            case .refused(let status, let body):
                throw NoteError("witness \(witness.url) refused (\(status)): \(body)")
            }
        }
        throw NoteError("witness \(witness.url) keeps answering 409")
    }

    static func readOnly(_ directory: String, _ origin: String) throws -> AuditLog {
        try AuditLog(directory: directory, settings: .init(origin: origin, readOnly: true))
    }
}
