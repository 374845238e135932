extension BitcoinBlock {
    /// What the adapter establishes before publishing a block (the served block has the hash asked for, then
    /// `verify()`), recorded on every transaction it publishes.
    public static let verifiedChecks = [
        "block_hash", "coinbase", "merkle_root", "no_mutation", "witness_commitment", "proof_of_work", "money_range",
    ]

    /// 21 million bitcoin in satoshis: Bitcoin Core's `MAX_MONEY`.
    public static let maxMoney: UInt64 = 21_000_000 * 100_000_000

    /// Runs the context-free consensus checks and throws the first failure: transactions present, exactly one
    /// coinbase and first, merkle root (rejecting a mutated tree, CVE-2012-2459, and any repeated txid), BIP141 witness commitment,
    /// proof of work against `bits` (and against `powLimit` when given), and every transaction's outputs within
    /// `MAX_MONEY`, each and in total (Bitcoin Core's `bad-txns-vout-toolarge`, `bad-txns-txouttotal-toolarge`).
    public func verify(powLimit: Hash256? = nil) throws(BitcoinDataError) {
        guard let coinbase = transactions.first else { throw BitcoinDataError(.noTransactions, "a block holds at least its coinbase") }
        guard coinbase.isCoinbase else { throw BitcoinDataError(.firstNotCoinbase, "transaction 0 \(coinbase.txid) is not a coinbase") }
        if let extra = transactions.dropFirst().firstIndex(where: \.isCoinbase) {
            throw BitcoinDataError(.extraCoinbase, "transaction \(extra) \(transactions[extra].txid) is a second coinbase")
        }
        let (root, mutated) = Self.merkleRoot(transactions.map(\.txid))
        guard !mutated else {
            throw BitcoinDataError(.mutatedMerkleTree, "the transaction list repeats a subtree (CVE-2012-2459): same root, different block")
        }
        var seen = Set<Hash256>(minimumCapacity: transactions.count)
        if let repeated = transactions.firstIndex(where: { !seen.insert($0.txid).inserted }) {
            throw BitcoinDataError(.duplicateTransaction, "transaction \(repeated) repeats txid \(transactions[repeated].txid)")
        }
        guard root == header.merkleRoot else {
            throw BitcoinDataError(.merkleRootMismatch, "header merkle root \(header.merkleRoot), transactions give \(root)")
        }
        try verifyWitnessCommitment()
        try Self.verifyProofOfWork(hash: header.hash, bits: header.bits, powLimit: powLimit)
        for (position, transaction) in transactions.enumerated() {
            var total: UInt64 = 0
            for output in transaction.outputs {
                total += output.value <= Self.maxMoney ? output.value : Self.maxMoney + 1
                guard output.value <= Self.maxMoney, total <= Self.maxMoney else {
                    throw BitcoinDataError(
                        .valueOutOfRange, "transaction \(position) \(transaction.txid) pays out more than 21 million bitcoin")
                }
            }
        }
    }

    /// The merkle root of `hashes` and whether the tree is mutated: two equal siblings at any level, which
    /// is how a repeated transaction list reaches the root of the original (Bitcoin Core's rule).
    public static func merkleRoot(_ hashes: [Hash256]) -> (root: Hash256, mutated: Bool) {
        guard !hashes.isEmpty else { return (.zero, false) }
        var level = hashes
        var mutated = false
        var pair = [UInt8](repeating: 0, count: 64)
        while level.count > 1 {
            for position in stride(from: 0, to: level.count - 1, by: 2) where level[position] == level[position + 1] {
                mutated = true
            }
            if level.count % 2 == 1 { level.append(level[level.count - 1]) }
            var next: [Hash256] = []
            next.reserveCapacity(level.count / 2)
            for position in stride(from: 0, to: level.count, by: 2) {
                pair.withUnsafeMutableBytes { raw in
                    withUnsafeBytes(of: level[position].words) { raw.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 32) }
                    withUnsafeBytes(of: level[position + 1].words) {
                        (raw.baseAddress! + 32).copyMemory(from: $0.baseAddress!, byteCount: 32)
                    }
                }
                next.append(Hash256.doubleSHA256(pair))
            }
            level = next
        }
        return (level[0], mutated)
    }

    /// BIP141: the coinbase's last output starting `OP_RETURN 0x24 aa21a9ed` commits to the witness merkle root
    /// (coinbase wtxid taken as zero) hashed with the coinbase's 32-byte witness reserved value. A block with
    /// witness data must carry it.
    func verifyWitnessCommitment() throws(BitcoinDataError) {
        let coinbase = transactions[0]
        let prefix: [UInt8] = [0x6A, 0x24, 0xAA, 0x21, 0xA9, 0xED]
        let commitment = coinbase.outputs.lastIndex { output in
            output.scriptPubKey.count >= 38 && bytes[output.scriptPubKey].starts(with: prefix)
        }
        guard let commitment else {
            if let witnessed = transactions.firstIndex(where: \.hasWitness) {
                throw BitcoinDataError(
                    .missingWitnessCommitment, "transaction \(witnessed) has witness data but the coinbase commits to none")
            }
            return
        }
        let reserved = coinbase.inputs[0].witness
        guard reserved.count == 1, reserved[0].count == 32 else {
            throw BitcoinDataError(.witnessCommitmentMismatch, "the coinbase witness must be one 32-byte reserved value")
        }
        let (witnessRoot, _) = Self.merkleRoot([.zero] + transactions.dropFirst().map(\.wtxid))
        let expected = Hash256.doubleSHA256(witnessRoot.bytes + bytes[reserved[0]])
        let committed = Hash256(bytes: bytes[coinbase.outputs[commitment].scriptPubKey].dropFirst(6).prefix(32))
        guard committed == expected else {
            throw BitcoinDataError(.witnessCommitmentMismatch, "coinbase commits to \(committed), the witnesses give \(expected)")
        }
    }

    /// The target encoded by compact `bits`, or an error for a negative, zero or overflowing encoding.
    public static func target(bits: UInt32) throws(BitcoinDataError) -> Hash256 {
        let exponent = Int(bits >> 24)
        let mantissa = bits & 0x007F_FFFF
        guard bits & 0x0080_0000 == 0 || mantissa == 0 else {
            throw BitcoinDataError(.invalidTarget, "bits \(hex(bits)) encode a negative target")
        }
        guard mantissa != 0 else { throw BitcoinDataError(.invalidTarget, "bits \(hex(bits)) encode a zero target") }
        guard exponent <= 34, !(mantissa > 0xFF && exponent > 33), !(mantissa > 0xFFFF && exponent > 32) else {
            throw BitcoinDataError(.invalidTarget, "bits \(hex(bits)) overflow 256 bits")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<3 {
            let position = exponent - 3 + index
            let byte = UInt8(truncatingIfNeeded: mantissa >> (8 * UInt32(index)))
            if position >= 0, position < 32 { bytes[position] = byte }
        }
        return Hash256(bytes: bytes)
    }

    /// Proof of work: the header hash, as a little-endian number, is at most the target.
    static func verifyProofOfWork(hash: Hash256, bits: UInt32, powLimit: Hash256?) throws(BitcoinDataError) {
        let target = try target(bits: bits)
        if let powLimit, powLimit < target {
            throw BitcoinDataError(.invalidTarget, "bits \(hex(bits)) ask less work than the network's limit")
        }
        guard !(target < hash) else {
            throw BitcoinDataError(.insufficientProofOfWork, "block hash \(hash) is above the target \(target) of bits \(hex(bits))")
        }
    }

    private static func hex(_ bits: UInt32) -> String {
        let digits = String(bits, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
