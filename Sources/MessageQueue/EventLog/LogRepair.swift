import CSICCore
import DurableFiles

#if canImport(Glibc)
    import Glibc
#endif

/// `csic log repair`: what an operator runs, knowingly, on a stopped log whose partition is damaged (bad
/// bytes before acknowledged batches, or a whole last batch that fails its check; see
/// ``RecoveryReport/isTornTail``). Nothing is deleted: the damaged
/// bytes are copied into `<log>/quarantine/<topic>/<partition>/` (synced) before the segment is rewritten
/// without them, and in their place goes a batch of
/// placeholder records (key ``quarantinedKey``, empty value) that keeps every offset: the records after the
/// damage keep theirs, no offset is ever reused, and each engine sees the lost records and dead-letters them.
public enum LogRepair {
    /// The key of a placeholder record standing for a record lost to damage.
    public static let quarantinedKey = "csic:quarantined"

    /// One repaired stretch of a segment.
    public struct Action: Sendable, Hashable, Encodable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32
        public var segment: String
        /// Where the damaged bytes started and how many there were.
        public var damagedAt: Int64
        public var damagedBytes: Int64
        /// The offsets they held, now placeholder records.
        public var lostOffsets: Range<Int64>
        public var quarantine: String
        public var reason: String

        public var description: String {
            "\(topic)/\(partition): \(damagedBytes) bytes of \(segment) from byte \(damagedAt) (\(reason)) moved to \(quarantine); "
                + "offsets \(lostOffsets.lowerBound)..<\(lostOffsets.upperBound) are placeholders"
        }
    }

    /// Repairs every damaged partition of the log in `directory`; the log must not be open (its lock is taken).
    public static func repair(directory: String, now: Timestamp = .now()) throws -> [Action] {
        let lock = try DirectoryLock(path: "\(directory)/LOCK")
        defer { lock.release() }
        var actions: [Action] = []
        for topic in FileIO.list("\(directory)/topics") where FileIO.exists("\(directory)/topics/\(topic)/topic.conf") {
            for name in FileIO.list("\(directory)/topics/\(topic)") {
                guard let partition = Int32(name) else { continue }
                let partitionDirectory = "\(directory)/topics/\(topic)/\(name)"
                guard let last = FileIO.list(partitionDirectory).filter({ $0.hasSuffix(".log") }).last, let base = Int64(last.dropLast(4))
                else { continue }
                let path = "\(partitionDirectory)/\(last)"
                // A segment may be damaged in several places: one stretch at a time, until none is left.
                for _ in 0..<1_000 {
                    guard
                        let action = try repairFirstDamage(
                            path: path, baseOffset: base, topicPartition: TopicPartition(topic: topic, partition: partition),
                            quarantineDirectory: "\(directory)/quarantine/\(topic)/\(name)", now: now)
                    else { break }
                    actions.append(action)
                }
            }
        }
        return actions
    }

    private static func repairFirstDamage(
        path: String, baseOffset: Int64, topicPartition: TopicPartition, quarantineDirectory: String, now: Timestamp
    ) throws -> Action? {
        let file = SegmentFile(path: path, fd: try io(FileIO.open(path, flags: O_RDWR)), baseOffset: baseOffset)
        let size = try io(FileIO.size(file.fd, path: path))
        let (segment, report) = try PartitionLog.scan(file, size: size, topicPartition: topicPartition)
        guard let report, !report.isTornTail else { return nil }
        let bytes = try io(FileIO.read(file.fd, count: Int(size), at: 0, path: path))
        let resume = report.validBatchFollowsAt ?? size
        let nextBase = bytes.withUnsafeBytes { raw -> Int64 in
            if resume < size {
                guard
                    case .header(let header) = RecordBatch.parseHeader(UnsafeRawBufferPointer(rebasing: raw[Int(resume)...]), verify: true)
                else { return segment.endOffset }
                return header.baseOffset
            }
            // Damage at the end: the records the damaged batch's header claims (when it still says where it
            // starts) keep their offsets as placeholders.
            let damagedBytes = Int(size - report.validBytes)
            guard
                case .header(let header) = RecordBatch.parseHeader(
                    UnsafeRawBufferPointer(rebasing: raw[Int(report.validBytes)...]), verify: false),
                header.baseOffset == segment.endOffset, Int(header.count) <= damagedBytes / 16
            else { return segment.endOffset }
            return segment.endOffset + Int64(header.count)
        }
        let damaged = Array(bytes[Int(report.validBytes)..<Int(resume)])
        let quarantine = "\(quarantineDirectory)/\(last(path))-from-byte-\(report.validBytes)-\(now.microsecondsSinceEpoch).bad"
        try io(FileIO.makeDirectory(quarantineDirectory))
        try io(FileIO.writeAtomically(damaged, to: quarantine))
        let lost = segment.endOffset..<nextBase
        // The repaired segment replaces the old one atomically (temp file, fsync, rename): a crash during the
        // repair leaves either file whole, never a mix.
        var repaired = Array(bytes[..<Int(report.validBytes)])
        if !lost.isEmpty {
            let placeholder = (record: ProducerRecord(key: quarantinedKey, value: []), time: now.microsecondsSinceEpoch)
            RecordBatch.encode(baseOffset: lost.lowerBound, records: Array(repeating: placeholder, count: lost.count), into: &repaired)
        }
        repaired += bytes[Int(resume)...]
        try io(FileIO.writeAtomically(repaired, to: path))
        return Action(
            topic: topicPartition.topic, partition: topicPartition.partition, segment: path, damagedAt: report.validBytes,
            damagedBytes: Int64(damaged.count), lostOffsets: lost, quarantine: quarantine, reason: report.reason)
    }

    private static func last(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
