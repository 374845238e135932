import CSICCore
import Foundation

extension TransactionAnalyzer {
    /// The typology of a finding made by the model alone: a transaction no rule flagged that scored at least the
    /// alert score.
    public static let highRiskTypology = "high_risk_score"

    /// The finding of `assessment` (of the transaction `flows`), whose score reached `alertScore` with no rule
    /// hit: about the transaction's payer (its first 20 payees among the subjects), with the score, the model's
    /// version and its top reasons as evidence.
    static func highRiskFinding(_ assessment: RiskAssessment, _ flows: TransactionFlows, alertScore: Int) -> ComplianceFinding {
        let subject = flows.senders.first?.address ?? flows.txid
        let reasons = assessment.reasons.map { reason in
            "\(reason.name)=\(reason.value.map { String(format: "%.4g", $0) } ?? "-") (+\(String(format: "%.3f", reason.contribution)))"
        }
        let evidence = [
            "score": String(assessment.score), "alert_score": String(alertScore),
            "probability": String(format: "%.6f", assessment.probability), "model_version": assessment.modelVersion,
            "reasons": reasons.joined(separator: "; "), "payees": String(flows.recipients.count),
        ]
        return ComplianceFinding(
            id: findingID(highRiskTypology, subject: subject, flows), kind: .riskHit, subject: subject,
            severity: .high, source: findingSource,
            summary: "transaction \(flows.txid) scored \(assessment.score) by \(assessment.modelVersion) (alert score \(alertScore)), "
                + "no rule hit; top reasons: \(assessment.reasons.map(\.name).joined(separator: ", "))",
            evidence: evidence, time: flows.time, typology: highRiskTypology,
            subjects: [subject] + flows.recipients.prefix(20).map(\.address),
            txids: [flows.txid], amount: flows.paidTotal, chain: flows.chain, ruleVersion: assessment.modelVersion)
    }
}
