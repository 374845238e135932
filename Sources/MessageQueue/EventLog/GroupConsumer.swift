import CSICCore

/// One member of a consumer group, as a stream processor reads through it: ``LogConsumer`` on the embedded
/// log (the only member, holding every partition), `KafkaGroupConsumer` on Kafka (partitions shared among
/// the group's members and moved between them by rebalances).
///
/// The processor's rule: commit a batch's positions only after its effects are durable; when
/// ``revocationPending`` is set, finish and commit the batch in flight, then call ``finishRevocation()``
/// before polling again, so that the member taking the partitions over starts where this one stopped.
public protocol GroupConsumer: Sendable {
    var group: String { get }
    /// The next offset to read per partition this member holds.
    var positions: [TopicPartition: Int64] { get }
    /// Returns up to `maxRecords` records, waiting up to `timeout` for the first one.
    mutating func poll(maxRecords: Int, maxBytes: Int, timeout: Duration) async throws -> [LogRecord]
    /// Durably records `offsets` (positions taken after a batch) as the group's progress.
    func commit(_ offsets: [TopicPartition: Int64]) async throws
    /// Whether the group is taking partitions away from this member.
    var revocationPending: Bool { get }
    /// Gives the revoked partitions up (after the batch in flight is committed).
    mutating func finishRevocation() async throws
    /// Records this member found removed by the log's retention before its group read them (never read, never
    /// processed: the operator must know).
    var skippedByRetention: Int64 { get }
    /// Records not yet read by this member, per partition it holds.
    func lag() async throws -> [TopicPartition: Int64]
    /// Leaves the group.
    func close() async
}

extension GroupConsumer {
    public mutating func poll(maxRecords: Int, timeout: Duration) async throws -> [LogRecord] {
        try await poll(maxRecords: maxRecords, maxBytes: 8 << 20, timeout: timeout)
    }
}

extension LogConsumer: GroupConsumer {
    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        try await log.commit(group: group, offsets: offsets)
    }

    /// The only member of its group: nothing is ever taken away.
    public var revocationPending: Bool { false }

    public mutating func finishRevocation() async throws {}

    public func close() async {}
}
