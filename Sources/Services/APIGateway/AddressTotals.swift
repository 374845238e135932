import CSICCore
import Storage

/// What an address received and sent over its stored transactions on one chain: Bitcoin outputs paying it and
/// inputs spending from it; Ethereum native value to and from it (fees and token transfers not counted). A
/// transaction orphaned by a reorganisation counts for nothing; a failed (EVM-reverted) one is counted, its
/// value not (none moved). Read from the newest transaction back, at most a bound: beyond it `complete` is false
/// and the figures cover the transactions read.
struct AddressTotals: Codable, Sendable {
    var transactions = 0
    var received = Amount.zero
    var sent = Amount.zero
    var complete: Bool

    init(transactions: Int, received: Amount, sent: Amount, complete: Bool) {
        self.transactions = transactions
        self.received = received
        self.sent = sent
        self.complete = complete
    }

    init(_ address: String, chain: Chain, history: [StoredTransaction], complete: Bool) {
        self.complete = complete
        for stored in history where stored.chain == chain && stored.status != .reverted {
            guard let transaction = StoredTransaction.event(payload: stored.payload) else { continue }
            transactions += 1
            guard stored.status != .failed else { continue }
            for output in transaction.outputs where output.address == address { received = received + output.value }
            for input in transaction.inputs where input.address == address { sent = sent + (input.value ?? .zero) }
            if let value = transaction.value {
                if transaction.to == address { received = received + value }
                if transaction.from == address { sent = sent + value }
            }
        }
    }
}
