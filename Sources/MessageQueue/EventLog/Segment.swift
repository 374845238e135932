#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open segment file. The descriptor closes when the last holder (the partition or a reader) lets go,
/// so retention can unlink a segment while a reader is still reading it.
final class SegmentFile: Sendable {
    let path: String
    let fd: Int32
    let baseOffset: Int64

    init(path: String, fd: Int32, baseOffset: Int64) {
        self.path = path
        self.fd = fd
        self.baseOffset = baseOffset
    }

    deinit { close(fd) }

    /// `<directory>/<20-digit base offset>.log`
    static func path(directory: String, baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return "\(directory)/\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits).log"
    }

    var indexPath: String { Self.indexPath(ofSegment: path) }

    /// `<directory>/<20-digit base offset>.index` beside a segment's `.log`.
    static func indexPath(ofSegment path: String) -> String { String(path.dropLast(4)) + ".index" }
}

/// One entry of a segment's offset index: the first offset of a batch and its byte position.
struct IndexEntry: Equatable, Sendable {
    var offset: Int64
    var position: Int64
}

/// The in-memory view of a segment: its file, batch index, durable size and offsets.
struct Segment: Sendable {
    let file: SegmentFile
    /// One entry per batch, ascending.
    var index: [IndexEntry]
    /// Bytes of complete, durable batches.
    var size: Int64
    /// One past the last offset held.
    var endOffset: Int64
    /// The newest record time held, for age-based retention.
    var maxTime: Int64

    var baseOffset: Int64 { file.baseOffset }
    var recordCount: Int64 { endOffset - baseOffset }

    /// The index entry of the batch holding `offset` (the last entry at or below it).
    func entry(for offset: Int64) -> IndexEntry {
        var low = 0
        var high = index.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if index[middle].offset <= offset { low = middle } else { high = middle - 1 }
        }
        return index.isEmpty ? IndexEntry(offset: baseOffset, position: 0) : index[low]
    }

    /// Serialises the index with a trailing sentinel `(endOffset, size)` that proves it matches the file.
    func encodedIndex() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity((index.count + 1) * 24)
        for entry in index + [IndexEntry(offset: endOffset, position: size)] {
            bytes.appendLE(UInt64(bitPattern: entry.offset))
            bytes.appendLE(UInt64(bitPattern: entry.position))
        }
        bytes.appendLE(UInt64(bitPattern: maxTime))
        return bytes
    }

    /// Loads a sealed segment's index file if it matches the segment's size; `nil` means scan instead.
    static func decodeIndex(_ bytes: [UInt8], file: SegmentFile, fileSize: Int64) -> Segment? {
        guard bytes.count >= 24, (bytes.count - 8) % 16 == 0 else { return nil }
        var entries: [IndexEntry] = bytes.withUnsafeBytes { raw in
            stride(from: 0, to: bytes.count - 8, by: 16).map {
                IndexEntry(
                    offset: Int64(bitPattern: raw.loadLE(UInt64.self, at: $0)),
                    position: Int64(bitPattern: raw.loadLE(UInt64.self, at: $0 + 8)))
            }
        }
        let maxTime = bytes.withUnsafeBytes { Int64(bitPattern: $0.loadLE(UInt64.self, at: bytes.count - 8)) }
        let sentinel = entries.removeLast()
        guard sentinel.position == fileSize, entries.first?.offset ?? sentinel.offset == file.baseOffset,
            entries.first?.position ?? 0 == 0
        else { return nil }
        return Segment(file: file, index: entries, size: fileSize, endOffset: sentinel.offset, maxTime: maxTime)
    }
}

/// What recovery found and removed at the tail of a partition.
public struct RecoveryReport: Sendable, Hashable, CustomStringConvertible {
    public var partition: TopicPartition
    public var segmentPath: String
    /// Where the valid data ends.
    public var validBytes: Int64
    /// Bytes cut off after the last valid batch.
    public var truncatedBytes: Int64
    /// Why the tail was invalid (torn write, CRC mismatch, bad magic, offset gap).
    public var reason: String
    /// Records kept in the segment.
    public var recordsKept: Int64
    /// Whether the bad bytes are a write that never finished: a batch whose declared length runs past the
    /// end of the file, or a tail of zeros (blocks allocated, never written).
    public var unfinishedWrite: Bool
    /// Where the next valid batch starts, when one follows the bad bytes: then they are not a torn tail but
    /// damage to acknowledged data, and nothing is cut (the partition stops taking appends instead).
    public var validBatchFollowsAt: Int64?

    /// A torn tail: an unfinished last write with nothing valid after it, never acknowledged (an append returns
    /// only once its whole batch is synced): the only thing recovery cuts. A whole batch that fails its check
    /// may have been acknowledged, so it is damage.
    public var isTornTail: Bool { unfinishedWrite && validBatchFollowsAt == nil }

    public var description: String {
        if let next = validBatchFollowsAt {
            return "\(partition): \(segmentPath) is damaged at byte \(validBytes) (\(reason)); a valid batch follows at byte \(next): "
                + "nothing was cut, the partition takes no appends until `csic log repair`"
        }
        if !unfinishedWrite {
            return "\(partition): \(segmentPath) is damaged at byte \(validBytes) (\(reason)); the last batch was written whole and "
                + "may have been acknowledged: nothing was cut, the partition takes no appends until `csic log repair`"
        }
        return
            "\(partition): truncated \(truncatedBytes) bytes of \(segmentPath) after byte \(validBytes) (\(reason)); kept \(recordsKept) records"
    }
}
