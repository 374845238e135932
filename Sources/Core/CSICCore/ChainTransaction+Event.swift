/// A transaction on a supervised chain, as published on the `transactions` topic.
///
/// Bitcoin transactions use `inputs` and `outputs`; Ethereum transactions use `from`, `to`, `value`
/// and `tokenTransfers`. The id is deterministic: `btc:<txid>` or `eth:<txid>`.
public struct ChainTransaction: DomainEvent, Hashable, Codable {
    public var chain: Chain
    /// The transaction hash in lowercase hex (64 digits).
    public var txid: String
    /// The confirming block, absent while in the mempool.
    public var block: BlockRef?
    /// When the platform first saw the transaction.
    public var seenAt: Timestamp
    public var inputs: [TransactionInput]
    public var outputs: [TransactionOutput]
    /// Ethereum sender.
    public var from: String?
    /// Ethereum recipient; absent for a contract creation.
    public var to: String?
    /// Ethereum value in wei.
    public var value: Amount?
    public var fee: Amount?
    public var tokenTransfers: [TokenTransfer]
    public var status: TransactionStatus
    /// The checks the publishing adapter ran on the chain data (e.g. `merkle_root`, `proof_of_work`); empty
    /// when the source verifies nothing.
    public var verifiedChecks: [String]

    public init(
        chain: Chain, txid: String, block: BlockRef?, seenAt: Timestamp,
        inputs: [TransactionInput] = [], outputs: [TransactionOutput] = [],
        from: String? = nil, to: String? = nil, value: Amount? = nil, fee: Amount? = nil,
        tokenTransfers: [TokenTransfer] = [], status: TransactionStatus = .confirmed, verifiedChecks: [String] = []
    ) {
        self.chain = chain
        self.txid = txid
        self.block = block
        self.seenAt = seenAt
        self.inputs = inputs
        self.outputs = outputs
        self.from = from
        self.to = to
        self.value = value
        self.fee = fee
        self.tokenTransfers = tokenTransfers
        self.status = status
        self.verifiedChecks = verifiedChecks
    }

    public var eventID: String { "\(chain.idPrefix):\(txid)" }

    /// Every address the transaction touches, without repeats, in first-seen order.
    public var addresses: [String] {
        let capacity = inputs.count + outputs.count + 2 + tokenTransfers.count * 2
        var ordered: [String] = []
        ordered.reserveCapacity(capacity)
        // Most transactions touch a handful of addresses, where a linear scan beats hashing each one.
        var seen: Set<String>? = capacity > 16 ? Set(minimumCapacity: capacity) : nil
        func add(_ address: String?) {
            guard let address else { return }
            let isNew = seen?.insert(address).inserted ?? !ordered.contains(address)
            if isNew { ordered.append(address) }
        }
        inputs.forEach { add($0.address) }
        outputs.forEach { add($0.address) }
        add(from)
        add(to)
        for transfer in tokenTransfers {
            add(transfer.from)
            add(transfer.to)
        }
        return ordered
    }

    /// The sum of input values, or `nil` when an input does not carry its value.
    public var inputTotal: Amount? {
        var total = Amount.zero
        for input in inputs {
            guard let value = input.value else { return nil }
            total = total + value
        }
        return total
    }

    /// The sum of output values.
    public var totalOutput: Amount {
        var total = Amount.zero
        for output in outputs { total = total + output.value }
        return total
    }

    public func validate() throws(ValidationError) {
        try Check.hex(txid, bytes: 32, "txid")
        try Check.plausible(seenAt, "seen_at")
        if let block {
            try Check.hex(block.hash, bytes: 32, "block.hash")
            try Check.plausible(block.time, "block.time")
        }
        switch chain {
        case .bitcoin: try validateBitcoin()
        case .ethereum: try validateEthereum()
        }
        if let fee, fee > chain.maximumValue {
            throw ValidationError(.outOfRange, field: "fee", "exceeds the chain's supply")
        }
    }

    private func validateBitcoin() throws(ValidationError) {
        try require(!inputs.isEmpty, .missing, "inputs", "a Bitcoin transaction has at least one input")
        try require(!outputs.isEmpty, .missing, "outputs", "a Bitcoin transaction has at least one output")
        for (position, input) in inputs.enumerated() {
            try Check.hex(input.previousTxid, bytes: 32, "inputs[\(position)].previous_txid")
        }
        if let position = firstRepeatedOutpoint() {
            throw ValidationError(.inconsistent, field: "inputs[\(position)]", "spends the same output twice")
        }
        let isCoinbase = inputs.count == 1 && inputs[0].isCoinbase
        for (position, output) in outputs.enumerated() {
            try require(
                output.index == UInt32(position), .inconsistent, "outputs[\(position)].index",
                "is \(output.index), expected \(position)")
            try require(
                output.value <= chain.maximumValue, .outOfRange, "outputs[\(position)].value",
                "\(output.value) exceeds 21 million BTC")
            try require(!output.scriptType.isEmpty, .missing, "outputs[\(position)].script_type", "must not be empty")
        }
        let total = totalOutput
        try require(total <= chain.maximumValue, .outOfRange, "outputs", "total exceeds 21 million BTC")
        if !isCoinbase, let totalIn = inputTotal {
            guard let computedFee = totalIn.subtracting(total) else {
                throw ValidationError(.inconsistent, field: "outputs", "outputs \(total) exceed inputs \(totalIn)")
            }
            if let fee, fee != computedFee {
                throw ValidationError(.inconsistent, field: "fee", "is \(fee), inputs minus outputs is \(computedFee)")
            }
        }
        try require(from == nil && to == nil && value == nil, .inconsistent, "from", "account fields on a Bitcoin transaction")
    }

    /// The position of the first input that spends an outpoint an earlier input already spends.
    private func firstRepeatedOutpoint() -> Int? {
        guard inputs.count > 1 else { return nil }
        if inputs.count <= 16 {
            for later in 1..<inputs.count {
                for earlier in 0..<later
                where inputs[earlier].previousIndex == inputs[later].previousIndex
                    && inputs[earlier].previousTxid == inputs[later].previousTxid
                {
                    return later
                }
            }
            return nil
        }
        struct Outpoint: Hashable {
            let txid: String
            let index: UInt32
        }
        var seen = Set<Outpoint>(minimumCapacity: inputs.count)
        for (position, input) in inputs.enumerated()
        where !seen.insert(Outpoint(txid: input.previousTxid, index: input.previousIndex)).inserted {
            return position
        }
        return nil
    }

    private func validateEthereum() throws(ValidationError) {
        guard let from else { throw ValidationError(.missing, field: "from", "an Ethereum transaction has a sender") }
        try EthereumAddressCheck.validate(from, "from")
        if let to { try EthereumAddressCheck.validate(to, "to") }
        try require(inputs.isEmpty && outputs.isEmpty, .inconsistent, "inputs", "UTXO fields on an Ethereum transaction")
        for (position, transfer) in tokenTransfers.enumerated() {
            try EthereumAddressCheck.validate(transfer.token, "token_transfers[\(position)].token")
            try EthereumAddressCheck.validate(transfer.from, "token_transfers[\(position)].from")
            try EthereumAddressCheck.validate(transfer.to, "token_transfers[\(position)].to")
            try require(transfer.value.bitWidth <= 256, .outOfRange, "token_transfers[\(position)].value", "exceeds uint256")
        }
        if let value {
            try require(value.bitWidth <= 256, .outOfRange, "value", "exceeds uint256")
        }
    }
}

enum EthereumAddressCheck {
    /// `0x` followed by 40 hex digits (checksum case is checked by the adapter, not here).
    static func validate(_ address: String, _ field: String) throws(ValidationError) {
        let utf8 = Array(address.utf8)
        guard utf8.count == 42, utf8[0] == 48, utf8[1] == 120 || utf8[1] == 88,
            Hex.decode(String(decoding: utf8[2...], as: UTF8.self)) != nil
        else {
            throw ValidationError(.malformed, field: field, "must be 0x followed by 40 hex digits")
        }
    }
}
