import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import StreamRuntime
import TransactionAnalysis

/// Fills a log and store through the real engine, the way the platform does.
enum Seeding {
    static func seed(log: any EventLog, store: any PlatformStore, transactions: Int) async throws -> [String] {
        var simulator = ChainSimulator(seed: 21, start: Timestamp(secondsSinceEpoch: 1_767_225_600), transactionsPerBlock: 100, users: 500)
        var records: [ProducerRecord] = []
        var txids: [String] = []
        while txids.count < transactions {
            let event = simulator.next()
            if case .transaction(let transaction) = event { txids.append(transaction.txid) }
            records.append(ProducerRecord(key: event.recordKey, value: event.serializedProto()))
        }
        records.append(ProducerRecord(key: "junk", value: [0xDE, 0xAD, 0xBE, 0xEF]))
        try await log.append(.transactions, records: records)
        let engine = TransactionEngine()
        var consumer = try await LogConsumer(log: log, group: engine.group, topics: engine.topics)
        var consumed = 0
        while consumed < records.count {
            let batch = try await consumer.poll(maxRecords: 10_000, timeout: .seconds(1))
            let output = try await engine.process(batch)
            try await store.apply(output.effects)
            try await store.record(output.deadLetters)
            consumed += batch.count
        }
        try await consumer.commit()
        return txids
    }
}
