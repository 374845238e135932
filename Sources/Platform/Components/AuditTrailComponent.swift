import APIGateway
import AuditTrail
import CSICCore
import ServiceLifecycle
import Storage
import StreamRuntime

/// The audit trail (`audit:`): the audit engine in the `process` role appends every record on `audit` to the
/// WORM log in `<data>/audit`; the API serves records with proofs through ``LocalAuditQueries``. With the
/// PostgreSQL store, one process at a time runs the audit engine (``LeaderElectedService``); the others wait.
public struct AuditTrailComponent: PlatformComponent {
    public static let section = "audit"

    /// The checkpoint origin line and signing key name.
    public var origin: String
    /// A second directory (another disk) that receives a byte-identical copy of the segments and checkpoints.
    public var mirrorDirectory: String?
    /// A checkpoint is signed every this many entries, or every `checkpointSeconds`, whichever comes first.
    public var checkpointEvery: UInt64
    public var checkpointSeconds: Double
    /// Entries per segment file before it is sealed (read-only, its SHA-256 beside it, checked at every open).
    public var segmentEntries: UInt64
    /// The signing key's file, when it lives outside the data directory.
    public var signingKey: String?
    /// Witnesses asked to cosign each checkpoint: `"<url> <witness verifier key>"`.
    public var witnesses: [WitnessEndpoint]

    public init(_ section: ConfigSection) throws {
        origin = section.string("origin", default: AuditDefaults.origin)
        mirrorDirectory = section.string("mirror_dir")
        signingKey = section.string("signing_key")
        witnesses = try (section.strings("witnesses") ?? []).map { entry in
            let parts = entry.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].hasPrefix("http://") || parts[0].hasPrefix("https://"),
                let key = try? CosignatureVerifier(verifierKey: String(parts[1]))
            else {
                throw section.malformed("witnesses", "each entry is \"<http(s) url> <witness verifier key>\", got \(entry.prefix(200))")
            }
            return WitnessEndpoint(url: String(parts[0]), key: key)
        }
        checkpointEvery = section.unsigned("checkpoint_every", default: 10_000)
        checkpointSeconds = try section.number("checkpoint_seconds", default: 10, in: 0.01...86400)
        segmentEntries = section.unsigned("segment_entries", default: AuditDefaults.segmentEntries)
        guard !origin.isEmpty, !origin.contains("+"), !origin.contains(where: \.isWhitespace) else {
            throw section.malformed("origin", "must be non-empty without '+' or spaces")
        }
        guard checkpointEvery >= 1 else { throw section.outOfRange("checkpoint_every", "must be at least 1") }
        guard segmentEntries >= 1 else { throw section.outOfRange("segment_entries", "must be at least 1") }
    }

    public var settingsDescription: [String: String] {
        [
            "origin": origin, "mirror_dir": mirrorDirectory ?? "", "checkpoint_every": String(checkpointEvery),
            "segment_entries": String(segmentEntries), "signing_key": signingKey ?? "",
            "witnesses": witnesses.map { "\($0.url) \($0.key.verifierKey)" }.joined(separator: ","),
        ]
    }

    public var consumers: [String: String] { [AuditEngine.consumerGroup: Topic.audit.rawValue] }

    /// The search index's table on PostgreSQL (on SQLite the index is `audit/index.sqlite`).
    public var storeMigrations: [StoreMigration] { [PostgresAuditIndex.migration] }

    public var metricsHelp: [String: String] {
        [
            "csic_audit_records_total": "Audit records appended to the WORM audit log.",
            "csic_audit_entries": "Entries in the WORM audit log.",
            "csic_audit_witness_rejections_total": "Witness answers that caught the audit log rolled back or rewritten.",
            "csic_leader": "1 in the process that leads (runs) the named single-writer service, 0 in the others (PostgreSQL store).",
        ]
    }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        let settings = AuditLogSink.Settings(
            directory: context.directory("audit"),
            log: AuditLog.Settings(
                origin: origin, segmentEntries: segmentEntries, mirror: mirrorDirectory, signingKey: signingKey),
            checkpointEvery: checkpointEvery, checkpointInterval: .seconds(checkpointSeconds),
            search: AuditSearchBackend(context.database, directory: context.directory("audit")))
        var services: [any Service] = [
            StreamProcessor(audit: settings, log: context.log, metrics: context.metrics, logger: context.logger, health: context.health)
        ]
        if !witnesses.isEmpty {
            services.append(
                WitnessService(
                    directory: context.directory("audit"), origin: origin, witnesses: witnesses, interval: .seconds(checkpointSeconds),
                    log: context.log, health: context.health, metrics: context.metrics, logger: context.logger))
        }
        // Several processes may run the process role: one of them at a time writes the WORM log.
        return context.oneAtATime(AuditEngine.consumerGroup, services)
    }

    /// Records with proofs, read from the WORM log's files (for REST and gRPC).
    public func queries(_ context: ComponentContext) -> any AuditQueries {
        LocalAuditQueries(
            directory: context.directory("audit"), origin: origin,
            search: AuditSearchBackend(context.database, directory: context.directory("audit")))
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [AuditRoutes(queries: queries(context))]
    }
}
