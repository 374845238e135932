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

    struct Model: Decodable {
        var trees: [Tree]
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

        enum CodingKeys: String, CodingKey {
            case leftChildren = "left_children"
            case rightChildren = "right_children"
            case splitIndices = "split_indices"
            case splitConditions = "split_conditions"
            case defaultLeft = "default_left"
            case splitType = "split_type"
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
}
