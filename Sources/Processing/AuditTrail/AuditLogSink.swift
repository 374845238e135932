import CSICCore
import DurableFiles
import Logging
import Metrics
import StreamRuntime
import Synchronization

/// Where the audit engine's effects go: the WORM audit log in `directory`, appended (and synced) on NIO's
/// blocking thread pool, then the search index. A record replayed after a crash (appended, offsets not yet
/// committed) is recognised by its id among the log's newest entries and not appended twice. A checkpoint
/// is signed every `checkpointEvery` entries or `checkpointInterval`, whichever comes first, and on shutdown.
public final class AuditLogSink: EffectSink {
    public struct Settings: Sendable {
        public var directory: String
        public var log: AuditLog.Settings
        public var checkpointEvery: UInt64
        public var checkpointInterval: Duration

        public init(
            directory: String, log: AuditLog.Settings, checkpointEvery: UInt64 = 10_000, checkpointInterval: Duration = .seconds(10)
        ) {
            self.directory = directory
            self.log = log
            self.checkpointEvery = checkpointEvery
            self.checkpointInterval = checkpointInterval
        }
    }

    /// The most records one batch holds.
    public static let batchLimit = 4_096

    private struct State {
        let trail: AuditLog
        let index: AuditIndex
        var recent: RecentIDs
        var lastCheckpoint: (size: UInt64, time: ContinuousClock.Instant)
    }

    private let settings: Settings
    private let logger: Logger
    private let appended: Counter
    private let entries: Gauge
    private let state = Mutex<State?>(nil)

    public init(settings: Settings, metrics: any MetricsFactory, logger: Logger) {
        self.settings = settings
        self.logger = logger
        appended = Counter(label: "csic_audit_records_total", factory: metrics)
        entries = Gauge(label: "csic_audit_entries", factory: metrics)
    }

    /// Opens the log (recovering a torn tail), catches the search index up and remembers the newest ids.
    public func start() async throws {
        let settings = settings
        let (size, verifierKey) = try await BlockingIO.run {
            try self.state.withLock { state -> (UInt64, String) in
                let trail = try AuditLog(directory: settings.directory, settings: settings.log)
                let index = try AuditIndex(path: settings.directory + "/index.sqlite")
                try Self.catchUp(index, with: trail)
                var recent = RecentIDs(capacity: 4 * Self.batchLimit)
                let tail = trail.size - min(trail.size, UInt64(2 * Self.batchLimit))
                for position in tail..<trail.size { if let id = try? AuditLeaf.record(trail.leaf(position)).id { recent.insert(id) } }
                let checkpointed = try trail.latestCheckpoint()?.checkpoint.size ?? 0
                let opened = (trail.size, trail.verifierKey)
                state = State(trail: trail, index: index, recent: recent, lastCheckpoint: (checkpointed, .now))
                return opened
            }
        }
        entries.record(Int64(size))
        logger.info("audit trail started", metadata: ["entries": "\(size)", "verifier_key": "\(verifierKey)"])
    }

    public func apply(_ records: [AuditRecord]) async throws {
        let (appendedCount, size) = try await BlockingIO.run {
            try self.state.withLock { state -> (Int, UInt64) in
                guard var current = state else { throw AuditSinkError.notStarted }
                var seen: Set<String> = []
                let fresh = records.filter { !current.recent.contains($0.id) && seen.insert($0.id).inserted }
                guard !fresh.isEmpty else { return (0, current.trail.size) }
                let first = current.trail.size
                _ = try current.trail.append(fresh)
                // Only what is durable counts as seen, and it is kept at once: a failed append is retried with
                // the same records, and a failure after it (index, checkpoint) never appends them again.
                for record in fresh { current.recent.insert(record.id) }
                state = current
                do {
                    if try current.index.count() == first {
                        try current.index.add(fresh, first: first)
                    } else {
                        try Self.catchUp(current.index, with: current.trail)
                    }
                } catch {
                    self.logger.error("audit search index update failed; it catches up later", metadata: ["error": "\(error)"])
                }
                try self.checkpointIfDue(&current)
                state = current
                return (fresh.count, current.trail.size)
            }
        }
        appended.increment(by: appendedCount)
        entries.record(Int64(size))
    }

    public func idle() async throws {
        try await BlockingIO.run {
            try self.state.withLock { state in
                guard var current = state else { return }
                try self.checkpointIfDue(&current)
                state = current
            }
        }
    }

    public func stop() async throws {
        let size = try await BlockingIO.run {
            try self.state.withLock { state -> UInt64 in
                guard let current = state else { return 0 }
                _ = try current.trail.issueCheckpoint()
                return current.trail.size
            }
        }
        logger.info("audit trail stopped", metadata: ["entries": "\(size)"])
    }

    private func checkpointIfDue(_ state: inout State) throws {
        let size = state.trail.size
        let due =
            size >= state.lastCheckpoint.size + settings.checkpointEvery
            || (size > state.lastCheckpoint.size && ContinuousClock.now - state.lastCheckpoint.time >= settings.checkpointInterval)
        guard due else { return }
        _ = try state.trail.issueCheckpoint()
        state.lastCheckpoint = (size, .now)
    }

    /// Indexes the entries the search index does not have yet (after a crash, or a failed update).
    private static func catchUp(_ index: AuditIndex, with trail: AuditLog) throws {
        var next = try index.count()
        while next < trail.size {
            let end = min(trail.size, next + 4_096)
            try index.add(try (next..<end).map { try AuditLeaf.record(trail.leaf($0)) }, first: next)
            next = end
        }
    }
}

/// The sink was asked to apply before `start()` opened the log.
struct AuditSinkError: Error, CustomStringConvertible {
    static let notStarted = AuditSinkError()
    var description: String { "the audit log is not open" }
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

    func contains(_ id: String) -> Bool { members.contains(id) }

    /// Adds `id` (the oldest id is forgotten once `capacity` are kept).
    mutating func insert(_ id: String) {
        guard members.insert(id).inserted else { return }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
    }
}
