import CSICCore
import DurableFiles

#if canImport(Glibc)
    import Glibc
#endif

/// `csic log repair`: what an operator runs, knowingly, on a stopped log whose partition is damaged (see
/// ``PartitionRecovery``). Nothing is deleted: damaged bytes (and an index that disagreed) are copied into
/// `<log>/quarantine/<topic>/<partition>/` (synced) before a file is rewritten without them, and records that
/// are lost — damaged, in a deleted segment, past the end but committed by a group — become placeholder records
/// (key ``quarantinedKey``, empty value) that keep every offset: the records after the damage keep theirs, no
/// offset is ever reused, and each engine sees the lost records and dead-letters them.
///
/// Where the number of lost records is unknown (a missing active segment or partition directory), the
/// placeholders reach the highest offset any group committed: the records past it, if any were acknowledged
/// to a producer and never read, are beyond recovery and the action says so.
public enum LogRepair {
    /// The key of a placeholder record standing for a record lost to damage.
    public static let quarantinedKey = "csic:quarantined"

    /// One repair: a damaged stretch moved aside, a missing file made again, or an index rebuilt.
    public struct Action: Sendable, Hashable, Encodable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32
        /// The file the repair wrote.
        public var segment: String
        /// Where the damaged bytes started and how many there were (0 when a file was missing).
        public var damagedAt: Int64
        public var damagedBytes: Int64
        /// The offsets lost, now placeholder records.
        public var lostOffsets: Range<Int64>
        /// Where the damaged bytes went; `nil` when there were none to keep.
        public var quarantine: String?
        public var reason: String

        public var description: String {
            let moved = quarantine.map { "\(damagedBytes) bytes from byte \(damagedAt) moved to \($0); " } ?? ""
            let placeholders =
                lostOffsets.isEmpty ? "no offset lost" : "offsets \(lostOffsets.lowerBound)..<\(lostOffsets.upperBound) are placeholders"
            return "\(topic)/\(partition): \(segment): \(reason): \(moved)\(placeholders)"
        }
    }

    /// Repairs every damaged partition of the log in `directory`; the log must not be open (its lock is taken).
    public static func repair(directory: String, now: Timestamp = .now()) throws -> [Action] {
        let lock = try DirectoryLock(path: "\(directory)/LOCK")
        defer { lock.release() }
        let offsets = try OffsetStore(directory: "\(directory)/groups", createIfMissing: false)
        var actions: [Action] = []
        for topic in FileIO.list("\(directory)/topics") {
            let topicDirectory = "\(directory)/topics/\(topic)"
            let confPath = "\(topicDirectory)/topic.conf"
            let partitions: Int32
            if FileIO.exists(confPath) {
                partitions = try TopicConfigurationFile.decode(FileIO.readFile(confPath), path: confPath).partitions
            } else {
                guard let inferred = TopicConfigurationFile.inferred(topicDirectory: topicDirectory) else { continue }
                try io(FileIO.writeAtomically(TopicConfigurationFile.encode(inferred), to: confPath))
                partitions = inferred.partitions
                actions.append(
                    Action(
                        topic: topic, partition: -1, segment: confPath, damagedAt: 0, damagedBytes: 0, lostOffsets: 0..<0, quarantine: nil,
                        reason: "topic.conf was missing; written again with \(partitions) partitions and no retention"))
            }
            for partition in 0..<partitions {
                let committed = offsets.groupNames.compactMap { offsets.offsets(group: $0, topic: topic)[partition] }.max() ?? 0
                var repairer = PartitionRepairer(
                    topicPartition: TopicPartition(topic: topic, partition: partition), directory: "\(topicDirectory)/\(partition)",
                    quarantine: "\(directory)/quarantine/\(topic)/\(partition)", committed: committed, now: now)
                actions += try repairer.run()
            }
        }
        return actions
    }
}

/// Repairs one partition, one problem at a time, until it opens clean.
struct PartitionRepairer {
    let topicPartition: TopicPartition
    let directory: String
    let quarantine: String
    /// The highest offset a group committed: records below it were read and must keep their offsets.
    let committed: Int64
    let now: Timestamp

    mutating func run() throws -> [LogRepair.Action] {
        try io(FileIO.makeDirectory(directory))
        var actions: [LogRepair.Action] = []
        // Each pass fixes the first problem; a partition damaged in many places takes many passes.
        for _ in 0..<10_000 {
            guard let action = try repairFirstProblem() else { return actions }
            actions.append(action)
        }
        throw EventLogError.corruptSegment(path: directory, position: 0, reason: "more than 10000 damaged places: repair by hand")
    }

    private func repairFirstProblem() throws -> LogRepair.Action? {
        let bases = FileIO.list(directory).compactMap { name in name.hasSuffix(".log") ? Int64(name.dropLast(4)) : nil }
        var end: Int64 = 0
        for (position, base) in bases.enumerated() {
            let path = SegmentFile.path(directory: directory, baseOffset: base)
            if position > 0, end != base {
                return try writePlaceholderSegment(end..<base, reason: "segment missing")
            }
            let next = position + 1 < bases.count ? bases[position + 1] : nil
            let loaded = try PartitionLog.load(
                path: path, baseOffset: base, writable: true, sealed: next != nil, topicPartition: topicPartition)
            if let report = loaded.recovery {
                if report.isTornTail, next == nil {
                    // Never acknowledged: cut, as opening the log does.
                    try io(FileIO.truncate(loaded.segment.file.fd, to: report.validBytes, path: path))
                    try io(FileIO.sync(loaded.segment.file.fd, path: path))
                    return try repairFirstProblem()
                }
                return try quarantineDamage(loaded.segment, report: report, nextBase: next)
            }
            if loaded.indexProblem != nil { return try rebuildIndex(loaded.segment) }
            end = loaded.segment.endOffset
        }
        if let last = bases.last, FileIO.exists(SegmentFile.indexPath(ofSegment: SegmentFile.path(directory: directory, baseOffset: last)))
        {
            return try writePlaceholderSegment(end..<max(end, committed), reason: "active segment missing")
        }
        if bases.isEmpty { return try writePlaceholderSegment(0..<committed, reason: "partition had no segment") }
        if committed > end {
            return try appendPlaceholders(
                end..<committed, to: SegmentFile.path(directory: directory, baseOffset: bases.last!),
                reason: "records a group committed are missing from the end")
        }
        return nil
    }

    /// Moves the first damaged stretch of a segment to quarantine; placeholders keep the offsets it held.
    private func quarantineDamage(_ segment: Segment, report: RecoveryReport, nextBase: Int64?) throws -> LogRepair.Action {
        let path = segment.file.path
        let size = try io(FileIO.size(segment.file.fd, path: path))
        let bytes = try io(FileIO.read(segment.file.fd, count: Int(size), at: 0, path: path))
        let resume = report.validBatchFollowsAt ?? size
        let resumeOffset = bytes.withUnsafeBytes { raw -> Int64 in
            if resume < size,
                case .header(let header) = RecordBatch.parseHeader(UnsafeRawBufferPointer(rebasing: raw[Int(resume)...]), verify: true)
            {
                return header.baseOffset
            }
            // Damage at the end: the next segment says where it ended; for the last segment, the damaged
            // batch's own header does when it still names where it starts, and the groups' commits do.
            if let nextBase { return nextBase }
            var end = max(segment.endOffset, committed)
            if case .header(let header) = RecordBatch.parseHeader(
                UnsafeRawBufferPointer(rebasing: raw[Int(report.validBytes)...]), verify: false),
                header.baseOffset == segment.endOffset, Int(header.count) <= Int(size - report.validBytes) / 16
            {
                end = max(end, segment.endOffset + Int64(header.count))
            }
            return end
        }
        let damaged = Array(bytes[Int(report.validBytes)..<Int(resume)])
        let kept = try keep(damaged, named: "\(Self.fileName(path))-from-byte-\(report.validBytes)")
        var repaired = Array(bytes[..<Int(report.validBytes)])
        let lost = segment.endOffset..<resumeOffset
        Self.encodePlaceholders(lost, time: now.microsecondsSinceEpoch, into: &repaired)
        repaired += bytes[Int(resume)...]
        // Temp file, fsync, rename: a crash during the repair leaves either file whole, never a mix.
        try io(FileIO.writeAtomically(repaired, to: path))
        if nextBase != nil { try writeIndex(of: path, baseOffset: segment.baseOffset) }
        return LogRepair.Action(
            topic: topicPartition.topic, partition: topicPartition.partition, segment: path, damagedAt: report.validBytes,
            damagedBytes: Int64(damaged.count), lostOffsets: lost, quarantine: kept, reason: report.reason)
    }

    /// Rewrites a sealed segment's index from the verified segment; the old index goes to quarantine.
    private func rebuildIndex(_ segment: Segment) throws -> LogRepair.Action {
        let old = try io(FileIO.readFile(segment.file.indexPath))
        let kept = try keep(old, named: Self.fileName(segment.file.indexPath))
        try io(FileIO.writeAtomically(segment.encodedIndex(), to: segment.file.indexPath))
        return LogRepair.Action(
            topic: topicPartition.topic, partition: topicPartition.partition, segment: segment.file.indexPath, damagedAt: 0,
            damagedBytes: Int64(old.count), lostOffsets: 0..<0, quarantine: kept, reason: "index disagreed with its segment; rebuilt")
    }

    /// A new segment at `lost.lowerBound` holding only placeholders (sealed, with its index, when a segment
    /// follows it).
    private func writePlaceholderSegment(_ lost: Range<Int64>, reason: String) throws -> LogRepair.Action {
        let path = SegmentFile.path(directory: directory, baseOffset: lost.lowerBound)
        var bytes: [UInt8] = []
        Self.encodePlaceholders(lost, time: now.microsecondsSinceEpoch, into: &bytes)
        try io(FileIO.writeAtomically(bytes, to: path))
        let isLast = FileIO.list(directory).last { $0.hasSuffix(".log") } == Self.fileName(path)
        if !isLast { try writeIndex(of: path, baseOffset: lost.lowerBound) }
        let unknown = reason == "segment missing" ? "" : " (records past offset \(lost.upperBound), if any, cannot be known)"
        return LogRepair.Action(
            topic: topicPartition.topic, partition: topicPartition.partition, segment: path, damagedAt: 0, damagedBytes: 0,
            lostOffsets: lost, quarantine: nil, reason: reason + unknown)
    }

    private func appendPlaceholders(_ lost: Range<Int64>, to path: String, reason: String) throws -> LogRepair.Action {
        var bytes = try io(FileIO.readFile(path))
        Self.encodePlaceholders(lost, time: now.microsecondsSinceEpoch, into: &bytes)
        try io(FileIO.writeAtomically(bytes, to: path))
        return LogRepair.Action(
            topic: topicPartition.topic, partition: topicPartition.partition, segment: path, damagedAt: 0, damagedBytes: 0,
            lostOffsets: lost, quarantine: nil, reason: reason)
    }

    private func writeIndex(of path: String, baseOffset: Int64) throws {
        let file = SegmentFile(path: path, fd: try io(FileIO.open(path, flags: O_RDONLY)), baseOffset: baseOffset)
        let (segment, _) = try PartitionLog.scan(file, size: try io(FileIO.size(file.fd, path: path)), topicPartition: topicPartition)
        try io(FileIO.writeAtomically(segment.encodedIndex(), to: file.indexPath))
    }

    /// Copies bytes into the quarantine directory (synced; never deleted by CSIC) and returns the path.
    private func keep(_ bytes: [UInt8], named name: String) throws -> String {
        let path = "\(quarantine)/\(name)-\(now.microsecondsSinceEpoch).bad"
        try io(FileIO.makeDirectory(quarantine))
        try io(FileIO.writeAtomically(bytes, to: path))
        return path
    }

    /// Placeholder records for `offsets`, in batches of at most 10,000.
    static func encodePlaceholders(_ offsets: Range<Int64>, time: Int64, into bytes: inout [UInt8]) {
        let placeholder = (record: ProducerRecord(key: LogRepair.quarantinedKey, value: []), time: time)
        for start in stride(from: offsets.lowerBound, to: offsets.upperBound, by: 10_000) {
            let count = Int(min(10_000, offsets.upperBound - start))
            RecordBatch.encode(baseOffset: start, records: repeatElement(placeholder, count: count), into: &bytes)
        }
    }

    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
