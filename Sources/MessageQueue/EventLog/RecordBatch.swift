import CSICCore
import DurableFiles

/// The on-disk form of a batch of records: a pure codec, no IO.
///
/// Layout (little-endian):
/// ```
/// magic u32 "CSL1" | length u32 (bytes after this field) | crc32c u32 (of the bytes after it)
/// base_offset i64 | count u32 | min_time_us i64 | max_time_us i64
/// count × (time_us i64 | key_len u32 | key | value_len u32 | value)
/// ```
enum RecordBatch {
    static let magic: UInt32 = 0x314C_5343 // "CSL1" read little-endian
    static let headerSize = 40
    /// Bytes before the CRC-covered region: magic, length, crc.
    static let preambleSize = 12

    struct Header: Equatable {
        var baseOffset: Int64
        var count: UInt32
        var minTime: Int64
        var maxTime: Int64
        /// Total bytes of the batch including the header.
        var totalSize: Int
    }

    /// The encoded size of one record.
    static func recordSize(keyCount: Int, valueCount: Int) -> Int { 16 + keyCount + valueCount }

    /// Appends an encoded batch to `buffer`.
    static func encode(
        baseOffset: Int64, records: some Collection<(record: ProducerRecord, time: Int64)>, into buffer: inout [UInt8]
    ) {
        let start = buffer.count
        var minTime = Int64.max
        var maxTime = Int64.min
        var payloadSize = 0
        for entry in records {
            minTime = min(minTime, entry.time)
            maxTime = max(maxTime, entry.time)
            payloadSize += recordSize(keyCount: entry.record.key.count, valueCount: entry.record.value.count)
        }
        buffer.reserveCapacity(start + headerSize + payloadSize)
        buffer.appendLE(magic)
        buffer.appendLE(UInt32(headerSize - 8 + payloadSize))
        buffer.appendLE(UInt32(0))
        buffer.appendLE(UInt64(bitPattern: baseOffset))
        buffer.appendLE(UInt32(records.count))
        buffer.appendLE(UInt64(bitPattern: minTime))
        buffer.appendLE(UInt64(bitPattern: maxTime))
        for entry in records {
            buffer.appendLE(UInt64(bitPattern: entry.time))
            buffer.appendLE(UInt32(entry.record.key.count))
            buffer.append(contentsOf: entry.record.key)
            buffer.appendLE(UInt32(entry.record.value.count))
            buffer.append(contentsOf: entry.record.value)
        }
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + preambleSize)...])) }
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: start + 8, as: UInt32.self) }
    }

    enum HeaderResult: Equatable {
        case header(Header)
        /// Fewer bytes than the header or the declared length: a torn tail, or read more.
        case incomplete(needed: Int)
        case corrupt(String)
    }

    /// Parses and checks the header at the start of `bytes`; with `verify`, checks the CRC over the body too.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, verify: Bool) -> HeaderResult {
        guard bytes.count >= headerSize else { return .incomplete(needed: headerSize) }
        guard bytes.loadLE(UInt32.self, at: 0) == magic else { return .corrupt("bad magic") }
        let length = Int(bytes.loadLE(UInt32.self, at: 4))
        guard length >= headerSize - 8 else { return .corrupt("batch length \(length) below header size") }
        let total = length + 8
        guard bytes.count >= total else { return .incomplete(needed: total) }
        let header = Header(
            baseOffset: Int64(bitPattern: bytes.loadLE(UInt64.self, at: 12)),
            count: bytes.loadLE(UInt32.self, at: 20),
            minTime: Int64(bitPattern: bytes.loadLE(UInt64.self, at: 24)),
            maxTime: Int64(bitPattern: bytes.loadLE(UInt64.self, at: 32)),
            totalSize: total)
        if verify {
            let stored = bytes.loadLE(UInt32.self, at: 8)
            let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[preambleSize..<total]))
            guard stored == computed else { return .corrupt("CRC mismatch (stored \(stored), computed \(computed))") }
        }
        guard header.count > 0 else { return .corrupt("empty batch") }
        return .header(header)
    }

    /// Decodes the records of a verified batch, skipping those below `fromOffset`, up to `limit` records.
    static func decodeRecords(
        _ bytes: UnsafeRawBufferPointer, header: Header, topic: String, partition: Int32,
        fromOffset: Int64, limit: Int, into records: inout [LogRecord]
    ) throws(EventLogError) {
        var position = headerSize
        var offset = header.baseOffset
        for _ in 0..<header.count {
            guard records.count < limit else { return }
            guard position + 16 <= header.totalSize else { throw malformed(position) }
            let time = Int64(bitPattern: bytes.loadLE(UInt64.self, at: position))
            let keyLength = Int(bytes.loadLE(UInt32.self, at: position + 8))
            let keyStart = position + 12
            guard keyStart + keyLength + 4 <= header.totalSize else { throw malformed(position) }
            let valueLength = Int(bytes.loadLE(UInt32.self, at: keyStart + keyLength))
            let valueStart = keyStart + keyLength + 4
            guard valueStart + valueLength <= header.totalSize else { throw malformed(position) }
            if offset >= fromOffset {
                records.append(
                    LogRecord(
                        topic: topic, partition: partition, offset: offset,
                        timestamp: Timestamp(microsecondsSinceEpoch: time),
                        key: Array(bytes[keyStart..<keyStart + keyLength]),
                        value: Array(bytes[valueStart..<valueStart + valueLength])))
            }
            position = valueStart + valueLength
            offset += 1
        }
    }

    private static func malformed(_ position: Int) -> EventLogError {
        .corruptSegment(path: "", position: Int64(position), reason: "record overruns its batch")
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// The record batches of a segment's bytes, decoded as the log reads them (every batch's CRC checked): for
/// tools that look at quarantined bytes, and for the fuzz target of the log's codec.
public enum RecordBatches {
    /// Every record of the whole batches in `bytes`; an error names the byte where a batch fails its check.
    /// A torn last batch ends the decoding without an error, as recovery treats it.
    public static func decode(_ bytes: [UInt8], topic: String = "", partition: Int32 = 0) throws(EventLogError) -> [LogRecord] {
        var records: [LogRecord] = []
        try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(EventLogError) in
            var position = 0
            while position < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[position...])
                switch RecordBatch.parseHeader(rest, verify: true) {
                case .incomplete: return
                case .corrupt(let reason): throw EventLogError.corruptSegment(path: "", position: Int64(position), reason: reason)
                case .header(let header):
                    try RecordBatch.decodeRecords(
                        rest, header: header, topic: topic, partition: partition, fromOffset: header.baseOffset, limit: Int.max,
                        into: &records)
                    position += header.totalSize
                }
            }
        }
        return records
    }
}
