import CSICCore
import Foundation
import RiskEngine
import TransactionAnalysis

/// Reads `analysis.risk_model.*`: whether transactions are scored (`enabled`, default true), the model file
/// (`file`, an XGBoost JSON model; default the committed ``DefaultRiskModels/model``) and its name (`name`,
/// default the committed model's, else the file's name), and the score from which a transaction no rule flagged
/// is a `high_risk_score` finding (`alert_score`, 1–100, default ``RiskScorer/defaultAlertScore``; 0 turns
/// those findings off). A model that cannot be read, or that does not read the analysis's features, is a
/// configuration error naming the key.
enum RiskModelConfiguration {
    static func read(_ section: ConfigSection) throws -> RiskScorer? {
        guard section.bool("risk_model.enabled", default: true) else { return nil }
        let file: [UInt8]
        let defaultName: String
        if let path = section.string("risk_model.file") {
            do {
                file = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw section.malformed("risk_model.file", "cannot read \(path): \(error.localizedDescription)")
            }
            defaultName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        } else {
            guard !DefaultRiskModels.model.isEmpty else { return nil }
            file = Array(DefaultRiskModels.model.utf8)
            defaultName = DefaultRiskModels.name
        }
        let name = section.string("risk_model.name", default: defaultName)
        guard !name.isEmpty, name.count <= 100, !name.contains("@") else {
            throw section.malformed("risk_model.name", "a model name is 1 to 100 characters without @")
        }
        let alertScore = try section.integer("risk_model.alert_score", default: RiskScorer.defaultAlertScore, in: 0...100)
        do {
            return try RiskScorer(
                model: try RiskModels.load(json: file), name: name, file: file, alertScore: alertScore == 0 ? nil : alertScore)
        } catch {
            throw section.malformed("risk_model.file", "\(error)")
        }
    }
}
