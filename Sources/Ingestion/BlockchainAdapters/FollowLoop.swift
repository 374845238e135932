import CSICCore

/// What a chain adapter does next, decided without IO: which node to ask, whether to check its chain first,
/// which block to apply, and how long to wait — after a round that found nothing new (the poll interval,
/// cut short by a block announcement) or after a failure (no wait when another node can be asked; once every
/// node failed in a row, a backoff from 250 ms doubling to 30 s, reset by the first success).
///
/// The adapter performs each ``Action`` and reports what happened; ``ChainFollower`` (kept here) decides
/// what a fetched block means for the branch. Both adapters, Bitcoin and Ethereum, run this one loop.
///
/// ```swift
/// var loop = FollowLoop(follower: follower, nodes: 2, pollInterval: .seconds(2), verifiesChain: false)
/// var action = loop.start()          // .fetchTip(node: 0)
/// action = loop.tip(812_000)         // .apply(height: 811_990, node: 0), or .idle(...) when nothing is new
/// ```
struct FollowLoop: Sendable {
    enum Action: Sendable, Hashable {
        /// Ask the node which chain it is on (once per node, when the adapter is configured with one).
        case verifyChain(node: Int)
        /// Ask the node for its best height.
        case fetchTip(node: Int)
        /// Fetch the block at `height` from the node, offer it to ``follower`` and carry out the step.
        case apply(height: UInt64, node: Int)
        /// Wait this long, or less when a block is announced, then call ``start()``.
        case idle(Duration)
    }

    /// Why an action failed.
    enum Failure: Sendable, Hashable {
        /// The node could not be reached or timed out (`retryable`), or answered an error (`answered`), or
        /// answered something that does not decode (neither).
        case node(retryable: Bool, answered: Bool)
        /// The node served a block that fails its checks: it is asked of the next node, never skipped.
        case rejectedBlock
        /// The node is on another chain than the configured one.
        case wrongChain
        /// The platform could not take what the node served (the log refused the append): the same node is
        /// asked again after a backoff.
        case local
    }

    /// The branch applied so far.
    private(set) var follower: ChainFollower
    private var failover: NodeFailover
    private let pollInterval: Duration
    private let verifiesChain: Bool
    private var verified: Set<Int> = []
    private var tip: UInt64 = 0
    private var progressed = false

    init(follower: ChainFollower, nodes: Int, pollInterval: Duration, verifiesChain: Bool) {
        self.follower = follower
        failover = NodeFailover(count: nodes)
        self.pollInterval = pollInterval
        self.verifiesChain = verifiesChain
    }

    /// The node asked now.
    var node: Int { failover.current }

    /// A round begins: check the node's chain if not yet done, then ask for its tip.
    mutating func start() -> Action {
        progressed = false
        if verifiesChain, !verified.contains(failover.current) { return .verifyChain(node: failover.current) }
        return .fetchTip(node: failover.current)
    }

    /// The node is on the configured chain.
    mutating func chainVerified() -> Action {
        verified.insert(failover.current)
        return .fetchTip(node: failover.current)
    }

    /// The node's best height.
    mutating func tip(_ height: UInt64) -> Action {
        tip = height
        return nextBlock()
    }

    /// A block was applied or reverted; `follower` is the branch after it.
    mutating func applied(_ follower: ChainFollower) -> Action {
        self.follower = follower
        failover.succeeded()
        progressed = true
        return nextBlock()
    }

    /// The node has no block at the height asked (its head moved back): the round ends.
    mutating func unavailable() -> Action {
        endOfRound()
    }

    /// The action failed: ask the next node at once, or wait.
    mutating func failed(_ failure: Failure) -> Action {
        let wait: Duration
        switch failure {
        case .node(let retryable, let answered): wait = failover.failed(switchNode: retryable || !answered)
        case .rejectedBlock, .wrongChain: wait = failover.failed(switchNode: true)
        case .local: wait = failover.failed(switchNode: false)
        }
        progressed = false
        return .idle(wait)
    }

    private mutating func nextBlock() -> Action {
        guard let height = follower.nextHeight(nodeTip: tip) else { return endOfRound() }
        return .apply(height: height, node: failover.current)
    }

    /// A round that applied blocks asks again at once; one that found nothing waits for the poll interval.
    private mutating func endOfRound() -> Action {
        failover.succeeded()
        return progressed ? start() : .idle(pollInterval)
    }
}

/// Which of an adapter's nodes to ask, and how long to wait after a failure: a failing node hands over to the
/// next one at once; only when every node has failed in a row does the adapter wait, doubling the wait up
/// to 30 s, and the first success resets it.
struct NodeFailover: Sendable {
    let count: Int
    private(set) var current = 0
    private var failuresInRow = 0
    private var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))

    init(count: Int) {
        self.count = max(1, count)
    }

    mutating func succeeded() {
        failuresInRow = 0
        backoff.reset()
    }

    /// Records a failure of the current node; moves to the next when `switchNode`. Returns how long to wait.
    mutating func failed(switchNode: Bool) -> Duration {
        failuresInRow += 1
        if switchNode {
            current = (current + 1) % count
            if failuresInRow % count != 0 { return .zero }
        }
        return backoff.next()
    }
}
