/// A block as the follower sees it: where it sits and what it builds on.
public struct BlockPointer: Sendable, Hashable, Codable {
    public var height: UInt64
    /// Display hex of the block hash.
    public var hash: String
    /// Display hex of the parent's hash.
    public var previousHash: String

    public init(height: UInt64, hash: String, previousHash: String) {
        self.height = height
        self.hash = hash
        self.previousHash = previousHash
    }
}

/// What the adapter has applied: the most recent blocks of its branch, newest last. Persisted after each
/// step's events are durable, so a restart resumes with no gap; a replayed step is harmless because
/// events are upserted by id.
public struct ChainCheckpoint: Sendable, Hashable, Codable {
    public private(set) var blocks: [BlockPointer]
    /// How many recent blocks are kept to find the fork point of a reorg.
    public let depth: Int

    public init(blocks: [BlockPointer] = [], depth: Int = 144) {
        self.blocks = Array(blocks.suffix(depth))
        self.depth = depth
    }

    public var tip: BlockPointer? { blocks.last }

    mutating func connect(_ block: BlockPointer) {
        blocks.append(block)
        if blocks.count > depth { blocks.removeFirst(blocks.count - depth) }
    }

    mutating func disconnectTip() -> BlockPointer? { blocks.popLast() }
}

/// Follows a node's best chain one block at a time: a pure state machine (no IO), so reorgs, restarts and
/// confirmation depth are tested without a node.
///
/// The adapter asks `nextHeight(nodeTip:)` what to fetch, fetches the block at that height and hands its
/// pointer to `offer(_:)`, then carries out the returned step: publish a connected block's transactions,
/// or publish a disconnected block's transactions as reverted and ask again.
public struct ChainFollower: Sendable {
    public enum Step: Sendable, Hashable {
        /// The block extends the branch: publish its transactions, then save the checkpoint.
        case connect(BlockPointer)
        /// The block does not build on the branch's tip: that tip was orphaned. Publish its transactions
        /// as reverted, save the checkpoint, and fetch again at the returned height.
        case disconnect(BlockPointer)
    }

    public enum FollowError: Error, Hashable, Sendable {
        /// The fork is deeper than the checkpoint remembers: an operator must decide (restart lower).
        case reorgBeyondCheckpoint(height: UInt64)
        /// A block at another height than the one asked for.
        case unexpectedHeight(asked: UInt64, got: UInt64)
    }

    public private(set) var checkpoint: ChainCheckpoint
    /// The first height to apply when the checkpoint is empty.
    public let startHeight: UInt64
    /// A block is applied once this many blocks (itself included) are on the node's chain: 1 = the tip.
    public let confirmations: UInt64

    public init(checkpoint: ChainCheckpoint, startHeight: UInt64, confirmations: UInt64 = 1) {
        self.checkpoint = checkpoint
        self.startHeight = startHeight
        self.confirmations = max(1, confirmations)
    }

    /// The height to fetch next, or `nil` while the next block lacks confirmations.
    public func nextHeight(nodeTip: UInt64) -> UInt64? {
        let next = checkpoint.tip.map { $0.height + 1 } ?? startHeight
        guard nodeTip + 1 >= confirmations, next <= nodeTip + 1 - confirmations else { return nil }
        return next
    }

    /// Decides what `block` (fetched at `nextHeight`) means for the branch.
    public mutating func offer(_ block: BlockPointer) throws(FollowError) -> Step {
        guard let tip = checkpoint.tip else {
            guard block.height == startHeight else { throw .unexpectedHeight(asked: startHeight, got: block.height) }
            checkpoint.connect(block)
            return .connect(block)
        }
        guard block.height == tip.height + 1 else { throw .unexpectedHeight(asked: tip.height + 1, got: block.height) }
        if block.previousHash == tip.hash {
            checkpoint.connect(block)
            return .connect(block)
        }
        guard checkpoint.blocks.count > 1 else { throw .reorgBeyondCheckpoint(height: tip.height) }
        _ = checkpoint.disconnectTip()
        return .disconnect(tip)
    }
}
