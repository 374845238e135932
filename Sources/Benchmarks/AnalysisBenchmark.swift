import CSICCore
import Foundation
import RiskEngine
import Simulation
import TransactionAnalysis

/// `csic bench clustering` and `csic bench model`: the analysis's own hot loops on one core.
public enum AnalysisBenchmark {
    /// Multi-input clustering over simulated transactions: inputs applied per second.
    public static func clustering(transactions count: Int = 500_000) -> BenchmarkResult {
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        var transactions: [ChainTransaction] = []
        transactions.reserveCapacity(count)
        while transactions.count < count { transactions.append(simulator.nextTransaction()) }
        let inputs = transactions.reduce(0) { $0 + $1.inputs.count }
        var clusters = AddressClusters()
        var merged = 0
        var coinJoins = 0
        let clock = ContinuousClock()
        let started = clock.now
        for transaction in transactions {
            switch clusters.apply(transaction) {
            case .merged(let merges): merged += merges
            case .coinJoin: coinJoins += 1
            default: break
            }
        }
        let elapsed = clock.now - started
        return BenchmarkResult(
            name: "clustering", records: inputs, duration: elapsed, latency: LatencyHistogram(),
            parameters: [
                "transactions": "\(count)", "inputs": "\(inputs)", "addresses": "\(clusters.addressCount)", "unions": "\(merged)",
                "coinjoins": "\(coinJoins)", "unit": "inputs",
            ])
    }

    /// Gradient-boosted tree inference on one core: scores per second of `model` (an XGBoost JSON file; else
    /// a random 100-tree depth-6 model over 32 features) on `rows` (little-endian float32, the model's feature
    /// count per row; else random rows with 5 % missing values).
    public static func model(file: String?, rows rowsFile: String?, duration: Duration) throws -> BenchmarkResult {
        let model = try GradientBoostedTrees(json: file.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) } ?? randomModel())
        var generator = SystemRandomNumberGenerator()
        let values: [Float]
        if let rowsFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: rowsFile))
            values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        } else {
            values = (0..<10_000 * model.featureCount).map { _ in
                Int.random(in: 0..<20, using: &generator) == 0 ? .nan : Float.random(in: -3...3, using: &generator)
            }
        }
        let rowCount = values.count / model.featureCount
        precondition(rowCount > 0, "no rows")
        let clock = ContinuousClock()
        let started = clock.now
        var scored = 0
        var checksum: Float = 0
        while clock.now - started < duration {
            checksum += model.margins(values).reduce(0, +)
            scored += rowCount
        }
        let elapsed = clock.now - started
        return BenchmarkResult(
            name: "model", records: scored, duration: elapsed, latency: LatencyHistogram(),
            parameters: [
                "trees": "\(model.treeCount)", "features": "\(model.featureCount)", "rows": "\(rowCount)", "threads": "1",
                "scoring": "blocks of 64 rows, tree by tree",
                "model": file ?? "random 100 trees, depth 6", "checksum": String(format: "%.3f", checksum / Float(scored)),
                "unit": "scores",
            ])
    }

    /// A random `gbtree` model in XGBoost's JSON format: 100 full trees of depth 6 over 32 features.
    static func randomModel(trees: Int = 100, depth: Int = 6, features: Int = 32) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let nodes = (1 << (depth + 1)) - 1
        let treeTexts = (0..<trees).map { _ in
            var left: [Int] = []
            var right: [Int] = []
            var indices: [Int] = []
            var conditions: [Float] = []
            var defaults: [Int] = []
            for node in 0..<nodes {
                let isLeaf = node >= (1 << depth) - 1
                left.append(isLeaf ? -1 : 2 * node + 1)
                right.append(isLeaf ? -1 : 2 * node + 2)
                indices.append(isLeaf ? 0 : Int.random(in: 0..<features, using: &generator))
                conditions.append(isLeaf ? Float.random(in: -0.2...0.2, using: &generator) : Float.random(in: -2...2, using: &generator))
                defaults.append(Int.random(in: 0...1, using: &generator))
            }
            return """
                {"left_children":\(left),"right_children":\(right),"split_indices":\(indices),"split_conditions":\(conditions),"default_left":\(defaults)}
                """
        }
        let text = """
            {"learner":{"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[\(treeTexts.joined(separator: ","))]}},
            "learner_model_param":{"base_score":"5E-1","num_feature":"\(features)","num_class":"0","num_target":"1"}}}
            """
        return Array(text.utf8)
    }
}
