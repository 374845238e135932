import BlockchainAdapters
import CSICCore
import Foundation
import Testing

@Suite struct RLPTests {
    /// The examples of the Ethereum wiki's RLP page (and the Yellow Paper's appendix B).
    @Test func publishedExamples() {
        #expect(RLP.bytes(Array("dog".utf8)).encoded == [0x83, 0x64, 0x6f, 0x67])
        #expect(
            RLP.list([.bytes(Array("cat".utf8)), .bytes(Array("dog".utf8))]).encoded == [
                0xc8, 0x83, 0x63, 0x61, 0x74, 0x83, 0x64, 0x6f, 0x67,
            ])
        #expect(RLP.bytes([]).encoded == [0x80])
        #expect(RLP.list([]).encoded == [0xc0])
        #expect(RLP.quantity(0).encoded == [0x80])
        #expect(RLP.quantity(15).encoded == [0x0f])
        #expect(RLP.quantity(1024).encoded == [0x82, 0x04, 0x00])
        let nested: RLP = .list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])])
        #expect(nested.encoded == [0xc7, 0xc0, 0xc1, 0xc0, 0xc3, 0xc0, 0xc1, 0xc0])
        let lorem = Array("Lorem ipsum dolor sit amet, consectetur adipisicing elit".utf8)
        #expect(RLP.bytes(lorem).encoded == [0xb8, 0x38] + lorem)
    }
}

@Suite struct EthereumHeaderTests {
    private func zeros(_ count: Int) -> String { "0x" + String(repeating: "0", count: count * 2) }

    /// Mainnet's genesis block as `eth_getBlockByNumber("0x0", false)` returns it: its header must hash to
    /// the published genesis hash d4e56740…8fa3.
    private var genesis: String {
        """
        {"number": "0x0", "hash": "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3", "parentHash": "\(zeros(32))",
         "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347", "miner": "\(zeros(20))",
         "stateRoot": "0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544",
         "transactionsRoot": "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
         "receiptsRoot": "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421", "logsBloom": "\(zeros(256))",
         "difficulty": "0x400000000", "gasLimit": "0x1388", "gasUsed": "0x0", "timestamp": "0x0",
         "extraData": "0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa", "mixHash": "\(zeros(32))",
         "nonce": "0x0000000000000042", "transactions": []}
        """
    }

    @Test func mainnetGenesisHeaderHashesToItsPublishedHash() throws {
        let block = try JSONDecoder().decode(EthereumBlock.self, from: Data(genesis.utf8))
        #expect(Hex.encode(try block.header.computedHash()) == "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3")
        try block.verify(receipts: [])
        #expect(
            try block.pointer()
                == BlockPointer(
                    height: 0, hash: "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
                    previousHash: String(repeating: "0", count: 64)))
    }

    @Test func aChangedHeaderFieldOrAForeignHashFailsVerification() throws {
        let tampered = genesis.replacingOccurrences(of: "\"gasLimit\": \"0x1388\"", with: "\"gasLimit\": \"0x1389\"")
        let block = try JSONDecoder().decode(EthereumBlock.self, from: Data(tampered.utf8))
        #expect(throws: EthereumDataError.self) { try block.verify(receipts: []) }
        let badBloom = genesis.replacingOccurrences(of: "\"logsBloom\": \"\(zeros(256))\"", with: "\"logsBloom\": \"0x00\"")
        #expect(throws: EthereumDataError.self) {
            try JSONDecoder().decode(EthereumBlock.self, from: Data(badBloom.utf8)).verify(receipts: [])
        }
    }

    @Test func aBlockWithoutHeaderFieldsIsRejectedWhenDecoded() {
        let bare =
            #"{"number": "0x1", "hash": "0x\#(String(repeating: "a", count: 64))", "parentHash": "0x\#(String(repeating: "b", count: 64))", "timestamp": "0x1", "transactions": []}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EthereumBlock.self, from: Data(bare.utf8)) }
    }
}

@Suite struct EthereumSubscriptionMessageTests {
    @Test func subscriptionAnswersNotificationsAndErrors() {
        #expect(
            EthereumSubscriptionMessage(text: #"{"jsonrpc":"2.0","id":1,"result":"0xcd0c3e8af590364c09d0fa6a1210faf5"}"#)
                == .subscribed(id: "0xcd0c3e8af590364c09d0fa6a1210faf5"))
        let head =
            #"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xcd0c","result":{"number":"0x1b4","hash":"0x00"}}}"#
        #expect(EthereumSubscriptionMessage(text: head) == .newHead(subscription: "0xcd0c", number: 436))
        #expect(
            EthereumSubscriptionMessage(text: #"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"notifications not supported"}}"#)
                == .failed(code: -32601, message: "notifications not supported"))
        #expect(EthereumSubscriptionMessage(text: "not json") == .unrecognised)
        #expect(
            EthereumSubscriptionMessage(
                text: #"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":{"number":"12"}}}"#)
                == .newHead(subscription: "0x1", number: nil))
    }
}
