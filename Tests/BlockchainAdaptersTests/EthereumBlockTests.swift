import BlockchainAdapters
import CSICCore
import Foundation
import Testing

@Suite struct EthereumBlockTests {
    private let alice = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    private let bob = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
    private let token = "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"

    private func hash(_ digit: Character) -> String { "0x" + String(repeating: digit, count: 64) }
    private func topic(_ address: String) -> String { "0x" + String(repeating: "0", count: 24) + address.dropFirst(2) }

    /// The header fields of a post-merge block (not matching the made-up hash: these tests are about the mapping).
    private var headerFields: String {
        let zero = { (bytes: Int) in "0x" + String(repeating: "0", count: bytes * 2) }
        return """
            "sha3Uncles": "\(zero(32))", "miner": "\(zero(20))", "stateRoot": "\(zero(32))", "transactionsRoot": "\(zero(32))",
            "receiptsRoot": "\(zero(32))", "logsBloom": "\(zero(256))", "difficulty": "0x0", "gasLimit": "0x1c9c380", "gasUsed": "0x0",
            "extraData": "0x", "mixHash": "\(zero(32))", "nonce": "\(zero(8))", "baseFeePerGas": "0x7"
            """
    }

    /// A block in the shape `eth_getBlockByNumber(n, true)` returns, and its `eth_getBlockReceipts`.
    private func fixture(timestamp: String = "0x6553f100") throws -> (EthereumBlock, [EthereumReceipt]) {
        let block = """
            {"number": "0x12d687", "hash": "\(hash("a"))", "parentHash": "\(hash("b"))", "timestamp": "\(timestamp)", \(headerFields),
             "transactions": [
               {"hash": "\(hash("1"))", "from": "\(alice)", "to": "\(bob)", "value": "0xde0b6b3a7640000"},
               {"hash": "\(hash("2"))", "from": "\(alice)", "to": "\(token)", "value": "0x0"},
               {"hash": "\(hash("3"))", "from": "\(bob)", "to": "\(token)", "value": "0x0"},
               {"hash": "\(hash("4"))", "from": "\(bob)", "to": null, "value": "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}
             ]}
            """
        let receipts = """
            [{"transactionHash": "\(hash("1"))", "status": "0x1", "gasUsed": "0x5208", "effectiveGasPrice": "0x3b9aca00", "logs": []},
             {"transactionHash": "\(hash("2"))", "status": "0x1", "gasUsed": "0xb411", "effectiveGasPrice": "0x3b9aca00",
              "logs": [{"address": "\(token)", "topics": ["\(EthereumBlock.transferTopic)", "\(topic(alice))", "\(topic(bob))"],
                        "data": "0x00000000000000000000000000000000000000000000003635c9adc5dea00000", "logIndex": "0x7"},
                       {"address": "\(token)", "topics": ["\(EthereumBlock.transferTopic)", "\(topic(alice))", "\(topic(bob))", "\(hash("9"))"],
                        "data": "0x", "logIndex": "0x8"}]},
             {"transactionHash": "\(hash("3"))", "status": "0x0", "gasUsed": "0x6d60", "effectiveGasPrice": "0x77359400", "logs": []},
             {"transactionHash": "\(hash("4"))", "status": "0x1", "gasUsed": "0x1", "effectiveGasPrice": "0x1", "contractAddress": "\(token)", "logs": []}]
            """
        return (
            try JSONDecoder().decode(EthereumBlock.self, from: Data(block.utf8)),
            try JSONDecoder().decode([EthereumReceipt].self, from: Data(receipts.utf8))
        )
    }

    @Test func transfersFailuresAndContractCreationsBecomeValidEvents() throws {
        let (block, receipts) = try fixture()
        let events = try block.chainTransactions(receipts: receipts, seenAt: Timestamp(secondsSinceEpoch: 1_700_000_000))
        for event in events { try event.validate() }
        #expect(events.map(\.txid) == ["1", "2", "3", "4"].map { String(repeating: $0, count: 64) })
        #expect(events[0].block?.height == 1_234_567 && events[0].block?.hash == String(repeating: "a", count: 64))
        #expect(
            events[0].from == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" && events[0].to == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
        #expect(events[0].value == Amount(1_000_000_000_000_000_000))
        #expect(events[0].fee == Amount(21_000 * 1_000_000_000))
        #expect(
            events[1].tokenTransfers == [
                TokenTransfer(
                    token: "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", from: events[0].from!, to: events[0].to!,
                    value: Amount(units: 1_000 * 1_000_000_000_000_000_000), logIndex: 7)
            ])
        #expect(events[2].status == .failed && events[1].status == .confirmed)
        #expect(events[3].to == nil && events[3].value == .maximum)
    }

    /// A node's block with a time no timestamp can hold (2^63 seconds crashed the adapter): an error, and the
    /// block is rejected (dead-lettered) instead.
    @Test(arguments: ["0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000", "0x8637bd05af6c69b5"])
    func aTimeBeyondATimestampIsAnErrorNotATrap(_ time: String) throws {
        let (block, receipts) = try fixture()
        let (hostile, _) = try fixture(timestamp: time)
        #expect(throws: EthereumDataError.self) { try hostile.time() }
        #expect(throws: EthereumDataError.self) { try hostile.chainTransactions(receipts: receipts, seenAt: .now()) }
        #expect(try block.time() == Timestamp(secondsSinceEpoch: 0x6553_f100))
    }

    @Test func aMissingReceiptOrBadLogIsAnErrorNotASilentGap() throws {
        let (block, receipts) = try fixture()
        #expect(throws: EthereumDataError.self) {
            try block.chainTransactions(receipts: Array(receipts.dropLast()), seenAt: .now())
        }
        var broken = receipts
        broken[1].logs[0].data = "0x1234"
        #expect(throws: EthereumDataError.self) { try block.chainTransactions(receipts: broken, seenAt: .now()) }
    }

    @Test func quantitiesAreCheckedHex() throws {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([HexQuantity].self, from: Data(#"["12"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([HexQuantity].self, from: Data(#"["0xzz"]"#.utf8)) }
        #expect(try JSONDecoder().decode([HexQuantity].self, from: Data(#"["0x1b4"]"#.utf8)).first?.uint64 == 436)
    }
}
