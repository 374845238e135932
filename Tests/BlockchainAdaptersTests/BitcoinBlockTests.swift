import BlockchainAdapters
import CSICCore
import Testing

@Suite struct BitcoinBlockTests {
    @Test func genesisBlockParsesAndVerifies() throws {
        let block = try BitcoinBlock(bytes: try BitcoinFixtures.block("mainnet-000000-genesis"))
        #expect(block.header.hash.hex == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        #expect(block.header.merkleRoot.hex == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")
        #expect(block.header.previousBlockHash == .zero)
        #expect(block.header.time == 1_231_006_505)
        #expect(block.header.bits == 0x1D00_FFFF)
        #expect(block.header.nonce == 2_083_236_893)
        #expect(block.transactions.count == 1)
        let coinbase = block.transactions[0]
        #expect(coinbase.isCoinbase)
        #expect(coinbase.txid == block.header.merkleRoot)
        #expect(coinbase.outputs[0].value == 5_000_000_000)
        let (type, address) = BitcoinScript.classify(block[coinbase.outputs[0].scriptPubKey], network: .mainnet)
        #expect(type == .p2pk)
        #expect(address == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        try block.verify()
    }

    @Test(arguments: ["mainnet-099960", "mainnet-099993"])
    func realBlocksVerify(name: String) throws {
        let block = try BitcoinBlock(bytes: try BitcoinFixtures.block(name))
        try block.verify()
        #expect(block.transactions.count >= 3)
        #expect(block.transactions.allSatisfy { $0.txid == $0.wtxid && !$0.hasWitness })
        #expect(block.header.hash.hex.hasPrefix("00000000"))
    }

    @Test func invalidBlocksFailWithTheirReason() throws {
        for fixture in try BitcoinFixtures.invalidBlocks() {
            let bytes = try #require(Hex.decode(fixture.hex))
            let error = #expect(throws: BitcoinDataError.self, "\(fixture.name)") {
                try BitcoinBlock(bytes: bytes).verify()
            }
            #expect(error?.code.rawValue == fixture.expected_error, "\(fixture.name): \(String(describing: error))")
        }
    }

    /// CVE-2012-2459: repeating the last transaction of an odd-length list leaves the merkle root unchanged.
    @Test func aRepeatedLastTransactionIsAMutatedTree() throws {
        let bytes = try BitcoinFixtures.block("mainnet-099960")
        let block = try BitcoinBlock(bytes: bytes)
        #expect(block.transactions.count == 3 && bytes[80] == 3)
        var mutated = bytes
        mutated[80] = 4
        mutated += bytes[block.transactions[2].span]
        let copy = try BitcoinBlock(bytes: mutated)
        #expect(BitcoinBlock.merkleRoot(copy.transactions.map(\.txid)).root == block.header.merkleRoot)
        let error = #expect(throws: BitcoinDataError.self) { try copy.verify() }
        #expect(error?.code == .mutatedMerkleTree)
    }

    @Test func everyTruncationOfARealBlockIsAnError() throws {
        let bytes = try BitcoinFixtures.block("mainnet-099960")
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: Array(bytes.prefix(length))) }
        }
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: bytes + [0]) }
        #expect(error?.code == .trailingBytes)
    }

    @Test func corruptedTransactionBytesFailTheMerkleCheck() throws {
        var bytes = try BitcoinFixtures.block("mainnet-099993")
        bytes[bytes.count - 10] ^= 0x01
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: bytes).verify() }
        #expect(error?.code == .merkleRootMismatch)
    }

    @Test func oversizedCountsAreRejectedBeforeAllocating() throws {
        var bytes = Array(try BitcoinFixtures.block("mainnet-000000-genesis").prefix(80))
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: bytes) }
        #expect(error?.code == .oversized)
    }

    /// Compact targets, from bitcoinjs-lib's block fixtures and Bitcoin Core's arith_uint256 tests.
    @Test(arguments: [
        (UInt32(0x1D00_FFFF), "00000000ffff0000000000000000000000000000000000000000000000000000"),
        (0x1B04_04CB, "00000000000404cb000000000000000000000000000000000000000000000000"),
        (0x1814_DD04, "000000000000000014dd04000000000000000000000000000000000000000000"),
        (0x207F_FFFF, "7fffff0000000000000000000000000000000000000000000000000000000000"),
        (0x0312_3456, "0000000000000000000000000000000000000000000000000000000000123456"),
        (0x0212_3456, "0000000000000000000000000000000000000000000000000000000000001234"),
    ])
    func compactTargets(bits: UInt32, target: String) throws {
        #expect(try BitcoinBlock.target(bits: bits).hex == target)
    }

    @Test(arguments: [UInt32(0x0480_0001), 0x1B80_FFFF, 0x0300_0000, 0xFF12_3456, 0x2200_0100])
    func invalidCompactTargets(bits: UInt32) {
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock.target(bits: bits) }
        #expect(error?.code == .invalidTarget)
    }
}

@Suite struct BitcoinBlockBuilderTests {
    @Test func builtSegwitBlocksParseVerifyAndKeepTheirTransactions() throws {
        let payout: [UInt8] = [0x00, 0x14] + [UInt8](repeating: 7, count: 20)
        let spend = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: Hash256(bytes: [UInt8](repeating: 1, count: 32)), previousIndex: 3, witness: [[1, 2, 3], [4]])],
            outputs: [(50_000, [0x51, 0x20] + [UInt8](repeating: 9, count: 32)), (1_000, [0x6A, 0x01, 0x00])])
        let legacy = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: Hash256(bytes: [UInt8](repeating: 2, count: 32)), previousIndex: 0, scriptSig: [0x01, 0x01])],
            outputs: [(7, [0x76, 0xA9, 0x14] + [UInt8](repeating: 3, count: 20) + [0x88, 0xAC])])
        let bytes = try BitcoinBlockBuilder.block(
            previous: .zero, height: 300, time: 1_767_225_600, payout: payout, transactions: [spend, legacy])
        let block = try BitcoinBlock(bytes: bytes)
        try block.verify()
        #expect(block.transactions.map(\.txid) == [block.transactions[0].txid, spend.txid, legacy.txid])
        #expect(block.transactions[1].wtxid == spend.wtxid && spend.wtxid != spend.txid)
        #expect(block.transactions[2].wtxid == legacy.txid)
        #expect(block[block.transactions[0].inputs[0].scriptSig].starts(with: [0x02, 0x2C, 0x01]))
        #expect(BitcoinScript.classify(block[block.transactions[1].outputs[0].scriptPubKey], network: .regtest).type == .p2tr)

        var tampered = bytes
        tampered[tampered.count - 6] ^= 0xFF
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: tampered).verify() }
        #expect(error?.code == .merkleRootMismatch)
    }

    /// Outputs above 21 million bitcoin, one alone or together, fail `verify()` (Bitcoin Core's
    /// bad-txns-vout-toolarge / bad-txns-txouttotal-toolarge); the events of such a block never trap on the
    /// sum (the fuzzer's input, Tests/Fuzz/corpus/bitcoin-block/regression-output-sum-overflow, did).
    @Test(arguments: [[UInt64.max], [BitcoinBlock.maxMoney, 1], [UInt64.max / 2 + 1, UInt64.max / 2 + 1]])
    func outputsBeyondTwentyOneMillionBitcoinAreRejected(_ values: [UInt64]) throws {
        let spend = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: Hash256(bytes: [UInt8](repeating: 4, count: 32)), previousIndex: 0, scriptSig: [0x51])],
            outputs: values.map { ($0, [0x51]) })
        let block = try BitcoinBlock(
            bytes: try BitcoinBlockBuilder.block(previous: .zero, height: 5, time: 0, payout: [0x51], transactions: [spend]))
        let error = #expect(throws: BitcoinDataError.self) { try block.verify() }
        #expect(error?.code == .valueOutOfRange)
        let events = block.chainTransactions(height: 5, network: .regtest, seenAt: Timestamp(secondsSinceEpoch: 0))
        #expect(events.count == 2 && events[1].fee == nil)
    }

    @Test func aWitnessWithoutCommitmentIsRejected() throws {
        let spend = BitcoinTransactionDraft(
            inputs: [.init(previousTxid: Hash256(bytes: [UInt8](repeating: 1, count: 32)), previousIndex: 0, witness: [[1]])],
            outputs: [(1, [0x00, 0x14] + [UInt8](repeating: 1, count: 20))])
        let withCommitment = try BitcoinBlock(
            bytes: try BitcoinBlockBuilder.block(
                previous: .zero, height: 1, time: 0, payout: [0x51], transactions: [spend]))
        // Rebuild the same block with the commitment output dropped from the coinbase: the witness is unbound.
        let coinbase = withCommitment.transactions[0]
        let draft = BitcoinTransactionDraft(
            version: coinbase.version,
            inputs: [.init(previousTxid: .zero, previousIndex: .max, scriptSig: Array(withCommitment[coinbase.inputs[0].scriptSig]))],
            outputs: [(coinbase.outputs[0].value, Array(withCommitment[coinbase.outputs[0].scriptPubKey]))])
        var bytes = Array(withCommitment.bytes.prefix(80)) + [2] + draft.serialized() + spend.serialized()
        let root = BitcoinBlock.merkleRoot([draft.txid, spend.txid]).root
        bytes.replaceSubrange(36..<68, with: root.bytes)
        let error = #expect(throws: BitcoinDataError.self) { try BitcoinBlock(bytes: bytes).verify() }
        #expect(error?.code == .missingWitnessCommitment)
    }
}
