import DurableFiles
import Metrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What opening a partition found: the segments it can serve and, when acknowledged data is damaged or
/// missing, why the partition takes no appends.
struct PartitionRecovery {
    /// Oldest first, verified; they end where the first damage starts.
    var segments: [Segment] = []
    /// The first damage found: it names the file, the byte or offset and what is wrong.
    var damage: String?

    /// Opens every segment of the partition in `directory`, verifying each batch of each segment (sealed ones
    /// too: a flipped bit in old data is found at start, not when a replay reaches it).
    ///
    /// Only a torn tail of the last segment is cut. Anything else stops appends and is reported, and nothing
    /// after it is loaded (it stays on disk, untouched, for `csic log repair`): a batch that fails its check,
    /// offsets no segment holds (a deleted segment), a sealed segment whose index disagrees with it, a missing
    /// active segment, a missing partition directory (`create` is false for partitions of an existing topic).
    static func open(
        _ topicPartition: TopicPartition, directory: String, create: Bool, report: (RecoveryReport) -> Void
    ) throws(EventLogError) -> PartitionRecovery {
        var recovery = PartitionRecovery()
        guard FileIO.exists(directory) || create else {
            recovery.damage =
                "\(topicPartition): the partition directory \(directory) is missing: every record of it is lost; no appends until `csic log repair`"
            return recovery
        }
        try io(FileIO.makeDirectory(directory))
        let bases = FileIO.list(directory).compactMap { name in name.hasSuffix(".log") ? Int64(name.dropLast(4)) : nil }
        guard !bases.isEmpty else {
            if create {
                recovery.segments = [try PartitionLog.createSegment(directory: directory, baseOffset: 0)]
            } else {
                recovery.damage =
                    "\(topicPartition): \(SegmentFile.path(directory: directory, baseOffset: 0)) is missing: the partition has no segment; no appends until `csic log repair`"
            }
            return recovery
        }
        for (position, base) in bases.enumerated() {
            let path = SegmentFile.path(directory: directory, baseOffset: base)
            if let previous = recovery.segments.last, previous.endOffset != base {
                recovery.damage =
                    "\(topicPartition): offsets \(previous.endOffset)..<\(base) are missing: "
                    + "\(SegmentFile.path(directory: directory, baseOffset: previous.endOffset)) is gone (\(path) starts at \(base)); no appends until `csic log repair`"
                return recovery
            }
            let isLast = position == bases.count - 1
            let loaded = try PartitionLog.load(
                path: path, baseOffset: base, writable: true, sealed: !isLast, topicPartition: topicPartition)
            if let problem = loaded.indexProblem { recovery.damage = recovery.damage ?? problem }
            recovery.segments.append(loaded.segment)
            guard let found = loaded.recovery else { continue }
            report(found)
            if isLast, found.isTornTail {
                let file = loaded.segment.file
                try io(FileIO.truncate(file.fd, to: found.validBytes, path: path))
                try io(FileIO.sync(file.fd, path: path))
            } else {
                recovery.damage = found.description
                return recovery
            }
        }
        // A roll creates the next segment before it writes the sealed one's index: a last segment with an index
        // means the active segment after it was removed.
        if let last = recovery.segments.last, FileIO.exists(last.file.indexPath) {
            recovery.damage =
                recovery.damage
                ?? "\(topicPartition): the active segment \(SegmentFile.path(directory: directory, baseOffset: last.endOffset)) is missing "
                + "(\(last.file.path) is sealed): the records from offset \(last.endOffset) on are lost; no appends until `csic log repair`"
        }
        return recovery
    }
}

/// One segment as read from disk.
struct LoadedSegment {
    var segment: Segment
    /// What is wrong in the segment (a bad batch and where), when something is.
    var recovery: RecoveryReport?
    /// How a sealed segment's index disagrees with the segment.
    var indexProblem: String?
}

extension PartitionLog {
    /// Reads a segment, verifying every batch; for a sealed one, checks its index file against what it holds.
    static func load(
        path: String, baseOffset: Int64, writable: Bool, sealed: Bool, topicPartition: TopicPartition
    ) throws(EventLogError) -> LoadedSegment {
        let file = SegmentFile(path: path, fd: try io(FileIO.open(path, flags: writable ? O_RDWR : O_RDONLY)), baseOffset: baseOffset)
        let size = try io(FileIO.size(file.fd, path: path))
        let (segment, recovery) = try scan(file, size: size, topicPartition: topicPartition)
        guard sealed, recovery == nil, FileIO.exists(file.indexPath) else { return LoadedSegment(segment: segment, recovery: recovery) }
        let index = try io(FileIO.readFile(file.indexPath))
        guard let indexed = Segment.decodeIndex(index, file: file, fileSize: size), indexed.index == segment.index,
            indexed.endOffset == segment.endOffset, indexed.maxTime == segment.maxTime
        else {
            return LoadedSegment(
                segment: segment, recovery: nil,
                indexProblem:
                    "\(topicPartition): the index \(file.indexPath) (\(index.count) bytes) disagrees with its segment, which holds "
                    + "offsets \(segment.baseOffset)..<\(segment.endOffset) in \(segment.size) bytes; `csic log repair` rebuilds it")
        }
        return LoadedSegment(segment: segment)
    }

    /// Reads a segment's extent for `csic log stats` without verifying it: from its index when that matches
    /// the file's size, otherwise by scanning.
    static func extent(path: String, baseOffset: Int64, sealed: Bool, topicPartition: TopicPartition) throws(EventLogError) -> Segment {
        let file = SegmentFile(path: path, fd: try io(FileIO.open(path, flags: O_RDONLY)), baseOffset: baseOffset)
        let size = try io(FileIO.size(file.fd, path: path))
        if sealed, FileIO.exists(file.indexPath),
            let segment = Segment.decodeIndex(try io(FileIO.readFile(file.indexPath)), file: file, fileSize: size)
        {
            return segment
        }
        return try scan(file, size: size, topicPartition: topicPartition).0
    }
}

/// The number of partitions that take no appends (damaged, or after a failed write), as the gauge
/// `csic_log_damaged_partitions`.
final class DamageCount: Sendable {
    private let count = Atomic<Int>(0)
    private let gauge: Gauge

    init(metrics: any MetricsFactory) {
        gauge = Gauge(label: "csic_log_damaged_partitions", factory: metrics)
        gauge.record(0)
    }

    func increment() {
        gauge.record(count.add(1, ordering: .relaxed).newValue)
    }
}
