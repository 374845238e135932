import CSICCore

/// A linear model read from XGBoost's JSON model format with the `gblinear` booster: with a logistic objective,
/// a logistic regression (the risk model's baseline is one). The margin is the base margin plus the bias plus
/// each present feature times its weight; a missing (NaN) feature adds nothing, as in XGBoost.
public struct LinearModel: RiskModel {
    public let objective: ModelObjective
    public let featureCount: Int
    public let featureNames: [String]?
    /// One weight per feature.
    let weights: [Float]
    /// The base margin plus the bias weight.
    let intercept: Float

    /// Reads a `gblinear` model; throws ``ModelError`` for anything else.
    public init(json bytes: [UInt8]) throws(ModelError) {
        try self.init(file: try XGBoostJSON.decode(bytes))
    }

    init(file: XGBoostJSON) throws(ModelError) {
        let header = try file.header()
        guard file.learner.gradientBooster.name == "gblinear", let weights = file.learner.gradientBooster.model?.weights else {
            throw ModelError("booster \(file.learner.gradientBooster.name.prefix(40)) is not supported (gblinear)")
        }
        guard weights.count == header.featureCount + 1 else {
            throw ModelError("gblinear: \(weights.count) weights for \(header.featureCount) features and a bias")
        }
        guard weights.allSatisfy(\.isFinite) else { throw ModelError("gblinear: a weight is not finite") }
        (objective, featureCount, featureNames) = (header.objective, header.featureCount, header.featureNames)
        self.weights = Array(weights.prefix(header.featureCount))
        intercept = header.baseMargin + weights[header.featureCount]
    }

    public func margins(_ rows: [Float]) -> [Float] {
        stride(from: 0, to: rows.count - featureCount + 1, by: featureCount).map { start in
            var sum = intercept
            for feature in 0..<featureCount where !rows[start + feature].isNaN { sum += rows[start + feature] * weights[feature] }
            return sum
        }
    }

    /// Each present feature times its weight, then the intercept.
    public func contributions(_ row: [Float]) -> [Float] {
        (0..<featureCount).map { feature in
            feature < row.count && !row[feature].isNaN ? row[feature] * weights[feature] : 0
        } + [intercept]
    }
}

/// Reads a risk model from XGBoost's JSON format, whichever booster trained it: gradient-boosted trees
/// (`gbtree`) or a linear model (`gblinear`). A risk model's margin is log-odds, so its objective must be a
/// logistic one.
public enum RiskModels {
    public static func load(json bytes: [UInt8]) throws(ModelError) -> any RiskModel {
        let file = try XGBoostJSON.decode(bytes)
        guard try file.header().objective.isLogistic else {
            throw ModelError("objective \(file.learner.objective.name) does not give a probability: a risk model needs a logistic one")
        }
        switch file.learner.gradientBooster.name {
        case "gblinear": return try LinearModel(file: file)
        default: return try GradientBoostedTrees(file: file)
        }
    }
}
