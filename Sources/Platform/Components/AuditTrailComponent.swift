import APIGateway
import AuditTrail
import CSICCore
import ServiceLifecycle
import StreamRuntime

/// The audit trail (`audit:`): the audit engine in the `process` role appends every record on `audit` to the
/// WORM log in `<data>/audit`; the API serves records with proofs through ``LocalAuditQueries``.
public struct AuditTrailComponent: PlatformComponent {
    public static let section = "audit"

    /// The checkpoint origin line and signing key name.
    public var origin: String
    /// A second directory (another disk) that receives a byte-identical copy of the segments and checkpoints.
    public var mirrorDirectory: String?
    /// A checkpoint is signed every this many entries, or every `checkpointSeconds`, whichever comes first.
    public var checkpointEvery: UInt64
    public var checkpointSeconds: Double

    public init(_ section: ConfigSection) throws {
        origin = section.string("origin", default: AuditDefaults.origin)
        mirrorDirectory = section.string("mirror_dir")
        checkpointEvery = section.unsigned("checkpoint_every", default: 10_000)
        checkpointSeconds = section.double("checkpoint_seconds") ?? 10
        guard !origin.isEmpty, !origin.contains("+"), !origin.contains(where: \.isWhitespace) else {
            throw section.malformed("origin", "must be non-empty without '+' or spaces")
        }
        guard checkpointEvery >= 1 else { throw section.outOfRange("checkpoint_every", "must be at least 1") }
        guard checkpointSeconds > 0 else { throw section.outOfRange("checkpoint_seconds", "must be positive") }
    }

    public var settingsDescription: [String: String] {
        ["origin": origin, "mirror_dir": mirrorDirectory ?? "", "checkpoint_every": String(checkpointEvery)]
    }

    public var consumers: [String: String] { [Topic.audit.rawValue: AuditEngine.consumerGroup] }

    public var metricsHelp: [String: String] {
        [
            "csic_audit_records_total": "Audit records appended to the WORM audit log.",
            "csic_audit_entries": "Entries in the WORM audit log.",
        ]
    }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        let settings = AuditLogSink.Settings(
            directory: context.directory("audit"), log: AuditLog.Settings(origin: origin, mirror: mirrorDirectory),
            checkpointEvery: checkpointEvery, checkpointInterval: .seconds(checkpointSeconds))
        return [StreamProcessor(audit: settings, log: context.log, metrics: context.metrics, logger: context.logger)]
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [AuditRoutes(queries: LocalAuditQueries(directory: context.directory("audit"), origin: origin))]
    }
}
