import CSICCore
import CSICProtos
import EventLog
import Foundation
import ServiceLifecycle
import Simulation
import Storage
import StreamRuntime
import Synchronization
import CSICTestSupport
import Testing
import TransactionAnalysis

/// Runs processors until `done` holds (or a deadline passes), then cancels them.
func runProcessors(_ processors: [any Service], until done: @Sendable () async throws -> Bool) async throws {
    let tasks = processors.map { processor in Task { try await processor.run() } }
    let deadline = ContinuousClock.now.advanced(by: .seconds(60))
    while try await !done(), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    for task in tasks { task.cancel() }
    for task in tasks { _ = try? await task.value }
}

@Suite struct StreamProcessorTests {
    let start = Timestamp(secondsSinceEpoch: 1_767_225_600)

    @Test func storesValidTransactionsAndDeadLettersTheRest() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        try await log.createPlatformTopics(partitions: 3)

        var simulator = ChainSimulator(seed: 9, start: start, transactionsPerBlock: 400, users: 1_000)
        var records: [ProducerRecord] = []
        var txids: [String] = []
        for _ in 0..<2_000 {
            let event = simulator.next()
            if case .transaction(let transaction) = event { txids.append(transaction.txid) }
            records.append(ProducerRecord(key: event.recordKey, value: event.serializedProto()))
        }
        var other = ChainSimulator(seed: 10, start: start, users: 1_000)
        var badTxid = other.nextTransaction()
        badTxid.txid = "not-hex"
        let mismatched = other.nextTransaction()
        let bad = [
            ProducerRecord(key: "garbage", value: [0xFF, 0x00, 0x13, 0x37]),
            ProducerRecord(key: "not-hex", value: TransactionTopicEvent.transaction(badTxid).serializedProto()),
            ProducerRecord(key: "wrong-key", value: TransactionTopicEvent.transaction(mismatched).serializedProto()),
        ]
        try await log.append(.transactions, records: Array(records[..<1_000]) + bad + Array(records[1_000...]))

        let expected = txids.count
        let engine = StreamProcessor(engine: TransactionEngine(), log: log, store: store)
        let recorder = StreamProcessor(engine: DeadLetterRecorder(), log: log, store: store)
        try await runProcessors([engine, recorder]) {
            let stored = try await store.transactionCount()
            let letters = try await store.deadLetterCount()
            return stored == expected && letters == 3
        }
        #expect(try await store.transactionCount() == txids.count)
        for txid in txids.prefix(50) { #expect(try await store.transaction(id: "btc:\(txid)") != nil) }
        let letters = try await store.deadLetters(source: nil, limit: 10, cursor: nil).items
        #expect(Set(letters.map(\.reasonCode)) == [.undecodable, .malformed, .inconsistent])
        #expect(letters.allSatisfy { $0.rejectedBy == "transaction-engine" && $0.topic == "transactions" && $0.offset != nil })
        #expect(letters.contains { $0.payload == [0xFF, 0x00, 0x13, 0x37] })
        #expect(try await log.lag(group: "transaction-engine", topic: "transactions").values.reduce(0, +) == 0)

        // A restart resumes from the committed offsets: nothing is processed twice. One new transaction is
        // appended; the restarted engine processes that record alone.
        let processedAgain = Mutex(0)
        let engineAgain = StreamProcessor(engine: TransactionEngine(), log: log, store: store) { report in
            processedAgain.withLock { $0 += report.records }
        }
        let newcomer = other.nextTransaction()
        try await log.append(
            .transactions,
            records: [ProducerRecord(key: newcomer.txid, value: TransactionTopicEvent.transaction(newcomer).serializedProto())])
        try await runProcessors([engineAgain]) { try await store.transaction(id: newcomer.eventID) != nil }
        #expect(try await store.transaction(id: newcomer.eventID) != nil)
        #expect(processedAgain.withLock { $0 } == 1, "only the record appended after the commit is processed")
        #expect(try await log.describe(topic: "dead_letter").reduce(0) { $0 + $1.endOffset } == 3)

        // Replaying from offset zero (at-least-once) changes nothing in the store.
        let partitions = try await log.describe(topic: "transactions")
        try await log.commit(
            group: "transaction-engine",
            offsets: Dictionary(
                uniqueKeysWithValues: partitions.map { (TopicPartition(topic: "transactions", partition: $0.partition), Int64(0)) }))
        let replay = StreamProcessor(engine: TransactionEngine(), log: log, store: store)
        try await runProcessors([replay, StreamProcessor(engine: DeadLetterRecorder(), log: log, store: store)]) {
            let engineLag = try await log.lag(group: "transaction-engine", topic: "transactions").values.reduce(0, +)
            let recorderLag = try await log.lag(group: "dead-letter-recorder", topic: "dead_letter").values.reduce(0, +)
            return engineLag == 0 && recorderLag == 0
        }
        #expect(try await store.transactionCount() == txids.count + 1)
        #expect(try await store.deadLetterCount() == 3)
        try await log.close()
    }

    @Test func observerSeesLatencyOfEveryRecord() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        try await log.createPlatformTopics(partitions: 2)
        var simulator = ChainSimulator(seed: 1, start: start, users: 500)
        let records = (0..<300).map { _ in
            let event = simulator.next()
            return ProducerRecord(key: event.recordKey, value: event.serializedProto())
        }
        // The records wait 300 ms in the log before the engine starts: each latency includes that wait, and
        // none is longer than the time since the append began.
        let appending = ContinuousClock.now
        try await log.append(.transactions, records: records)
        try await Task.sleep(for: .milliseconds(300))
        let seen = Mutex<[Int64]>([])
        let processor = StreamProcessor(engine: TransactionEngine(), log: log, store: store) { report in
            seen.withLock { $0 += report.latenciesMicroseconds }
        }
        try await runProcessors([processor]) { seen.withLock { $0.count } == 300 }
        let bound = Int64((ContinuousClock.now - appending).seconds * 1_000_000) + 1_000
        #expect(seen.withLock { $0.count } == 300)
        #expect(
            seen.withLock { $0.allSatisfy { $0 >= 300_000 && $0 <= bound } }, "append to stored: at least the wait, at most the test's time"
        )
        try await log.close()
    }
}
