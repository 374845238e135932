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

    public init(path: [PathHop]?, expanded: Int, skippedHubs: Int, truncated: Bool) {
        self.path = path
        self.expanded = expanded
        self.skippedHubs = skippedHubs
        self.truncated = truncated
    }
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

    /// - Parameters:
    ///   - budget: the most addresses expanded (20,000 by default, as `GET /api/v1/paths`).
    ///   - timeLimit: 1.5 s by default, as `GET /api/v1/paths`.
    public init(maxDepth: Int, budget: Int = 20_000, timeLimit: Duration? = .milliseconds(1_500)) {
        self.maxDepth = maxDepth
        self.budget = budget
        self.timeLimit = timeLimit
    }

    /// How a node was reached: its distance from the side's root and the edge (`nil` for the root).
    private typealias Reached = (depth: Int, edge: (neighbour: String, txid: String)?)

    /// One side of the search: its visited nodes and the frontier it grows next.
    private struct Side {
        var reached: [String: Reached]
        var frontier: [String]
        var depth = 0
        let direction: FundsDirection

        init(root: String, direction: FundsDirection) {
            reached = [root: (0, nil)]
            frontier = [root]
            self.direction = direction
        }
    }

    /// The shortest path from `from` to `to` of at most ``maxDepth`` hops. `neighbours(address, direction)`
    /// answers the address's counterparties that way with the transaction, or `nil` when it is a hub.
    public func search(
        from: String, to: String,
        neighbours: (String, FundsDirection) async throws -> [(address: String, txid: String)]?
    ) async throws -> PathSearchResult {
        var result = PathSearchResult(path: from == to ? [] : nil, expanded: 0, skippedHubs: 0, truncated: false)
        guard from != to else { return result }
        var forward = Side(root: from, direction: .outgoing)
        var backward = Side(root: to, direction: .incoming)
        let deadline = timeLimit.map { ContinuousClock.now.advanced(by: $0) }
        while forward.depth + backward.depth < maxDepth, !forward.frontier.isEmpty, !backward.frontier.isEmpty {
            let meeting =
                forward.frontier.count <= backward.frontier.count
                ? try await grow(&forward, against: backward, &result, until: deadline, neighbours)
                : try await grow(&backward, against: forward, &result, until: deadline, neighbours)
            if let meeting {
                result.path = Self.path(through: meeting, forward: forward.reached, backward: backward.reached)
                return result
            }
            if result.truncated { return result }
        }
        return result
    }

    /// Expands every node of `side`'s frontier (within the budget and time), making the next frontier; answers the
    /// newly reached node that `other` has reached too with the shortest total, if any.
    private func grow(
        _ side: inout Side, against other: Side, _ result: inout PathSearchResult, until deadline: ContinuousClock.Instant?,
        _ neighbours: (String, FundsDirection) async throws -> [(address: String, txid: String)]?
    ) async throws -> String? {
        var meeting: (node: String, length: Int)?
        var next: [String] = []
        for node in side.frontier {
            guard result.expanded < budget, deadline.map({ ContinuousClock.now < $0 }) ?? true else {
                result.truncated = true
                break
            }
            result.expanded += 1
            guard let found = try await neighbours(node, side.direction) else {
                result.skippedHubs += 1
                continue
            }
            for (neighbour, txid) in found where side.reached[neighbour] == nil {
                side.reached[neighbour] = (side.depth + 1, (node, txid))
                next.append(neighbour)
                if let there = other.reached[neighbour], meeting.map({ side.depth + 1 + there.depth < $0.length }) ?? true {
                    meeting = (neighbour, side.depth + 1 + there.depth)
                }
            }
        }
        side.frontier = next
        side.depth += 1
        return meeting?.node
    }

    /// The hops from the forward root to `node`, then from `node` to the backward root.
    private static func path(through node: String, forward: [String: Reached], backward: [String: Reached]) -> [PathHop] {
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
