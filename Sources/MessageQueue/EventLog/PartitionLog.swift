import DurableFiles
import CSICCore
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When appended data is forced to stable storage.
public enum FsyncPolicy: Sendable, Hashable, Codable {
    /// `fdatasync` after every batch before the append returns (the default: nothing acknowledged is lost).
    case everyBatch
    /// At most one `fdatasync` per interval; a crash may lose the last interval's acknowledged records.
    case interval(milliseconds: Int)
    /// Leave it to the operating system (benchmarks of the write path only).
    case never
}

/// Settings of the embedded log's files.
public struct EmbeddedLogOptions: Sendable, Hashable {
    /// A segment is sealed and a new one started once it reaches this size.
    public var segmentBytes: Int64
    public var fsync: FsyncPolicy
    /// The largest single record accepted.
    public var maxRecordBytes: Int
    /// Appends wait while this many bytes are being written (back-pressure on producers).
    public var maxPendingBytes: Int

    public init(
        segmentBytes: Int64 = 64 << 20, fsync: FsyncPolicy = .everyBatch, maxRecordBytes: Int = 4 << 20, maxPendingBytes: Int = 64 << 20
    ) {
        self.segmentBytes = segmentBytes
        self.fsync = fsync
        self.maxRecordBytes = maxRecordBytes
        self.maxPendingBytes = maxPendingBytes
    }
}

/// One partition on disk: a sequence of segments, the last one active.
final class PartitionLog: Sendable {
    let topicPartition: TopicPartition
    let directory: String
    let options: EmbeddedLogOptions
    private let damageCount: DamageCount
    private let state: Mutex<State>

    struct State: Sendable {
        /// Oldest first; the last is the active segment. Empty only when the partition is damaged (its
        /// directory or only segment is missing).
        var segments: [Segment]
        var lastSync: UInt64 = 0
        var closed = false
        /// Why appends stopped, first cause first: a write or fsync failed (fail-stop until a restart), or
        /// acknowledged data is damaged or missing (until `csic log repair`).
        var problems: [String] = []
        var writeFailure: String? { problems.first }

        /// Records a cause; returns whether it is the first (the partition just stopped).
        mutating func stop(_ reason: String) -> Bool {
            guard !problems.contains(reason) else { return false }
            problems.append(reason)
            return problems.count == 1
        }
    }

    /// Opens the partition (`create`: a new one), recovering a torn tail; damage stops its appends (see
    /// ``PartitionRecovery``).
    init(
        topicPartition: TopicPartition, directory: String, options: EmbeddedLogOptions, create: Bool, damage: DamageCount,
        report: (RecoveryReport) -> Void
    ) throws(EventLogError) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.options = options
        self.damageCount = damage
        let recovery = try PartitionRecovery.open(topicPartition, directory: directory, create: create, report: report)
        var state = State(segments: recovery.segments)
        // Damaged acknowledged data is never cut: the valid prefix stays readable, appends stop.
        if let problem = recovery.damage, state.stop(problem) { damage.increment() }
        self.state = Mutex(state)
    }

    /// Reads a segment from the start, verifying every batch; returns the valid prefix and what was wrong after it.
    static func scan(_ file: SegmentFile, size: Int64, topicPartition: TopicPartition) throws(EventLogError) -> (Segment, RecoveryReport?) {
        let bytes = try io(FileIO.read(file.fd, count: Int(size), at: 0, path: file.path))
        var segment = Segment(file: file, index: [], size: 0, endOffset: file.baseOffset, maxTime: 0)
        var problem: String?
        var unfinished = false
        bytes.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[position...])
                switch RecordBatch.parseHeader(rest, verify: true) {
                case .incomplete(let needed):
                    problem = "torn write: \(rest.count) bytes left, batch needs \(needed)"
                    unfinished = true
                case .corrupt(let reason):
                    problem = reason
                case .header(let header):
                    if header.baseOffset != segment.endOffset {
                        problem = "batch base offset \(header.baseOffset), expected \(segment.endOffset)"
                    } else {
                        segment.index.append(IndexEntry(offset: header.baseOffset, position: Int64(position)))
                        segment.endOffset += Int64(header.count)
                        segment.maxTime = max(segment.maxTime, header.maxTime)
                        position += header.totalSize
                        segment.size = Int64(position)
                    }
                }
                if problem != nil { break }
            }
        }
        guard let problem else { return (segment, nil) }
        let following = bytes.withUnsafeBytes { raw in Self.validBatch(in: raw, after: Int(segment.size), from: segment.endOffset) }
        var report = RecoveryReport(
            partition: topicPartition, segmentPath: file.path, validBytes: segment.size, truncatedBytes: 0, reason: problem,
            recordsKept: segment.recordCount, unfinishedWrite: unfinished || bytes[Int(segment.size)...].allSatisfy { $0 == 0 },
            validBatchFollowsAt: following.map(Int64.init))
        if report.isTornTail { report.truncatedBytes = size - segment.size }
        return (segment, report)
    }

    /// The position of the first batch after `position` whose header and CRC are valid and whose offsets
    /// continue the log (at or after `offset`): acknowledged data after bad bytes.
    static func validBatch(in raw: UnsafeRawBufferPointer, after position: Int, from offset: Int64) -> Int? {
        let magic = Array("CSL1".utf8)
        var candidate = position + 1
        while candidate + magic.count <= raw.count {
            if raw[candidate] == magic[0], raw[candidate + 1] == magic[1], raw[candidate + 2] == magic[2], raw[candidate + 3] == magic[3],
                case .header(let header) = RecordBatch.parseHeader(UnsafeRawBufferPointer(rebasing: raw[candidate...]), verify: true),
                header.baseOffset >= offset
            {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    static func createSegment(directory: String, baseOffset: Int64) throws(EventLogError) -> Segment {
        let path = SegmentFile.path(directory: directory, baseOffset: baseOffset)
        let fd = try io(FileIO.open(path, flags: O_RDWR | O_CREAT | O_TRUNC))
        try io(FileIO.syncDirectory(directory))
        return Segment(file: SegmentFile(path: path, fd: fd, baseOffset: baseOffset), index: [], size: 0, endOffset: baseOffset, maxTime: 0)
    }

    /// The partition's extent.
    var status: PartitionStatus {
        state.withLock { state in
            PartitionStatus(
                partition: topicPartition.partition,
                startOffset: state.segments.first?.baseOffset ?? 0,
                endOffset: state.segments.last?.endOffset ?? 0,
                sizeBytes: state.segments.reduce(0) { $0 + $1.size })
        }
    }

    /// Writes one batch (and syncs it per the policy); returns the first offset.
    func append(_ records: [(record: ProducerRecord, time: Int64)]) throws(EventLogError) -> Int64 {
        try state.withLock { (state: inout State) throws(EventLogError) -> Int64 in
            guard !state.closed else { throw EventLogError.closed }
            if let failure = state.writeFailure { throw EventLogError.writeFailed(path: directory, reason: failure) }
            if state.segments.last!.size >= options.segmentBytes {
                do throws(EventLogError) { try roll(&state) } catch {
                    if state.stop(Self.writeFailure(error)) { damageCount.increment() }
                    throw error
                }
            }
            var active = state.segments.removeLast()
            defer { state.segments.append(active) }
            let base = active.endOffset
            var buffer: [UInt8] = []
            RecordBatch.encode(baseOffset: base, records: records, into: &buffer)
            do throws(EventLogError) {
                try buffer.withBytes { raw throws(EventLogError) in
                    try io(FileIO.writeAll(active.file.fd, raw, at: active.size, path: active.file.path))
                }
                try syncIfDue(active.file, &state)
            } catch {
                // After a failed write or fsync the kernel may have dropped the pages: this partition takes no
                // more appends until a restart recovers what was synced (nothing is acknowledged twice).
                if state.stop(Self.writeFailure(error)) { damageCount.increment() }
                throw error
            }
            active.index.append(IndexEntry(offset: base, position: active.size))
            active.size += Int64(buffer.count)
            active.endOffset += Int64(records.count)
            active.maxTime = max(active.maxTime, records.reduce(Int64.min) { max($0, $1.time) })
            return base
        }
    }

    private static func writeFailure(_ error: EventLogError) -> String {
        "\(error) (a failed write: restart to recover what was synced)"
    }

    private func syncIfDue(_ file: SegmentFile, _ state: inout State) throws(EventLogError) {
        switch options.fsync {
        case .everyBatch:
            try io(FileIO.sync(file.fd, path: file.path))
        case .interval(let milliseconds):
            let now = MonotonicClock.nowNanoseconds()
            if now - state.lastSync >= UInt64(milliseconds) * 1_000_000 {
                try io(FileIO.sync(file.fd, path: file.path))
                state.lastSync = now
            }
        case .never:
            break
        }
    }

    /// Seals the active segment (sync, start the next one, then write its index: a last segment with an index
    /// means the active one was lost) and starts a new one.
    private func roll(_ state: inout State) throws(EventLogError) {
        let sealed = state.segments.last!
        try io(FileIO.sync(sealed.file.fd, path: sealed.file.path))
        let next = try Self.createSegment(directory: directory, baseOffset: sealed.endOffset)
        try io(FileIO.writeAtomically(sealed.encodedIndex(), to: sealed.file.indexPath))
        state.segments.append(next)
    }

    /// Stops appends to this partition, saying why (fail-stop until an operator acts and the log is reopened).
    func stopAppends(_ reason: String) {
        if state.withLock({ $0.stop(reason) }) { damageCount.increment() }
    }

    /// Why the partition takes no appends (empty when it takes them).
    var problems: [String] { state.withLock { $0.problems } }

    /// Reads durable records from `offset`. Bytes that fail their check (damaged since the partition was
    /// opened) stop its appends and are reported; the error names the file and byte.
    func read(from offset: Int64, maxRecords: Int, maxBytes: Int) throws(EventLogError) -> [LogRecord] {
        do {
            return try readVerified(from: offset, maxRecords: maxRecords, maxBytes: maxBytes)
        } catch {
            if case .corruptSegment = error {
                stopAppends("\(topicPartition): \(error) (found by a read); the partition takes no appends until `csic log repair`")
            }
            throw error
        }
    }

    private func readVerified(from offset: Int64, maxRecords: Int, maxBytes: Int) throws(EventLogError) -> [LogRecord] {
        let located = try state.withLock { (state: inout State) throws(EventLogError) -> (SegmentFile, IndexEntry, Int64)? in
            let start = state.segments.first?.baseOffset ?? 0
            let end = state.segments.last?.endOffset ?? 0
            guard offset >= start, offset <= end else {
                throw EventLogError.offsetOutOfRange(topicPartition, requested: offset, start: start, end: end)
            }
            guard offset < end else { return nil }
            var low = 0
            var high = state.segments.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if state.segments[middle].baseOffset <= offset { low = middle } else { high = middle - 1 }
            }
            let segment = state.segments[low]
            return (segment.file, segment.entry(for: offset), segment.size)
        }
        guard let (file, entry, segmentSize) = located else { return [] }
        var records: [LogRecord] = []
        let position = entry.position
        var chunk = Int(min(segmentSize - position, Int64(max(maxBytes, RecordBatch.headerSize))))
        while true {
            let bytes = try io(FileIO.read(file.fd, count: chunk, at: position, path: file.path))
            var consumed = 0
            var needed: Int?
            try bytes.withBytes { raw throws(EventLogError) in
                while consumed < raw.count, records.count < maxRecords {
                    let rest = UnsafeRawBufferPointer(rebasing: raw[consumed...])
                    switch RecordBatch.parseHeader(rest, verify: true) {
                    case .incomplete(let size):
                        needed = size
                        return
                    case .corrupt(let reason):
                        throw EventLogError.corruptSegment(path: file.path, position: position + Int64(consumed), reason: reason)
                    case .header(let header):
                        do {
                            try RecordBatch.decodeRecords(
                                rest, header: header, topic: topicPartition.topic, partition: topicPartition.partition,
                                fromOffset: offset, limit: maxRecords, into: &records)
                        } catch {
                            throw EventLogError.corruptSegment(
                                path: file.path, position: position + Int64(consumed), reason: "a record overruns its batch")
                        }
                        consumed += header.totalSize
                    }
                }
            }
            // A single batch larger than `maxBytes`: read exactly that batch.
            guard consumed == 0, let needed else { break }
            guard Int64(needed) <= segmentSize - position else {
                throw EventLogError.corruptSegment(path: file.path, position: position, reason: "batch overruns the segment")
            }
            chunk = needed
        }
        return records
    }

    /// Removes sealed segments past the policy; never the active one, and never one that a group has not read
    /// to its end (`readTo`: the lowest offset committed by the groups reading this topic, with the group's
    /// name) unless the policy says ``RetentionPolicy/removesUnconsumed``.
    func enforce(
        _ policy: RetentionPolicy, now: Timestamp, readTo: (offset: Int64, group: String)?
    ) throws(EventLogError) -> RetentionReport {
        var report = RetentionReport()
        let removed = state.withLock { state -> [Segment] in
            var removed: [Segment] = []
            var total = state.segments.reduce(Int64(0)) { $0 + $1.size }
            while state.segments.count > 1 {
                let oldest = state.segments[0]
                let tooOld = policy.maxAgeSeconds.map { oldest.maxTime < now.microsecondsSinceEpoch - $0 * 1_000_000 } ?? false
                let tooBig = policy.maxBytesPerPartition.map { total > $0 } ?? false
                guard tooOld || tooBig else { break }
                if let readTo, readTo.offset < oldest.endOffset, !policy.removesUnconsumed {
                    report.keptUnconsumed.append(
                        "\(topicPartition): the segment \(oldest.file.path) (offsets \(oldest.baseOffset)..<\(oldest.endOffset)) is past "
                            + "retention but kept: group \(readTo.group) has read only to offset \(readTo.offset)")
                    break
                }
                removed.append(state.segments.removeFirst())
                total -= oldest.size
            }
            return removed
        }
        for segment in removed {
            try io(FileIO.remove(segment.file.path))
            if FileIO.exists(segment.file.indexPath) { try io(FileIO.remove(segment.file.indexPath)) }
            report.segmentsRemoved += 1
            report.bytesRemoved += segment.size
            report.recordsRemoved += segment.recordCount
        }
        if !removed.isEmpty { try io(FileIO.syncDirectory(directory)) }
        return report
    }

    /// Syncs and stops accepting appends.
    func close() throws(EventLogError) {
        try state.withLock { (state: inout State) throws(EventLogError) in
            guard !state.closed else { return }
            state.closed = true
            // After a failed write nothing more is synced: the next open recovers what the disk has.
            guard state.writeFailure == nil else { return }
            let active = state.segments.last!
            try io(FileIO.sync(active.file.fd, path: active.file.path))
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds, for sync intervals and append timings.
enum MonotonicClock {
    static func nowNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
