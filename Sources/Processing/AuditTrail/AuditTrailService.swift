import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import ServiceLifecycle

/// The audit engine: consumes `audit` and appends every record to the WORM audit log, then commits the
/// consumer offsets; signs a checkpoint every `checkpointEvery` entries or `checkpointInterval`, whichever
/// comes first, and once more on shutdown. A record replayed after a crash (appended, offsets not yet
/// committed) is recognised by its id among the log's newest entries and not appended twice; an
/// undecodable or invalid record goes to `dead_letter` with the reason. A failing append is retried, never
/// skipped.
public final class AuditTrailService: Service {
    public struct Settings: Sendable {
        public var directory: String
        public var log: AuditLog.Settings
        public var checkpointEvery: UInt64
        public var checkpointInterval: Duration

        public init(directory: String, log: AuditLog.Settings, checkpointEvery: UInt64 = 10_000, checkpointInterval: Duration = .seconds(10)) {
            self.directory = directory
            self.log = log
            self.checkpointEvery = checkpointEvery
            self.checkpointInterval = checkpointInterval
        }
    }

    public static let group = "audit-trail"
    static let batchLimit = 4_096

    private let settings: Settings
    private let events: any EventLog
    private let logger: Logger
    private let appended: Counter
    private let entries: Gauge

    public init(settings: Settings, log: any EventLog, metrics: any MetricsFactory, logger: Logger) {
        self.settings = settings
        events = log
        self.logger = logger
        appended = Counter(label: "csic_audit_records_total", factory: metrics)
        entries = Gauge(label: "csic_audit_entries", factory: metrics)
    }

    public func run() async throws {
        let trail = try AuditLog(directory: settings.directory, settings: settings.log)
        let index = try AuditIndex(path: settings.directory + "/index.sqlite")
        try catchUp(index, with: trail)
        var recent = RecentIDs(capacity: 4 * Self.batchLimit)
        let tail = trail.size - min(trail.size, UInt64(2 * Self.batchLimit))
        for index in tail..<trail.size { if let id = try? AuditLeaf.record(trail.leaf(index)).id { _ = recent.insert(id) } }
        var consumer = try await LogConsumer(log: events, group: Self.group, topics: [Topic.audit.rawValue])
        var lastCheckpoint = (size: try trail.latestCheckpoint()?.checkpoint.size ?? 0, time: ContinuousClock.now)
        logger.info("audit trail started", metadata: ["entries": "\(trail.size)", "verifier_key": "\(trail.verifierKey)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let batch: [LogRecord]
            do {
                batch = try await consumer.poll(maxRecords: Self.batchLimit, timeout: .milliseconds(200))
            } catch is CancellationError {
                break
            }
            var records: [AuditRecord] = []
            var letters: [ProducerRecord] = []
            for item in batch {
                do throws(ValidationError) {
                    let record = try AuditRecord(protoBytes: item.value)
                    try record.validate()
                    if recent.insert(record.id) { records.append(record) }
                } catch {
                    let letter = DeadLetter(rejecting: item, by: Self.group, error: error)
                    letters.append(ProducerRecord(key: letter.source, value: letter.serializedProto()))
                }
            }
            if !records.isEmpty {
                let first = trail.size
                try await appendUntilDurable(records, to: trail)
                do {
                    if try index.count() == first { try index.add(records, first: first) } else { try catchUp(index, with: trail) }
                } catch {
                    logger.error("audit search index update failed; it catches up later", metadata: ["error": "\(error)"])
                }
            }
            if !letters.isEmpty { _ = try await events.append(.deadLetter, records: letters) }
            if !batch.isEmpty { try await consumer.commit() }
            entries.record(Int64(trail.size))
            let due = trail.size >= lastCheckpoint.size + settings.checkpointEvery
                || (trail.size > lastCheckpoint.size && ContinuousClock.now - lastCheckpoint.time >= settings.checkpointInterval)
            if due {
                try trail.issueCheckpoint()
                lastCheckpoint = (trail.size, ContinuousClock.now)
            }
        }
        try trail.issueCheckpoint()
        logger.info("audit trail stopped", metadata: ["entries": "\(trail.size)"])
    }

    /// Indexes the entries the search index does not have yet (after a crash, or a failed update).
    private func catchUp(_ index: AuditIndex, with trail: AuditLog) throws {
        var next = try index.count()
        while next < trail.size {
            let end = min(trail.size, next + 4_096)
            try index.add(try (next..<end).map { try AuditLeaf.record(trail.leaf($0)) }, first: next)
            next = end
        }
    }

    private func appendUntilDurable(_ records: [AuditRecord], to trail: AuditLog) async throws {
        var delay = Duration.milliseconds(50)
        while true {
            do {
                try trail.append(records)
                appended.increment(by: records.count)
                return
            } catch {
                logger.error("audit append failed; retrying, never skipping", metadata: ["error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}

/// The ids of the newest entries, to recognise a replayed batch.
struct RecentIDs {
    let capacity: Int
    private var order: [String] = []
    private var members: Set<String> = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `id`; `false` when it was already among the newest.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        return true
    }
}
