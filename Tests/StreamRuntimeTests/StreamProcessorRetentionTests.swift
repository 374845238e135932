import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Prometheus
import Simulation
import Storage
import StreamRuntime
import Testing
import TransactionAnalysis

@Suite struct StreamProcessorRetentionTests {
    /// Records the log's retention removed before the engine read them are not passed over in silence: the
    /// engine stores what is left and counts the rest in `csic_stream_records_skipped_total`.
    @Test func recordsRemovedBeforeTheEngineReadThemAreCounted() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log", options: EmbeddedLogOptions(segmentBytes: 2_048))
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        let retention = RetentionPolicy(maxBytesPerPartition: 6_000, removesUnconsumed: true)
        try await log.createTopic("transactions", configuration: TopicConfiguration(partitions: 1, retention: retention))
        // The engine has committed offset 0: it means to read from the start.
        try await log.commit(group: "transaction-engine", offsets: [TopicPartition(topic: "transactions", partition: 0): 0])
        var simulator = ChainSimulator(seed: 4, start: Timestamp(secondsSinceEpoch: 1_767_225_600), users: 200)
        let transactions = (0..<200).map { _ in simulator.nextTransaction() }
        // Batches of ten: segments roll between batches.
        for first in stride(from: 0, to: transactions.count, by: 10) {
            let batch = transactions[first..<first + 10]
            try await log.append(
                .transactions,
                records: batch.map { ProducerRecord(key: $0.txid, value: TransactionTopicEvent.transaction($0).serializedProto()) })
        }
        let removed = try await log.enforceRetention(now: .now()).recordsRemoved
        #expect(removed > 0)

        let registry = PrometheusCollectorRegistry()
        let processor = StreamProcessor(
            engine: TransactionEngine(), log: log, store: store, metrics: PrometheusMetricsFactory(registry: registry))
        try await runProcessors([processor]) { try await store.transactionCount() == 200 - Int(removed) }
        #expect(try await store.transactionCount() == 200 - Int(removed))
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        #expect(
            String(decoding: exposition, as: UTF8.self).contains(
                #"csic_stream_records_skipped_total{group="transaction-engine"} \#(removed)"#))
        try await log.close()
    }
}
