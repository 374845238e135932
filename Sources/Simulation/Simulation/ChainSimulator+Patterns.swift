import CSICCore

extension ChainSimulator {
    /// A user pays another user or a merchant, with change back to the payer.
    mutating func payment() -> ChainTransaction? {
        let payer = world.users.randomElement(using: &rng)!
        let toMerchant = rng.next() % 100 < 55
        let payee = toMerchant ? world.merchants.randomElement(using: &rng)! : world.users.randomElement(using: &rng)!
        guard payee != payer else { return nil }
        let drawn = UInt64(rng.logNormal(median: toMerchant ? 150_000 : 800_000, sigma: 1.3)) + 1_000
        // Merchants price in fiat; people often send round sums.
        let amount = toMerchant ? drawn : humanAmount(drawn, roundChance: 40)
        let payeeAddress = world.receivingAddress(for: payee, reuseChance: toMerchant ? 10 : 35)
        lastPattern = .payment
        // Now and then a person sends everything an output holds ("send max"): one output, no change.
        if !toMerchant, rng.next() % 100 < 10, let output = world.takeOutputs(of: payer, covering: 1, using: &rng) {
            return build(inputs: output.map { (payer, $0) }, payments: [(payee, payeeAddress, nil)], change: nil)
        }
        return spend(from: payer, payments: [(payee, payeeAddress, amount)], changeReuse: 30)
    }

    /// A user sends funds to their deposit address at an exchange.
    mutating func exchangeDeposit() -> ChainTransaction? {
        let user = world.users.randomElement(using: &rng)!
        let exchange = world.exchangeHot.randomElement(using: &rng)!
        let deposit = world.deposit(user: user, exchange: exchange)
        let amount = humanAmount(UInt64(rng.logNormal(median: 2_000_000, sigma: 1.4)) + 10_000, roundChance: 40)
        lastPattern = .exchangeDeposit
        if rng.next() % 100 < 20, let output = world.takeOutputs(of: user, covering: 1, using: &rng) {
            return build(inputs: output.map { (user, $0) }, payments: [(deposit, world.wallets[deposit].addresses[0], nil)], change: nil)
        }
        return spend(from: user, payments: [(deposit, world.wallets[deposit].addresses[0], amount)], changeReuse: 25)
    }

    /// An exchange pays out a batch of customer withdrawals from its hot wallet.
    mutating func exchangeWithdrawal() -> ChainTransaction? {
        let exchange = world.exchangeHot.randomElement(using: &rng)!
        let count = 3 + Int(rng.next() % 18)
        var payments: [(Int, String, UInt64)] = []
        for _ in 0..<count {
            let user = world.users.randomElement(using: &rng)!
            let amount = humanAmount(UInt64(rng.logNormal(median: 1_500_000, sigma: 1.3)) + 5_000, roundChance: 30)
            payments.append((user, world.receivingAddress(for: user, reuseChance: 40), amount))
        }
        lastPattern = .exchangeWithdrawal
        return spend(from: exchange, payments: payments, changeReuse: 100)
    }

    /// An exchange consolidates customer deposit addresses into its hot wallet.
    mutating func depositSweep() -> ChainTransaction? {
        guard world.fundedDeposits.count >= 2 else { return nil }
        let sources = world.takeFundedDeposits(2 + Int(rng.next() % 20), using: &rng)
        let hot = world.exchangeHot.randomElement(using: &rng)!
        var inputs: [(Int, SimulatedOutput)] = []
        for wallet in sources {
            inputs += world.wallets[wallet].utxos.map { (wallet, $0) }
            world.wallets[wallet].utxos.removeAll()
        }
        lastPattern = .depositSweep
        return build(inputs: inputs, payments: [(hot, world.wallets[hot].addresses[0], nil)], change: nil)
    }

    /// A merchant consolidates its receipts and settles them to its exchange account.
    mutating func merchantSettlement() -> ChainTransaction? {
        let merchant = world.merchants.randomElement(using: &rng)!
        guard world.wallets[merchant].utxos.count >= 3 else { return nil }
        let exchange = world.exchangeHot.randomElement(using: &rng)!
        let deposit = world.deposit(user: merchant, exchange: exchange)
        let inputs = world.wallets[merchant].utxos.map { (merchant, $0) }
        world.wallets[merchant].utxos.removeAll()
        lastPattern = .merchantSettlement
        return build(inputs: inputs, payments: [(deposit, world.wallets[deposit].addresses[0], nil)], change: nil)
    }

    /// `amount` as a person would type it `roundChance` times in 100: rounded to a thousandth of a coin.
    private mutating func humanAmount(_ amount: UInt64, roundChance: UInt64) -> UInt64 {
        guard rng.next() % 100 < roundChance else { return amount }
        return max(100_000, (amount + 50_000) / 100_000 * 100_000)
    }

    /// Picks inputs from `payer` covering the payments plus fee and builds the transaction with change.
    private mutating func spend(from payer: Int, payments: [(Int, String, UInt64)], changeReuse: UInt64) -> ChainTransaction? {
        let needed = payments.reduce(0) { $0 + $1.2 } + 20_000
        guard let chosen = world.takeOutputs(of: payer, covering: needed, using: &rng) else { return nil }
        let changeAddress = world.receivingAddress(for: payer, reuseChance: changeReuse)
        return build(
            inputs: chosen.map { (payer, $0) }, payments: payments.map { ($0.0, $0.1, Optional($0.2)) }, change: (payer, changeAddress))
    }

    /// Assembles a transaction from `(owner, output)` inputs; a payment with a `nil` amount receives
    /// everything left after the fee. When the inputs cannot pay, they go back to their owners.
    private mutating func build(
        inputs: [(Int, SimulatedOutput)], payments: [(Int, String, UInt64?)], change: (Int, String)?
    ) -> ChainTransaction? {
        let totalIn = inputs.reduce(0) { $0 + $1.1.value }
        let outputCount = payments.count + (change == nil ? 0 : 1)
        let virtualSize = UInt64(11 + 68 * inputs.count + 31 * outputCount)
        let feeRate = UInt64(rng.logNormal(median: 8, sigma: 0.8)) + 1
        let fee = virtualSize * feeRate
        let fixed = payments.reduce(0) { $0 + ($1.2 ?? 0) }
        guard totalIn > fixed + fee + 546 else {
            for (owner, output) in inputs { world.credit(output, to: owner) }
            return nil
        }
        let txid = rng.hex32()
        var outputs: [TransactionOutput] = []
        func pay(_ wallet: Int, _ address: String, _ value: UInt64) {
            let index = UInt32(outputs.count)
            outputs.append(
                TransactionOutput(index: index, address: address, value: Amount(value), scriptType: ChainWorld.scriptType(of: address)))
            world.credit(SimulatedOutput(txid: txid, index: index, address: address, value: value), to: wallet)
        }
        for (wallet, address, amount) in payments {
            pay(wallet, address, amount ?? totalIn - fixed - fee)
        }
        if let (wallet, address) = change {
            let rest = totalIn - fixed - fee
            if rest >= 546 { pay(wallet, address, rest) }
        }
        let spent = outputs.reduce(UInt64(0)) { $0 + $1.value.uint64Value! }
        return ChainTransaction(
            chain: .bitcoin, txid: txid, block: blockRef, seenAt: blockTime,
            inputs: inputs.map {
                TransactionInput(previousTxid: $0.1.txid, previousIndex: $0.1.index, address: $0.1.address, value: Amount($0.1.value))
            },
            outputs: outputs, fee: Amount(totalIn - spent), status: .confirmed)
    }
}
