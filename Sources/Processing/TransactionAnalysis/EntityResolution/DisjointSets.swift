import Storage

/// Disjoint sets over dense ids with union by size and no path compression, so every union can be undone
/// exactly (``undo(_:)``, in the reverse order of the unions): what a chain reorganisation needs. Finding a
/// set's root takes O(log n) steps, since a tree only gets deeper when its size at least doubles.
public struct DisjointSets: Sendable, Equatable {
    /// One union, as it must be reversed: `child`'s root was attached under `root`.
    public typealias Union = ClusterUnion

    private(set) var parent: [Int32] = []
    private(set) var size: [Int32] = []

    public init() {}

    /// A forest as stored: each id's parent and, for roots, its set's size.
    init(parents: [Int32], sizes: [Int32]) {
        parent = parents
        size = sizes
    }

    /// How many ids exist.
    public var count: Int { parent.count }

    /// A new id in a set of its own.
    public mutating func add() -> Int32 {
        let id = Int32(parent.count)
        parent.append(id)
        size.append(1)
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
        return Union(child: rootB, root: rootA)
    }

    /// Reverses `union`, which must be the last union not yet undone.
    public mutating func undo(_ union: Union) {
        precondition(parent[Int(union.child)] == union.root, "unions are undone newest first")
        parent[Int(union.child)] = union.child
        size[Int(union.root)] -= size[Int(union.child)]
    }
}
