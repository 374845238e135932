import CSICCore
/// Reads a set of topics as one consumer group, from the group's committed offsets, round-robin over partitions.
///
/// A value type owned by one task. `poll` advances the in-memory positions; `commit` makes them durable.
/// The stream runtime commits only after a batch's effects are durable (at-least-once delivery).
///
/// ```swift
/// var consumer = try await LogConsumer(log: log, group: "transaction-engine", topics: ["transactions"])
/// let batch = try await consumer.poll(maxRecords: 1000, timeout: .milliseconds(200))
/// // ... apply effects durably ...
/// try await consumer.commit()
/// ```
public struct LogConsumer: Sendable {
    public let group: String
    public let topics: [String]
    let log: any EventLog
    /// The next offset to read per partition.
    public private(set) var positions: [TopicPartition: Int64] = [:]
    private var partitions: [TopicPartition] = []
    private var cursor = 0
    /// Records skipped because retention removed them before this group read them.
    public private(set) var skippedByRetention: Int64 = 0

    public init(log: any EventLog, group: String, topics: [String]) async throws {
        self.log = log
        self.group = group
        self.topics = topics
        try await refreshPartitions()
    }

    /// Picks up partitions (and topics) that appeared since the last call.
    private mutating func refreshPartitions() async throws {
        for topic in topics {
            let committed = try await log.committedOffsets(group: group, topic: topic)
            for status in try await log.describe(topic: topic) {
                let tp = TopicPartition(topic: topic, partition: status.partition)
                if positions[tp] == nil {
                    positions[tp] = committed[status.partition] ?? status.startOffset
                    partitions.append(tp)
                }
            }
        }
    }

    /// Returns up to `maxRecords` records, waiting up to `timeout` for the first one.
    public mutating func poll(maxRecords: Int, maxBytes: Int = 8 << 20, timeout: Duration) async throws -> [LogRecord] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var backoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(5))
        while true {
            var records: [LogRecord] = []
            var visited = 0
            while visited < partitions.count, records.count < maxRecords {
                let tp = partitions[cursor]
                cursor = (cursor + 1) % partitions.count
                visited += 1
                records += try await read(tp, maxRecords: maxRecords - records.count, maxBytes: maxBytes)
            }
            if !records.isEmpty { return records }
            try await refreshPartitions()
            guard clock.now < deadline else { return [] }
            try await Task.sleep(for: min(backoff.next(), deadline - clock.now))
        }
    }

    private mutating func read(_ tp: TopicPartition, maxRecords: Int, maxBytes: Int) async throws -> [LogRecord] {
        let position = positions[tp]!
        do {
            let records = try await log.read(tp, from: position, maxRecords: maxRecords, maxBytes: maxBytes)
            if let last = records.last { positions[tp] = last.offset + 1 }
            return records
        } catch EventLogError.offsetOutOfRange(_, let requested, let start, _) {
            if requested < start {
                skippedByRetention += start - requested
                positions[tp] = start
            }
            // A position past the end is not moved back: the records up to it were read, and the log lost them
            // (the embedded log then takes no appends there, and reports it); nothing is read twice.
            return []
        } catch EventLogError.corruptSegment {
            // Damaged bytes at this position: the log reports them and the partition waits here for the repair
            // while the other partitions go on.
            return []
        }
    }

    /// Moves a partition's position (replay from an offset).
    public mutating func seek(_ tp: TopicPartition, to offset: Int64) {
        if positions[tp] == nil { partitions.append(tp) }
        positions[tp] = offset
    }

    /// Durably commits the current positions.
    public func commit() async throws {
        try await log.commit(group: group, offsets: positions)
    }

    /// Records not yet read by this consumer, per partition.
    public func lag() async throws -> [TopicPartition: Int64] {
        var lag: [TopicPartition: Int64] = [:]
        for topic in topics {
            for status in try await log.describe(topic: topic) {
                let tp = TopicPartition(topic: topic, partition: status.partition)
                lag[tp] = max(0, status.endOffset - max(positions[tp] ?? status.startOffset, status.startOffset))
            }
        }
        return lag
    }
}
