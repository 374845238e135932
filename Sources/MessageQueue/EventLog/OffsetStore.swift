import DurableFiles
import Synchronization

/// Durable committed offsets of consumer groups: one small file per group, replaced atomically.
///
/// File format, one line per partition: `<topic> <partition> <next offset>`.
final class OffsetStore: Sendable {
    let directory: String
    private let groups: Mutex<[String: [TopicPartition: Int64]]>

    init(directory: String, createIfMissing: Bool = true) throws(EventLogError) {
        self.directory = directory
        if createIfMissing { try io(FileIO.makeDirectory(directory)) }
        var loaded: [String: [TopicPartition: Int64]] = [:]
        for name in FileIO.list(directory) where name.hasSuffix(".offsets") {
            let group = String(name.dropLast(8))
            let text = String(decoding: try io(FileIO.readFile("\(directory)/\(name)")), as: UTF8.self)
            var offsets: [TopicPartition: Int64] = [:]
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count == 3, let partition = Int32(fields[1]), let offset = Int64(fields[2]) else {
                    throw EventLogError.corruptSegment(path: "\(directory)/\(name)", position: 0, reason: "bad offsets line: \(line)")
                }
                offsets[TopicPartition(topic: String(fields[0]), partition: partition)] = offset
            }
            loaded[group] = offsets
        }
        groups = Mutex(loaded)
    }

    func offsets(group: String, topic: String) -> [Int32: Int64] {
        groups.withLock { groups in
            var result: [Int32: Int64] = [:]
            for (tp, offset) in groups[group] ?? [:] where tp.topic == topic { result[tp.partition] = offset }
            return result
        }
    }

    var groupNames: [String] { groups.withLock { $0.keys.sorted() } }

    /// Merges and persists; the file is written under the lock so commits of one group stay ordered.
    func commit(group: String, offsets: [TopicPartition: Int64]) throws(EventLogError) {
        guard EmbeddedEventLog.isValidName(group) else { throw EventLogError.invalidTopicName(group) }
        try groups.withLock { (groups: inout [String: [TopicPartition: Int64]]) throws(EventLogError) in
            var merged = groups[group] ?? [:]
            for (tp, offset) in offsets { merged[tp] = offset }
            let text = merged.keys.sorted().map { "\($0.topic) \($0.partition) \(merged[$0]!)\n" }.joined()
            try io(FileIO.writeAtomically(Array(text.utf8), to: "\(directory)/\(group).offsets"))
            groups[group] = merged
        }
    }
}
