@testable import BlockchainAdapters
import Testing

/// A toy node: a best chain of named blocks, which a test can fork.
private struct Node {
    var chain: [BlockPointer] = []

    init(start: UInt64, labels: [String]) {
        for label in labels { append(label, startingAt: start) }
    }

    mutating func append(_ label: String, startingAt start: UInt64 = 0) {
        let height = chain.last.map { $0.height + 1 } ?? start
        chain.append(BlockPointer(height: height, hash: label, previousHash: chain.last?.hash ?? "genesis"))
    }

    /// Replaces every block above `height` with a new branch.
    mutating func fork(above height: UInt64, labels: [String]) {
        chain.removeAll { $0.height > height }
        for label in labels { append(label) }
    }

    var tip: UInt64 { chain.last!.height }
    func block(at height: UInt64) -> BlockPointer { chain.first { $0.height == height }! }
}

/// Runs the follower against the node until it has nothing to fetch; returns the steps taken.
private func sync(_ follower: inout ChainFollower, _ node: Node) throws -> [ChainFollower.Step] {
    var steps: [ChainFollower.Step] = []
    while let height = follower.nextHeight(nodeTip: node.tip) {
        steps.append(try follower.offer(node.block(at: height)))
    }
    return steps
}

@Suite struct ChainFollowerTests {
    @Test func followsFromTheStartHeightToTheTip() throws {
        let node = Node(start: 100, labels: ["a", "b", "c"])
        var follower = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 100)
        let steps = try sync(&follower, node)
        #expect(steps == node.chain.map { .connect($0) })
        #expect(follower.checkpoint.tip?.hash == "c")
    }

    @Test func waitsForConfirmations() throws {
        var node = Node(start: 0, labels: ["a", "b", "c", "d"])
        var follower = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 0, confirmations: 3)
        #expect(try sync(&follower, node).count == 2)
        #expect(follower.checkpoint.tip?.hash == "b")
        node.append("e")
        #expect(try sync(&follower, node) == [.connect(node.block(at: 2))])
    }

    @Test func aReorgOfDepthThreeRevertsTheOrphansThenAppliesTheNewBranch() throws {
        var node = Node(start: 0, labels: ["a", "b", "c", "d", "e"])
        var follower = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 0)
        _ = try sync(&follower, node)
        let orphans = node.chain.suffix(3)
        node.fork(above: 1, labels: ["c2", "d2", "e2", "f2"])
        let steps = try sync(&follower, node)
        #expect(steps == orphans.reversed().map { .disconnect($0) } + node.chain.suffix(4).map { .connect($0) })
        #expect(follower.checkpoint.blocks.map(\.hash) == ["a", "b", "c2", "d2", "e2", "f2"])
    }

    @Test func aRestartFromTheSavedCheckpointContinuesWithoutGapOrRepeat() throws {
        var node = Node(start: 0, labels: ["a", "b", "c"])
        var first = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 0)
        _ = try sync(&first, node)
        node.append("d")
        node.append("e")
        var restarted = ChainFollower(checkpoint: first.checkpoint, startHeight: 0)
        #expect(try sync(&restarted, node) == [.connect(node.block(at: 3)), .connect(node.block(at: 4))])
    }

    @Test func aForkDeeperThanTheCheckpointIsAnErrorNotASilentSkip() throws {
        var node = Node(start: 0, labels: ["a", "b", "c", "d"])
        var follower = ChainFollower(checkpoint: ChainCheckpoint(depth: 2), startHeight: 0)
        _ = try sync(&follower, node)
        node.fork(above: 0, labels: ["b2", "c2", "d2", "e2"])
        #expect(throws: ChainFollower.FollowError.reorgBeyondCheckpoint(height: 2)) { try sync(&follower, node) }
    }

    @Test func aBlockAtTheWrongHeightIsRejected() throws {
        var follower = ChainFollower(checkpoint: ChainCheckpoint(), startHeight: 5)
        #expect(throws: ChainFollower.FollowError.unexpectedHeight(asked: 5, got: 6)) {
            try follower.offer(BlockPointer(height: 6, hash: "x", previousHash: "w"))
        }
    }
}

@Suite struct NodeFailoverTests {
    @Test func handsOverAtOnceAndWaitsOnlyWhenEveryNodeFailed() {
        var failover = NodeFailover(count: 3)
        #expect(failover.failed(switchNode: true) == .zero && failover.current == 1)
        #expect(failover.failed(switchNode: true) == .zero && failover.current == 2)
        #expect(failover.failed(switchNode: true) == .milliseconds(250) && failover.current == 0)
        #expect(failover.failed(switchNode: true) == .zero)
        #expect(failover.failed(switchNode: true) == .zero)
        #expect(failover.failed(switchNode: true) == .milliseconds(500), "the wait doubles per round of failures")
        failover.succeeded()
        #expect(
            failover.failed(switchNode: false) == .milliseconds(250) && failover.current == 0,
            "an answer the node gave wrong stays on it and waits")
    }

    @Test func oneNodeWaitsAfterEveryFailureUpToThirtySeconds() {
        var failover = NodeFailover(count: 1)
        let waits = (0..<10).map { _ in failover.failed(switchNode: true) }
        #expect(waits.first == .milliseconds(250) && waits.last == .seconds(30))
    }
}
