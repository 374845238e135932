import Foundation

/// A trained model that scores a row of features, with each feature's share of the score: what the risk engine
/// needs from a model, whatever its kind (gradient-boosted trees, a linear baseline) and whoever loads it.
public protocol RiskModel: Sendable {
    /// How many features a row has.
    var featureCount: Int { get }
    /// The features' names when the model was trained with them.
    var featureNames: [String]? { get }
    /// The raw scores (log-odds) of `rows`, ``featureCount`` values each, one after the other; NaN is missing.
    func margins(_ rows: [Float]) -> [Float]
    /// Each feature's contribution to the margin of `row`, then the bias: ``featureCount`` + 1 values whose sum is
    /// the margin.
    func contributions(_ row: [Float]) -> [Float]
}

extension RiskModel {
    /// The probability (the margin's sigmoid) of each of `rows`.
    public func probabilities(_ rows: [Float]) -> [Double] {
        margins(rows).map { 1 / (1 + exp(-Double($0))) }
    }
}

/// A risk score's band, from the score 0–100.
public enum RiskBand: String, Sendable, Hashable, Codable, CaseIterable {
    case low, medium, high, severe

    /// The band of `score`: below 25 low, below 50 medium, below 75 high, else severe.
    public init(score: Int) {
        switch score {
        case ..<25: self = .low
        case ..<50: self = .medium
        case ..<75: self = .high
        default: self = .severe
        }
    }
}

/// One reason behind a risk score: a feature and how much it moved the model's log-odds, or a rule that hit.
public struct RiskReason: Sendable, Hashable, Codable {
    /// A feature's name, or `rule:<typology>`.
    public var name: String
    /// The feature's value in the row scored (nil for a rule).
    public var value: Double?
    /// What the feature added to the log-odds (positive raises the score), or the score floor a rule set.
    public var contribution: Double

    public init(name: String, value: Double?, contribution: Double) {
        self.name = name
        self.value = value
        self.contribution = contribution
    }
}

/// The risk engine's assessment of one transaction: a score 0–100, its band, the reasons that weighed most and
/// the model version that made it.
public struct RiskAssessment: DomainEvent, Hashable, Codable {
    public var chain: Chain
    public var txid: String
    public var score: Int
    public var band: RiskBand
    /// The model's probability before any rule floor.
    public var probability: Double
    /// The features that raised the score most, then the rules that hit.
    public var reasons: [RiskReason]
    public var modelVersion: String
    public var assessedAt: Timestamp

    public init(
        chain: Chain, txid: String, score: Int, probability: Double, reasons: [RiskReason], modelVersion: String, assessedAt: Timestamp
    ) {
        self.chain = chain
        self.txid = txid
        self.score = score
        band = RiskBand(score: score)
        self.probability = probability
        self.reasons = reasons
        self.modelVersion = modelVersion
        self.assessedAt = assessedAt
    }

    /// `risk:<chain>:<txid>:<model version>`: one assessment per transaction and model.
    public var eventID: String { "risk:\(chain.idPrefix):\(txid):\(modelVersion)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(txid, "txid")
        try Check.nonEmpty(modelVersion, "model_version")
        try require((0...100).contains(score), .outOfRange, "score", "\(score) is outside 0...100")
        try require(band == RiskBand(score: score), .inconsistent, "band", "\(band.rawValue) is not the band of score \(score)")
        try require((0...1).contains(probability), .outOfRange, "probability", "\(probability) is not a probability")
        for reason in reasons {
            try Check.nonEmpty(reason.name, "reasons.name")
            try Check.finite(reason.contribution, "reasons.\(reason.name)")
            if let value = reason.value { try Check.finite(value, "reasons.\(reason.name).value") }
        }
        try Check.plausible(assessedAt, "assessed_at")
    }
}
