import Storage

/// Disjoint sets over dense ids with union by size and no path compression, so every union can be undone
/// exactly (``undo(_:)``, in the reverse order of the unions): what a chain reorganisation needs. Finding a
/// set's root takes O(log n) steps, since a tree only gets deeper when its size at least doubles.
///
/// Each set's ids are also a circular list (`next`), so a set's members are listed from its root in O(size) and a
/// page of them in O(page), without walking the tree. A union splices the two lists by exchanging the roots'
/// successors; exchanging them again splits them back, so undoing stays exact.
public struct DisjointSets: Sendable, Equatable {
    /// One union, as it must be reversed: `child`'s root was attached under `root`.
    public typealias Union = ClusterUnion

    private(set) var parent: [Int32] = []
    private(set) var size: [Int32] = []
    /// The id after each one in its set's circular list.
    private(set) var next: [Int32] = []

    public init() {}

    /// A forest as stored: each id's parent, for roots its set's size, and each id's successor in its set's list.
    init(parents: [Int32], sizes: [Int32], successors: [Int32]) {
        parent = parents
        size = sizes
        next = successors
    }

    /// How many ids exist.
    public var count: Int { parent.count }

    /// A new id in a set of its own.
    public mutating func add() -> Int32 {
        let id = Int32(parent.count)
        parent.append(id)
        size.append(1)
        next.append(id)
        return id
    }

    /// The root of `id`'s set.
    public func find(_ id: Int32) -> Int32 {
        var current = id
        while parent[Int(current)] != current { current = parent[Int(current)] }
        return current
    }

    /// How many ids `id`'s set holds.
    public func setSize(_ id: Int32) -> Int { Int(size[Int(find(id))]) }

    /// Joins the sets of `a` and `b`, the smaller under the larger; `nil` when they were one set already.
    public mutating func union(_ a: Int32, _ b: Int32) -> Union? {
        var (rootA, rootB) = (find(a), find(b))
        guard rootA != rootB else { return nil }
        if size[Int(rootA)] < size[Int(rootB)] || (size[Int(rootA)] == size[Int(rootB)] && rootA > rootB) { swap(&rootA, &rootB) }
        parent[Int(rootB)] = rootA
        size[Int(rootA)] += size[Int(rootB)]
        next.swapAt(Int(rootA), Int(rootB))
        return Union(child: rootB, root: rootA)
    }

    /// Reverses `union`, which must be the last union not yet undone.
    public mutating func undo(_ union: Union) {
        precondition(parent[Int(union.child)] == union.root, "unions are undone newest first")
        parent[Int(union.child)] = union.child
        size[Int(union.root)] -= size[Int(union.child)]
        next.swapAt(Int(union.root), Int(union.child))
    }

    /// The ids of `id`'s set, from its root along its list (what the stored lists page through).
    func members(_ id: Int32) -> [Int32] {
        let root = find(id)
        var members = [root]
        var current = next[Int(root)]
        while current != root {
            members.append(current)
            current = next[Int(current)]
        }
        return members
    }

    /// Whether a restored forest is one that unions by size can make (every parent in range, no tree deeper than
    /// 32) and its lists are exactly its sets: `next` a permutation whose cycles are the sets, one each.
    func isConsistent() -> Bool {
        guard next.count == parent.count, size.count == parent.count else { return false }
        var roots = [Int32](repeating: -1, count: parent.count)
        for id in parent.indices {
            var current = id
            var depth = 0
            while parent[current] != Int32(current) {
                current = Int(parent[current])
                depth += 1
                guard current >= 0, current < parent.count, depth <= 32 else { return false }
            }
            roots[id] = Int32(current)
        }
        var seen = [Bool](repeating: false, count: next.count)
        for start in next.indices where roots[start] == Int32(start) {
            var current = start
            var length = 0
            repeat {
                guard current >= 0, current < next.count, !seen[current], roots[current] == Int32(start) else { return false }
                seen[current] = true
                length += 1
                current = Int(next[current])
            } while current != start
            guard length == Int(size[start]) else { return false }
        }
        return !seen.contains(false)
    }
}
