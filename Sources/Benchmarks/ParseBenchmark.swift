import BlockchainAdapters
import CSICCore
import Simulation

/// `csic bench parse`: Bitcoin block parsing (every txid and wtxid hashed, every output's address encoded)
/// against SHA-256d alone over the same transaction bytes, measured in the same run.
public enum ParseBenchmark {
    public static func run(duration: Duration, blocks given: [[UInt8]]?) throws -> BenchmarkResult {
        let blocks = try given ?? [syntheticBlock()]
        let parsed = try blocks.map { bytes throws(BitcoinDataError) in try BitcoinBlock(bytes: bytes) }
        let transactionBytes = parsed.reduce(0) { total, block in total + block.transactions.reduce(0) { $0 + $1.size } }
        let transactionCount = parsed.reduce(0) { $0 + $1.transactions.count }
        let clock = ContinuousClock()
        var parseTime = Duration.zero
        var structureTime = Duration.zero
        var hashTime = Duration.zero
        var identifierTime = Duration.zero
        var rounds = 0
        var addresses = 0
        let deadline = clock.now.advanced(by: duration)
        // Alternate the three so that all see the same machine state.
        while clock.now < deadline || rounds == 0 {
            var started = clock.now
            for bytes in blocks {
                let block = try BitcoinBlock(bytes: bytes)
                for transaction in block.transactions {
                    for output in transaction.outputs
                    where BitcoinScript.classify(block[output.scriptPubKey], network: .mainnet).address != nil {
                        addresses += 1
                    }
                }
            }
            parseTime += clock.now - started
            started = clock.now
            var structureSink = 0
            for bytes in blocks { structureSink &+= try BitcoinBlock(bytes: bytes).transactions.count }
            structureTime += clock.now - started
            precondition(structureSink == transactionCount)
            started = clock.now
            var sink = Hash256.zero
            for block in parsed {
                block.bytes.withUnsafeBytes { raw in
                    for transaction in block.transactions {
                        sink = max(sink, Hash256.doubleSHA256(UnsafeRawBufferPointer(rebasing: raw[transaction.span])))
                    }
                }
            }
            hashTime += clock.now - started
            precondition(sink != .zero)
            started = clock.now
            for block in parsed {
                block.bytes.withUnsafeBytes { raw in
                    for transaction in block.transactions {
                        sink = max(
                            sink, BitcoinTransaction.identifiers(raw, span: transaction.span, strippedBody: transaction.strippedBody).wtxid)
                    }
                }
            }
            identifierTime += clock.now - started
            rounds += 1
        }
        let parseSeconds = parseTime.seconds
        let hashSeconds = hashTime.seconds
        var result = BenchmarkResult(
            name: "parse", records: transactionCount * rounds, duration: parseTime, latency: LatencyHistogram(),
            parameters: [
                "blocks": "\(blocks.count)", "transactions_per_round": "\(transactionCount)", "rounds": "\(rounds)",
                "transaction_bytes_per_round": "\(transactionBytes)", "addresses_per_round": "\(addresses / rounds)",
                "input": given == nil ? "synthetic mainnet-like block (seed 42)" : "file",
                "parse": "header, transactions, txid + wtxid (SHA-256d), output addresses (Base58Check/Bech32/Bech32m)",
            ])
        result.figures = [
            "mb_per_s": Double(transactionBytes * rounds) / parseSeconds / 1e6,
            "hash_mb_per_s": Double(transactionBytes * rounds) / hashSeconds / 1e6,
            "hash_bound_ratio": hashSeconds / parseSeconds,
            // The same parse and hashing without spelling addresses: what the address encodings cost.
            "without_addresses_mb_per_s": Double(transactionBytes * rounds) / structureTime.seconds / 1e6,
            // txid and wtxid alone over already-found spans: the ratio no parser can beat on this input.
            "identifiers_only_ratio": hashSeconds / identifierTime.seconds,
        ]
        return result
    }

    /// About 1.2 MB of transactions shaped like today's mainnet: P2WPKH and P2TR spends with witnesses,
    /// legacy P2PKH spends, nested segwit, exchange payouts with many outputs.
    static func syntheticBlock(transactions count: Int = 3_000) throws(BitcoinDataError) -> [UInt8] {
        var rng = SplitMix64(seed: 42)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        func script(_ kind: UInt64) -> [UInt8] {
            switch kind % 5 {
            case 0, 1: [0x00, 0x14] + bytes(20)
            case 2: [0x51, 0x20] + bytes(32)
            case 3: [0x76, 0xA9, 0x14] + bytes(20) + [0x88, 0xAC]
            default: [0xA9, 0x14] + bytes(20) + [0x87]
            }
        }
        var drafts: [BitcoinTransactionDraft] = []
        for index in 0..<count {
            // Mainnet averages about 2 inputs and 2.4 outputs per transaction; 3 in 100 are batched payouts.
            let payout = rng.next() % 100 < 3
            let shape = rng.next() % 9
            let inputCount = payout ? 1 : 1 + Int(rng.next() % 3)
            let outputCount = payout ? 10 + Int(rng.next() % 30) : 1 + Int(rng.next() % 2)
            let inputs = (0..<inputCount).map { _ in
                let previous = Hash256(bytes: bytes(32))
                return switch shape {
                case 0...3: BitcoinTransactionDraft.Input(previousTxid: previous, previousIndex: 0, witness: [bytes(72), bytes(33)])
                case 4, 5: BitcoinTransactionDraft.Input(previousTxid: previous, previousIndex: 1, witness: [bytes(64)])
                case 6, 7:
                    BitcoinTransactionDraft.Input(
                        previousTxid: previous, previousIndex: 0, scriptSig: [0x48] + bytes(72) + [0x21] + bytes(33))
                default:
                    BitcoinTransactionDraft.Input(
                        previousTxid: previous, previousIndex: 2, scriptSig: [0x16, 0x00, 0x14] + bytes(20),
                        witness: [bytes(72), bytes(33)])
                }
            }
            let outputs = (0..<outputCount).map { position in
                (value: 1_000 + rng.next() % 100_000_000, script: script(rng.next() &+ UInt64(position)))
            }
            drafts.append(BitcoinTransactionDraft(inputs: inputs, outputs: outputs, lockTime: UInt32(index)))
        }
        return try BitcoinBlockBuilder.block(previous: .zero, height: 900_000, time: 1_767_225_600, payout: script(0), transactions: drafts)
    }
}
