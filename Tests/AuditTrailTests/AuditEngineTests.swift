@testable import AuditTrail
import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Logging
import Metrics
import StreamRuntime
import Testing

/// The audit engine on the stream runtime: records on `audit` end in the WORM log once each, even when the
/// whole topic is consumed again (a replay after a crash before the offsets were committed); bad records
/// are dead-lettered, not appended; a checkpoint covers everything on shutdown.
@Suite struct AuditEngineTests {
    private func record(_ n: Int) -> AuditRecord {
        AuditRecord(
            id: "r-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: "analyst", action: "transactions.read",
            resource: "/api/v1/transactions", outcome: .success, requestID: "q-\(n)", sourceAddress: "127.0.0.1", details: [:])
    }

    /// Runs the audit engine until the WORM log holds `entries`, then stops it gracefully (cancellation).
    private func runEngine(_ log: any EventLog, _ settings: AuditLogSink.Settings, until entries: UInt64) async throws {
        let processor = StreamProcessor(audit: settings, log: log, metrics: NOOPMetricsHandler.instance, logger: Logger(label: "test"))
        let task = Task { try await processor.run() }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let size = (try? AuditLog(directory: settings.directory, settings: .init(origin: "test/audit", readOnly: true)))?.size ?? 0
            if size >= entries { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        try await task.value
    }

    @Test func appendsEachRecordOnceAcrossAReplayAndDeadLettersBadOnes() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let settings = AuditLogSink.Settings(
            directory: directory.path + "/audit", log: AuditLog.Settings(origin: "test/audit"), checkpointEvery: 1_000_000,
            checkpointInterval: .seconds(3_600))
        let records = (0..<50).map(record)
        try await log.append(.audit, records: records.prefix(30).map { ProducerRecord(key: $0.actor, value: $0.serializedProto()) })
        try await log.append(.audit, records: [ProducerRecord(key: "x", value: [0xFF, 0x01])])
        try await log.append(.audit, records: records.suffix(20).map { ProducerRecord(key: $0.actor, value: $0.serializedProto()) })
        try await runEngine(log, settings, until: 50)

        // A replay of the whole topic: as if the offsets had never been committed.
        try await log.commit(group: AuditEngine.consumerGroup, offsets: [TopicPartition(topic: Topic.audit.rawValue, partition: 0): 0])
        try await log.append(.audit, records: [ProducerRecord(key: "analyst", value: record(50).serializedProto())])
        try await runEngine(log, settings, until: 51)

        let trail = try AuditLog(directory: settings.directory, settings: .init(origin: "test/audit", readOnly: true))
        #expect(trail.size == 51, "50 records, replayed, and one more: each once")
        #expect(try (0..<trail.size).map { try AuditLeaf.record(trail.leaf($0)).id } == (0...50).map { "r-\($0)" })
        #expect(try trail.latestCheckpoint()?.checkpoint.size == 51, "the checkpoint signed on shutdown covers every entry")
        var letters = try await LogConsumer(log: log, group: "test", topics: [Topic.deadLetter.rawValue])
        let dead = try await letters.poll(maxRecords: 10, timeout: .seconds(1)).map { try DeadLetter(protoBytes: $0.value) }
        #expect(dead.map(\.rejectedBy) == [AuditEngine.consumerGroup, AuditEngine.consumerGroup], "the bad record, once per consumption")
        #expect(Set(dead.map(\.eventID)).count == 1, "the same dead letter id both times: stored once")
        try await log.close()
    }
}
