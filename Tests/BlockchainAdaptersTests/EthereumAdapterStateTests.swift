import BlockchainAdapters
import CSICCore
import CSICTestSupport
import Testing

@Suite struct EthereumAdapterStateTests {
    private func transaction(_ digit: Character, height: UInt64) -> ChainTransaction {
        ChainTransaction(
            chain: .ethereum, txid: String(repeating: digit, count: 64),
            block: BlockRef(height: height, hash: String(repeating: "b", count: 64), time: Timestamp(secondsSinceEpoch: 1_767_225_600)),
            seenAt: Timestamp(secondsSinceEpoch: 1_767_225_601), from: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            to: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", value: Amount(7), fee: Amount(21_000),
            verifiedChecks: EthereumBlock.verifiedChecks)
    }

    private func pointer(_ height: UInt64) -> BlockPointer {
        BlockPointer(height: height, hash: String(format: "%064x", height), previousHash: String(format: "%064x", height - 1))
    }

    @Test func recentBlocksTransactionsSurviveAReopenAndAreForgottenWhenDisconnected() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/ethereum/adapter.sqlite"
        var checkpoint = ChainCheckpoint(blocks: [pointer(10)], depth: 2)
        do {
            let state = try EthereumAdapterState(path: path)
            try await state.connect(height: 10, transactions: [transaction("1", height: 10)], checkpoint: checkpoint)
            checkpoint = ChainCheckpoint(blocks: [pointer(10), pointer(11)], depth: 2)
            try await state.connect(
                height: 11, transactions: [transaction("2", height: 11), transaction("3", height: 11)], checkpoint: checkpoint)
        }
        let reopened = try EthereumAdapterState(path: path)
        #expect(try await reopened.checkpoint(depth: 2) == checkpoint)
        #expect(
            try await reopened.transactions(height: 11).map(\.txid) == [
                String(repeating: "2", count: 64), String(repeating: "3", count: 64),
            ])
        #expect(try await reopened.transactions(height: 11).first == transaction("2", height: 11))

        let deeper = ChainCheckpoint(blocks: [pointer(11), pointer(12)], depth: 2)
        try await reopened.connect(height: 12, transactions: [], checkpoint: deeper)
        #expect(try await reopened.transactions(height: 10).isEmpty, "blocks older than the checkpoint are forgotten")

        let back = ChainCheckpoint(blocks: [pointer(11)], depth: 2)
        try await reopened.disconnect(height: 11, checkpoint: back)
        #expect(try await reopened.transactions(height: 11).isEmpty)
        #expect(try await EthereumAdapterState(path: path).checkpoint(depth: 2) == back)
    }
}
