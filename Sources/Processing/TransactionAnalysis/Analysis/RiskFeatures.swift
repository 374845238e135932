import CSICCore
import Foundation

/// The features the risk model reads for one transaction, in ``names`` order: its shape, its amounts, the
/// entities and tags of its parties, and the typology rules its arrival completed. Computed in the stream with
/// the clustering and the tags in force, and written out by `csic bench detection --export-features` for
/// training (`tools/train_risk_model.py`), so that a model is trained on exactly what it later reads.
public enum RiskFeatures {
    /// The feature names, as the model files carry them.
    public static let names: [String] =
        [
            "chain_ethereum", "payers", "payees", "outputs", "log_input_total", "log_paid_total", "change_share", "largest_payment_share",
            "round_payment", "near_reporting_threshold", "log_payer_entity_size", "payee_entities", "known_service_payer",
            "known_service_payee", "sanctioned_party", "illicit_party", "coinjoin_shape", "coinbase",
        ] + Typology.allCases.map { "rule_\($0.rawValue)" }

    /// The features of `flows`, read with `context` (tags and entities) and `entitySize` (addresses in an
    /// address's cluster), after the detectors reported `hits` on it; `structuring` says what is near the
    /// reporting threshold.
    static func row(
        _ flows: TransactionFlows, context: DetectionContext, entitySize: (String) -> Int, hits: Set<Typology>,
        structuring: StructuringDetector.Parameters
    ) -> [Float] {
        let unit = flows.chain == .bitcoin ? 1e8 : 1e18
        let input = flows.inputTotal.approximateValue
        let paid = flows.paidTotal.approximateValue
        let returned = flows.change.reduce(0.0) { $0 + $1.amount.approximateValue }
        let largest = flows.recipients.map(\.amount.approximateValue).max() ?? 0
        let threshold = structuring.thresholds[flows.chain]?.approximateValue ?? 0
        let nearThreshold = threshold * (1 - structuring.margin)
        let parties = flows.senders.map(\.address) + flows.recipients.map(\.address)
        let tags = parties.flatMap(context.allTags).compactMap(\.tag.category)
        var row: [Float] = [
            flows.chain == .ethereum ? 1 : 0,
            Float(flows.senders.count),
            Float(flows.recipients.count),
            Float(flows.outputCount),
            Float(log10(1 + input / unit)),
            Float(log10(1 + paid / unit)),
            input > 0 ? Float(returned / input) : 0,
            paid > 0 ? Float(largest / paid) : 0,
            flows.recipients.contains { ChangeHeuristics.isRound($0.amount, on: flows.chain) } ? 1 : 0,
            threshold > 0 && flows.recipients.contains { (nearThreshold..<threshold).contains($0.amount.approximateValue) } ? 1 : 0,
            Float(log2(1 + Double(flows.senders.map { entitySize($0.address) }.max() ?? 0))),
            Float(Set(flows.recipients.map { context.entity($0.address) }).count),
            flows.senders.contains { context.isKnownService($0.address) } ? 1 : 0,
            flows.recipients.contains { context.isKnownService($0.address) } ? 1 : 0,
            tags.contains(.sanction) ? 1 : 0,
            tags.contains { $0 != .sanction && TagCategory.illicit.contains($0) } ? 1 : 0,
            flows.coinJoin == nil ? 0 : 1,
            flows.isCoinbase ? 1 : 0,
        ]
        row += Typology.allCases.map { hits.contains($0) ? 1 : 0 }
        return row
    }
}
