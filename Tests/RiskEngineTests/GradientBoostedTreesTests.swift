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
