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
    /// What recovery found in segments when the log was opened: torn tails it cut, damage it kept.
    public let recoveryReports: [RecoveryReport]

    private let logger: Logger
    private let metrics: any MetricsFactory
    private let topics: Mutex<[String: TopicState]>
    private let offsets: OffsetStore
    private let budget: PendingBytesBudget
    private let pool: NIOThreadPool
    private let lock: DirectoryLock
    private let isClosed = Atomic<Bool>(false)
    private let damageCount: DamageCount

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
        damageCount = DamageCount(metrics: metrics)
        var reports: [RecoveryReport] = []
        var loaded: [String: TopicState] = [:]
        var unconfigured: [String] = []
        for name in FileIO.list("\(directory)/topics") {
            let topicDirectory = "\(directory)/topics/\(name)"
            let confPath = "\(topicDirectory)/topic.conf"
            var configuration: TopicConfiguration
            if FileIO.exists(confPath) {
                configuration = try TopicConfigurationFile.decode(FileIO.readFile(confPath), path: confPath)
            } else {
                // createTopic writes topic.conf last: without it and without records, the creation never
                // finished. With records, the file was lost: the topic is served from its directories,
                // takes no appends, and `csic log repair` writes the file again.
                guard let inferred = TopicConfigurationFile.inferred(topicDirectory: topicDirectory) else { continue }
                configuration = inferred
                unconfigured.append(
                    "\(name): \(confPath) is missing but the topic holds records; served as \(inferred.partitions) partitions "
                        + "from its directories, no appends until `csic log repair` writes the file again")
            }
            loaded[name] = try Self.openTopic(
                name, configuration: configuration, root: directory, options: options, create: false, damage: damageCount,
                metrics: metrics
            ) { reports.append($0) }
        }
        for problem in unconfigured {
            let name = String(problem.prefix { $0 != ":" })
            for partition in loaded[name]?.partitions ?? [] { partition.stopAppends(problem) }
        }
        for report in reports where report.isTornTail {
            logger.warning("event log recovery truncated a torn tail", metadata: ["report": "\(report)"])
        }
        recoveryReports = reports
        // A group that committed past a partition's end read records the partition no longer has: they were
        // lost (a segment removed by hand, a restored backup). The partition takes no appends, so no new record
        // can take a lost record's offset and be skipped by that group as already read.
        for group in offsets.groupNames {
            for (name, state) in loaded {
                for (partition, committed) in offsets.offsets(group: group, topic: name) {
                    guard let log = state.partitions.first(where: { $0.topicPartition.partition == partition }) else { continue }
                    let end = log.status.endOffset
                    guard committed > end else { continue }
                    log.stopAppends(
                        "\(name)/\(partition): group \(group) committed offset \(committed) but the log ends at \(end): "
                            + "\(committed - end) acknowledged records are missing; the partition takes no appends")
                }
            }
        }
        for problem in loaded.values.flatMap({ $0.partitions.flatMap(\.problems) }) {
            logger.critical("event log partition damaged; it takes no appends until repaired", metadata: ["problem": "\(problem)"])
        }
        topics = Mutex(loaded)
        pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    static func openTopic(
        _ name: String, configuration: TopicConfiguration, root: String, options: EmbeddedLogOptions, create: Bool,
        damage: DamageCount, metrics: any MetricsFactory, report: (RecoveryReport) -> Void
    ) throws(EventLogError) -> TopicState {
        var partitions: [PartitionLog] = []
        for partition in 0..<configuration.partitions {
            partitions.append(
                try PartitionLog(
                    topicPartition: TopicPartition(topic: name, partition: partition),
                    directory: "\(root)/topics/\(name)/\(partition)", options: options, create: create, damage: damage,
                    report: report))
        }
        let dimensions = [("topic", name)]
        return TopicState(
            configuration: configuration, partitions: partitions,
            appendedRecords: Counter(label: "csic_log_appended_records_total", dimensions: dimensions, factory: metrics),
            appendedBytes: Counter(label: "csic_log_appended_bytes_total", dimensions: dimensions, factory: metrics),
            appendDuration: Metrics.Timer(label: "csic_log_append_duration_seconds", dimensions: dimensions, factory: metrics))
    }

    /// Topic and group names: letters, digits, `_`, `-`, `.`; 1 to 200 characters.
    static func isValidName(_ name: String) -> Bool { TopicConfiguration.isValidName(name) }

    public func createTopic(_ name: String, configuration: TopicConfiguration) async throws {
        guard Self.isValidName(name), configuration.partitions > 0 else { throw EventLogError.invalidTopicName(name) }
        try topics.withLock { (topics: inout [String: TopicState]) throws(EventLogError) in
            guard topics[name] == nil else { return }
            let topicDirectory = "\(directory)/topics/\(name)"
            try io(FileIO.makeDirectory(topicDirectory))
            let state = try Self.openTopic(
                name, configuration: configuration, root: directory, options: options, create: true, damage: damageCount, metrics: metrics
            ) { _ in }
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
            let readers = offsets.groupNames.compactMap { group -> (String, [Int32: Int64])? in
                let committed = offsets.offsets(group: group, topic: state.partitions[0].topicPartition.topic)
                return committed.isEmpty ? nil : (group, committed)
            }
            for partition in state.partitions {
                let slowest = readers.map { (offset: $0.1[partition.topicPartition.partition] ?? 0, group: $0.0) }.min {
                    $0.offset < $1.offset
                }
                let report = try partition.enforce(state.configuration.retention, now: now, readTo: slowest)
                total.segmentsRemoved += report.segmentsRemoved
                total.bytesRemoved += report.bytesRemoved
                total.recordsRemoved += report.recordsRemoved
                total.keptUnconsumed += report.keptUnconsumed
            }
        }
        for kept in total.keptUnconsumed {
            logger.error("retention kept a segment a consumer group has not read", metadata: ["kept": "\(kept)"])
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

    /// Why partitions take no appends: acknowledged data damaged or missing (found on open or by a read), or
    /// a failed write. The others go on; `/health` reports these until `csic log repair` (or a restart, after
    /// a failed write).
    public func damage() async -> [String] {
        topics.withLock { topics in topics.keys.sorted().flatMap { topics[$0]!.partitions.flatMap(\.problems) } }
    }

    /// Syncs every partition, refuses further appends and releases the directory lock.

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

/// `topic.conf`: `partitions=N`, `retention_age_seconds=S`, `retention_bytes=B`, `retention_removes_unconsumed=1`,
/// one per line.
enum TopicConfigurationFile {
    static func encode(_ configuration: TopicConfiguration) -> [UInt8] {
        var text = "partitions=\(configuration.partitions)\n"
        if let age = configuration.retention.maxAgeSeconds { text += "retention_age_seconds=\(age)\n" }
        if let bytes = configuration.retention.maxBytesPerPartition { text += "retention_bytes=\(bytes)\n" }
        if configuration.retention.removesUnconsumed { text += "retention_removes_unconsumed=1\n" }
        return Array(text.utf8)
    }

    /// The configuration of a topic whose `topic.conf` is missing, from its partition directories (`0`, `1`,
    /// ...), when any of them holds a record; `nil` when none does (a creation that never finished).
    static func inferred(topicDirectory: String) -> TopicConfiguration? {
        let partitions = FileIO.list(topicDirectory).compactMap { Int32($0) }
        let holdsRecords = partitions.contains { partition in
            FileIO.list("\(topicDirectory)/\(partition)").contains { name in
                name.hasSuffix(".log") && (FileIO.fileSize("\(topicDirectory)/\(partition)/\(name)") ?? 0) > 0
            }
        }
        guard holdsRecords, let highest = partitions.max() else { return nil }
        return TopicConfiguration(partitions: highest + 1)
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
            case "retention_removes_unconsumed": configuration.retention.removesUnconsumed = value != 0
            default: throw EventLogError.corruptSegment(path: path, position: 0, reason: "unknown key: \(parts[0])")
            }
        }
        guard configuration.partitions > 0 else {
            throw EventLogError.corruptSegment(path: path, position: 0, reason: "no partitions")
        }
        return configuration
    }
}
