import DurableFiles
import CSICCore
import Logging
import Metrics
import NIOPosix
import Synchronization

/// The default ``EventLog``: append-only segment files on local disk, no server needed.
///
/// Layout under `directory`:
/// ```
/// topics/<topic>/topic.conf                 partitions and retention
/// topics/<topic>/<partition>/<base>.log     segments: CRC32C-checked record batches
/// topics/<topic>/<partition>/<base>.index   offset index of a sealed segment
/// groups/<group>.offsets                    committed consumer-group offsets
/// ```
/// Opening recovers every partition: a torn or corrupt tail of the active segment is truncated
/// after the last valid batch and reported in ``recoveryReports``; every earlier record is kept.
public final class EmbeddedEventLog: EventLog {
    public let directory: String
    public let options: EmbeddedLogOptions
    /// What recovery truncated when the log was opened.
    public let recoveryReports: [RecoveryReport]
    /// Partitions that end before a group's committed offset (found on open): acknowledged records are missing.
    public let missingRecords: [String]

    private let logger: Logger
    private let metrics: any MetricsFactory
    private let topics: Mutex<[String: TopicState]>
    private let offsets: OffsetStore
    private let budget: PendingBytesBudget
    private let pool: NIOThreadPool
    private let lock: DirectoryLock
    private let isClosed = Atomic<Bool>(false)

    struct TopicState: Sendable {
        var configuration: TopicConfiguration
        var partitions: [PartitionLog]
        var appendedRecords: Counter
        var appendedBytes: Counter
        var appendDuration: Metrics.Timer
    }

    /// Opens the log in `directory`, creating it if needed and recovering every partition.
    public init(
        directory: String, options: EmbeddedLogOptions = EmbeddedLogOptions(), logger: Logger = Logger(label: "csic.eventlog"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        self.directory = directory
        self.options = options
        self.logger = logger
        self.metrics = metrics
        try io(FileIO.makeDirectory("\(directory)/topics"))
        lock = try DirectoryLock(path: "\(directory)/LOCK")
        offsets = try OffsetStore(directory: "\(directory)/groups")
        budget = PendingBytesBudget(capacity: options.maxPendingBytes)
        var reports: [RecoveryReport] = []
        var loaded: [String: TopicState] = [:]
        for name in FileIO.list("\(directory)/topics") {
            let confPath = "\(directory)/topics/\(name)/topic.conf"
            guard FileIO.exists(confPath) else { continue }
            let configuration = try TopicConfigurationFile.decode(FileIO.readFile(confPath), path: confPath)
            loaded[name] = try Self.openTopic(
                name, configuration: configuration, root: directory, options: options, metrics: metrics
            ) { reports.append($0) }
        }
        for report in reports {
            if report.isTornTail {
                logger.warning("event log recovery truncated a torn tail", metadata: ["report": "\(report)"])
            } else {
                logger.critical("event log partition damaged; it takes no appends until repaired", metadata: ["report": "\(report)"])
            }
        }
        recoveryReports = reports
        // A group that committed past a partition's end read records the partition no longer has: they were
        // lost (a segment removed by hand, a restored backup). The partition takes no appends, so no new record
        // can take a lost record's offset and be skipped by that group as already read.
        var overrun: [String] = []
        for group in offsets.groupNames {
            for (name, state) in loaded {
                for (partition, committed) in offsets.offsets(group: group, topic: name) {
                    guard let log = state.partitions.first(where: { $0.topicPartition.partition == partition }) else { continue }
                    let end = log.status.endOffset
                    guard committed > end else { continue }
                    let problem =
                        "\(name)/\(partition): group \(group) committed offset \(committed) but the log ends at \(end): "
                        + "\(committed - end) acknowledged records are missing; the partition takes no appends"
                    log.stopAppends(problem)
                    overrun.append(problem)
                    logger.critical("event log partition behind a committed offset", metadata: ["problem": "\(problem)"])
                }
            }
        }
        missingRecords = overrun
        Gauge(label: "csic_log_damaged_partitions", factory: metrics).record(reports.filter { !$0.isTornTail }.count + overrun.count)
        topics = Mutex(loaded)
        pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    static func openTopic(
        _ name: String, configuration: TopicConfiguration, root: String, options: EmbeddedLogOptions,
        metrics: any MetricsFactory, report: (RecoveryReport) -> Void
    ) throws(EventLogError) -> TopicState {
        var partitions: [PartitionLog] = []
        for partition in 0..<configuration.partitions {
            partitions.append(
                try PartitionLog(
                    topicPartition: TopicPartition(topic: name, partition: partition),
                    directory: "\(root)/topics/\(name)/\(partition)", options: options, report: report))
        }
        let dimensions = [("topic", name)]
        return TopicState(
            configuration: configuration, partitions: partitions,
            appendedRecords: Counter(label: "csic_log_appended_records_total", dimensions: dimensions, factory: metrics),
            appendedBytes: Counter(label: "csic_log_appended_bytes_total", dimensions: dimensions, factory: metrics),
            appendDuration: Metrics.Timer(label: "csic_log_append_duration_seconds", dimensions: dimensions, factory: metrics))
    }

    /// Topic and group names: letters, digits, `_`, `-`, `.`; 1 to 200 characters.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && name != "." && name != ".."
            && name.utf8.allSatisfy {
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 || $0 == 46
            }
    }

    public func createTopic(_ name: String, configuration: TopicConfiguration) async throws {
        guard Self.isValidName(name), configuration.partitions > 0 else { throw EventLogError.invalidTopicName(name) }
        try topics.withLock { (topics: inout [String: TopicState]) throws(EventLogError) in
            guard topics[name] == nil else { return }
            let topicDirectory = "\(directory)/topics/\(name)"
            try io(FileIO.makeDirectory(topicDirectory))
            let state = try Self.openTopic(name, configuration: configuration, root: directory, options: options, metrics: metrics) { _ in }
            try io(FileIO.writeAtomically(TopicConfigurationFile.encode(configuration), to: "\(topicDirectory)/topic.conf"))
            topics[name] = state
        }
    }

    public func topicNames() async throws -> [String] {
        topics.withLock { $0.keys.sorted() }
    }

    private func topic(_ name: String) throws(EventLogError) -> TopicState {
        guard !isClosed.load(ordering: .acquiring) else { throw EventLogError.closed }
        guard let state = topics.withLock({ $0[name] }) else { throw EventLogError.unknownTopic(name) }
        return state
    }

    public func describe(topic name: String) async throws -> [PartitionStatus] {
        try topic(name).partitions.map(\.status)
    }

    public func append(topic name: String, records: [ProducerRecord]) async throws -> [RecordPosition] {
        guard !records.isEmpty else { return [] }
        let state = try topic(name)
        let now = Timestamp.now().microsecondsSinceEpoch
        let count = state.configuration.partitions
        var grouped: [Int32: [(record: ProducerRecord, time: Int64)]] = [:]
        var partitionOfRecord: [Int32] = []
        partitionOfRecord.reserveCapacity(records.count)
        var bytes = 0
        for record in records {
            let size = RecordBatch.recordSize(keyCount: record.key.count, valueCount: record.value.count)
            guard size <= options.maxRecordBytes else { throw EventLogError.recordTooLarge(bytes: size, limit: options.maxRecordBytes) }
            bytes += size
            let partition = Partitioner.partition(forKey: record.key, partitions: count)
            partitionOfRecord.append(partition)
            grouped[partition, default: []].append((record, record.timestamp?.microsecondsSinceEpoch ?? now))
        }
        await budget.acquire(bytes)
        defer { budget.release(bytes) }
        let started = MonotonicClock.nowNanoseconds()
        let bases = try await withThrowingTaskGroup(of: (Int32, Int64).self) { group in
            for (partition, batch) in grouped {
                let log = state.partitions[Int(partition)]
                group.addTask { [pool] in
                    (partition, try await pool.runIfActive { try log.append(batch) })
                }
            }
            var bases: [Int32: Int64] = [:]
            for try await (partition, base) in group { bases[partition] = base }
            return bases
        }
        state.appendDuration.recordNanoseconds(Int64(MonotonicClock.nowNanoseconds() - started))
        state.appendedRecords.increment(by: records.count)
        state.appendedBytes.increment(by: bytes)
        var next = bases
        return partitionOfRecord.map { partition in
            let offset = next[partition]!
            next[partition] = offset + 1
            return RecordPosition(partition: partition, offset: offset)
        }
    }

    public func read(_ partition: TopicPartition, from offset: Int64, maxRecords: Int, maxBytes: Int) async throws -> [LogRecord] {
        let state = try topic(partition.topic)
        guard partition.partition >= 0, Int(partition.partition) < state.partitions.count else {
            throw EventLogError.unknownPartition(partition)
        }
        let log = state.partitions[Int(partition.partition)]
        return try await pool.runIfActive { try log.read(from: offset, maxRecords: maxRecords, maxBytes: maxBytes) }
    }

    public func committedOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        offsets.offsets(group: group, topic: topic)
    }

    public func commit(group: String, offsets committed: [TopicPartition: Int64]) async throws {
        guard !isClosed.load(ordering: .acquiring) else { throw EventLogError.closed }
        try await pool.runIfActive { [offsets] in try offsets.commit(group: group, offsets: committed) }
    }

    public func groupNames() async throws -> [String] {
        offsets.groupNames
    }

    public func enforceRetention(now: Timestamp) async throws -> RetentionReport {
        // `audit` is kept whatever its topic.conf says (logs created before this rule gave it the platform's).
        let all = topics.withLock { $0.filter { $0.key != Topic.audit.rawValue }.map(\.value) }
        var total = RetentionReport()
        for state in all {
            for partition in state.partitions {
                let report = try partition.enforce(state.configuration.retention, now: now)
                total.segmentsRemoved += report.segmentsRemoved
                total.bytesRemoved += report.bytesRemoved
                total.recordsRemoved += report.recordsRemoved
            }
        }
        if total.segmentsRemoved > 0 {
            logger.info(
                "retention removed segments",
                metadata: [
                    "segments": "\(total.segmentsRemoved)", "bytes": "\(total.bytesRemoved)", "records": "\(total.recordsRemoved)",
                ])
        }
        return total
    }

    /// Syncs every partition, refuses further appends and releases the directory lock.
    /// The partitions whose acknowledged data is damaged (found on open): each stops taking appends, the
    /// others go on; `/health` reports them until `csic log repair`.
    public func damage() async -> [String] {
        recoveryReports.filter { !$0.isTornTail }.map(\.description) + missingRecords
    }

    public func close() async throws {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let all = topics.withLock { Array($0.values) }
        for state in all {
            for partition in state.partitions { try partition.close() }
        }
        lock.release()
        try? await pool.shutdownGracefully()
    }
}

/// `topic.conf`: `partitions=N`, `retention_age_seconds=S`, `retention_bytes=B`, one per line.
enum TopicConfigurationFile {
    static func encode(_ configuration: TopicConfiguration) -> [UInt8] {
        var text = "partitions=\(configuration.partitions)\n"
        if let age = configuration.retention.maxAgeSeconds { text += "retention_age_seconds=\(age)\n" }
        if let bytes = configuration.retention.maxBytesPerPartition { text += "retention_bytes=\(bytes)\n" }
        return Array(text.utf8)
    }

    static func decode(_ bytes: [UInt8], path: String) throws(EventLogError) -> TopicConfiguration {
        var configuration = TopicConfiguration(partitions: 0)
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int64(parts[1]) else {
                throw EventLogError.corruptSegment(path: path, position: 0, reason: "bad line: \(line)")
            }
            switch parts[0] {
            case "partitions": configuration.partitions = Int32(clamping: value)
            case "retention_age_seconds": configuration.retention.maxAgeSeconds = value
            case "retention_bytes": configuration.retention.maxBytesPerPartition = value
            default: throw EventLogError.corruptSegment(path: path, position: 0, reason: "unknown key: \(parts[0])")
            }
        }
        guard configuration.partitions > 0 else {
            throw EventLogError.corruptSegment(path: path, position: 0, reason: "no partitions")
        }
        return configuration
    }
}
