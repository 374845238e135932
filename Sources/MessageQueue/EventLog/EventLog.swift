import DurableFiles
import CSICCore

/// A record to append: the key chooses the partition, the value is opaque bytes (protobuf on CSIC topics).
public struct ProducerRecord: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The event time; the append time when `nil`.
    public var timestamp: Timestamp?

    public init(key: [UInt8], value: [UInt8], timestamp: Timestamp? = nil) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    /// A record keyed by UTF-8 text.
    public init(key: String, value: [UInt8], timestamp: Timestamp? = nil) {
        self.init(key: Array(key.utf8), value: value, timestamp: timestamp)
    }
}

/// A topic partition.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)/\(partition)" }
}

/// A record read back from the log.
public struct LogRecord: Sendable, Hashable, LoggedRecord {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The time given by the producer, or the append time.
    public var timestamp: Timestamp
    public var key: [UInt8]
    public var value: [UInt8]

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Timestamp, key: [UInt8], value: [UInt8]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// Where an appended record landed.
public struct RecordPosition: Sendable, Hashable {
    public var partition: Int32
    public var offset: Int64

    public init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}

/// The extent of one partition.
public struct PartitionStatus: Sendable, Hashable, Codable {
    public var partition: Int32
    /// The first offset still held (earlier ones were removed by retention).
    public var startOffset: Int64
    /// The offset the next record will get.
    public var endOffset: Int64
    public var sizeBytes: Int64

    public init(partition: Int32, startOffset: Int64, endOffset: Int64, sizeBytes: Int64) {
        self.partition = partition
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.sizeBytes = sizeBytes
    }
}

/// How long a topic keeps its records.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    /// Records older than this (by their newest record's time, per segment) are removed; `nil` keeps forever.
    public var maxAgeSeconds: Int64?
    /// Oldest segments are removed while a partition is larger than this; `nil` for no limit.
    public var maxBytesPerPartition: Int64?
    /// Whether a segment past the policy is removed even though a consumer group has not read all of it (the
    /// operator's explicit choice; by default it is kept and reported).
    public var removesUnconsumed: Bool

    public init(maxAgeSeconds: Int64? = nil, maxBytesPerPartition: Int64? = nil, removesUnconsumed: Bool = false) {
        self.maxAgeSeconds = maxAgeSeconds
        self.maxBytesPerPartition = maxBytesPerPartition
        self.removesUnconsumed = removesUnconsumed
    }

    /// Keep everything.
    public static let forever = RetentionPolicy()
}

/// The settings of one topic.
public struct TopicConfiguration: Sendable, Hashable, Codable {
    public var partitions: Int32
    public var retention: RetentionPolicy

    public init(partitions: Int32, retention: RetentionPolicy = .forever) {
        self.partitions = partitions
        self.retention = retention
    }
}

extension TopicConfiguration {
    /// Whether `name` can name a topic or a consumer group on every backend: letters, digits, `_`, `-`, `.`,
    /// at most 200 bytes, not `.` or `..` (the embedded log makes directories of them).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && name != "." && name != ".."
            && name.utf8.allSatisfy {
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 || $0 == 46
            }
    }
}

/// What retention removed.
public struct RetentionReport: Sendable, Hashable {
    public var segmentsRemoved: Int
    public var bytesRemoved: Int64
    public var recordsRemoved: Int64
    /// Segments past the policy kept because a consumer group has not read them yet (unless the topic's
    /// policy says ``RetentionPolicy/removesUnconsumed``), one line per partition saying which group.
    public var keptUnconsumed: [String] = []

    public init(segmentsRemoved: Int = 0, bytesRemoved: Int64 = 0, recordsRemoved: Int64 = 0) {
        self.segmentsRemoved = segmentsRemoved
        self.bytesRemoved = bytesRemoved
        self.recordsRemoved = recordsRemoved
    }
}

/// The durable, partitioned, replayable log every CSIC component talks through.
///
/// Backends: ``EmbeddedEventLog`` (segment files, the default) and Kafka (behind the `Kafka` trait).
/// Every backend passes the shared conformance suite in `EventLogTests`.
///
/// Contract:
/// - `append` returns only when the records are durable under the backend's sync policy, and the
///   records of one call that share a partition keep their order.
/// - Records are visible to readers only once durable; offsets per partition are dense and increasing.
/// - A consumer group's committed offsets survive a restart.
public protocol EventLog: Sendable {
    /// Creates the topic if it does not exist; an existing topic keeps its partition count.
    func createTopic(_ name: String, configuration: TopicConfiguration) async throws

    /// The names of all topics.
    func topicNames() async throws -> [String]

    /// The partitions of a topic and their extents.
    func describe(topic: String) async throws -> [PartitionStatus]

    /// Appends records, partitioned by key hash; returns each record's position, in input order.
    func append(topic: String, records: [ProducerRecord]) async throws -> [RecordPosition]

    /// Reads up to `maxRecords` durable records of one partition starting at `offset`.
    /// Reading below the start offset throws ``EventLogError/offsetOutOfRange(_:requested:start:end:)``.
    func read(_ partition: TopicPartition, from offset: Int64, maxRecords: Int, maxBytes: Int) async throws -> [LogRecord]

    /// The committed offsets (the next offset to consume) of a group for a topic.
    func committedOffsets(group: String, topic: String) async throws -> [Int32: Int64]

    /// Durably records a group's progress.
    func commit(group: String, offsets: [TopicPartition: Int64]) async throws

    /// The groups that have committed offsets.
    func groupNames() async throws -> [String]

    /// Applies each topic's retention policy now.
    func enforceRetention(now: Timestamp) async throws -> RetentionReport

    /// What is damaged and not serving (a partition whose acknowledged data is corrupt), for `/health`.
    func damage() async -> [String]

    /// Makes everything durable and releases the backend; later calls fail with ``EventLogError/closed``.
    func close() async throws

    /// A member of consumer group `group` reading `topics`, for a stream processor (``LogConsumer`` unless the
    /// backend has group membership of its own).
    func groupConsumer(group: String, topics: [String]) async throws -> any GroupConsumer
}

/// Errors of the event log.
public enum EventLogError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownTopic(String)
    case invalidTopicName(String)
    case unknownPartition(TopicPartition)
    case offsetOutOfRange(TopicPartition, requested: Int64, start: Int64, end: Int64)
    case recordTooLarge(bytes: Int, limit: Int)
    case corruptSegment(path: String, position: Int64, reason: String)
    case io(operation: String, path: String, errno: Int32)
    case closed
    /// The partition takes no appends: a write or fsync failed earlier (until a restart recovers what was
    /// synced), or its acknowledged data is damaged (until `csic log repair`); `reason` says which.
    case writeFailed(path: String, reason: String)
    /// Another process has the embedded log open.
    case locked(path: String)
    /// A remote backend (Kafka) failed or could not be reached; `reason` is its own error text.
    case unavailable(operation: String, reason: String)

    public var description: String {
        switch self {
        case .unknownTopic(let topic): "unknown topic \(topic)"
        case .invalidTopicName(let name): "invalid topic name \(name): use letters, digits, '_', '-', '.'"
        case .unknownPartition(let tp): "unknown partition \(tp)"
        case .offsetOutOfRange(let tp, let requested, let start, let end):
            "offset \(requested) out of range for \(tp) (start \(start), end \(end))"
        case .recordTooLarge(let bytes, let limit): "record of \(bytes) bytes exceeds the limit of \(limit)"
        case .corruptSegment(let path, let position, let reason): "corrupt segment \(path) at byte \(position): \(reason)"
        case .io(let operation, let path, let errno): "\(operation) \(path) failed: errno \(errno)"
        case .closed: "the event log is closed"
        case .writeFailed(let path, let reason): "\(path) takes no appends: \(reason)"
        case .locked(let path): "\(path) is locked: another csic process has this data directory open"
        case .unavailable(let operation, let reason): "\(operation) failed: \(reason)"
        }
    }
}

extension EventLog {
    /// Creates every CSIC topic with the given partition count (one for `audit`, whose order is global) and
    /// retention. `audit` is never subject to retention: a stalled audit engine must not lose records.
    public func createPlatformTopics(partitions: Int32, retention: RetentionPolicy = .forever) async throws {
        for topic in Topic.allCases {
            try await createTopic(
                topic.rawValue,
                configuration: TopicConfiguration(
                    partitions: topic == .audit ? 1 : partitions, retention: topic == .audit ? .forever : retention))
        }
    }

    public func groupConsumer(group: String, topics: [String]) async throws -> any GroupConsumer {
        try await LogConsumer(log: self, group: group, topics: topics)
    }

    /// Appends to a platform topic.
    @discardableResult
    public func append(_ topic: Topic, records: [ProducerRecord]) async throws -> [RecordPosition] {
        try await append(topic: topic.rawValue, records: records)
    }

    /// The records not yet consumed by a group, per partition.
    public func lag(group: String, topic: String) async throws -> [Int32: Int64] {
        let committed = try await committedOffsets(group: group, topic: topic)
        var lag: [Int32: Int64] = [:]
        for status in try await describe(topic: topic) {
            let position = max(committed[status.partition] ?? status.startOffset, status.startOffset)
            lag[status.partition] = max(0, status.endOffset - position)
        }
        return lag
    }
}

/// Runs file calls, reporting their failure as ``EventLogError/io(operation:path:errno:)``.
func io<Result>(_ body: @autoclosure () throws(FileIOError) -> Result) throws(EventLogError) -> Result {
    do {
        return try body()
    } catch {
        throw .io(operation: error.operation, path: error.path, errno: error.errno)
    }
}
