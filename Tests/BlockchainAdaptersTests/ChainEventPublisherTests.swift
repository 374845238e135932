@testable import BlockchainAdapters
import CSICCore
import CSICProtos
import CSICTestSupport
import Crypto
import EventLog
import Testing

@Suite struct ChainEventPublisherTests {
    /// A node's answer larger than the log's record limit (4 MiB) made the dead letter fail to append and the
    /// adapter exit; it is now dead-lettered with its first 1 MiB, its length and its SHA-256.
    @Test func anAnswerLargerThanARecordIsDeadLetteredBounded() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let publisher = ChainEventPublisher(log: log, source: "ethereum")
        let answer = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await publisher.deadLetter(key: "eth_getBlockByNumber", payload: answer, reason: "result does not decode")
        try await publisher.deadLetter(key: "eth_blockNumber", payload: [1, 2, 3], reason: "small")
        var consumer = try await LogConsumer(log: log, group: "test", topics: [Topic.deadLetter.rawValue])
        let letters = try await consumer.poll(maxRecords: 10, timeout: .seconds(1)).map { try DeadLetter(protoBytes: $0.value) }
        #expect(letters.count == 2)
        #expect(letters[0].payload == Array(answer.prefix(1 << 20)))
        #expect(letters[0].reason.contains("\(answer.count) bytes, SHA-256 \(Hex.encode(SHA256.hash(data: answer)))"))
        #expect(letters[1].payload == [1, 2, 3] && letters[1].reason == "small")
        try await log.close()
    }
}
