import BlockchainAdapters
import CSICCore
import CSICProtos
import Testing

@Suite struct BitcoinEventsTests {
    private let p2wpkh: [UInt8] = [0x00, 0x14] + [UInt8](repeating: 7, count: 20)
    private let seenAt = Timestamp(secondsSinceEpoch: 1_767_225_700)

    @Test func transactionsBecomeValidEventsWithInputsResolvedInsideTheBlockAndFromTheIndex() throws {
        let older = Outpoint(txid: Hash256(bytes: [UInt8](repeating: 5, count: 32)), index: 1)
        let first = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: older.txid, previousIndex: older.index, witness: [[1], [2]])],
            outputs: [(90_000, p2wpkh), (5_000, [0x6A, 0x02, 0xCA, 0xFE])])
        let second = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: first.txid, previousIndex: 0, witness: [[3]])],
            outputs: [(80_000, [0x51, 0x20] + [UInt8](repeating: 1, count: 32))])
        let block = try BitcoinBlock(
            bytes: try BitcoinBlockBuilder.block(
                previous: .zero, height: 7, time: 1_767_225_600, payout: p2wpkh, transactions: [first, second]))
        let index = [older: SpentOutput(value: 100_000, type: .p2pkh, address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")]
        let events = block.chainTransactions(
            height: 7, network: .mainnet, seenAt: seenAt, spentOutputs: index, verifiedChecks: BitcoinBlock.verifiedChecks)

        #expect(events.count == 3)
        for event in events { try event.validate() }
        #expect(events[0].inputs[0].isCoinbase && events[0].fee == nil)
        #expect(events[1].inputs[0].value == Amount(100_000) && events[1].inputs[0].address == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        #expect(events[1].fee == Amount(5_000))
        #expect(events[1].outputs.map(\.scriptType) == ["p2wpkh", "nulldata"])
        #expect(events[1].outputs[1].address == nil)
        #expect(events[2].inputs[0].value == Amount(90_000) && events[2].inputs[0].address == events[1].outputs[0].address)
        #expect(events[2].fee == Amount(10_000) && events[2].outputs[0].scriptType == "p2tr")
        #expect(
            events.allSatisfy {
                $0.block == BlockRef(height: 7, hash: block.header.hash.hex, time: Timestamp(secondsSinceEpoch: 1_767_225_600))
            })
        #expect(events[1].txid == first.txid.hex)
        #expect(events.allSatisfy { $0.verifiedChecks.contains("merkle_root") && $0.verifiedChecks.contains("proof_of_work") })
        let decoded = try TransactionTopicEvent(protoBytes: TransactionTopicEvent.transaction(events[1]).serializedProto())
        #expect(decoded == .transaction(events[1]))
    }

    @Test func unknownPreviousOutputsLeaveValuesAndFeeOpen() throws {
        let spend = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: Hash256(bytes: [UInt8](repeating: 9, count: 32)), previousIndex: 0, scriptSig: [0x00])],
            outputs: [(1_000, p2wpkh)])
        let block = try BitcoinBlock(
            bytes: try BitcoinBlockBuilder.block(previous: .zero, height: 1, time: 1_767_225_600, payout: p2wpkh, transactions: [spend]))
        let event = block.chainTransactions(height: 1, network: .mainnet, seenAt: seenAt, status: .reverted)[1]
        try event.validate()
        #expect(event.inputs[0].value == nil && event.fee == nil && event.status == .reverted)
        #expect(block.spentOutpoints == [Outpoint(txid: Hash256(bytes: [UInt8](repeating: 9, count: 32)), index: 0)])
        #expect(block.createdOutputs(network: .mainnet).count == 2)
    }
}
