import CSICCore

/// The funds graph read from the stored transactions: an edge `payer → payee` for every payer and every payee of a
/// transaction that is not also one of its payers (change paid back to a payer moves no funds). An address's edges
/// are found through the address index (the transactions touching it, newest first) and the transactions
/// themselves. An address with more than `maxDegree` stored transactions is a hub and is not expanded.
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
        let page = try await store.transactions(TransactionQuery(address: address), limit: maxDegree + 1, cursor: nil)
        guard page.items.count <= maxDegree else { return nil }
        var found: [(address: String, txid: String)] = []
        for stored in page.items {
            guard stored.chain == chain, let transaction = StoredTransaction.event(payload: stored.payload) else { continue }
            let payers = Set(transaction.inputs.compactMap(\.address))
            let payees = Set(transaction.outputs.compactMap(\.address))
            switch direction {
            case .outgoing where payers.contains(address):
                found += payees.subtracting(payers).sorted().map { ($0, transaction.txid) }
            case .incoming where payees.contains(address) && !payers.contains(address):
                found += payers.sorted().map { ($0, transaction.txid) }
            default: break
            }
        }
        return found
    }
}
