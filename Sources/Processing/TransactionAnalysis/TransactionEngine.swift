import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import Storage
import StreamRuntime

/// Consumes `transactions`: decodes and validates each event and stores valid transactions with their
/// address index. Invalid records go to `dead_letter` with the reason; the rest of the batch proceeds.
///
/// Checks beyond the domain validation: the record key must be the txid (the topic's key contract).
public struct TransactionEngine: StreamEngine {
    public let group: String
    public let topics = [Topic.transactions.rawValue]

    public init(group: String = "transaction-engine") {
        self.group = group
    }

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput<[TransactionWrite]> {
        var output = EngineOutput<[TransactionWrite]>(effects: [])
        output.effects.reserveCapacity(batch.count)
        let now = Timestamp.now()
        for record in batch {
            do throws(ValidationError) {
                switch try TransactionTopicEvent(protoBytes: record.value) {
                case .transaction(let transaction):
                    try Self.check(transaction, record: record)
                    output.effects.append(TransactionWrite(Self.row(transaction, record: record), addresses: transaction.addresses))
                case .block(let block):
                    try block.validate()
                }
            } catch {
                output.deadLetters.append(DeadLetter(rejecting: record, by: group, error: error, now: now))
            }
        }
        return output
    }

    static func check(_ transaction: ChainTransaction, record: LogRecord) throws(ValidationError) {
        try transaction.validate()
        guard record.key.elementsEqual(transaction.txid.utf8) else {
            throw ValidationError(.inconsistent, field: "key", "record key \(String(decoding: record.key, as: UTF8.self)) is not the txid")
        }
    }

    static func row(_ transaction: ChainTransaction, record: LogRecord) -> StoredTransaction {
        StoredTransaction(
            id: transaction.eventID, chain: transaction.chain, txid: transaction.txid,
            blockHeight: transaction.block?.height, blockHash: transaction.block?.hash, blockTime: transaction.block?.time,
            seenAt: transaction.seenAt, fee: transaction.fee, totalOutput: transaction.totalOutput,
            inputCount: transaction.inputs.count, outputCount: transaction.outputs.count,
            status: transaction.status, riskScore: nil, payload: record.value,
            source: LogPosition(topic: record.topic, partition: record.partition, offset: record.offset))
    }
}

extension TransactionEngine {
    /// Stores a batch of transactions with their address index in one store transaction.
    public struct Sink: EffectSink {
        let store: any TransactionStore

        public init(store: any TransactionStore) {
            self.store = store
        }

        public func prepare(_ writes: [TransactionWrite]) -> PreparedTransactions {
            store.prepare(writes)
        }

        public func apply(_ prepared: PreparedTransactions) async throws {
            try await store.apply(prepared)
        }
    }
}

extension StreamProcessor where Engine == TransactionEngine, Sink == TransactionEngine.Sink {
    /// The transaction engine storing into `store`.
    public convenience init(
        engine: TransactionEngine, log: any EventLog, store: any TransactionStore, settings: StreamSettings = StreamSettings(),
        logger: Logger = Logger(label: "csic.stream"), metrics: any MetricsFactory = MetricsSystem.factory,
        observer: (@Sendable (BatchReport) -> Void)? = nil, health: HealthBoard? = nil
    ) {
        self.init(
            engine: engine, sink: TransactionEngine.Sink(store: store), log: log, settings: settings, logger: logger, metrics: metrics,
            observer: observer, health: health)
    }
}
