import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import StreamRuntime

/// The audit engine: an ordinary engine on the stream runtime over `audit`. It decodes and validates each
/// record (an undecodable or invalid one goes to `dead_letter` with the reason); ``AuditLogSink`` appends
/// the batch to the WORM audit log before the offsets are committed.
public struct AuditEngine: StreamEngine {
    /// The audit engine's consumer group.
    public static let consumerGroup = "audit-trail"
    public let group = AuditEngine.consumerGroup
    public let topics = [Topic.audit.rawValue]

    public init() {}

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput<[AuditRecord]> {
        var output = EngineOutput<[AuditRecord]>(effects: [])
        output.effects.reserveCapacity(batch.count)
        for item in batch {
            do throws(ValidationError) {
                let record = try AuditRecord(protoBytes: item.value)
                try record.validate()
                output.effects.append(record)
            } catch {
                output.deadLetters.append(DeadLetter(rejecting: item, by: group, error: error))
            }
        }
        return output
    }
}

extension StreamProcessor where Engine == AuditEngine, Sink == AuditLogSink {
    /// The audit engine appending to the WORM log described by `settings`; batches of at most 4,096 records.
    public convenience init(
        audit settings: AuditLogSink.Settings, log: any EventLog, metrics: any MetricsFactory, logger: Logger, health: HealthBoard? = nil
    ) {
        self.init(
            engine: AuditEngine(), sink: AuditLogSink(settings: settings, metrics: metrics, logger: logger), log: log,
            settings: StreamSettings(maxBatchRecords: AuditLogSink.batchLimit), logger: logger, metrics: metrics, health: health)
    }
}
