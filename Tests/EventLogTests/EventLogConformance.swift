import CSICCore
import EventLog
import Foundation
import Testing

/// The behaviour every `EventLog` backend must have. A backend's test suite calls each check with a
/// factory that opens the backend on the same storage, so durability across reopen is checked too.
public enum EventLogConformance {
    public typealias Open = @Sendable () async throws -> any EventLog

    public static func all(_ open: Open) async throws {
        try await appendsReadBackInOrderWithDenseOffsets(open)
        try await partitionsByKeyHash(open)
        try await topicsAreCreatedOnceAndValidated(open)
        try await readsAreBoundedAndRangeChecked(open)
        try await consumerGroupsResumeFromCommittedOffsets(open)
        try await concurrentAppendsLoseNothing(open)
    }

    static func appendsReadBackInOrderWithDenseOffsets(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("orders", configuration: TopicConfiguration(partitions: 1))
        let records = (0..<500).map { ProducerRecord(key: "k", value: Array("value-\($0)".utf8)) }
        let positions = try await log.append(topic: "orders", records: records)
        #expect(positions.map(\.offset) == Array(0..<500))
        let more = try await log.append(topic: "orders", records: [ProducerRecord(key: "k", value: [1])])
        #expect(more == [RecordPosition(partition: 0, offset: 500)])
        let read = try await log.read(TopicPartition(topic: "orders", partition: 0), from: 0, maxRecords: 10_000, maxBytes: 1 << 20)
        #expect(read.count == 501)
        #expect(read.prefix(500).map(\.value) == records.map(\.value))
        #expect(read.map(\.offset) == Array(0..<501))
        try await log.close()
        let reopened = try await open()
        let again = try await reopened.read(TopicPartition(topic: "orders", partition: 0), from: 250, maxRecords: 10_000, maxBytes: 1 << 20)
        #expect(again.first?.offset == 250)
        #expect(again.count == 251)
    }

    static func partitionsByKeyHash(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("keyed", configuration: TopicConfiguration(partitions: 6))
        let records = (0..<300).map { ProducerRecord(key: "key-\($0 % 30)", value: [UInt8($0 % 256)]) }
        let positions = try await log.append(topic: "keyed", records: records)
        for (record, position) in zip(records, positions) {
            #expect(position.partition == Partitioner.partition(forKey: record.key, partitions: 6))
        }
        let statuses = try await log.describe(topic: "keyed")
        #expect(statuses.count == 6)
        #expect(statuses.reduce(0) { $0 + $1.endOffset } == 300)
        // Order within a key is kept.
        let partition = positions[0].partition
        let read = try await log.read(TopicPartition(topic: "keyed", partition: partition), from: 0, maxRecords: 1_000, maxBytes: 1 << 20)
        let sameKey = read.filter { $0.key == records[0].key }.map(\.value)
        #expect(sameKey == records.filter { $0.key == records[0].key }.map(\.value))
        try await log.close()
    }

    static func topicsAreCreatedOnceAndValidated(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("once", configuration: TopicConfiguration(partitions: 2))
        try await log.createTopic("once", configuration: TopicConfiguration(partitions: 8))
        #expect(try await log.describe(topic: "once").count == 2)
        #expect(try await log.topicNames().contains("once"))
        await #expect(throws: EventLogError.invalidTopicName("../escape")) {
            try await log.createTopic("../escape", configuration: TopicConfiguration(partitions: 1))
        }
        await #expect(throws: EventLogError.unknownTopic("missing")) {
            try await log.append(topic: "missing", records: [ProducerRecord(key: "k", value: [])])
        }
        try await log.close()
    }

    static func readsAreBoundedAndRangeChecked(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("bounded", configuration: TopicConfiguration(partitions: 1))
        _ = try await log.append(topic: "bounded", records: (0..<100).map { ProducerRecord(key: "k", value: [UInt8]($0.description.utf8)) })
        let tp = TopicPartition(topic: "bounded", partition: 0)
        #expect(try await log.read(tp, from: 10, maxRecords: 5, maxBytes: 1 << 20).map(\.offset) == [10, 11, 12, 13, 14])
        #expect(try await log.read(tp, from: 100, maxRecords: 5, maxBytes: 1 << 20).isEmpty)
        await #expect(throws: EventLogError.self) { try await log.read(tp, from: 101, maxRecords: 5, maxBytes: 1 << 20) }
        await #expect(throws: EventLogError.unknownPartition(TopicPartition(topic: "bounded", partition: 3))) {
            try await log.read(TopicPartition(topic: "bounded", partition: 3), from: 0, maxRecords: 5, maxBytes: 1 << 20)
        }
        try await log.close()
        await #expect(throws: EventLogError.closed) {
            try await log.append(topic: "bounded", records: [ProducerRecord(key: "k", value: [])])
        }
    }

    static func consumerGroupsResumeFromCommittedOffsets(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("grouped", configuration: TopicConfiguration(partitions: 3))
        _ = try await log.append(topic: "grouped", records: (0..<90).map { ProducerRecord(key: "k\($0)", value: [UInt8($0)]) })
        var consumer = try await LogConsumer(log: log, group: "readers", topics: ["grouped"])
        var seen: [UInt8] = []
        while seen.count < 40 {
            seen += try await consumer.poll(maxRecords: 40 - seen.count, timeout: .milliseconds(100)).map { $0.value[0] }
        }
        try await consumer.commit()
        let lagAfterCommit = try await log.lag(group: "readers", topic: "grouped").values.reduce(0, +)
        #expect(lagAfterCommit == 50)
        try await log.close()
        let reopened = try await open()
        var resumed = try await LogConsumer(log: reopened, group: "readers", topics: ["grouped"])
        var rest: [UInt8] = []
        while rest.count < 50 {
            let batch = try await resumed.poll(maxRecords: 100, timeout: .milliseconds(100))
            #expect(!batch.isEmpty)
            rest += batch.map { $0.value[0] }
        }
        #expect(Set(seen + rest) == Set((0..<90).map(UInt8.init)))
        #expect(seen.count + rest.count == 90)
        #expect(try await resumed.poll(maxRecords: 10, timeout: .milliseconds(20)).isEmpty)
        #expect(try await reopened.groupNames().contains("readers"))
        try await reopened.close()
    }

    static func concurrentAppendsLoseNothing(_ open: Open) async throws {
        let log = try await open()
        try await log.createTopic("concurrent", configuration: TopicConfiguration(partitions: 4))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<8 {
                group.addTask {
                    for batch in 0..<20 {
                        _ = try await log.append(
                            topic: "concurrent",
                            records: (0..<25).map {
                                ProducerRecord(key: "p\(producer)-\($0)", value: Array("\(producer)/\(batch)/\($0)".utf8))
                            })
                    }
                }
            }
            try await group.waitForAll()
        }
        var values = Set<[UInt8]>()
        for status in try await log.describe(topic: "concurrent") {
            let read = try await log.read(
                TopicPartition(topic: "concurrent", partition: status.partition), from: 0, maxRecords: 10_000, maxBytes: 8 << 20)
            #expect(read.map(\.offset) == Array(0..<Int64(read.count)))
            values.formUnion(read.map(\.value))
        }
        #expect(values.count == 8 * 20 * 25)
        try await log.close()
    }
}
