@testable import BlockchainAdapters
import Testing

/// The follow loop both chain adapters run, driven by hand: no node, no clock, no IO.
@Suite struct FollowLoopTests {
    /// A branch of `count` blocks from height 100, named b100, b101, ...
    func follower(applied count: Int, confirmations: UInt64 = 1) throws -> ChainFollower {
        var follower = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 100, confirmations: confirmations)
        for height in UInt64(100)..<UInt64(100 + count) {
            _ = try follower.offer(BlockPointer(height: height, hash: "b\(height)", previousHash: "b\(height - 1)"))
        }
        return follower
    }

    /// `follower` after connecting the block at `height` of the branch.
    func connect(_ follower: ChainFollower, _ height: UInt64) throws -> ChainFollower {
        var next = follower
        let block = BlockPointer(height: height, hash: "b\(height)", previousHash: "b\(height - 1)")
        #expect(try next.offer(block) == .connect(block))
        return next
    }

    @Test func appliesEachNewBlockThenAsksAgainAndWaitsWhenNothingIsNew() throws {
        var loop = FollowLoop(follower: try follower(applied: 3), nodes: 1, pollInterval: .seconds(2), verifiesChain: false)
        #expect(loop.start() == .fetchTip(node: 0))
        #expect(loop.tip(104) == .apply(height: 103, node: 0))
        #expect(loop.applied(try connect(loop.follower, 103)) == .apply(height: 104, node: 0))
        #expect(loop.applied(try connect(loop.follower, 104)) == .fetchTip(node: 0), "a round that applied blocks asks again at once")
        #expect(loop.tip(104) == .idle(.seconds(2)), "nothing new: wait for the poll interval or an announcement")
        #expect(loop.start() == .fetchTip(node: 0))
    }

    @Test func waitsForConfirmations() throws {
        var loop = FollowLoop(
            follower: try follower(applied: 1, confirmations: 6), nodes: 1, pollInterval: .seconds(2), verifiesChain: false)
        _ = loop.start()
        #expect(loop.tip(105) == .idle(.seconds(2)), "101 has 5 confirmations at tip 105")
        _ = loop.start()
        #expect(loop.tip(106) == .apply(height: 101, node: 0))
    }

    @Test func aReorgAsksForTheOrphansHeightAgain() throws {
        var loop = FollowLoop(follower: try follower(applied: 3), nodes: 1, pollInterval: .seconds(2), verifiesChain: false)
        _ = loop.start()
        #expect(loop.tip(103) == .apply(height: 103, node: 0))
        var next = loop.follower
        #expect(
            try next.offer(BlockPointer(height: 103, hash: "c103", previousHash: "c102"))
                == .disconnect(BlockPointer(height: 102, hash: "b102", previousHash: "b101")))
        #expect(loop.applied(next) == .apply(height: 102, node: 0), "the orphaned tip is reverted, then its height fetched again")
    }

    @Test func aFailingNodeHandsOverAtOnceAndTheLoopWaitsOnlyWhenEveryNodeFailed() throws {
        var loop = FollowLoop(follower: try follower(applied: 1), nodes: 2, pollInterval: .seconds(2), verifiesChain: false)
        #expect(loop.start() == .fetchTip(node: 0))
        #expect(loop.failed(.node(retryable: true, answered: false)) == .idle(.zero))
        #expect(loop.start() == .fetchTip(node: 1))
        #expect(loop.failed(.rejectedBlock) == .idle(.milliseconds(250)), "both nodes failed in a row")
        #expect(loop.start() == .fetchTip(node: 0))
        #expect(loop.failed(.node(retryable: false, answered: false)) == .idle(.zero), "an undecodable answer: the next node")
        #expect(
            loop.failed(.node(retryable: false, answered: true)) == .idle(.milliseconds(500)), "an error the node answered stays with it")
        #expect(loop.failed(.local) == .idle(.seconds(1)), "the log refused a step: the same node, after a backoff")
        #expect(loop.node == 1)
        #expect(loop.start() == .fetchTip(node: 1))
        #expect(loop.tip(101) == .apply(height: 101, node: 1))
        #expect(loop.applied(try connect(loop.follower, 101)) == .fetchTip(node: 1))
        #expect(loop.failed(.node(retryable: true, answered: false)) == .idle(.zero), "a success reset the count of failures")
        #expect(loop.failed(.node(retryable: true, answered: false)) == .idle(.milliseconds(250)), "and the wait")
    }

    @Test func eachNodesChainIsVerifiedOnceAndANodeOnAnotherChainIsNotRead() throws {
        var loop = FollowLoop(follower: try follower(applied: 1), nodes: 2, pollInterval: .seconds(2), verifiesChain: true)
        #expect(loop.start() == .verifyChain(node: 0))
        #expect(loop.failed(.wrongChain) == .idle(.zero))
        #expect(loop.start() == .verifyChain(node: 1))
        #expect(loop.chainVerified() == .fetchTip(node: 1))
        #expect(loop.tip(100) == .idle(.seconds(2)))
        #expect(loop.start() == .fetchTip(node: 1), "a verified node is not asked again")
    }

    @Test func aNodeWithoutTheBlockEndsTheRound() throws {
        var loop = FollowLoop(follower: try follower(applied: 1), nodes: 1, pollInterval: .seconds(3), verifiesChain: false)
        _ = loop.start()
        #expect(loop.tip(102) == .apply(height: 101, node: 0))
        #expect(loop.unavailable() == .idle(.seconds(3)), "nothing was applied this round")
        _ = loop.start()
        #expect(loop.tip(102) == .apply(height: 101, node: 0))
        #expect(loop.applied(try connect(loop.follower, 101)) == .apply(height: 102, node: 0))
        #expect(loop.unavailable() == .fetchTip(node: 0), "a round that applied a block asks again at once")
    }
}
