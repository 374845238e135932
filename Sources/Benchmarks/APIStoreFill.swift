import CSICCore
import CSICProtos
import EventLog
import Simulation
import Storage
import TransactionAnalysis

/// Fills a store with simulated transactions through the transaction engine's own processing and the store's
/// own writes (what the pipeline does after the log), for `csic bench api`. A store that already holds
/// `count` transactions is used as it is.
enum APIStoreFill {
    /// Adds transactions until `store` holds at least `count`; prints progress to `progress`; shows every written
    /// batch to `written`.
    static func fill(
        _ store: any PlatformStore, to count: Int, progress: (Int) -> Void, written: ([TransactionWrite]) -> Void = { _ in }
    ) async throws {
        var stored = try await store.transactionCount()
        guard stored < count else { return }
        // A seed per starting count: a store filled in several runs gets new transactions each time.
        var simulator = ChainSimulator(seed: 4_242 &+ UInt64(stored), start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        let engine = TransactionEngine()
        var offset: Int64 = 0
        while stored < count {
            var records: [LogRecord] = []
            records.reserveCapacity(16_384)
            while records.count < 16_384 {
                let event = simulator.next()
                records.append(
                    LogRecord(
                        topic: Topic.transactions.rawValue, partition: 0, offset: offset, timestamp: .now(), key: event.recordKey,
                        value: event.serializedProto()))
                offset += 1
            }
            let output = try await engine.process(records)
            try await store.apply(output.effects)
            written(output.effects)
            stored = try await store.transactionCount()
            progress(stored)
        }
    }
}
