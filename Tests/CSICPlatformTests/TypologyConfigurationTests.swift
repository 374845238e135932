import CSICCore
@testable import CSICPlatform
import Foundation
import Testing
import TransactionAnalysis

@Suite struct TypologyConfigurationTests {
    func load(_ yaml: String) async throws -> TransactionAnalysisComponent {
        let path = NSTemporaryDirectory() + "csic-typologies-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try #require(try await ConfigurationLoader.load(file: path, environment: [:]).component(TransactionAnalysisComponent.self))
    }

    @Test func readsEveryTypologysParameters() async throws {
        let analysis = try await load(
            """
            analysis:
              typologies:
                enabled: [fan_in, structuring, sanctioned_exposure]
                fan_in: { window_seconds: 600, min_counterparties: 7, min_transactions: 2 }
                structuring: { threshold: { btc: 10000000, eth: "5000000000000000000000" }, margin: 0.05, min_payments: 4 }
                sanctioned_exposure: { max_hops: 5 }
                illicit_exposure: { max_hops: 2 }
                dormant_reactivation: { dormant_days: 200 }
                pass_through: { min_amount: { btc: 1000000 } }
            """)
        let settings = analysis.typologies
        #expect(settings.enabled == [.fanIn, .structuring, .sanctionedExposure])
        #expect(settings.fanIn == FanDetector.Parameters(windowSeconds: 600, minCounterparties: 7, minTransactions: 2))
        #expect(settings.structuring.thresholds == [.bitcoin: Amount(10_000_000), .ethereum: Amount(decimal: "5000000000000000000000")!])
        #expect(settings.structuring.margin == 0.05 && settings.structuring.minPayments == 4)
        #expect(settings.exposure.sanctionedMaxHops == 5 && settings.exposure.illicitMaxHops == 2)
        #expect(settings.dormantReactivation.dormantSeconds == 200 * 86_400)
        #expect(settings.passThrough.minAmount[.bitcoin] == Amount(1_000_000) && settings.passThrough.minAmount[.ethereum] != nil)
        #expect(settings.detectors().map(\.typology) == [.fanIn, .structuring, .sanctionedExposure])
        #expect(settings.ruleVersion != TypologySettings().ruleVersion, "other parameters, another rule version")
        #expect(try await load("analysis: {}").typologies == TypologySettings(), "absent keys take the defaults")
    }

    /// `analysis.risk_model.alert_score`: 100 by default, 0 turns the model's own findings off, beyond 100 refused.
    @Test func readsTheModelsAlertScore() async throws {
        #expect(try await load("analysis: {}").scorer?.alertScore == RiskScorer.defaultAlertScore)
        #expect(RiskScorer.defaultAlertScore == 100)
        #expect(try await load("analysis: { risk_model: { alert_score: 97 } }").scorer?.alertScore == 97)
        let off = try await load("analysis: { risk_model: { alert_score: 0 } }").scorer
        #expect(off != nil && off?.alertScore == nil)
        do {
            _ = try await load("analysis: { risk_model: { alert_score: 101 } }")
            Issue.record("alert_score 101 was accepted")
        } catch let error as ValidationError {
            #expect(error.field == "analysis.risk_model.alert_score")
        }
    }

    /// Each bad value is refused with its full key.
    @Test(arguments: [
        ("enabled: [fan_in, laundering]", "analysis.typologies.enabled"),
        ("sanctioned_exposure: { max_hops: 6 }", "analysis.typologies.sanctioned_exposure.max_hops"),
        ("pass_through: { min_ratio: 1.5 }", "analysis.typologies.pass_through.min_ratio"),
        ("structuring: { threshold: { btc: -5 } }", "analysis.typologies.structuring.threshold.btc"),
        ("structuring: { threshold: { eth: \"12abc\" } }", "analysis.typologies.structuring.threshold.eth"),
        ("cycle: { min_length: 4, max_length: 3 }", "analysis.typologies.cycle.max_length"),
        ("fan_out: { window_seconds: 0 }", "analysis.typologies.fan_out.window_seconds"),
    ])
    func badValuesAreRefusedByKey(_ line: String, _ key: String) async throws {
        do {
            _ = try await load("analysis:\n  typologies:\n    \(line)\n")
            Issue.record("\(line) was accepted")
        } catch let error as ValidationError {
            #expect(error.field == key)
        }
    }
}
