import CSICCore
import EventLog

/// A range of every partition of a topic read back in the order it was appended: the partitions merged by record
/// time (an append's records share it), then partition and offset. Batches end between two appends where they can,
/// so that one append's records (an adapter's block) are analysed together, as the live engine's batch arranges
/// them; an append larger than four batches is cut.
struct AppendOrderReader {
    let log: any EventLog
    let topic: String
    let batchSize: Int
    private var next: [Int32: Int64]
    private let end: [Int32: Int64]
    private var buffered: [Int32: ArraySlice<LogRecord>] = [:]

    /// Offsets `from` up to `to` (exclusive; default the end) of every partition, as `ranges` describes them.
    static func open(_ log: any EventLog, topic: String, from: Int64, to: Int64?, batchSize: Int) async throws -> (Self, ranges: [String]) {
        var next: [Int32: Int64] = [:]
        var end: [Int32: Int64] = [:]
        var ranges: [String] = []
        for status in try await log.describe(topic: topic) {
            let first = max(from, status.startOffset)
            next[status.partition] = first
            end[status.partition] = max(first, min(to ?? status.endOffset, status.endOffset))
            ranges.append("\(status.partition): \(first)..\(end[status.partition]!)")
        }
        return (Self(log: log, topic: topic, batchSize: max(1, batchSize), next: next, end: end), ranges)
    }

    private init(log: any EventLog, topic: String, batchSize: Int, next: [Int32: Int64], end: [Int32: Int64]) {
        self.log = log
        self.topic = topic
        self.batchSize = batchSize
        self.next = next
        self.end = end
    }

    /// The next batch in append order; empty at the end of the range.
    mutating func nextBatch() async throws -> [LogRecord] {
        var batch: [LogRecord] = []
        while let partition = try await earliest() {
            let record = buffered[partition]!.first!
            if batch.count >= batchSize * 4 || (batch.count >= batchSize && record.timestamp != batch.last?.timestamp) { break }
            batch.append(record)
            buffered[partition]!.removeFirst()
        }
        return batch
    }

    /// The partition whose next record was appended first, its buffer filled; nil when every partition is done.
    private mutating func earliest() async throws -> Int32? {
        var best: (partition: Int32, timestamp: Timestamp)?
        for partition in next.keys.sorted() {
            if buffered[partition]?.isEmpty ?? true {
                guard next[partition]! < end[partition]! else { continue }
                let records = try await log.read(
                    TopicPartition(topic: topic, partition: partition), from: next[partition]!,
                    maxRecords: Int(min(Int64(batchSize), end[partition]! - next[partition]!)), maxBytes: 32 << 20)
                next[partition] = records.last.map { $0.offset + 1 } ?? end[partition]!
                buffered[partition] = records[...]
                if records.isEmpty { continue }
            }
            let head = buffered[partition]!.first!
            if best == nil || head.timestamp < best!.timestamp { best = (partition, head.timestamp) }
        }
        return best?.partition
    }
}
