import CSICCore

/// Which way funds move along an edge of the funds graph: from a transaction's payers to its payees.
public enum FundsDirection: Sendable, Hashable {
    /// From an address to the payees of the transactions it paid in.
    case outgoing
    /// From an address to the payers of the transactions that paid it.
    case incoming
}

/// One edge of a path: `from` paid `to` in transaction `txid`.
public struct PathHop: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    public var txid: String

    public init(from: String, to: String, txid: String) {
        self.from = from
        self.to = to
        self.txid = txid
    }
}

/// What a path search found and what it did: the shortest path within the depth (none when there is none
/// within the bounds), how many addresses it expanded, how many it skipped as hubs, and whether it stopped at
/// its budget or time limit before the depth was searched.
public struct PathSearchResult: Sendable, Hashable {
    public var path: [PathHop]?
    public var expanded: Int
    public var skippedHubs: Int
    public var truncated: Bool
}

/// Bounded bidirectional breadth-first search for a flow of funds from one address to another: forward from
/// `from` along payments made, backward from `to` along payments received, always growing the smaller
/// frontier, until they meet or the two depths add up to `maxDepth`. A node whose degree is above the limit
/// (an exchange's hot wallet, a pool) is not expanded — the neighbours function answers `nil` for it — since
/// paths through hubs say nothing; at most `budget` nodes are expanded, within `timeLimit`. The neighbours come
/// from a function, so the search is tested on hand-built graphs and runs over any store.
public struct PathSearch: Sendable {
    public var maxDepth: Int
    public var budget: Int
    /// How long a search may take before it stops where it is (`truncated`), if bounded.
    public var timeLimit: Duration?

    public init(maxDepth: Int, budget: Int = 20_000, timeLimit: Duration? = nil) {
        self.maxDepth = maxDepth
        self.budget = budget
        self.timeLimit = timeLimit
    }

    /// One side's visited nodes: each with its distance and the edge it was reached by (`nil` for the root).
    private struct Side {
        var reached: [String: (depth: Int, edge: (neighbour: String, txid: String)?)]
        var frontier: [String]
        var depth = 0

        init(root: String) {
            reached = [root: (0, nil)]
            frontier = [root]
        }
    }

    /// The shortest path from `from` to `to` of at most ``maxDepth`` hops. `neighbours(address, direction)`
    /// answers the address's counterparties that way with the transaction, or `nil` when it is a hub.
    public func search(
        from: String, to: String,
        neighbours: (String, FundsDirection) async throws -> [(address: String, txid: String)]?
    ) async throws -> PathSearchResult {
        var forward = Side(root: from)
        var backward = Side(root: to)
        var result = PathSearchResult(path: nil, expanded: 0, skippedHubs: 0, truncated: false)
        if from == to { return PathSearchResult(path: [], expanded: 0, skippedHubs: 0, truncated: false) }
        let deadline = timeLimit.map { ContinuousClock.now.advanced(by: $0) }
        while forward.depth + backward.depth < maxDepth, !forward.frontier.isEmpty, !backward.frontier.isEmpty {
            let growForward = forward.frontier.count <= backward.frontier.count
            var meeting: (node: String, length: Int)?
            var grown = growForward ? forward : backward
            let other = growForward ? backward : forward
            var next: [String] = []
            for node in grown.frontier {
                guard result.expanded < budget, deadline.map({ ContinuousClock.now < $0 }) ?? true else {
                    result.truncated = true
                    break
                }
                result.expanded += 1
                guard let found = try await neighbours(node, growForward ? .outgoing : .incoming) else {
                    result.skippedHubs += 1
                    continue
                }
                for (neighbour, txid) in found where grown.reached[neighbour] == nil {
                    grown.reached[neighbour] = (grown.depth + 1, (node, txid))
                    next.append(neighbour)
                    if let there = other.reached[neighbour] {
                        let length = grown.depth + 1 + there.depth
                        if meeting.map({ length < $0.length }) ?? true { meeting = (neighbour, length) }
                    }
                }
            }
            grown.frontier = next
            grown.depth += 1
            if growForward { forward = grown } else { backward = grown }
            if let meeting {
                result.path = Self.path(through: meeting.node, forward: forward.reached, backward: backward.reached)
                return result
            }
            if result.truncated { return result }
        }
        return result
    }

    /// The hops from the forward root to `node`, then from `node` to the backward root.
    private static func path(
        through node: String, forward: [String: (depth: Int, edge: (neighbour: String, txid: String)?)],
        backward: [String: (depth: Int, edge: (neighbour: String, txid: String)?)]
    ) -> [PathHop] {
        var hops: [PathHop] = []
        var current = node
        while let edge = forward[current]?.edge {
            hops.append(PathHop(from: edge.neighbour, to: current, txid: edge.txid))
            current = edge.neighbour
        }
        hops.reverse()
        current = node
        while let edge = backward[current]?.edge {
            hops.append(PathHop(from: current, to: edge.neighbour, txid: edge.txid))
            current = edge.neighbour
        }
        return hops
    }
}
