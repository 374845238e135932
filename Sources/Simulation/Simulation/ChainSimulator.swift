import CSICCore
import CSICProtos

/// A deterministic Bitcoin-like economy that emits blocks and transactions with real structure:
/// coinbase rewards to mining pools, peer and merchant payments with change, deposits to exchanges'
/// per-customer addresses, batched exchange withdrawals, deposit sweeps and merchant settlements.
///
/// Every input spends an output the simulator created earlier (or a seeded pre-window output), so values
/// balance and fees are inputs minus outputs. The same seed gives the same sequence of txids.
///
/// ```swift
/// var simulator = ChainSimulator(seed: 7, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
/// let event = simulator.next()   // .block(...) or .transaction(...)
/// ```
public struct ChainSimulator: Sendable {
    /// What the simulator knows about a transaction it emitted, for tests and ground truth.
    public enum Pattern: String, Sendable, CaseIterable {
        case coinbase, payment, exchangeDeposit = "exchange_deposit", exchangeWithdrawal = "exchange_withdrawal"
        case depositSweep = "deposit_sweep", merchantSettlement = "merchant_settlement"
    }

    public private(set) var emittedTransactions: Int = 0
    public internal(set) var lastPattern: Pattern = .coinbase
    var world: ChainWorld
    var rng: SplitMix64
    private let transactionsPerBlock: Int
    private let liveClock: Bool
    private var height: UInt64
    private var blockHash: String
    var blockTime: Timestamp
    private var inBlock = 0
    private var pendingCoinbase = false
    private var pendingTransactions: [ChainTransaction] = []

    /// - Parameters:
    ///   - start: the time of the first simulated block.
    ///   - transactionsPerBlock: transactions per simulated block (mainnet: ~3,000).
    ///   - liveClock: stamp blocks with the wall clock instead of simulated time (ids stay deterministic).
    public init(seed: UInt64, start: Timestamp, transactionsPerBlock: Int = 2_500, users: Int = 100_000, liveClock: Bool = false) {
        world = ChainWorld(seed: seed, users: users)
        rng = SplitMix64(seed: seed)
        self.transactionsPerBlock = transactionsPerBlock
        self.liveClock = liveClock
        height = 900_000 + seed % 10_000
        blockHash = rng.hex32()
        blockTime = start
        fundPreWindowOutputs()
    }

    /// Gives every wallet outputs from before the simulated window, so spending starts at once.
    private mutating func fundPreWindowOutputs() {
        for wallet in world.wallets.indices {
            let kind = world.wallets[wallet].kind
            let count = kind == .exchangeHot ? 40 : (kind == .user ? 2 : 4)
            for _ in 0..<count {
                let median: Double = kind == .exchangeHot ? 2e9 : (kind == .merchant ? 2e7 : 5e6)
                let value = UInt64(min(rng.logNormal(median: median, sigma: 1.2), 5e11)) + 10_000
                let address = world.wallets[wallet].addresses[0]
                world.wallets[wallet].utxos.append(SimulatedOutput(txid: rng.hex32(), index: 0, address: address, value: value))
            }
        }
    }

    /// The next event: a block header when a block starts, otherwise a transaction of the current block.
    /// The tags a regulator's own TagPacks would list for the simulated economy's known services so far:
    /// exchanges' hot wallets and deposit addresses, mining pools, merchants' payment processors.
    public func serviceTags() -> [AddressTag] {
        var tags: [AddressTag] = []
        for wallet in world.wallets {
            let category: TagCategory? =
                switch wallet.kind {
                case .exchangeHot, .exchangeDeposit: .exchange
                case .miner: .miningPool
                case .merchant: .paymentProcessor
                case .user: nil
                }
            guard let category else { continue }
            for address in wallet.addresses {
                tags.append(
                    AddressTag(
                        chain: .bitcoin, address: address, label: "Simulated \(wallet.kind.rawValue)", category: category,
                        source: "scenario",
                        confidence: 100))
            }
        }
        return tags
    }

    public mutating func next() -> TransactionTopicEvent {
        if inBlock == 0 && !pendingCoinbase {
            let previous = blockHash
            height += 1
            blockHash = rng.hex32()
            let interval = Int64(rng.logNormal(median: 540, sigma: 0.6) * 1_000_000)
            blockTime = liveClock ? Timestamp.now() : blockTime.adding(microseconds: interval)
            pendingCoinbase = true
            return .block(
                ChainBlock(
                    chain: .bitcoin, height: height, hash: blockHash, previousHash: previous, time: blockTime,
                    transactionCount: UInt32(transactionsPerBlock)))
        }
        let transaction: ChainTransaction
        if pendingCoinbase {
            pendingCoinbase = false
            transaction = coinbase()
        } else {
            transaction = makeTransaction()
        }
        inBlock += 1
        if inBlock == transactionsPerBlock { inBlock = 0 }
        emittedTransactions += 1
        return .transaction(transaction)
    }

    /// The next transaction, skipping block headers.
    public mutating func nextTransaction() -> ChainTransaction {
        while true {
            if case .transaction(let transaction) = next() { return transaction }
        }
    }

    var blockRef: BlockRef { BlockRef(height: height, hash: blockHash, time: blockTime) }

    private mutating func coinbase() -> ChainTransaction {
        lastPattern = .coinbase
        let miner = world.miners.randomElement(using: &rng)!
        let txid = rng.hex32()
        let reward: UInt64 = 312_500_000 + rng.next() % 30_000_000
        let address = world.wallets[miner].addresses[0]
        world.credit(SimulatedOutput(txid: txid, index: 0, address: address, value: reward), to: miner)
        return ChainTransaction(
            chain: .bitcoin, txid: txid, block: blockRef, seenAt: blockTime,
            inputs: [TransactionInput(previousTxid: TransactionInput.coinbaseTxid, previousIndex: 0xFFFF_FFFF)],
            outputs: [
                TransactionOutput(index: 0, address: address, value: Amount(reward), scriptType: ChainWorld.scriptType(of: address)),
                TransactionOutput(index: 1, address: nil, value: .zero, scriptType: "nulldata"),
            ],
            fee: nil, status: .confirmed)
    }

    private mutating func makeTransaction() -> ChainTransaction {
        while true {
            let roll = rng.next() % 100
            let built: ChainTransaction?
            switch roll {
            case 0..<45: built = payment()
            case 45..<65: built = exchangeDeposit()
            case 65..<77: built = exchangeWithdrawal()
            case 77..<87: built = depositSweep()
            default: built = merchantSettlement()
            }
            if let built { return built }
        }
    }
}
