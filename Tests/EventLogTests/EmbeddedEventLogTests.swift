import CSICCore
@testable import EventLog
import Foundation
import CSICTestSupport
import Synchronization
import Testing

@Suite struct EmbeddedEventLogTests {
    @Test func passesTheConformanceSuite() async throws {
        let directory = try TemporaryDirectory()
        let holder = LogHolder()
        try await EventLogConformance.all {
            // Each open releases the previous instance first (the directory lock allows one at a time).
            try await holder.reopen(path: directory.path)
        }
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() throws {
        let directory = try TemporaryDirectory()
        let first = try EmbeddedEventLog(directory: directory.path)
        #expect(throws: EventLogError.locked(path: "\(directory.path)/LOCK")) { _ = try EmbeddedEventLog(directory: directory.path) }
        _ = first
    }

    @Test func tornTailIsTruncatedAndEarlierRecordsKept() async throws {
        let directory = try TemporaryDirectory()
        let segment = "\(directory.path)/topics/t/0/00000000000000000000.log"
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            for batch in 0..<10 {
                _ = try await log.append(
                    topic: "t", records: (0..<10).map { ProducerRecord(key: "k", value: Array("\(batch)-\($0)".utf8)) })
            }
            try await log.close()
        }
        // Cut the last batch in the middle, as a crash during write would.
        let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.truncate(atOffset: UInt64(size - 7))
        try handle.close()

        let log = try EmbeddedEventLog(directory: directory.path)
        #expect(log.recoveryReports.count == 1)
        let report = try #require(log.recoveryReports.first)
        #expect(report.recordsKept == 90)
        #expect(report.reason.contains("torn"))
        let tp = TopicPartition(topic: "t", partition: 0)
        let records = try await log.read(tp, from: 0, maxRecords: 1_000, maxBytes: 1 << 20)
        #expect(records.count == 90)
        #expect(records.last?.value == Array("8-9".utf8))
        let next = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [7])])
        #expect(next.first?.offset == 90)
        #expect(try await log.read(tp, from: 90, maxRecords: 10, maxBytes: 1 << 20).map(\.value) == [[7]])
    }

    /// A last batch written whole whose checksum fails may have been acknowledged (appends return once the
    /// batch is synced): it is damage, not a torn tail. Nothing is cut; the repair keeps its offset.
    @Test func aWholeLastBatchFailingItsChecksumIsKeptAndRepairedKnowingly() async throws {
        let directory = try TemporaryDirectory()
        let segment = "\(directory.path)/topics/t/0/00000000000000000000.log"
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            for batch in 0..<3 {
                _ = try await log.append(
                    topic: "t", records: [ProducerRecord(key: "k", value: [UInt8](repeating: UInt8(batch), count: 100))])
            }
            try await log.close()
        }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[bytes.count - 10] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let log = try EmbeddedEventLog(directory: directory.path)
        let report = try #require(log.recoveryReports.first)
        #expect(report.reason.contains("CRC"))
        #expect(report.recordsKept == 2)
        #expect(!report.isTornTail && report.truncatedBytes == 0)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment))) == bytes, "not one byte was cut")
        #expect(try await log.describe(topic: "t").first?.endOffset == 2, "the valid prefix is served")
        await #expect(throws: EventLogError.self) { _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])]) }
        try await log.close()

        let actions = try LogRepair.repair(directory: directory.path)
        #expect(actions.map(\.lostOffsets) == [2..<3], "the damaged batch's header still says which offsets it held")
        #expect(
            try [UInt8](Data(contentsOf: URL(fileURLWithPath: try #require(actions.first?.quarantine))))
                == Array(bytes[Int(report.validBytes)...]))
        let repaired = try EmbeddedEventLog(directory: directory.path)
        let tp = TopicPartition(topic: "t", partition: 0)
        let records = try await repaired.read(tp, from: 0, maxRecords: 10, maxBytes: 1 << 20)
        #expect(records.map(\.key) == [Array("k".utf8), Array("k".utf8), Array(LogRepair.quarantinedKey.utf8)])
        #expect(try await repaired.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])]).first?.offset == 3)
        try await repaired.close()
    }

    /// Zeros after the last batch (blocks allocated by a write that never landed) are a torn tail: cut.
    @Test func aZeroFilledTailIsATornWriteAndIsCut() async throws {
        let directory = try TemporaryDirectory()
        let segment = "\(directory.path)/topics/t/0/00000000000000000000.log"
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            for batch in 0..<2 { _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [UInt8(batch)])]) }
            try await log.close()
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 4_096))
        try handle.close()
        let log = try EmbeddedEventLog(directory: directory.path)
        let report = try #require(log.recoveryReports.first)
        #expect(report.isTornTail && report.truncatedBytes == 4_096 && report.recordsKept == 2)
        #expect(try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [2])]).first?.offset == 2)
        try await log.close()
    }

    /// One flipped byte in the middle batch of the active segment, with a valid, acknowledged batch after it, is
    /// not a torn tail: nothing is cut (the file is byte-for-byte what it was), the valid prefix stays
    /// readable, the partition takes no appends, the damage is reported precisely; other partitions go on.
    @Test func damageBeforeValidDataIsNotCutAndStopsOnlyThatPartition() async throws {
        let directory = try TemporaryDirectory()
        let segment = "\(directory.path)/topics/t/0/00000000000000000000.log"
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            try await log.createTopic("u", configuration: TopicConfiguration(partitions: 1))
            for batch in 0..<3 {
                _ = try await log.append(
                    topic: "t", records: [ProducerRecord(key: "k", value: [UInt8](repeating: UInt8(batch), count: 100))])
            }
            try await log.close()
        }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        let batchSize = bytes.count / 3
        bytes[batchSize + batchSize / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let log = try EmbeddedEventLog(directory: directory.path)
        let report = try #require(log.recoveryReports.first)
        #expect(!report.isTornTail && report.validBytes == Int64(batchSize) && report.validBatchFollowsAt == Int64(2 * batchSize))
        #expect(report.reason.contains("CRC"))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment))) == bytes, "not one byte was cut")
        let damage = await log.damage()
        #expect(damage.count == 1 && damage[0].contains(segment) && damage[0].contains("byte \(batchSize)"))
        let tp = TopicPartition(topic: "t", partition: 0)
        #expect(try await log.read(tp, from: 0, maxRecords: 10, maxBytes: 1 << 20).map(\.value) == [[UInt8](repeating: 0, count: 100)])
        await #expect {
            _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])])
        } throws: { error in
            if case .writeFailed = error as? EventLogError { return true }
            return false
        }
        #expect(
            try await log.append(topic: "u", records: [ProducerRecord(key: "k", value: [1])]).first?.offset == 0, "other partitions go on")
        #expect(throws: EventLogError.self, "repair refuses a log that is open") { try LogRepair.repair(directory: directory.path) }
        try await log.close()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment))) == bytes, "nor on close")

        // The operator's repair: the damaged batch goes to quarantine, a placeholder keeps its offset.
        let actions = try LogRepair.repair(directory: directory.path)
        #expect(actions.count == 1)
        let action = try #require(actions.first)
        #expect(action.damagedAt == Int64(batchSize) && action.damagedBytes == Int64(batchSize) && action.lostOffsets == 1..<2)
        #expect(
            try [UInt8](Data(contentsOf: URL(fileURLWithPath: try #require(action.quarantine)))) == Array(bytes[batchSize..<2 * batchSize]))
        #expect(try LogRepair.repair(directory: directory.path).isEmpty, "nothing left to repair")
        let repaired = try EmbeddedEventLog(directory: directory.path)
        let remaining = await repaired.damage()
        #expect(repaired.recoveryReports.isEmpty && remaining.isEmpty)
        let records = try await repaired.read(tp, from: 0, maxRecords: 10, maxBytes: 1 << 20)
        #expect(records.map(\.offset) == [0, 1, 2])
        #expect(records[1].key == Array(LogRepair.quarantinedKey.utf8) && records[1].value.isEmpty)
        #expect(records[2].value == [UInt8](repeating: 2, count: 100), "the acknowledged batch after the damage is kept, at its offset")
        #expect(
            try await repaired.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])]).first?.offset == 3, "no offset reused")
        try await repaired.close()
    }

    /// A group committed past a partition's end (records it read are gone: a segment removed by hand): the
    /// partition takes no appends — a new record must not take a lost record's offset and be skipped as
    /// read — the consumer's position is not moved back, and the log says so; other topics go on.
    @Test func aCommittedOffsetPastTheEndStopsAppendsAndIsReported() async throws {
        let directory = try TemporaryDirectory()
        let tp = TopicPartition(topic: "t", partition: 0)
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            try await log.createTopic("u", configuration: TopicConfiguration(partitions: 1))
            _ = try await log.append(topic: "t", records: (0..<10).map { ProducerRecord(key: "k", value: [UInt8($0)]) })
            try await log.commit(group: "g", offsets: [tp: 15])
            try await log.close()
        }
        let log = try EmbeddedEventLog(directory: directory.path)
        let damage = await log.damage()
        #expect(damage.count == 1 && damage[0].contains("group g committed offset 15 but the log ends at 10"))
        await #expect {
            _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [99])])
        } throws: { error in
            if case .writeFailed = error as? EventLogError { return true }
            return false
        }
        #expect(try await log.append(topic: "u", records: [ProducerRecord(key: "k", value: [1])]).first?.offset == 0)
        var consumer = try await LogConsumer(log: log, group: "g", topics: ["t"])
        #expect(try await consumer.poll(maxRecords: 10, timeout: .milliseconds(50)).isEmpty)
        #expect(consumer.positions[tp] == 15, "not moved back to the end")
        try await log.close()
    }

    @Test func segmentsRollAndReopenFromTheirIndexes() async throws {
        let directory = try TemporaryDirectory()
        let options = EmbeddedLogOptions(segmentBytes: 4_096)
        do {
            let log = try EmbeddedEventLog(directory: directory.path, options: options)
            try await log.createTopic("roll", configuration: TopicConfiguration(partitions: 1))
            for batch in 0..<50 {
                _ = try await log.append(
                    topic: "roll",
                    records: (0..<5).map { ProducerRecord(key: "k", value: [UInt8](repeating: UInt8(batch), count: 40 + $0)) })
            }
            try await log.close()
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/topics/roll/0")
        #expect(files.filter { $0.hasSuffix(".log") }.count > 3)
        #expect(files.filter { $0.hasSuffix(".index") }.count == files.filter { $0.hasSuffix(".log") }.count - 1)
        let log = try EmbeddedEventLog(directory: directory.path, options: options)
        #expect(log.recoveryReports.isEmpty)
        let tp = TopicPartition(topic: "roll", partition: 0)
        var offset: Int64 = 0
        var total = 0
        while true {
            let records = try await log.read(tp, from: offset, maxRecords: 7, maxBytes: 300)
            if records.isEmpty { break }
            #expect(records.first?.offset == offset)
            total += records.count
            offset = records.last!.offset + 1
        }
        #expect(total == 250)
    }

    @Test func retentionRemovesOldSealedSegmentsOnly() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(segmentBytes: 2_048))
        try await log.createTopic(
            "kept", configuration: TopicConfiguration(partitions: 1, retention: RetentionPolicy(maxBytesPerPartition: 6_000)))
        for _ in 0..<40 {
            _ = try await log.append(topic: "kept", records: [ProducerRecord(key: "k", value: [UInt8](repeating: 1, count: 500))])
        }
        let before = try await log.describe(topic: "kept")[0]
        let report = try await log.enforceRetention(now: .now())
        #expect(report.segmentsRemoved > 0)
        let after = try await log.describe(topic: "kept")[0]
        #expect(after.sizeBytes <= 6_000 + 2_048)
        #expect(after.startOffset == before.startOffset + report.recordsRemoved)
        #expect(after.endOffset == before.endOffset)
        let tp = TopicPartition(topic: "kept", partition: 0)
        await #expect(throws: EventLogError.self) { try await log.read(tp, from: 0, maxRecords: 1, maxBytes: 1 << 20) }
        // A consumer that fell behind retention skips to the start and counts what it missed.
        var consumer = try await LogConsumer(log: log, group: "slow", topics: ["kept"])
        consumer.seek(tp, to: 0)
        var read = 0
        while read < Int(after.endOffset - after.startOffset) {
            read += try await consumer.poll(maxRecords: 100, timeout: .milliseconds(50)).count
        }
        #expect(consumer.skippedByRetention == report.recordsRemoved)

        let aged = try await log.enforceRetention(now: Timestamp.now().adding(microseconds: 400 * 86_400_000_000))
        #expect(aged.segmentsRemoved == 0)
    }

    /// A segment past retention that a consumer group has not read to its end is kept and reported (which
    /// group, which offsets) unless the topic's policy says to remove it anyway; once read, it goes.
    @Test(arguments: [false, true])
    func retentionKeepsWhatAGroupHasNotRead(removesUnconsumed: Bool) async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(segmentBytes: 2_048))
        let policy = RetentionPolicy(maxBytesPerPartition: 6_000, removesUnconsumed: removesUnconsumed)
        try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1, retention: policy))
        for _ in 0..<40 {
            _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [UInt8](repeating: 1, count: 500))])
        }
        let tp = TopicPartition(topic: "t", partition: 0)
        try await log.commit(group: "fast", offsets: [tp: 40])
        try await log.commit(group: "slow", offsets: [tp: 2])
        let report = try await log.enforceRetention(now: .now())
        if removesUnconsumed {
            #expect(report.segmentsRemoved > 0 && report.keptUnconsumed.isEmpty)
            return
        }
        #expect(report.segmentsRemoved == 0)
        #expect(report.keptUnconsumed.count == 1 && report.keptUnconsumed[0].contains("group slow has read only to offset 2"))
        #expect(try await log.describe(topic: "t")[0].startOffset == 0)
        try await log.commit(group: "slow", offsets: [tp: 40])
        let later = try await log.enforceRetention(now: .now())
        #expect(later.segmentsRemoved > 0 && later.keptUnconsumed.isEmpty)
        try await log.close()
        let reopened = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(segmentBytes: 2_048))
        #expect(try await reopened.describe(topic: "t")[0].startOffset > 0)
        try await reopened.close()
    }

    /// Retention never removes `audit` records, even from a log whose `audit` topic.conf was written with the
    /// platform's retention (before this rule): a stalled audit engine must not lose them.
    @Test func retentionNeverTouchesTheAuditTopic() async throws {
        let directory = try TemporaryDirectory()
        let retention = RetentionPolicy(maxBytesPerPartition: 6_000)
        let log = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(segmentBytes: 2_048))
        try await log.createTopic(Topic.audit.rawValue, configuration: TopicConfiguration(partitions: 1, retention: retention))
        try await log.createPlatformTopics(partitions: 1, retention: retention)
        for _ in 0..<40 {
            for topic in [Topic.audit, .transactions] {
                _ = try await log.append(topic, records: [ProducerRecord(key: "k", value: [UInt8](repeating: 1, count: 500))])
            }
        }
        let report = try await log.enforceRetention(now: Timestamp.now().adding(microseconds: 400 * 86_400_000_000))
        #expect(report.segmentsRemoved > 0)
        #expect(try await log.describe(topic: Topic.transactions.rawValue)[0].startOffset > 0)
        #expect(try await log.describe(topic: Topic.audit.rawValue)[0].startOffset == 0, "every audit record is still there")
        try await log.close()
    }

    /// A write that fails (here the disk is full: the segment's descriptor now writes to /dev/full) stops
    /// the partition: even once the disk works again no append is taken (no retry writes the batch again),
    /// and a restart recovers exactly what was synced before.
    @Test func aFailedWriteStopsThePartitionAndARestartRecoversWhatWasSynced() async throws {
        let directory = try TemporaryDirectory()
        let partition = directory.path + "/topics/t/0"
        do {
            let log = try EmbeddedEventLog(directory: directory.path)
            try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
            _ = try await log.append(topic: "t", records: (0..<10).map { ProducerRecord(key: "k", value: [UInt8($0)]) })
            let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: partition).first { $0.hasSuffix(".log") })
            let disk = FailingDisk(failingWritesTo: partition + "/" + segment)
            #expect(disk.failing == 1)
            await #expect(throws: EventLogError.self) {
                _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [99])])
            }
            disk.heal()
            await #expect {
                _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [100])])
            } throws: { error in
                if case .writeFailed = error as? EventLogError { return true }
                return false
            }
            try await log.close()
        }
        let reopened = try EmbeddedEventLog(directory: directory.path)
        let tp = TopicPartition(topic: "t", partition: 0)
        let records = try await reopened.read(tp, from: 0, maxRecords: 100, maxBytes: 1 << 20)
        #expect(records.map(\.value) == (0..<10).map { [UInt8($0)] }, "the ten synced records, nothing else")
        #expect(try await reopened.append(topic: "t", records: [ProducerRecord(key: "k", value: [10])]).first?.offset == 10)
        try await reopened.close()
    }

    @Test func ageRetentionUsesTheNewestRecordOfASegment() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(segmentBytes: 1_024))
        try await log.createTopic(
            "aged", configuration: TopicConfiguration(partitions: 1, retention: RetentionPolicy(maxAgeSeconds: 3_600)))
        let old = Timestamp.now().adding(microseconds: -7_200_000_000)
        for _ in 0..<10 {
            _ = try await log.append(
                topic: "aged", records: [ProducerRecord(key: "k", value: [UInt8](repeating: 2, count: 400), timestamp: old)])
        }
        _ = try await log.append(topic: "aged", records: [ProducerRecord(key: "k", value: [3])])
        let report = try await log.enforceRetention(now: .now())
        #expect(report.recordsRemoved > 0)
        #expect(try await log.describe(topic: "aged")[0].endOffset == 11)
    }

    @Test func rejectsOversizedRecords() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path, options: EmbeddedLogOptions(maxRecordBytes: 1_000))
        try await log.createTopic("small", configuration: TopicConfiguration(partitions: 1))
        await #expect(throws: EventLogError.self) {
            try await log.append(topic: "small", records: [ProducerRecord(key: "k", value: [UInt8](repeating: 0, count: 2_000))])
        }
        #expect(try await log.describe(topic: "small")[0].endOffset == 0)
    }

    @Test func inspectionReadsWithoutTakingTheLock() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path)
        try await log.createTopic("seen", configuration: TopicConfiguration(partitions: 2))
        _ = try await log.append(topic: "seen", records: (0..<10).map { ProducerRecord(key: "k\($0)", value: [1]) })
        try await log.commit(group: "g", offsets: [TopicPartition(topic: "seen", partition: 0): 1])
        let inspection = try LogInspection(directory: directory.path)
        #expect(inspection.topics.first?.partitions.reduce(0) { $0 + $1.endOffset } == 10)
        #expect(inspection.groups["g"]?[TopicPartition(topic: "seen", partition: 0)] == 1)
    }
}

/// Keeps one open log at a time for the conformance suite's reopen factory.
actor LogHolder {
    private var current: EmbeddedEventLog?

    func reopen(path: String) async throws -> any EventLog {
        try await current?.close()
        current = nil
        let log = try EmbeddedEventLog(directory: path)
        current = log
        return log
    }
}

@Suite struct CodecTests {
    /// RFC 3720 (iSCSI) CRC32C test vectors.
    @Test func crc32cVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        let whole = Array("split across two calls".utf8)
        let first = whole.prefix(9).withUnsafeBytes { CRC32C.checksum($0) }
        #expect(whole.dropFirst(9).withUnsafeBytes { CRC32C.update(first, $0) } == CRC32C.checksum(whole))
    }

    /// Kafka's `UtilsTest.testMurmur2` vectors, so keys land in the same partitions as with Kafka.
    @Test func murmur2MatchesKafka() {
        let vectors: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (key, expected) in vectors {
            #expect(Int32(bitPattern: Partitioner.murmur2(Array(key.utf8))) == expected, "\(key)")
        }
    }

    @Test func batchRoundTripAndCorruptionDetection() throws {
        let records = (0..<3).map {
            (record: ProducerRecord(key: "k\($0)", value: [UInt8](repeating: UInt8($0), count: $0 * 10)), time: Int64($0))
        }
        var buffer: [UInt8] = []
        RecordBatch.encode(baseOffset: 42, records: records, into: &buffer)
        let header = buffer.withUnsafeBytes { RecordBatch.parseHeader($0, verify: true) }
        guard case .header(let parsed) = header else {
            Issue.record("no header: \(header)")
            return
        }
        #expect(parsed.baseOffset == 42)
        #expect(parsed.count == 3)
        #expect(parsed.totalSize == buffer.count)
        var decoded: [LogRecord] = []
        try buffer.withBytes { raw throws(EventLogError) in
            try RecordBatch.decodeRecords(raw, header: parsed, topic: "t", partition: 0, fromOffset: 43, limit: 10, into: &decoded)
        }
        #expect(decoded.map(\.offset) == [43, 44])
        #expect(decoded.map(\.value) == [[UInt8](repeating: 1, count: 10), [UInt8](repeating: 2, count: 20)])

        var flipped = buffer
        flipped[buffer.count - 1] ^= 1
        #expect(flipped.withUnsafeBytes { RecordBatch.parseHeader($0, verify: true) } != header)
        let torn = Array(buffer.prefix(buffer.count - 1))
        #expect(torn.withUnsafeBytes { RecordBatch.parseHeader($0, verify: true) } == .incomplete(needed: buffer.count))
        var badMagic = buffer
        badMagic[0] = 0
        #expect(badMagic.withUnsafeBytes { RecordBatch.parseHeader($0, verify: true) } == .corrupt("bad magic"))
    }

    @Test func pendingBytesBudgetBlocksUntilReleased() async {
        let budget = PendingBytesBudget(capacity: 100)
        await budget.acquire(80)
        let acquired = Atomic<Bool>(false)
        let waiter = Task {
            await budget.acquire(50)
            acquired.store(true, ordering: .sequentiallyConsistent)
        }
        try? await Task.sleep(for: .milliseconds(100))
        let acquiredEarly = acquired.load(ordering: .sequentiallyConsistent)
        #expect(!acquiredEarly, "80 + 50 bytes exceed the capacity: the second append waits")
        budget.release(80)
        await waiter.value
        let acquiredAfterRelease = acquired.load(ordering: .sequentiallyConsistent)
        #expect(acquiredAfterRelease)
        budget.release(50)
        let large = Task { await budget.acquire(1_000) }
        await large.value
        budget.release(1_000)
        await budget.acquire(100)
        budget.release(100)
    }
}
