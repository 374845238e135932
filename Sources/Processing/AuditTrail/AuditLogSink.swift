import CSICCore
import DurableFiles
import Logging
import Metrics
import StreamRuntime
import Synchronization

/// Where the audit engine's effects go: the WORM audit log in `directory`, appended (and synced) on NIO's
/// blocking thread pool, then the search index (``AuditSearchIndex``, on SQLite or PostgreSQL). A record replayed after a crash (appended, offsets not yet
/// committed) is recognised by its id among the log's newest entries and not appended twice. A checkpoint
/// is signed every `checkpointEvery` entries or `checkpointInterval`, whichever comes first, and on shutdown.
public final class AuditLogSink: EffectSink {
    public struct Settings: Sendable {
        public var directory: String
        public var log: AuditLog.Settings
        public var checkpointEvery: UInt64
        public var checkpointInterval: Duration
        /// Where the search index is (default: `index.sqlite` in `directory`).
        public var search: AuditSearchBackend

        public init(
            directory: String, log: AuditLog.Settings, checkpointEvery: UInt64 = 10_000, checkpointInterval: Duration = .seconds(10),
            search: AuditSearchBackend? = nil
        ) {
            self.directory = directory
            self.log = log
            self.checkpointEvery = checkpointEvery
            self.checkpointInterval = checkpointInterval
            self.search = search ?? .sqlite(directory: directory)
        }
    }

    /// The most records one batch holds.
    public static let batchLimit = 4_096

    private struct State {
        let trail: AuditLog
        var recent: RecentIDs
        var lastCheckpoint: (size: UInt64, time: ContinuousClock.Instant)
    }

    private let settings: Settings
    private let logger: Logger
    private let appended: Counter
    private let entries: Gauge
    private let state = Mutex<State?>(nil)
    /// Written by the one engine task that applies batches, after each append.
    private let index = Mutex<(any AuditSearchIndex)?>(nil)

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
                var recent = RecentIDs(capacity: 4 * Self.batchLimit)
                let tail = trail.size - min(trail.size, UInt64(2 * Self.batchLimit))
                for position in tail..<trail.size { if let id = try? AuditLeaf.record(trail.leaf(position)).id { recent.insert(id) } }
                let checkpointed = try trail.latestCheckpoint()?.checkpoint.size ?? 0
                let opened = (trail.size, trail.verifierKey)
                state = State(trail: trail, recent: recent, lastCheckpoint: (checkpointed, .now))
                return opened
            }
        }
        let searchIndex = try settings.search.open(readOnly: false)
        index.withLock { $0 = searchIndex }
        try await catchUp(searchIndex)
        entries.record(Int64(size))
        logger.info("audit trail started", metadata: ["entries": "\(size)", "verifier_key": "\(verifierKey)"])
    }

    public func apply(_ records: [AuditRecord]) async throws {
        let (fresh, first, size) = try await BlockingIO.run {
            try self.state.withLock { state -> ([AuditRecord], UInt64, UInt64) in
                guard var current = state else { throw AuditSinkError.notStarted }
                var seen: Set<String> = []
                let fresh = records.filter { !current.recent.contains($0.id) && seen.insert($0.id).inserted }
                guard !fresh.isEmpty else { return ([], current.trail.size, current.trail.size) }
                let first = current.trail.size
                _ = try current.trail.append(fresh)
                // Only what is durable counts as seen, and it is kept at once: a failed append is retried with
                // the same records, and a failure after it (index, checkpoint) never appends them again.
                for record in fresh { current.recent.insert(record.id) }
                state = current
                try self.checkpointIfDue(&current)
                state = current
                return (fresh, first, current.trail.size)
            }
        }
        if !fresh.isEmpty, let searchIndex = index.withLock({ $0 }) {
            do {
                if try await searchIndex.indexedCount() == first {
                    try await searchIndex.index(fresh, first: first)
                } else {
                    try await catchUp(searchIndex)
                }
            } catch {
                logger.error("audit search index update failed; it catches up later", metadata: ["error": "\(error)"])
            }
        }
        appended.increment(by: fresh.count)
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
    private func catchUp(_ searchIndex: any AuditSearchIndex) async throws {
        var next = try await searchIndex.indexedCount()
        while true {
            let start = next
            let records = try await BlockingIO.run {
                try self.state.withLock { state -> [AuditRecord] in
                    guard let trail = state?.trail else { throw AuditSinkError.notStarted }
                    // An index ahead of the log was built from another log (a PostgreSQL schema shared with a
                    // data directory started afresh): it is left as it is, and searches may name entries this log
                    // does not have (they are never served without a proof from this log).
                    guard start < trail.size else { return [] }
                    return try (start..<min(trail.size, start + 4_096)).map { try AuditLeaf.record(trail.leaf($0)) }
                }
            }
            guard !records.isEmpty else { return }
            try await searchIndex.index(records, first: start)
            next = start + UInt64(records.count)
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
