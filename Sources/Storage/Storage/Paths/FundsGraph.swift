import CSICCore

/// The funds graph read from the stored transactions: an edge `payer → payee` for every payer and every payee of a
/// transaction that is not also one of its payers (change paid back to a payer moves no funds); on Ethereum, the
/// sender pays the recipient and each token transfer is a payment (``counterparties(in:of:_:)``). An address's edges
/// are found through the address index (the transactions touching it, newest first) and the transactions
/// themselves. An address with more than `maxDegree` stored transactions is a hub and is not expanded. Transactions
/// that moved no funds — orphaned by a reorganisation (`reverted`) or reverted by the EVM (`failed`) — count toward
/// the degree but are not edges.
public struct FundsGraph: Sendable {
    let store: any TransactionStore
    public let chain: Chain
    public let maxDegree: Int

    public init(store: any TransactionStore, chain: Chain, maxDegree: Int) {
        self.store = store
        self.chain = chain
        self.maxDegree = maxDegree
    }

    /// The payees of what `address` paid (`outgoing`) or the payers of what it received (`incoming`), each with
    /// the transaction, in the order of the transactions (newest first); `nil` for a hub.
    public func neighbours(of address: String, _ direction: FundsDirection) async throws -> [(address: String, txid: String)]? {
        guard let transactions = try await movements(of: address) else { return nil }
        return transactions.flatMap { transaction in
            Self.counterparties(in: transaction, of: [address], direction).map { ($0, transaction.txid) }
        }
    }

    /// The transactions of `address` on this graph's chain that moved funds, newest first, with the stored
    /// transactions' ids; `nil` when it has more than ``maxDegree`` stored transactions.
    func movements(of address: String) async throws -> [ChainTransaction]? {
        let page = try await store.transactions(TransactionQuery(address: address), limit: maxDegree + 1, cursor: nil)
        guard page.items.count <= maxDegree else { return nil }
        return page.items.compactMap { stored in
            guard stored.chain == chain, stored.status != .reverted, stored.status != .failed else { return nil }
            return StoredTransaction.event(payload: stored.payload)
        }
    }

    /// The counterparties of `members` in `transaction`, sorted: the payees of what they paid (payers and members
    /// excluded) for `outgoing`; for `incoming`, the payers of what they received when none of them paid in it. On
    /// Ethereum the sender pays the recipient when the value is not zero (a call that moves no ether is no edge), and
    /// each token transfer is a payment of its own from its sender to its recipient.
    static func counterparties(in transaction: ChainTransaction, of members: Set<String>, _ direction: FundsDirection) -> [String] {
        var payers = Set(transaction.inputs.compactMap(\.address))
        var payees = Set(transaction.outputs.compactMap(\.address))
        if let sender = transaction.from, let recipient = transaction.to, let value = transaction.value, value > .zero {
            payers.insert(sender)
            payees.insert(recipient)
        }
        var found = Set<String>()
        switch direction {
        case .outgoing where !payers.isDisjoint(with: members):
            found = payees.subtracting(payers).subtracting(members)
        case .incoming where !payees.isDisjoint(with: members) && payers.isDisjoint(with: members):
            found = payers
        default: break
        }
        for transfer in transaction.tokenTransfers {
            switch direction {
            case .outgoing where members.contains(transfer.from) && !members.contains(transfer.to): found.insert(transfer.to)
            case .incoming where members.contains(transfer.to) && !members.contains(transfer.from): found.insert(transfer.from)
            default: break
            }
        }
        return found.sorted()
    }
}
