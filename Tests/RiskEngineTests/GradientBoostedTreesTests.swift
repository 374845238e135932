import CSICCore
import Foundation
import RiskEngine
import Testing

@Suite struct GradientBoostedTreesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/xgboost")

    struct Predictions: Decodable {
        struct Case: Decodable {
            var features: [Double?]
            var margin: Double
            var probability: Double
            var contributions: [Double]

            var row: [Float] { features.map { $0.map(Float.init) ?? .nan } }
        }

        var xgboost: String
        var cases: [Case]
    }

    static func model() throws -> GradientBoostedTrees {
        try GradientBoostedTrees(json: Array(try Data(contentsOf: fixtures.appendingPathComponent("binary-logistic.json"))))
    }

    /// The model xgboost trained (tools/xgboost_fixture.py), on rows with missing features: the same margins
    /// and probabilities as xgboost's own `predict`.
    @Test func matchesXGBoostsOwnPredictions() throws {
        let model = try Self.model()
        #expect(model.objective == .binaryLogistic && model.featureCount == 8 && model.treeCount == 30)
        let expected = try JSONDecoder().decode(
            Predictions.self, from: try Data(contentsOf: Self.fixtures.appendingPathComponent("binary-logistic-predictions.json")))
        #expect(expected.cases.count == 200)
        #expect(expected.cases.contains { $0.features.contains(nil) }, "some rows miss features")
        // All rows at once (blocks of 64, tree by tree) score as each row alone does.
        let all = model.margins(expected.cases.flatMap { $0.features.map { $0.map(Float.init) ?? .nan } })
        #expect(all.count == 200 && zip(all, expected.cases).allSatisfy { abs(Double($0) - $1.margin) <= 1e-5 })
        for (number, row) in expected.cases.enumerated() {
            let features = row.features.map { $0.map(Float.init) ?? .nan }
            #expect(abs(Double(model.margin(features)) - row.margin) <= 1e-5, "row \(number): \(model.margin(features)) vs \(row.margin)")
            #expect(abs(model.predict(features) - row.probability) <= 1e-6, "row \(number)")
        }
    }

    static func predictions(_ name: String) throws -> Predictions {
        try JSONDecoder().decode(Predictions.self, from: try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// Each feature's share of a row's margin, as xgboost's `pred_contribs=True, approx_contribs=True` gives it:
    /// the same values, and they sum to the margin.
    @Test func contributionsMatchXGBoostsApproximateContributions() throws {
        let model = try Self.model()
        for (number, row) in try Self.predictions("binary-logistic-predictions.json").cases.enumerated() {
            let contributions = model.contributions(row.row)
            #expect(contributions.count == 9 && row.contributions.count == 9)
            for (mine, theirs) in zip(contributions, row.contributions) {
                #expect(abs(Double(mine) - theirs) <= 1e-4, "row \(number): \(contributions) vs \(row.contributions)")
            }
            #expect(abs(Double(contributions.reduce(0, +)) - row.margin) <= 1e-4, "row \(number)")
        }
    }

    /// A logistic regression trained by xgboost's `gblinear` booster: the same margins, probabilities and
    /// contributions as xgboost's; `RiskModels.load` tells the two boosters apart.
    @Test func linearModelsMatchXGBoostAndLoadByTheirBooster() throws {
        let bytes = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("linear-logistic.json")))
        let model = try LinearModel(json: bytes)
        #expect(model.objective == .binaryLogistic && model.featureCount == 8)
        let cases = try Self.predictions("linear-logistic-predictions.json").cases
        let margins = model.margins(cases.flatMap(\.row))
        let probabilities = model.probabilities(cases.flatMap(\.row))
        #expect(margins.count == 200 && probabilities.count == 200)
        for (number, row) in cases.enumerated() {
            #expect(abs(Double(margins[number]) - row.margin) <= 1e-5, "row \(number): \(margins[number]) vs \(row.margin)")
            #expect(abs(probabilities[number] - row.probability) <= 1e-6, "row \(number)")
            let contributions = model.contributions(row.row)
            #expect(zip(contributions, row.contributions).allSatisfy { abs(Double($0) - $1) <= 1e-5 }, "row \(number)")
        }
        #expect(try RiskModels.load(json: bytes) is LinearModel)
        let trees = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("binary-logistic.json")))
        #expect(try RiskModels.load(json: trees) is GradientBoostedTrees)
        #expect(throws: ModelError.self) { try LinearModel(json: trees) }
        let regression = String(decoding: trees, as: UTF8.self).replacingOccurrences(of: "binary:logistic", with: "reg:squarederror")
        #expect(throws: ModelError.self, "a regression's margin is no log-odds") { try RiskModels.load(json: Array(regression.utf8)) }
        #expect(try GradientBoostedTrees(json: Array(regression.utf8)).objective == .squaredError, "the reader itself still reads it")
        #expect(throws: ModelError.self) { try GradientBoostedTrees(json: bytes) }
        var file = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        var learner = file["learner"] as! [String: Any]
        learner["gradient_booster"] = ["name": "gblinear", "model": ["weights": [1, 2, 3]]]
        file["learner"] = learner
        let threeWeights = Array(try JSONSerialization.data(withJSONObject: file))
        do {
            _ = try LinearModel(json: threeWeights)
            Issue.record("three weights for eight features were read")
        } catch {
            #expect(error.description.contains("3 weights for 8 features"), "\(error)")
        }
    }

    /// A chain of `splits` splits on `feature`: split `i` sends values below `i + 0.5` left to a leaf worth
    /// `i * scale`, the rest right to the next split; the last right child is worth `splits * scale`.
    static func chainTree(splits: Int, feature: Int, scale: Float, defaultLeft: (Int) -> Bool) -> String {
        var (left, right, indices, conditions, defaults) = ([Int](), [Int](), [Int](), [Float](), [Int]())
        for split in 0..<splits {
            (left, right, indices) = (left + [2 * split + 1, -1], right + [2 * split + 2, -1], indices + [feature, 0])
            conditions += [Float(split) + 0.5, Float(split) * scale]
            defaults += [defaultLeft(split) ? 1 : 0, 0]
        }
        (left, right, indices, conditions, defaults) = (
            left + [-1], right + [-1], indices + [0], conditions + [Float(splits) * scale], defaults + [0]
        )
        return """
            {"left_children":\(left),"right_children":\(right),"split_indices":\(indices),"split_conditions":\(conditions),"default_left":\(defaults)}
            """
    }

    /// The leaf `chainTree` reaches for `value`, walked the way XGBoost defines it.
    static func chainLeaf(_ value: Float, splits: Int, scale: Float, defaultLeft: (Int) -> Bool) -> Float {
        for split in 0..<splits where value < Float(split) + 0.5 || (value.isNaN && defaultLeft(split)) { return Float(split) * scale }
        return Float(splits) * scale
    }

    /// Shallow models are scored as complete trees (shallower leaves padded, missing values read through
    /// infinities) and deeper or lopsided ones by following child indices: both give XGBoost's margins for missing, infinite
    /// and ordinary values, and for trees of different depths in one model.
    @Test func shallowAndDeepModelsWalkEveryValueAsXGBoostDoes() throws {
        let values: [Float] = [-.infinity, -1, 0, 0.7, 2.2, 4.9, 7.5, 11.5, 100, .infinity, .nan]
        let firstDefaultLeft: (Int) -> Bool = { $0 == 2 }
        let secondDefaultLeft: (Int) -> Bool = { _ in false }
        for splits in [5, 6, 10, 11, 14] {
            let trees = [
                Self.chainTree(splits: splits, feature: 0, scale: 1, defaultLeft: firstDefaultLeft),
                Self.chainTree(splits: 3, feature: 1, scale: 100, defaultLeft: secondDefaultLeft),
            ]
            let text = """
                {"learner":{"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[\(trees.joined(separator: ","))]}},
                "learner_model_param":{"base_score":"5E-1","num_feature":"2","num_class":"0","num_target":"1"}}}
                """
            let model = try GradientBoostedTrees(json: Array(text.utf8))
            // Padding a chain of 10 to a complete tree would make it 146 times its nodes: followed by child indices.
            #expect(model.scoring.hasPrefix("complete trees of depth \(splits)") == (splits <= 6), "\(model.scoring)")
            let rows = values.flatMap { first in values.map { [first, $0] } }
            let margins = model.margins(rows.flatMap { $0 })
            #expect(margins.count == rows.count)
            for (row, margin) in zip(rows, margins) {
                let expected =
                    Self.chainLeaf(row[0], splits: splits, scale: 1, defaultLeft: firstDefaultLeft)
                    + Self.chainLeaf(row[1], splits: 3, scale: 100, defaultLeft: secondDefaultLeft)
                #expect(margin == expected, "\(splits) splits, row \(row): \(margin) vs \(expected)")
                #expect(model.margin(row) == expected)
            }
        }
    }

    /// A model file is outside bytes: what a reader cannot trust is refused with the reason, never guessed.
    @Test func refusesModelsItCannotTrust() throws {
        let original =
            try JSONSerialization.jsonObject(
                with: try Data(contentsOf: Self.fixtures.appendingPathComponent("binary-logistic.json"))) as! [String: Any]
        func changed(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
            var learner = original["learner"] as! [String: Any]
            edit(&learner)
            return Array(try JSONSerialization.data(withJSONObject: ["learner": learner, "version": original["version"]!]))
        }
        func firstTree(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { learner in
                var booster = learner["gradient_booster"] as! [String: Any]
                var model = booster["model"] as! [String: Any]
                var trees = model["trees"] as! [[String: Any]]
                edit(&trees[0])
                model["trees"] = trees
                booster["model"] = model
                learner["gradient_booster"] = booster
            }
        }
        let cases: [(String, [UInt8])] = [
            ("not an XGBoost JSON model", Array("{\"learner\": 3}".utf8)),
            ("objective multi:softprob is not supported", try changed { $0["objective"] = ["name": "multi:softprob"] }),
            (
                "children 0 and 2 are not later nodes",
                try changed(
                    firstTree { tree in
                        var left = tree["left_children"] as! [Int]
                        left[0] = 0
                        tree["left_children"] = left
                    })
            ),
            (
                "feature 99 is not one of the 8",
                try changed(
                    firstTree { tree in
                        var features = tree["split_indices"] as! [Int]
                        features[0] = 99
                        tree["split_indices"] = features
                    })
            ),
            (
                "categorical splits are not supported",
                try changed(
                    firstTree { tree in
                        var types = tree["split_type"] as! [Int]
                        types[0] = 1
                        tree["split_type"] = types
                    })
            ),
            (
                "sum_hessian has 1 values",
                try changed(firstTree { tree in tree["sum_hessian"] = [Float(1)] })
            ),
            (
                "node arrays of different lengths",
                try changed(firstTree { tree in tree["split_conditions"] = [Float(0.5)] })
            ),
        ]
        for (reason, bytes) in cases {
            #expect(throws: ModelError.self, "\(reason)") { try GradientBoostedTrees(json: bytes) }
            do {
                _ = try GradientBoostedTrees(json: bytes)
            } catch {
                #expect(error.description.contains(reason), "\(error)")
            }
        }
    }
}
