import CSICCore
import Testing

@testable import TransactionAnalysis

@Suite struct AnalysisOrderTests {
    func transaction(_ txid: String, spends previous: String, height: UInt64?, status: TransactionStatus = .confirmed) -> ChainTransaction {
        var transaction = spend(txid, ["a"], pay: [("b", 1)])
        transaction.inputs[0].previousTxid = previous
        transaction.block = height.map { BlockRef(height: $0, hash: "h", time: Timestamp(secondsSinceEpoch: 1_796_000_000)) }
        transaction.status = status
        return transaction
    }

    @Test func spentBeforeSpendingByHeightAndRevertsStayInPlace() {
        let batch = [
            transaction("c", spends: "b", height: 7), transaction("b", spends: "a", height: 7), transaction("x", spends: "q", height: nil),
            transaction("a", spends: "z", height: 6), transaction("r", spends: "q", height: 6, status: .reverted),
            transaction("e", spends: "d", height: 8), transaction("d", spends: "q", height: 8),
        ]
        #expect(AnalysisOrder.arrange(batch).map(\.txid) == ["a", "b", "c", "x", "r", "d", "e"])
    }

    /// Hostile records spending each other in a loop are each arranged once; the loop does not hang the engine.
    @Test func aSpendingLoopIsArrangedOnce() {
        let batch = [
            transaction("a", spends: "b", height: 1), transaction("b", spends: "a", height: 1), transaction("c", spends: "c", height: 1),
        ]
        #expect(Set(AnalysisOrder.arrange(batch).map(\.txid)) == ["a", "b", "c"])
        #expect(AnalysisOrder.arrange(batch).count == 3)
    }
}
