import Crypto

/// Input that was rejected, kept with its raw bytes and the reason so that nothing is dropped silently.
public struct DeadLetter: DomainEvent, Hashable, Codable {
    /// How many bytes of a rejected input a source keeps by default (`dead_letter_max_bytes` of an adapter);
    /// a larger input keeps its first bytes, and the reason gives its whole length and SHA-256.
    public static let defaultMaxPayloadBytes = 1 << 20
    /// The most a source may be configured to keep: a dead letter must fit a log record (4 MiB).
    public static let maxPayloadBytesLimit = 3 << 20

    /// Where the input came from: an adapter name or `<topic>` for events rejected by an engine.
    public var source: String
    /// The topic the input was read from or meant for.
    public var topic: String
    /// Partition and offset of the rejected record, when it came from the log.
    public var partition: Int32?
    public var offset: Int64?
    /// The key of the rejected record, if any.
    public var key: [UInt8]
    /// The rejected bytes, unchanged.
    public var payload: [UInt8]
    public var reasonCode: ValidationError.Code
    public var reason: String
    /// The consumer group or adapter that rejected it.
    public var rejectedBy: String
    public var time: Timestamp

    public init(
        source: String, topic: String, partition: Int32?, offset: Int64?, key: [UInt8], payload: [UInt8], reasonCode: ValidationError.Code,
        reason: String, rejectedBy: String, time: Timestamp
    ) {
        self.source = source
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.payload = payload
        self.reasonCode = reasonCode
        self.reason = reason
        self.rejectedBy = rejectedBy
        self.time = time
    }

    /// Deterministic, so a replay of the same rejection is one dead letter: `dl:<rejectedBy>:<topic>:<partition>:<offset>`
    /// for a log record; for input that never reached the log (a node's answer an adapter rejected),
    /// `dl:<rejectedBy>:<source>:` and 128 bits of the SHA-256 of what was rejected and why — never a clock.
    public var eventID: String {
        if let partition, let offset { return "dl:\(rejectedBy):\(topic):\(partition):\(offset)" }
        var hasher = SHA256()
        for part in [Array(rejectedBy.utf8), Array(source.utf8), Array(topic.utf8), key, payload, Array(reason.utf8)] {
            hasher.update(data: withUnsafeBytes(of: UInt64(part.count).bigEndian) { Array($0) })
            hasher.update(data: part)
        }
        return "dl:\(rejectedBy):\(source):" + Hex.encode(hasher.finalize().prefix(16))
    }

    /// A dead letter for a log record that `group` rejected: its position, key and bytes, and the reason.
    public init(rejecting record: some LoggedRecord, by group: String, error: ValidationError, now: Timestamp = .now()) {
        self.init(
            source: record.topic, topic: record.topic, partition: record.partition, offset: record.offset,
            key: record.key, payload: record.value, reasonCode: error.code, reason: error.description,
            rejectedBy: group, time: now)
    }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(source, "source")
        try Check.nonEmpty(topic, "topic")
        try Check.nonEmpty(reason, "reason")
        try Check.nonEmpty(rejectedBy, "rejected_by")
    }
}

/// A record read from a topic of the event log, as far as a dead letter needs to name it.
public protocol LoggedRecord {
    var topic: String { get }
    var partition: Int32 { get }
    var offset: Int64 { get }
    var key: [UInt8] { get }
    var value: [UInt8] { get }
}
