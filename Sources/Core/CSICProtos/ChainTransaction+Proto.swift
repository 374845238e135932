import CSICCore
import Foundation

extension ChainTransaction: ProtoConvertible {
    public var proto: Csic_V1_ChainTransaction {
        var message = Csic_V1_ChainTransaction()
        message.chain = EnumMapping.toProto(chain)
        message.txid = txid
        if let block {
            message.block = .with {
                $0.height = block.height
                $0.hash = block.hash
                $0.timeUs = block.time.microsecondsSinceEpoch
            }
        }
        message.seenAtUs = seenAt.microsecondsSinceEpoch
        message.inputs = inputs.map { input in
            var proto = Csic_V1_TransactionInput()
            proto.previousTxid = input.previousTxid
            proto.previousIndex = input.previousIndex
            if let address = input.address { proto.address = address }
            if let value = input.value { proto.value = value.protoBytes }
            return proto
        }
        message.outputs = outputs.map { output in
            var proto = Csic_V1_TransactionOutput()
            proto.index = output.index
            if let address = output.address { proto.address = address }
            proto.value = output.value.protoBytes
            proto.scriptType = output.scriptType
            return proto
        }
        if let from { message.from = from }
        if let to { message.to = to }
        if let value { message.value = value.protoBytes }
        if let fee { message.fee = fee.protoBytes }
        message.tokenTransfers = tokenTransfers.map { transfer in
            .with {
                $0.token = transfer.token
                $0.from = transfer.from
                $0.to = transfer.to
                $0.value = transfer.value.protoBytes
                $0.logIndex = transfer.logIndex
            }
        }
        message.status = EnumMapping.toProto(status)
        message.verifiedChecks = verifiedChecks
        return message
    }

    public init(proto message: Csic_V1_ChainTransaction) throws(ValidationError) {
        var inputs: [TransactionInput] = []
        inputs.reserveCapacity(message.inputs.count)
        for (position, input) in message.inputs.enumerated() {
            inputs.append(
                TransactionInput(
                    previousTxid: input.previousTxid,
                    previousIndex: input.previousIndex,
                    address: input.hasAddress ? input.address : nil,
                    value: input.hasValue ? try Amount.fromProto(input.value, field: "inputs[\(position)].value") : nil))
        }
        var outputs: [TransactionOutput] = []
        outputs.reserveCapacity(message.outputs.count)
        for (position, output) in message.outputs.enumerated() {
            outputs.append(
                TransactionOutput(
                    index: output.index,
                    address: output.hasAddress ? output.address : nil,
                    value: try Amount.fromProto(output.value, field: "outputs[\(position)].value"),
                    scriptType: output.scriptType))
        }
        var transfers: [TokenTransfer] = []
        for (position, transfer) in message.tokenTransfers.enumerated() {
            transfers.append(
                TokenTransfer(
                    token: transfer.token, from: transfer.from, to: transfer.to,
                    value: try Amount.fromProto(transfer.value, field: "token_transfers[\(position)].value"),
                    logIndex: transfer.logIndex))
        }
        self.init(
            chain: try EnumMapping.fromProto(message.chain, field: "chain"),
            txid: message.txid,
            block: message.hasBlock
                ? BlockRef(height: message.block.height, hash: message.block.hash, time: Timestamp(protoMicros: message.block.timeUs))
                : nil,
            seenAt: Timestamp(protoMicros: message.seenAtUs),
            inputs: inputs,
            outputs: outputs,
            from: message.hasFrom ? message.from : nil,
            to: message.hasTo ? message.to : nil,
            value: message.hasValue ? try Amount.fromProto(message.value, field: "value") : nil,
            fee: message.hasFee ? try Amount.fromProto(message.fee, field: "fee") : nil,
            tokenTransfers: transfers,
            status: try EnumMapping.fromProto(message.status, field: "status"),
            verifiedChecks: message.verifiedChecks)
    }
}

extension ChainBlock: ProtoConvertible {
    public var proto: Csic_V1_ChainBlock {
        .with {
            $0.chain = EnumMapping.toProto(chain)
            $0.height = height
            $0.hash = hash
            $0.previousHash = previousHash
            $0.timeUs = time.microsecondsSinceEpoch
            $0.transactionCount = transactionCount
        }
    }

    public init(proto message: Csic_V1_ChainBlock) throws(ValidationError) {
        self.init(
            chain: try EnumMapping.fromProto(message.chain, field: "chain"),
            height: message.height, hash: message.hash, previousHash: message.previousHash,
            time: Timestamp(protoMicros: message.timeUs), transactionCount: message.transactionCount)
    }
}

/// A record of the `transactions` topic.
public enum TransactionTopicEvent: Sendable, Hashable {
    case transaction(ChainTransaction)
    case block(ChainBlock)

    /// The topic key: the txid for a transaction, the block hash for a block.
    public var recordKey: [UInt8] {
        switch self {
        case .transaction(let transaction): Array(transaction.txid.utf8)
        case .block(let block): Array(block.hash.utf8)
        }
    }
}

extension TransactionTopicEvent: ProtoConvertible {
    public var proto: Csic_V1_TransactionEvent {
        switch self {
        case .transaction(let transaction): .with { $0.transaction = transaction.proto }
        case .block(let block): .with { $0.block = block.proto }
        }
    }

    public init(proto message: Csic_V1_TransactionEvent) throws(ValidationError) {
        switch message.payload {
        case .transaction(let transaction): self = .transaction(try ChainTransaction(proto: transaction))
        case .block(let block): self = .block(try ChainBlock(proto: block))
        case nil: throw ValidationError(.missing, field: "payload", "a transactions record holds a transaction or a block")
        }
    }
}

extension TransactionStatus {
    /// The status as `csic.v1.TransactionStatus`.
    public var proto: Csic_V1_TransactionStatus { EnumMapping.toProto(self) }
}

extension Chain {
    /// The chain of a `csic.v1.Chain`; unspecified or unknown values are a validation error.
    public init(proto: Csic_V1_Chain) throws(ValidationError) {
        self = try EnumMapping.fromProto(proto, field: "chain")
    }
}
