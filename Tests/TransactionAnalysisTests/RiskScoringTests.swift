import CSICCore
import CSICTestSupport
import Foundation
import RiskEngine
import Storage
import Testing
import TransactionAnalysis

/// The risk features of a transaction and its assessment: the model's score, the rule floors, the reasons.
@Suite struct RiskScoringTests {
    static let start = Timestamp(secondsSinceEpoch: 1_796_000_000)

    static let model = TestRiskModel.json

    static func scorer(_ text: String = model) throws -> RiskScorer {
        try RiskScorer(model: try RiskModels.load(json: Array(text.utf8)), name: "test", file: Array(text.utf8))
    }

    static func transaction(_ txid: String, _ inputs: [(String, UInt64)], _ outputs: [(String, UInt64)], minute: Int64) -> ChainTransaction
    {
        let time = start.adding(microseconds: minute * 60_000_000)
        return ChainTransaction(
            chain: .bitcoin, txid: txid, block: BlockRef(height: UInt64(minute), hash: "h\(minute)", time: time), seenAt: time,
            inputs: inputs.enumerated().map {
                TransactionInput(
                    previousTxid: "p-\(txid)", previousIndex: UInt32($0.offset), address: $0.element.0, value: Amount($0.element.1))
            },
            outputs: outputs.enumerated().map {
                TransactionOutput(index: UInt32($0.offset), address: $0.element.0, value: Amount($0.element.1), scriptType: "p2wpkh")
            })
    }

    @Test func featuresDescribeTheTransactionItsPartiesAndTheRulesItCompleted() throws {
        var analyzer = TransactionAnalyzer(keepsFeatures: true)
        let sanctioned = ["bc1qsdn": [listed("bc1qsdn", .sanction)], "bc1qexchange": [listed("bc1qexchange", .exchange)]]
        _ = analyzer.analyze(
            [
                Self.transaction(
                    "t1", [("bc1qsdn", 100_000_000), ("bc1qsdn2", 50_000_000)], [("bc1qa", 100_000_000), ("bc1qsdn", 49_000_000)], minute: 1
                ),
                Self.transaction("t2", [("bc1qexchange", 9_500_000)], [("bc1qb", 9_412_345)], minute: 2),
            ], tags: [.bitcoin: sanctioned])
        let rows = analyzer.takeFeatures()
        #expect(rows.map(\.txid) == ["t1", "t2"] && rows.allSatisfy { $0.row.count == RiskFeatures.names.count })
        func value(_ row: Int, _ name: String) throws -> Float { rows[row].row[try #require(RiskFeatures.names.firstIndex(of: name))] }
        #expect(try value(0, "payers") == 2 && value(0, "payees") == 1 && value(0, "outputs") == 2)
        #expect(try abs(value(0, "log_input_total") - Float(log10(2.5))) < 1e-6, "1.5 BTC in")
        #expect(try abs(value(0, "change_share") - 49 / 150) < 1e-6 && value(0, "largest_payment_share") == 1)
        #expect(try value(0, "round_payment") == 1 && value(1, "round_payment") == 0)
        #expect(try value(0, "log_payer_entity_size") == Float(log2(3.0)), "two addresses spent together: one entity of 2")
        #expect(try value(0, "sanctioned_party") == 1 && value(1, "sanctioned_party") == 0)
        #expect(try value(0, "rule_sanctioned_exposure") == 1 && value(1, "rule_sanctioned_exposure") == 0)
        #expect(try value(1, "known_service_payer") == 1 && value(1, "known_service_payee") == 0)
        #expect(try value(1, "near_reporting_threshold") == 1, "0.09412345 BTC: within the structuring margin below the 0.1 BTC threshold")
        #expect(analyzer.takeFeatures().isEmpty, "taken once")
    }

    @Test func theScoreIsTheModelsRaisedToTheFloorOfTheRulesThatHit() throws {
        var analyzer = TransactionAnalyzer(scorer: try Self.scorer())
        let tags = ["bc1qsdn": [listed("bc1qsdn", .sanction)]]
        _ = analyzer.analyze(
            [
                Self.transaction("benign", [("bc1qx", 10_000)], [("bc1qy", 9_000)], minute: 1),
                Self.transaction("sanctioned", [("bc1qsdn", 10_000)], [("bc1qa", 9_000)], minute: 2),
                Self.transaction("second-hop", [("bc1qa", 9_000)], [("bc1qb", 8_000)], minute: 3),
            ], tags: [.bitcoin: tags])
        let assessments = analyzer.takeAssessments()
        #expect(assessments.map(\.txid) == ["benign", "sanctioned", "second-hop"])
        let version = try Self.scorer().version
        #expect(assessments.allSatisfy { $0.modelVersion == version } && version.hasPrefix("test@") && version.count == 17)
        let benign = assessments[0]
        #expect(benign.score == 12 && benign.band == .low && abs(benign.probability - 1 / (1 + exp(2))) < 1e-6)
        #expect(benign.reasons.isEmpty, "no feature raised it, no rule hit")
        let sanctioned = assessments[1]
        #expect(sanctioned.score == 95 && sanctioned.band == .severe)
        #expect(sanctioned.reasons.first == RiskReason(name: "sanctioned_party", value: 1, contribution: 4))
        #expect(sanctioned.reasons.dropFirst().map(\.name) == ["rule:sanctioned_exposure"])
        let hop = assessments[2]
        #expect(hop.probability < 0.2 && hop.score == 75, "the model sees no tag here; the two-hop sanctioned exposure (high) floors it")
        #expect(hop.reasons.map(\.name) == ["rule:sanctioned_exposure"] && hop.reasons[0].contribution == 75)
        #expect(analyzer.takeAssessments().isEmpty)
    }

    /// The model alone: a transaction no rule flagged whose score reaches the alert score is a `high_risk_score`
    /// finding about its payer; one a rule flagged has the rule's finding only; below the score, or with no alert
    /// score, nothing.
    @Test func aScoreReachingTheAlertScoreWithNoRuleHitIsAHighRiskFinding() throws {
        let file = Array(Self.model.utf8)
        let tags: [Chain: [String: [ListedTag]]] = [.bitcoin: ["bc1qsdn": [listed("bc1qsdn", .sanction)]]]
        let transactions = [
            Self.transaction("benign", [("bc1qx", 10_000)], [("bc1qy", 9_000)], minute: 1),
            Self.transaction("sanctioned", [("bc1qsdn", 10_000)], [("bc1qa", 9_000)], minute: 2),
        ]
        var rulesOff = TypologySettings()
        rulesOff.enabled = []
        func findings(alertScore: Int?, settings: TypologySettings) throws -> [ComplianceFinding] {
            let scorer = try RiskScorer(model: try RiskModels.load(json: file), name: "test", file: file, alertScore: alertScore)
            var analyzer = TransactionAnalyzer(settings: settings, scorer: scorer)
            return analyzer.analyze(transactions, tags: tags)
        }
        let found = try findings(alertScore: 95, settings: rulesOff)
        let finding = try #require(found.first)
        #expect(found.count == 1 && finding.typology == TransactionAnalyzer.highRiskTypology && finding.kind == .riskHit)
        #expect(
            finding.id == "high_risk_score:btc:bc1qsdn:sanctioned" && finding.subject == "bc1qsdn"
                && finding.subjects == ["bc1qsdn", "bc1qa"])
        #expect(finding.txids == ["sanctioned"] && finding.amount == Amount(9_000) && finding.severity == .high)
        let version = try Self.scorer().version
        #expect(finding.ruleVersion == version && finding.evidence["model_version"] == version)
        #expect(finding.evidence["score"] == "95" && finding.evidence["alert_score"] == "95")
        #expect(finding.evidence["reasons"]?.hasPrefix("sanctioned_party=1 (+4.000)") == true)
        #expect(try findings(alertScore: 96, settings: rulesOff).isEmpty, "95 is below 96")
        #expect(try findings(alertScore: nil, settings: rulesOff).isEmpty)
        #expect(
            try findings(alertScore: 95, settings: TypologySettings()).map(\.typology) == ["sanctioned_exposure"], "a rule's own finding")
    }

    @Test func aModelThatDoesNotReadTheAnalysissFeaturesIsRefused() throws {
        let eight = Self.model.replacingOccurrences(of: "\"num_feature\":\"30\"", with: "\"num_feature\":\"8\"")
            .replacingOccurrences(of: "[14,0,0]", with: "[4,0,0]")
        #expect(throws: ModelMismatch.self) { try Self.scorer(eight) }
        var names = RiskFeatures.names
        names.swapAt(0, 1)
        let named = Self.model.replacingOccurrences(
            of: "\"learner_model_param\"",
            with: "\"feature_names\":[\(names.map { "\"\($0)\"" }.joined(separator: ","))],\"learner_model_param\"")
        #expect(throws: ModelMismatch.self) { try Self.scorer(named) }
        let inOrder = Self.model.replacingOccurrences(
            of: "\"learner_model_param\"",
            with: "\"feature_names\":[\(RiskFeatures.names.map { "\"\($0)\"" }.joined(separator: ","))],\"learner_model_param\"")
        #expect(try Self.scorer(inOrder).model.featureNames == RiskFeatures.names)
    }
}
