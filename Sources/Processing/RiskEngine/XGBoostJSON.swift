import Foundation

/// The part of XGBoost's JSON model format (its `doc/model.schema`) that inference needs.
struct XGBoostJSON: Decodable {
    struct Learner: Decodable {
        var objective: Objective
        var gradientBooster: GradientBooster
        var learnerModelParam: ModelParameters
        var featureNames: [String]?

        enum CodingKeys: String, CodingKey {
            case objective
            case gradientBooster = "gradient_booster"
            case learnerModelParam = "learner_model_param"
            case featureNames = "feature_names"
        }
    }

    struct Objective: Decodable {
        var name: String
    }

    struct GradientBooster: Decodable {
        var name: String
        var model: Model?
    }

    /// A `gbtree` model has trees; a `gblinear` one has weights (one per feature, then the bias).
    struct Model: Decodable {
        var trees: [Tree]?
        var weights: [Float]?
    }

    /// XGBoost writes these numbers as strings.
    struct ModelParameters: Decodable {
        var baseScore: String
        var numFeature: String
        var numClass: String?
        var numTarget: String?

        enum CodingKeys: String, CodingKey {
            case baseScore = "base_score"
            case numFeature = "num_feature"
            case numClass = "num_class"
            case numTarget = "num_target"
        }
    }

    /// One tree as parallel arrays, one entry per node; a leaf has children -1 and its value in
    /// `split_conditions`.
    struct Tree: Decodable {
        var leftChildren: [Int]
        var rightChildren: [Int]
        var splitIndices: [Int]
        var splitConditions: [Float]
        var defaultLeft: Flags
        var splitType: [Int]?
        /// Each node's cover (the hessian summed over the training rows that reached it).
        var sumHessian: [Float]?

        enum CodingKeys: String, CodingKey {
            case leftChildren = "left_children"
            case rightChildren = "right_children"
            case splitIndices = "split_indices"
            case splitConditions = "split_conditions"
            case defaultLeft = "default_left"
            case splitType = "split_type"
            case sumHessian = "sum_hessian"
        }
    }

    /// `default_left` as XGBoost writes it: 0 and 1 (recent versions) or booleans.
    struct Flags: Decodable {
        var values: [Int]

        var count: Int { values.count }
        subscript(index: Int) -> Int { values[index] }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let numbers = try? container.decode([Int].self) {
                values = numbers
            } else {
                values = try container.decode([Bool].self).map { $0 ? 1 : 0 }
            }
        }
    }

    var learner: Learner

    /// Reads a model file: at most ``GradientBoostedTrees/maxBytes``, and JSON of this shape.
    static func decode(_ bytes: [UInt8]) throws(ModelError) -> XGBoostJSON {
        guard bytes.count <= GradientBoostedTrees.maxBytes else {
            throw ModelError("the model file is over \(GradientBoostedTrees.maxBytes >> 20) MiB")
        }
        do {
            return try JSONDecoder().decode(XGBoostJSON.self, from: Data(bytes))
        } catch {
            throw ModelError("not an XGBoost JSON model: \(String(describing: error).prefix(300))")
        }
    }

    /// What every model has, checked: a supported objective, one output, a feature count and the base margin.
    func header() throws(ModelError) -> (objective: ModelObjective, featureCount: Int, baseMargin: Float, featureNames: [String]?) {
        guard let objective = ModelObjective(rawValue: learner.objective.name) else {
            throw ModelError(
                "objective \(learner.objective.name.prefix(40)) is not supported (\(ModelObjective.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let parameters = learner.learnerModelParam
        guard (parameters.numClass.flatMap(Int.init) ?? 0) <= 1, (parameters.numTarget.flatMap(Int.init) ?? 1) == 1 else {
            throw ModelError("models with several classes or targets are not supported")
        }
        guard let featureCount = Int(parameters.numFeature), (1...1_000_000).contains(featureCount) else {
            throw ModelError("num_feature \(parameters.numFeature.prefix(20)) is not a feature count")
        }
        let baseScore = try Self.baseScore(parameters.baseScore)
        let baseMargin: Float
        if objective.isLogistic {
            guard baseScore > 0, baseScore < 1 else { throw ModelError("base_score \(baseScore) is not a probability") }
            baseMargin = Float(log(baseScore / (1 - baseScore)))
        } else {
            baseMargin = Float(baseScore)
        }
        return (objective, featureCount, baseMargin, learner.featureNames.flatMap { $0.count == featureCount ? $0 : nil })
    }

    /// The base score, written `"5E-1"` (XGBoost 1 and 2) or `"[5E-1]"` (3).
    static func baseScore(_ text: String) throws(ModelError) -> Double {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        guard let value = Double(trimmed), value.isFinite else { throw ModelError("base_score \(text.prefix(40)) is not a number") }
        return value
    }
}

/// What a model's output means.
public enum ModelObjective: String, Sendable, CaseIterable {
    case binaryLogistic = "binary:logistic"
    case regressionLogistic = "reg:logistic"
    case squaredError = "reg:squarederror"

    var isLogistic: Bool { self != .squaredError }
}
