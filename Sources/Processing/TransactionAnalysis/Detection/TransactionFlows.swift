import CSICCore

/// One side of a transaction: an address and the amount it put in or took out.
public struct Flow: Sendable, Hashable {
    public var address: String
    public var amount: Amount

    public init(_ address: String, _ amount: Amount) {
        self.address = address
        self.amount = amount
    }
}

/// A transaction as the detectors read it: who paid, who was paid, and what went back to the payers (change).
/// Bitcoin inputs and outputs are summed per address; an output to one of the inputs' addresses is change. An
/// Ethereum transaction is `from` paying `to` its value; its token transfers are not amounts of the chain's coin
/// and are kept apart (`tokenTransfers`, for the exposure of their addresses).
public struct TransactionFlows: Sendable, Hashable {
    public var chain: Chain
    public var txid: String
    /// The block time, or when it was first seen while unconfirmed.
    public var time: Timestamp
    /// The payers, each with the amount it put in (0 when the input's value is unknown).
    public var senders: [Flow]
    /// The payees other than the payers.
    public var recipients: [Flow]
    /// What the payers paid back to their own addresses.
    public var change: [Flow]
    /// The spent outputs (`txid:index`), for the detectors that follow coins (peel chains).
    public var spentOutputs: [String]
    /// The largest output as `txid:index` with its value, and how many outputs there are (Bitcoin), for the same.
    public var largestOutput: (outpoint: String, value: Amount)? {
        get { largest.map { ($0.address, $0.amount) } }
        set { largest = newValue.map { Flow($0.outpoint, $0.value) } }
    }
    private var largest: Flow?
    public var outputCount: Int
    public var isCoinbase: Bool
    /// The CoinJoin shape of the transaction, when it has one.
    public var coinJoin: CoinJoinShape?
    /// The token transfers of a successful Ethereum transaction.
    public var tokenTransfers: [TokenTransfer]

    public init(_ transaction: ChainTransaction) {
        chain = transaction.chain
        txid = transaction.txid
        time = transaction.block?.time ?? transaction.seenAt
        senders = []
        recipients = []
        change = []
        spentOutputs = []
        largest = nil
        outputCount = transaction.outputs.count
        isCoinbase = transaction.inputs.contains(where: \.isCoinbase)
        coinJoin = CoinJoinShape(transaction)
        tokenTransfers = transaction.status == .failed ? [] : transaction.tokenTransfers
        switch transaction.chain {
        case .bitcoin:
            // Summing per address by linear search is quadratic: a transaction with thousands of outputs (hostile,
            // or a large batch) is summed through an index instead.
            let indexed = transaction.inputs.count + transaction.outputs.count > 32
            var payers = FlowSums(indexed: indexed)
            var payees = FlowSums(indexed: indexed)
            var returned = FlowSums(indexed: indexed)
            for input in transaction.inputs where !input.isCoinbase {
                spentOutputs.append("\(input.previousTxid):\(input.previousIndex)")
                guard let address = input.address else { continue }
                payers.add(address, input.value ?? .zero)
            }
            for output in transaction.outputs {
                if output.value > largest?.amount ?? .zero { largest = Flow("\(transaction.txid):\(output.index)", output.value) }
                guard let address = output.address else { continue }
                if payers.contains(address) {
                    returned.add(address, output.value)
                } else {
                    payees.add(address, output.value)
                }
            }
            (senders, recipients, change) = (payers.flows, payees.flows, returned.flows)
        case .ethereum:
            if let from = transaction.from { senders.append(Flow(from, transaction.value ?? .zero)) }
            if let to = transaction.to, to != transaction.from, transaction.status != .failed {
                recipients.append(Flow(to, transaction.value ?? .zero))
            }
        }
    }

    /// A flow set built by hand (tests, the scenario generator).
    public init(
        chain: Chain, txid: String, time: Timestamp, senders: [Flow], recipients: [Flow], change: [Flow] = [], spentOutputs: [String] = [],
        largestOutput: (outpoint: String, value: Amount)? = nil, outputCount: Int? = nil, tokenTransfers: [TokenTransfer] = []
    ) {
        self.chain = chain
        self.txid = txid
        self.time = time
        self.senders = senders
        self.recipients = recipients
        self.change = change
        self.spentOutputs = spentOutputs
        largest = largestOutput.map { Flow($0.outpoint, $0.value) }
        self.outputCount = outputCount ?? (recipients.count + change.count)
        isCoinbase = false
        coinJoin = nil
        self.tokenTransfers = tokenTransfers
    }

    /// The sum of the payers' amounts.
    public var inputTotal: Amount { senders.reduce(.zero) { $0 + $1.amount } }

    /// The sum of what the payees received.
    public var paidTotal: Amount { recipients.reduce(.zero) { $0 + $1.amount } }
}

/// Amounts summed per address in first-seen order; through a dictionary when there are many addresses.
struct FlowSums {
    private(set) var flows: [Flow] = []
    private var index: [String: Int]?

    init(indexed: Bool) {
        index = indexed ? [:] : nil
    }

    func contains(_ address: String) -> Bool {
        position(of: address) != nil
    }

    mutating func add(_ address: String, _ amount: Amount) {
        if let position = position(of: address) {
            flows[position].amount = flows[position].amount + amount
        } else {
            index?[address] = flows.count
            flows.append(Flow(address, amount))
        }
    }

    private func position(of address: String) -> Int? {
        if let index { return index[address] }
        return flows.firstIndex { $0.address == address }
    }
}
