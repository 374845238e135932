import CSICCore

/// An unspent output the simulated world knows the owner of.
struct SimulatedOutput: Sendable {
    var txid: String
    var index: UInt32
    var address: String
    var value: UInt64
}

/// A participant of the simulated economy.
struct Wallet: Sendable {
    enum Kind: String, Sendable {
        case user, merchant, exchangeHot, exchangeDeposit, miner
    }

    let kind: Kind
    /// Addresses this wallet controls, oldest first; some kinds reuse them, others add a fresh one per receipt.
    var addresses: [String]
    var utxos: [SimulatedOutput] = []

    var balance: UInt64 { utxos.reduce(0) { $0 + $1.value } }
}

/// The wallets of the simulated economy: users, merchants, exchanges (hot wallet + per-user deposit
/// addresses) and mining pools. Addresses are real segwit encodings (P2WPKH, P2WSH, P2TR) of seeded keys.
struct ChainWorld: Sendable {
    var wallets: [Wallet] = []
    let users: Range<Int>
    let merchants: Range<Int>
    let exchangeHot: Range<Int>
    let miners: Range<Int>
    /// Deposit wallet of (user, exchange), created on first deposit.
    var depositWallet: [Int: Int] = [:]
    /// Deposit wallets that received funds since they were last swept.
    var fundedDeposits: [Int] = []
    private var listedAsFunded: Set<Int> = []
    private var addressCounter: UInt64 = 0
    private var rng: SplitMix64

    init(seed: UInt64, users userCount: Int, merchants merchantCount: Int = 400, exchanges: Int = 8, miners minerCount: Int = 12) {
        rng = SplitMix64(seed: seed ^ 0xA5A5_5A5A_C3C3_3C3C)
        var wallets: [Wallet] = []
        users = 0..<userCount
        merchants = userCount..<userCount + merchantCount
        exchangeHot = merchants.upperBound..<merchants.upperBound + exchanges
        miners = exchangeHot.upperBound..<exchangeHot.upperBound + minerCount
        self.wallets = wallets
        for _ in users { wallets.append(Wallet(kind: .user, addresses: [])) }
        for _ in merchants { wallets.append(Wallet(kind: .merchant, addresses: [])) }
        for _ in exchangeHot { wallets.append(Wallet(kind: .exchangeHot, addresses: [])) }
        for _ in miners { wallets.append(Wallet(kind: .miner, addresses: [])) }
        self.wallets = wallets
        for index in wallets.indices { _ = newAddress(for: index) }
    }

    /// A fresh address for a wallet: mostly P2WPKH, some P2TR, exchanges' hot wallets P2WSH multisig.
    mutating func newAddress(for wallet: Int) -> String {
        addressCounter += 1
        let roll = rng.next() % 100
        let address: String
        if wallets[wallet].kind == .exchangeHot {
            address = Bech32.segwitAddress(hrp: "bc", version: 0, program: rng.bytes32())
        } else if roll < 18 {
            address = Bech32.segwitAddress(hrp: "bc", version: 1, program: rng.bytes32())
        } else {
            address = Bech32.segwitAddress(hrp: "bc", version: 0, program: Array(rng.bytes32().prefix(20)))
        }
        wallets[wallet].addresses.append(address)
        return address
    }

    /// The deposit wallet for `user` at exchange `exchange`, created with one address on first use.
    mutating func deposit(user: Int, exchange: Int) -> Int {
        let key = user * 64 + (exchange - exchangeHot.lowerBound)
        if let wallet = depositWallet[key] { return wallet }
        wallets.append(Wallet(kind: .exchangeDeposit, addresses: []))
        let index = wallets.count - 1
        _ = newAddress(for: index)
        depositWallet[key] = index
        return index
    }

    /// The address to receive at: exchanges and deposit addresses always reuse, people sometimes do.
    mutating func receivingAddress(for wallet: Int, reuseChance: UInt64) -> String {
        switch wallets[wallet].kind {
        case .exchangeHot, .exchangeDeposit, .miner:
            return wallets[wallet].addresses[0]
        case .user, .merchant:
            if rng.next() % 100 < reuseChance, let existing = wallets[wallet].addresses.last { return existing }
            return newAddress(for: wallet)
        }
    }

    /// Credits an output to a wallet, remembering deposit wallets that now hold funds.
    mutating func credit(_ output: SimulatedOutput, to wallet: Int) {
        wallets[wallet].utxos.append(output)
        if wallets[wallet].kind == .exchangeDeposit, listedAsFunded.insert(wallet).inserted {
            fundedDeposits.append(wallet)
        }
    }

    /// Removes and returns up to `count` random funded deposit wallets.
    mutating func takeFundedDeposits(_ count: Int, using rng: inout SplitMix64) -> [Int] {
        var taken: [Int] = []
        while taken.count < count, !fundedDeposits.isEmpty {
            let position = Int(rng.next() % UInt64(fundedDeposits.count))
            fundedDeposits.swapAt(position, fundedDeposits.count - 1)
            let wallet = fundedDeposits.removeLast()
            listedAsFunded.remove(wallet)
            taken.append(wallet)
        }
        return taken
    }

    /// Removes random outputs of `wallet` until they cover `amount`; `nil` (and nothing removed) if they cannot.
    mutating func takeOutputs(of wallet: Int, covering amount: UInt64, using rng: inout SplitMix64) -> [SimulatedOutput]? {
        var chosen: [SimulatedOutput] = []
        var total: UInt64 = 0
        while total < amount, !wallets[wallet].utxos.isEmpty {
            let position = Int(rng.next() % UInt64(wallets[wallet].utxos.count))
            wallets[wallet].utxos.swapAt(position, wallets[wallet].utxos.count - 1)
            let output = wallets[wallet].utxos.removeLast()
            chosen.append(output)
            total += output.value
        }
        guard total >= amount else {
            wallets[wallet].utxos += chosen
            return nil
        }
        return chosen
    }

    static func scriptType(of address: String) -> String {
        if address.hasPrefix("bc1p") { return "p2tr" }
        return address.utf8.count > 50 ? "p2wsh" : "p2wpkh"
    }
}
