import CSICCore
import CSICProtos
import EventLog
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

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput {
        var output = EngineOutput()
        output.storeWrites.reserveCapacity(batch.count)
        let now = Timestamp.now()
        for record in batch {
            do throws(ValidationError) {
                switch try TransactionTopicEvent(protoBytes: record.value) {
                case .transaction(let transaction):
                    try Self.check(transaction, record: record, now: now)
                    output.storeWrites.append(.upsertTransaction(Self.row(transaction, record: record), addresses: transaction.addresses))
                case .block(let block):
                    try block.validate()
                }
            } catch {
                output.deadLetters.append(DeadLetter(rejecting: record, by: group, error: error, now: now))
            }
        }
        return output
    }

    static func check(_ transaction: ChainTransaction, record: LogRecord, now: Timestamp) throws(ValidationError) {
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
