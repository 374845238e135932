@testable import BlockchainAdapters
import CSICCore
import CSICProtos
import CSICTestSupport
import Crypto
import EventLog
import Testing

@Suite struct ChainEventPublisherTests {
    /// A node's answer larger than the log's record limit (4 MiB) made the dead letter fail to append and the
    /// adapter exit; it is now dead-lettered with its first bytes (the configured limit: 1 MiB by default, 64 KiB
    /// here), its length and its SHA-256.
    @Test(arguments: [DeadLetter.defaultMaxPayloadBytes, 64 << 10])
    func anAnswerLargerThanARecordIsDeadLetteredBounded(_ limit: Int) async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let publisher = ChainEventPublisher(log: log, source: "ethereum", maxDeadLetterBytes: limit)
        let answer = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await publisher.deadLetter(key: "eth_getBlockByNumber", payload: answer, reason: "result does not decode")
        try await publisher.deadLetter(key: "eth_blockNumber", payload: [1, 2, 3], reason: "small")
        var consumer = try await LogConsumer(log: log, group: "test", topics: [Topic.deadLetter.rawValue])
        let letters = try await consumer.poll(maxRecords: 10, timeout: .seconds(1)).map { try DeadLetter(protoBytes: $0.value) }
        #expect(letters.count == 2)
        #expect(letters[0].payload == Array(answer.prefix(limit)))
        #expect(
            letters[0].reason.contains("\(answer.count) bytes, SHA-256 \(Hex.encode(SHA256.hash(data: answer))); the first \(limit) kept"))
        #expect(letters[1].payload == [1, 2, 3] && letters[1].reason == "small")
        try await log.close()
    }
}
