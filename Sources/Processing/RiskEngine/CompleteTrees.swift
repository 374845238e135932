/// A shallow ensemble laid out as complete binary trees, all of one depth, for scoring many rows: node `i`'s
/// children are `2i + 1` and `2i + 2`, so a step loads an 8-byte split and no child index, and a tree is
/// walked exactly `depth` steps. A leaf shallower than the deepest leaf becomes a subtree whose every leaf
/// holds its value, so the direction taken below it does not matter and the margins are exactly the
/// general layout's.
///
/// Missing values cost no test per step: each row is copied twice side by side, NaN read as -infinity in the
/// first copy and +infinity in the second, and a split reads its feature from the copy that sends a missing
/// value its default way (-infinity is below every finite threshold, +infinity is not). A real infinity is a
/// value, not missing, and is the same in both copies.
struct CompleteTrees: Sendable {
    /// One split: a row goes left when the value at `column` of its doubled row is below `threshold`; `column`
    /// is the feature for a split whose missing values go left, the feature plus the feature count otherwise.
    struct Split: Sendable {
        var threshold: Float
        var column: UInt32
    }

    /// The deepest tree this layout takes: padded to it, a tree has `2^depth` leaves.
    static let maxDepth = 10
    /// The most splits and leaves the padded trees may have, in all and per node of the ensemble (a hostile or
    /// lopsided model falls back to the general layout instead of growing).
    static let maxPaddedNodes = 1 << 22
    static let maxPaddingPerNode = 16
    /// The most features a row may have here: a block of 64 doubled rows is held while scoring.
    static let maxFeatures = 1_024

    let depth: Int
    let featureCount: Int
    /// Every tree's `2^depth - 1` splits, tree after tree.
    let splits: [Split]
    /// Every tree's `2^depth` leaves, tree after tree.
    let leaves: [Float]

    /// The complete layout of the ensemble whose trees start at `roots` in `nodes`, or nil when a tree is
    /// deeper than ``maxDepth``, padding would grow it beyond ``maxPaddedNodes`` or ``maxPaddingPerNode`` times
    /// its nodes, or rows have more than ``maxFeatures`` (the general layout scores those).
    init?(nodes: [GradientBoostedTrees.Node], roots: [Int32], depths: [Int32], featureCount: Int) {
        guard let deepest = depths.max(), deepest <= Self.maxDepth, featureCount <= Self.maxFeatures else { return nil }
        let padded = roots.count << (Int(deepest) + 1)
        guard padded <= Self.maxPaddedNodes, padded <= Self.maxPaddingPerNode * nodes.count else { return nil }
        depth = Int(deepest)
        self.featureCount = featureCount
        let (splitCount, leafCount) = ((1 << depth) - 1, 1 << depth)
        var splits = [Split](repeating: Split(threshold: 0, column: 0), count: roots.count * splitCount)
        var leaves = [Float](repeating: 0, count: roots.count * leafCount)
        for (tree, root) in roots.enumerated() {
            // (position in the complete tree, node of the ensemble it stands for); a leaf stands in for all its padding.
            var pending = [(0, Int(root))]
            while let (position, index) = pending.popLast() {
                let node = nodes[index]
                if position >= splitCount {
                    leaves[tree * leafCount + position - splitCount] = node.value
                    continue
                }
                let isLeaf = Int(node.left) == index
                if !isLeaf {
                    splits[tree * splitCount + position] = Split(
                        threshold: node.value, column: UInt32(Int(node.feature) + (node.defaultLeft ? 0 : featureCount)))
                }
                pending.append((2 * position + 1, isLeaf ? index : Int(node.left)))
                pending.append((2 * position + 2, isLeaf ? index : Int(node.right)))
            }
        }
        self.splits = splits
        self.leaves = leaves
    }

    /// Adds every tree's leaf value to `sums` for `sums.count` rows of ``featureCount`` features (row-major): rows
    /// in blocks of 64, each block walking a tree in lockstep, one level at a time (independent loads the CPU
    /// overlaps).
    func addMargins(rows: UnsafeBufferPointer<Float>, into sums: UnsafeMutableBufferPointer<Float>) {
        let (splitCount, leafCount, columns, width) = ((1 << depth) - 1, 1 << depth, featureCount, 2 * featureCount)
        splits.withUnsafeBufferPointer { splits in
            leaves.withUnsafeBufferPointer { leaves in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 64 * width) { block in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { positions in
                        var blockStart = 0
                        while blockStart < sums.count {
                            let lanes = min(64, sums.count - blockStart)
                            for lane in 0..<lanes {
                                for feature in 0..<columns {
                                    let value = rows[(blockStart + lane) * columns + feature]
                                    block[lane * width + feature] = value.isNaN ? -.infinity : value
                                    block[lane * width + columns + feature] = value.isNaN ? .infinity : value
                                }
                            }
                            for tree in 0..<(leaves.count >> depth) {
                                let treeSplits = UnsafeBufferPointer(rebasing: splits[(tree * splitCount)...])
                                for lane in 0..<lanes { positions[lane] = 0 }
                                for _ in 0..<depth {
                                    for lane in 0..<lanes {
                                        let position = positions[lane]
                                        let split = treeSplits[position]
                                        let goesRight = block[lane &* width &+ Int(split.column)] >= split.threshold
                                        positions[lane] = 2 &* position &+ 1 &+ Int(truncatingIfNeeded: UInt8(goesRight ? 1 : 0))
                                    }
                                }
                                let treeLeaves = tree * leafCount - splitCount
                                for lane in 0..<lanes { sums[blockStart + lane] += leaves[treeLeaves + positions[lane]] }
                            }
                            blockStart += lanes
                        }
                    }
                }
            }
        }
    }
}
