import CSICCore
@testable import EventLog
import Foundation
import CSICTestSupport
import Testing

/// Damage anywhere but a torn tail: the log opens, serves what it can, cuts nothing, stops only the damaged
/// partition and says what is wrong; `LogRepair` then brings back every record it can and keeps every offset.
@Suite struct LogDamageTests {
    /// Ways a partition's files get damaged, with what the report must name.
    enum Damage: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sealedSegmentStart, sealedSegmentMiddle, sealedSegmentEnd, activeSegmentStart, activeSegmentMiddle
        case deletedMiddleSegment, deletedActiveSegment, truncatedIndex, deletedPartitionDirectory, deletedTopicConf

        var testDescription: String { rawValue }
    }

    static let options = EmbeddedLogOptions(segmentBytes: 1_024)
    static let batches = 40
    static let tp = TopicPartition(topic: "t", partition: 0)

    /// Writes 40 one-record batches to `t` (about six segments) and one record to `u`; a group commits 38.
    static func makeLog(at path: String) async throws -> [LogRecord] {
        let log = try EmbeddedEventLog(directory: path, options: options)
        try await log.createTopic("t", configuration: TopicConfiguration(partitions: 1))
        try await log.createTopic("u", configuration: TopicConfiguration(partitions: 1))
        for batch in 0..<batches {
            _ = try await log.append(
                topic: "t", records: [ProducerRecord(key: "k\(batch)", value: [UInt8](repeating: UInt8(batch), count: 100))])
        }
        _ = try await log.append(topic: "u", records: [ProducerRecord(key: "u", value: [1])])
        try await log.commit(group: "g", offsets: [tp: 38])
        let records = try await readAll(log)
        try await log.close()
        return records
    }

    /// Every record of `t`, segment after segment (a read stops at a segment's end).
    static func readAll(_ log: EmbeddedEventLog) async throws -> [LogRecord] {
        var records: [LogRecord] = []
        while true {
            let next = try await log.read(tp, from: Int64(records.count), maxRecords: 1_000, maxBytes: 1 << 20)
            if next.isEmpty { return records }
            records += next
        }
    }

    /// Every file under the log, with its bytes (the lock excluded).
    static func snapshot(_ path: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard name != "LOCK", FileManager.default.fileExists(atPath: "\(path)/\(name)", isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            files[name] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(path)/\(name)")))
        }
        return files
    }

    /// Applies the damage; returns the text the report must contain and the offsets whose records are lost.
    static func damage(_ damage: Damage, at root: String) throws -> (expected: String, lost: Range<Int64>) {
        let directory = "\(root)/topics/t/0"
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
        let bases = segments.map { Int64($0.dropLast(4))! }
        func flip(_ name: String, at choose: (Int) -> Int) throws -> String {
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
            bytes[choose(bytes.count)] ^= 0x5A
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
            return "\(directory)/\(name)"
        }
        switch damage {
        case .sealedSegmentStart:
            return (try flip(segments[1], at: { _ in 20 }), bases[1]..<bases[1] + 1)
        case .sealedSegmentMiddle:
            let records = bases[2] - bases[1]
            return (try flip(segments[1], at: { $0 / 2 }), bases[1] + records / 2..<bases[1] + records / 2 + 1)
        case .sealedSegmentEnd:
            return (try flip(segments[1], at: { $0 - 3 }), bases[2] - 1..<bases[2])
        case .activeSegmentStart:
            return (try flip(segments.last!, at: { _ in 20 }), bases.last!..<bases.last! + 1)
        case .activeSegmentMiddle:
            let records = Int64(batches) - bases.last!
            return (try flip(segments.last!, at: { $0 / 2 }), bases.last! + records / 2..<bases.last! + records / 2 + 1)
        case .deletedMiddleSegment:
            try FileManager.default.removeItem(atPath: "\(directory)/\(segments[2])")
            try? FileManager.default.removeItem(atPath: "\(directory)/\(segments[2].dropLast(4)).index")
            return ("offsets \(bases[2])..<\(bases[3]) are missing", bases[2]..<bases[3])
        case .deletedActiveSegment:
            // The group committed 38: those records were read; the ones after it are unknowable.
            try FileManager.default.removeItem(atPath: "\(directory)/\(segments.last!)")
            return ("the active segment \(directory)/\(segments.last!) is missing", bases.last!..<38)
        case .truncatedIndex:
            let index = "\(directory)/\(segments[1].dropLast(4)).index"
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: index)))
            try Data(bytes.prefix(bytes.count - 5)).write(to: URL(fileURLWithPath: index))
            return ("the index \(index)", 0..<0)
        case .deletedPartitionDirectory:
            try FileManager.default.removeItem(atPath: directory)
            return ("the partition directory \(directory) is missing", 0..<38)
        case .deletedTopicConf:
            try FileManager.default.removeItem(atPath: "\(root)/topics/t/topic.conf")
            return ("\(root)/topics/t/topic.conf is missing", 0..<0)
        }
    }

    @Test(arguments: Damage.allCases)
    func damageIsReportedNeverCutAndRepairedKnowingly(_ kind: Damage) async throws {
        let directory = try TemporaryDirectory()
        let original = try await Self.makeLog(at: directory.path)
        let (expected, lost) = try Self.damage(kind, at: directory.path)
        let damaged = try Self.snapshot(directory.path)

        let log = try EmbeddedEventLog(directory: directory.path, options: Self.options)
        let damage = await log.damage()
        #expect(damage.contains { $0.contains(expected) }, "\(damage)")
        await #expect(throws: EventLogError.self, "the damaged partition takes no appends") {
            _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])])
        }
        #expect(try await log.append(topic: "u", records: [ProducerRecord(key: "u", value: [2])]).first?.offset == 1, "other topics go on")
        var consumer = try await LogConsumer(log: log, group: "fresh", topics: ["t", "u"])
        let served = try await consumer.poll(maxRecords: 1_000, timeout: .milliseconds(100))
        #expect(served.contains { $0.topic == "u" }, "a consumer of the damaged partition still gets the others")
        for record in served where record.topic == "t" {
            #expect(record.value == original[Int(record.offset)].value, "what is served is what was written")
        }
        try await log.close()
        let ofT = { (files: [String: [UInt8]]) in files.filter { $0.key.hasPrefix("topics/t/") } }
        let after = ofT(try Self.snapshot(directory.path))
        let changed = after.filter { ofT(damaged)[$0.key] != $0.value }.keys.sorted()
        #expect(changed.isEmpty && after.count == ofT(damaged).count, "not one byte of t changed: \(changed)")

        let actions = try LogRepair.repair(directory: directory.path)
        #expect(!actions.isEmpty)
        for action in actions {
            if let quarantine = action.quarantine { #expect(FileManager.default.fileExists(atPath: quarantine)) }
        }
        #expect(try LogRepair.repair(directory: directory.path).isEmpty, "nothing left to repair")
        let repaired = try EmbeddedEventLog(directory: directory.path, options: Self.options)
        let remaining = await repaired.damage()
        #expect(remaining.isEmpty, "\(remaining)")
        let records = try await Self.readAll(repaired)
        let end = kind == .deletedActiveSegment || kind == .deletedPartitionDirectory ? 38 : Self.batches
        #expect(records.map(\.offset) == Array(0..<Int64(end)), "every offset is held again, none reused")
        for record in records {
            if lost.contains(record.offset) {
                #expect(record.key == Array(LogRepair.quarantinedKey.utf8), "offset \(record.offset) is a placeholder")
            } else {
                #expect(
                    record.value == original[Int(record.offset)].value && record.key == original[Int(record.offset)].key,
                    "offset \(record.offset) kept")
            }
        }
        #expect(try await repaired.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])]).first?.offset == Int64(end))
        try await repaired.close()
    }

    /// Bytes damaged while the log is open are found by the read that meets them: the partition stops taking
    /// appends and is reported; the consumer waits there and keeps reading the other partitions.
    @Test func damageFoundByAReadStopsThatPartitionOnly() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.makeLog(at: directory.path)
        let log = try EmbeddedEventLog(directory: directory.path, options: Self.options)
        let segment = "\(directory.path)/topics/t/0/00000000000000000000.log"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[60] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        var consumer = try await LogConsumer(log: log, group: "fresh", topics: ["t", "u"])
        let served = try await consumer.poll(maxRecords: 1_000, timeout: .milliseconds(100))
        #expect(served.map(\.topic) == ["u"])
        #expect(consumer.positions[Self.tp] == 0)
        let damage = await log.damage()
        #expect(damage.count == 1 && damage[0].contains("\(segment) at byte 0") && damage[0].contains("CRC"), "\(damage)")
        await #expect(throws: EventLogError.self) { _ = try await log.append(topic: "t", records: [ProducerRecord(key: "k", value: [9])]) }
        try await log.close()
    }
}
