import CSICCore

extension EthereumBlock {
    /// What `verify(receipts:)` establishes, carried on every published transaction: the header hashes to the
    /// block hash (keccak256 of its RLP), and the receipts are exactly one per transaction, of this block.
    /// The transactions and receipts tries are not recomputed.
    public static let verifiedChecks = ["block_hash", "receipts"]

    /// Checks the block's hash against its header and its receipts against its transactions; a failure is a
    /// clear error, never a silently accepted block.
    public func verify(receipts: [EthereumReceipt]) throws(EthereumDataError) {
        let blockHash = try Self.hash(hash)
        let computed = Hex.encode(try header.computedHash())
        guard computed == blockHash else {
            throw EthereumDataError("block \(number.amount): header hashes to \(computed), not \(blockHash)")
        }
        guard receipts.count == transactions.count else {
            throw EthereumDataError("block \(number.amount): \(receipts.count) receipts for \(transactions.count) transactions")
        }
        var expected = Set<String>()
        for transaction in transactions {
            guard expected.insert(try Self.hash(transaction.hash)).inserted else {
                throw EthereumDataError("block \(number.amount): transaction \(transaction.hash) twice")
            }
        }
        for receipt in receipts {
            guard expected.remove(try Self.hash(receipt.transactionHash)) != nil else {
                throw EthereumDataError("block \(number.amount): receipt for \(receipt.transactionHash), which is not in the block")
            }
            if let receiptBlock = receipt.blockHash, try Self.hash(receiptBlock) != blockHash {
                throw EthereumDataError("block \(number.amount): receipt of \(receipt.transactionHash) belongs to block \(receiptBlock)")
            }
        }
    }

    /// Where the block sits and what it builds on, for the chain follower.
    public func pointer() throws(EthereumDataError) -> BlockPointer {
        guard let height = number.uint64 else { throw EthereumDataError("block number beyond 64 bits") }
        return BlockPointer(height: height, hash: try Self.hash(hash), previousHash: try Self.hash(parentHash))
    }
}
