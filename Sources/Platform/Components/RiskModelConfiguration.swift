import CSICCore
import Foundation
import RiskEngine
import TransactionAnalysis

/// Reads `analysis.risk_model.*`: whether transactions are scored (`enabled`, default true), the model file
/// (`file`, an XGBoost JSON model; default the committed ``DefaultRiskModels/model``) and its name (`name`,
/// default the committed model's, else the file's name). A model that cannot be read, or that does not read the
/// analysis's features, is a configuration error naming the key.
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
        do {
            return try RiskScorer(model: try RiskModels.load(json: file), name: name, file: file)
        } catch {
            throw section.malformed("risk_model.file", "\(error)")
        }
    }
}
