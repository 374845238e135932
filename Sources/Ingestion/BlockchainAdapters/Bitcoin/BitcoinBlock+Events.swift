import CSICCore

/// A transaction output by its position: what an input spends.
public struct Outpoint: Hashable, Sendable {
    public var txid: Hash256
    public var index: UInt32

    public init(txid: Hash256, index: UInt32) {
        self.txid = txid
        self.index = index
    }
}

/// What an input spends, when the adapter knows it: value, type and address of the previous output.
public struct SpentOutput: Hashable, Sendable {
    public var value: UInt64
    public var type: BitcoinOutputType
    public var address: String?

    public init(value: UInt64, type: BitcoinOutputType, address: String?) {
        self.value = value
        self.type = type
        self.address = address
    }
}

extension BitcoinBlock {
    /// The outputs this block creates, classified for `network`: what a UTXO index stores.
    public func createdOutputs(network: BitcoinNetwork) -> [(Outpoint, SpentOutput)] {
        transactions.flatMap { transaction in
            transaction.outputs.enumerated().map { index, output in
                let (type, address) = BitcoinScript.classify(self[output.scriptPubKey], network: network)
                return (
                    Outpoint(txid: transaction.txid, index: UInt32(index)), SpentOutput(value: output.value, type: type, address: address)
                )
            }
        }
    }

    /// The outpoints the block's transactions spend (coinbase inputs excluded).
    public var spentOutpoints: [Outpoint] {
        transactions.dropFirst().flatMap { $0.inputs.map { Outpoint(txid: $0.previousTxid, index: $0.previousIndex) } }
    }

    /// The block's transactions as `transactions` topic events. Inputs carry the value and address of what
    /// they spend when `spentOutputs` (the adapter's UTXO index or the node) or an earlier transaction of this
    /// block knows it; the fee is set when every input is known.
    public func chainTransactions(
        height: UInt64, network: BitcoinNetwork, seenAt: Timestamp, status: TransactionStatus = .confirmed,
        spentOutputs: [Outpoint: SpentOutput] = [:], verifiedChecks: [String] = []
    ) -> [ChainTransaction] {
        publication(
            height: height, network: network, seenAt: seenAt, status: status, spentOutputs: spentOutputs,
            verifiedChecks: verifiedChecks
        ).transactions
    }

    /// The events of `chainTransactions` and the outputs the block creates (`createdOutputs`), each output
    /// classified once: what the adapter publishes and what it adds to its UTXO index.
    public func publication(
        height: UInt64, network: BitcoinNetwork, seenAt: Timestamp, status: TransactionStatus = .confirmed,
        spentOutputs: [Outpoint: SpentOutput] = [:], verifiedChecks: [String] = []
    ) -> (transactions: [ChainTransaction], created: [(Outpoint, SpentOutput)]) {
        let reference = BlockRef(height: height, hash: header.hash.hex, time: Timestamp(secondsSinceEpoch: Int64(header.time)))
        let created = createdOutputs(network: network)
        var known = spentOutputs
        var nextCreated = 0
        let transactions = transactions.map { transaction in
            var inputValues: UInt64? = 0
            let inputs = transaction.inputs.map { input in
                if input.isCoinbase {
                    inputValues = nil
                    return TransactionInput(previousTxid: TransactionInput.coinbaseTxid, previousIndex: input.previousIndex)
                }
                let spent = known[Outpoint(txid: input.previousTxid, index: input.previousIndex)]
                inputValues = spent.flatMap { value in inputValues.flatMap { Self.sum($0, value.value) } }
                return TransactionInput(
                    previousTxid: input.previousTxid.hex, previousIndex: input.previousIndex,
                    address: spent?.address, value: spent.map { Amount($0.value) })
            }
            let outputs = created[nextCreated..<nextCreated + transaction.outputs.count].map { outpoint, output in
                known[outpoint] = output
                return TransactionOutput(
                    index: outpoint.index, address: output.address, value: Amount(output.value), scriptType: output.type.rawValue)
            }
            nextCreated += transaction.outputs.count
            let outputValues = transaction.outputs.reduce(UInt64?(0)) { total, output in total.flatMap { Self.sum($0, output.value) } }
            let fee = inputValues.flatMap { inputs in outputValues.flatMap { inputs >= $0 ? Amount(inputs - $0) : nil } }
            return ChainTransaction(
                chain: .bitcoin, txid: transaction.txid.hex, block: reference, seenAt: seenAt,
                inputs: inputs, outputs: outputs, fee: fee, status: status, verifiedChecks: verifiedChecks)
        }
        return (transactions, created)
    }

    /// `a + b`, or `nil` when it overflows: values come from the block, and an unverified block (`csic chain
    /// decode-block` on any file) may claim outputs no sum can hold. The fee is then unknown, not a trap.
    static func sum(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : total
    }
}
