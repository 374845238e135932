import CSICCore
import Foundation

/// A gradient-boosted tree ensemble read from XGBoost's JSON model format (`Booster.save_model("m.json")`),
/// so that a model trained with the standard tools loads unchanged. Supported: the `gbtree` booster with
/// numerical splits and one output, objectives `binary:logistic`, `reg:logistic` and `reg:squarederror`.
///
/// Inference follows XGBoost exactly: a row goes left when its feature is below the split condition,
/// where the node's default direction says when the feature is missing (NaN); the margin is the base margin
/// plus every tree's leaf value, summed in `Float` in tree order; a logistic objective's probability is the
/// margin's sigmoid.
///
/// ```swift
/// let model = try GradientBoostedTrees(json: Array(try Data(contentsOf: url)))
/// let probability = model.probability([0.3, .nan, 2, 1, 0, 0, 5, 1])
/// ```
public struct GradientBoostedTrees: RiskModel {
    /// What the model's output means.
    public typealias Objective = ModelObjective

    /// One node of the flattened ensemble, 16 bytes: a split, or a leaf (both children itself, its value in
    /// `value`). Children are indices into the same array; `defaultLeft` is the top bit of `left` (where a row
    /// missing the feature goes).
    struct Node: Sendable {
        var feature: Int32
        var value: Float
        private var leftAndDefault: UInt32
        var right: Int32

        init(feature: Int32, value: Float, left: Int32, right: Int32, defaultLeft: Bool) {
            self.feature = feature
            self.value = value
            leftAndDefault = UInt32(bitPattern: left) & 0x7FFF_FFFF | (defaultLeft ? 0x8000_0000 : 0)
            self.right = right
        }

        var left: Int32 { Int32(bitPattern: leftAndDefault & 0x7FFF_FFFF) }
        var defaultLeft: Bool { leftAndDefault & 0x8000_0000 != 0 }

        /// The child a row with `value` for this node's feature goes to, without a branch (the direction of a
        /// split on random-looking data is unpredictable; a mispredicted branch costs more than this).
        @inline(__always) func next(_ value: Float) -> Int {
            // `value < self.value` is false for NaN, so a missing value goes left only when that is its default.
            let goesLeft = (value < self.value) || (value.isNaN && leftAndDefault >= 0x8000_0000)
            let (left, right) = (Int(leftAndDefault & 0x7FFF_FFFF), Int(self.right))
            return right &+ (left &- right) &* Int(truncatingIfNeeded: UInt8(goesLeft ? 1 : 0))
        }
    }

    public let objective: Objective
    /// How many features a row has.
    public let featureCount: Int
    /// The features' names when the model was trained with them.
    public let featureNames: [String]?
    /// The model's trees.
    public var treeCount: Int { roots.count }
    /// How ``margins(_:)`` walks the trees: as complete trees when none is deeper than
    /// ``CompleteTrees/maxDepth`` (10) and padding them stays small, else by child indices.
    public var scoring: String {
        complete.map { "complete trees of depth \($0.depth), blocks of 64 rows" } ?? "child indices, blocks of 64 rows"
    }
    /// The margin every tree adds to (the base score in margin space).
    let baseMargin: Float
    let nodes: [Node]
    /// Each node's mean value (its leaves' values weighted by their cover), for contributions; nil when the file
    /// has no covers.
    let means: [Float]?
    let roots: [Int32]
    /// Each tree's depth (edges from the root to its deepest leaf).
    let depths: [Int32]
    /// The same trees as complete trees of one depth, when that layout takes them (``CompleteTrees/init(nodes:roots:depths:featureCount:)``).
    let complete: CompleteTrees?

    /// The largest model file read.
    public static let maxBytes = 256 << 20

    /// Reads an XGBoost JSON model; throws ``ModelError`` for a file that is not one, or one this reader does
    /// not support (it never guesses).
    public init(json bytes: [UInt8]) throws(ModelError) {
        try self.init(file: try XGBoostJSON.decode(bytes))
    }

    init(file: XGBoostJSON) throws(ModelError) {
        let header = try file.header()
        guard file.learner.gradientBooster.name == "gbtree", let trees = file.learner.gradientBooster.model?.trees else {
            throw ModelError("booster \(file.learner.gradientBooster.name.prefix(40)) is not supported (gbtree)")
        }
        var nodes: [Node] = []
        var means: [Float]? = []
        var roots: [Int32] = []
        for (index, tree) in trees.enumerated() {
            roots.append(Int32(nodes.count))
            let treeNodes = try Self.nodes(of: tree, number: index, featureCount: header.featureCount, offset: nodes.count)
            if let treeMeans = try Self.meanValues(of: tree, number: index, nodes: treeNodes, offset: nodes.count) {
                means? += treeMeans
            } else {
                means = nil
            }
            nodes += treeNodes
            guard nodes.count <= 100_000_000 else { throw ModelError("more than 100 million nodes") }
        }
        guard !roots.isEmpty else { throw ModelError("the model has no trees") }
        (objective, featureCount, baseMargin, featureNames) = header
        self.nodes = nodes
        self.means = means
        self.roots = roots
        depths = roots.indices.map { tree in
            let end = tree + 1 < roots.count ? Int(roots[tree + 1]) : nodes.count
            return Self.depth(root: Int(roots[tree]), count: end - Int(roots[tree]), in: nodes)
        }
        complete = CompleteTrees(nodes: nodes, roots: roots, depths: depths, featureCount: featureCount)
    }

    /// One tree's nodes, checked: equal array lengths, children after their parent (so every walk ends),
    /// features in range, numerical splits only, finite values.
    static func nodes(of tree: XGBoostJSON.Tree, number: Int, featureCount: Int, offset: Int) throws(ModelError) -> [Node] {
        let count = tree.leftChildren.count
        guard count > 0, count <= 10_000_000,
            [tree.rightChildren.count, tree.splitIndices.count, tree.splitConditions.count, tree.defaultLeft.count].allSatisfy({
                $0 == count
            })
        else { throw ModelError("tree \(number): node arrays of different lengths") }
        if let types = tree.splitType, types.contains(where: { $0 != 0 }) {
            throw ModelError("tree \(number): categorical splits are not supported")
        }
        var nodes: [Node] = []
        nodes.reserveCapacity(count)
        for index in 0..<count {
            let (left, right) = (tree.leftChildren[index], tree.rightChildren[index])
            let value = tree.splitConditions[index]
            guard value.isFinite else { throw ModelError("tree \(number), node \(index): value \(value) is not finite") }
            if left == -1 {
                guard right == -1 else { throw ModelError("tree \(number), node \(index): one child only") }
                // A leaf leads to itself: rows walk a tree in lockstep for its depth, and stay on their leaf.
                nodes.append(Node(feature: 0, value: value, left: Int32(offset + index), right: Int32(offset + index), defaultLeft: true))
                continue
            }
            guard left > index, right > index, left < count, right < count else {
                throw ModelError("tree \(number), node \(index): children \(left) and \(right) are not later nodes of the tree")
            }
            let feature = tree.splitIndices[index]
            guard feature >= 0, feature < featureCount else {
                throw ModelError("tree \(number), node \(index): feature \(feature) is not one of the \(featureCount)")
            }
            nodes.append(
                Node(
                    feature: Int32(feature), value: value, left: Int32(offset + left), right: Int32(offset + right),
                    defaultLeft: tree.defaultLeft[index] != 0))
        }
        return nodes
    }

    /// Each node's mean value as XGBoost computes it for approximate contributions: a leaf's value, else its
    /// children's means weighted by their covers (`sum_hessian`), in `Float`. Nil when the tree has no covers.
    static func meanValues(of tree: XGBoostJSON.Tree, number: Int, nodes: [Node], offset: Int) throws(ModelError) -> [Float]? {
        guard let covers = tree.sumHessian else { return nil }
        guard covers.count == nodes.count else {
            throw ModelError("tree \(number): sum_hessian has \(covers.count) values for \(nodes.count) nodes")
        }
        var means = [Float](repeating: 0, count: nodes.count)
        for index in stride(from: nodes.count - 1, through: 0, by: -1) {
            let node = nodes[index]
            let (left, right) = (Int(node.left) - offset, Int(node.right) - offset)
            if left == index {
                means[index] = node.value
                continue
            }
            guard covers[index] > 0, covers[index].isFinite, covers[left].isFinite, covers[right].isFinite else {
                throw ModelError("tree \(number), node \(index): cover \(covers[index]) is not a positive number")
            }
            var mean = means[left] * covers[left]
            mean += means[right] * covers[right]
            means[index] = mean / covers[index]
        }
        return means
    }

    /// The depth of the tree whose `count` nodes start at `root`: children come after their parent, so one
    /// pass from the last node back gives every node's height (no recursion: a hostile tree may be a long chain).
    static func depth(root: Int, count: Int, in nodes: [Node]) -> Int32 {
        var heights = [Int32](repeating: 0, count: count)
        for index in stride(from: count - 1, through: 0, by: -1) {
            let node = nodes[root + index]
            let (left, right) = (Int(node.left) - root, Int(node.right) - root)
            if left != index { heights[index] = 1 + max(heights[left], heights[right]) }
        }
        return heights[0]
    }

    /// The raw score (log-odds for a logistic objective) of one row of ``featureCount`` features; NaN is
    /// missing. A shorter row is read as missing the rest.
    public func margin(_ features: [Float]) -> Float {
        if features.count >= featureCount { return margins(features)[0] }
        return margins(features + [Float](repeating: .nan, count: featureCount - features.count))[0]
    }

    /// The raw scores of `rows`, ``featureCount`` values each, one after the other (row-major). Rows are scored
    /// in blocks of 64, tree by tree, so each tree stays in the cache for the block.
    public func margins(_ rows: [Float]) -> [Float] {
        let columns = featureCount
        let count = rows.count / columns
        var sums = [Float](repeating: baseMargin, count: count)
        if let complete {
            rows.withUnsafeBufferPointer { rows in
                sums.withUnsafeMutableBufferPointer { complete.addMargins(rows: rows, into: $0) }
            }
            return sums
        }
        rows.withUnsafeBufferPointer { rows in
            nodes.withUnsafeBufferPointer { nodes in
                sums.withUnsafeMutableBufferPointer { sums in
                    var positions = [Int](repeating: 0, count: 64)
                    positions.withUnsafeMutableBufferPointer { positions in
                        var blockStart = 0
                        while blockStart < count {
                            let width = min(64, count - blockStart)
                            for (tree, root) in roots.enumerated() {
                                for lane in 0..<width { positions[lane] = Int(root) }
                                // Every row of the block takes one step per level: independent loads the CPU overlaps.
                                for _ in 0..<depths[tree] {
                                    for lane in 0..<width {
                                        let node = nodes[positions[lane]]
                                        positions[lane] = node.next(rows[(blockStart + lane) * columns + Int(node.feature)])
                                    }
                                }
                                for lane in 0..<width { sums[blockStart + lane] += nodes[positions[lane]].value }
                            }
                            blockStart += width
                        }
                    }
                }
            }
        }
        return sums
    }

    /// Each feature's contribution to the margin of `row`, then the bias, as XGBoost's
    /// `predict(pred_contribs=True, approx_contribs=True)` gives them: along the row's path in each tree, a split's
    /// feature is credited with the change in the node mean from the node to the child taken; the bias is the base
    /// margin plus every root's mean. Without covers in the file, all of the margin is bias.
    public func contributions(_ row: [Float]) -> [Float] {
        let row = row.count >= featureCount ? row : row + [Float](repeating: .nan, count: featureCount - row.count)
        var contributions = [Float](repeating: 0, count: featureCount + 1)
        guard let means else {
            contributions[featureCount] = margins(Array(row.prefix(featureCount)))[0]
            return contributions
        }
        contributions[featureCount] = baseMargin
        for root in roots {
            var position = Int(root)
            var mean = means[position]
            contributions[featureCount] += mean
            while Int(nodes[position].left) != position {
                let feature = Int(nodes[position].feature)
                position = nodes[position].next(row[feature])
                contributions[feature] += means[position] - mean
                mean = means[position]
            }
        }
        return contributions
    }

    /// The model's output for one row: the probability for a logistic objective, else the margin.
    public func predict(_ features: [Float]) -> Double {
        let margin = Double(margin(features))
        return objective.isLogistic ? 1 / (1 + exp(-margin)) : margin
    }
}

/// A model file that cannot be used, and why.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
