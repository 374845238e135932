import CSICCore
import Crypto
import Foundation

/// Scores transactions from their ``RiskFeatures`` with a trained model and the rules they completed: the score
/// is the model's probability as 0–100, raised to a floor by the most severe rule that hit (a sanctioned
/// counterparty is never low risk, whatever the model learned); the reasons are the features that raised the
/// log-odds most, then the rules.
public struct RiskScorer: Sendable {
    public let model: any RiskModel
    /// The model's name (`analysis.risk_model.name`).
    public let name: String
    /// The model file's SHA-256, hex.
    public let sha256: String
    /// The model file, stored when the model is activated.
    public let file: [UInt8]
    /// How many feature reasons an assessment keeps.
    public let reasonCount = 3
    /// A transaction no rule flagged whose score reaches this becomes a `high_risk_score` finding (the seed's
    /// "high risk -> Alert Service"); nil: none does.
    public let alertScore: Int?

    /// The default ``alertScore``: on the benchmark's scenario sets no benign transaction scores this high without
    /// a rule (docs/performance.md).
    public static let defaultAlertScore = 100

    /// The lowest score of a transaction that completed a rule of this severity.
    public static let ruleFloors: [Severity: Int] = [.critical: 90, .high: 75, .medium: 50, .low: 25]

    /// The version on every assessment: `<name>@<12 hex digits of the file's SHA-256>`.
    public var version: String { "\(name)@\(sha256.prefix(12))" }

    /// Checks that `model`, read from `file`, reads the features the analysis computes: as many, and the same
    /// names when the model carries names.
    public init(model: any RiskModel, name: String, file: [UInt8], alertScore: Int? = nil) throws(ModelMismatch) {
        guard model.featureCount == RiskFeatures.names.count else {
            throw ModelMismatch("the model reads \(model.featureCount) features; the analysis computes \(RiskFeatures.names.count)")
        }
        if let names = model.featureNames, names != RiskFeatures.names {
            let differing = zip(names, RiskFeatures.names).first { $0 != $1 }
            throw ModelMismatch("the model's features differ from the analysis's: \(differing.map { "\($0.0) for \($0.1)" } ?? "")")
        }
        self.model = model
        self.name = name
        self.file = file
        self.alertScore = alertScore
        sha256 = Hex.encode(Array(SHA256.hash(data: file)))
    }

    /// Assesses each transaction of a batch: `rows` are their features (one after the other), `hits` the rules
    /// each completed.
    /// One walk of the model per transaction: the contributions give the reasons, and their sum is the margin.
    func assess(_ transactions: [(flows: TransactionFlows, hits: [Detection])], rows: [Float]) -> [RiskAssessment] {
        let width = RiskFeatures.names.count
        return transactions.enumerated().map { index, transaction in
            let row = Array(rows[index * width..<(index + 1) * width])
            let contributions = model.contributions(row)
            let probability = 1 / (1 + exp(-Double(contributions.reduce(0, +))))
            let features = (0..<width).filter { contributions[$0] > 0 }.sorted { contributions[$0] > contributions[$1] }.prefix(reasonCount)
            var reasons = features.map {
                RiskReason(name: RiskFeatures.names[$0], value: Double(row[$0]), contribution: Double(contributions[$0]))
            }
            var floors: [Typology: Int] = [:]
            for hit in transaction.hits { floors[hit.typology] = max(floors[hit.typology] ?? 0, Self.ruleFloors[hit.severity] ?? 0) }
            for (typology, floor) in floors.sorted(by: { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }) {
                reasons.append(RiskReason(name: "rule:\(typology.rawValue)", value: nil, contribution: Double(floor)))
            }
            let floor = floors.values.max() ?? 0
            return RiskAssessment(
                chain: transaction.flows.chain, txid: transaction.flows.txid, score: max(floor, Int((probability * 100).rounded())),
                probability: probability, reasons: reasons, modelVersion: version, assessedAt: transaction.flows.time)
        }
    }
}

/// A model that does not read the features the analysis computes.
public struct ModelMismatch: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
