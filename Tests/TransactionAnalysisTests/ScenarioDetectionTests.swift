import CSICCore
import Simulation
import Storage
import Testing
import TransactionAnalysis

/// The scenario generator and the analysis together: the same seed gives the same set, and every injected
/// typology instance is found with the default parameters.
@Suite struct ScenarioDetectionTests {
    @Test func aSeedGivesTheSameScenarios() {
        let first = TypologyScenarios(seed: 5, background: 500, perTypology: 1)
        let second = TypologyScenarios(seed: 5, background: 500, perTypology: 1)
        #expect(first.transactions.map(\.txid) == second.transactions.map(\.txid))
        #expect(first.labels == second.labels && first.labels.count == Typology.allCases.count + 2, "exposure instances label two hops")
        #expect(first.transactions.map(\.txid) != TypologyScenarios(seed: 6, background: 500, perTypology: 1).transactions.map(\.txid))
        let times = first.transactions.map { $0.block?.time ?? $0.seenAt }
        #expect(times == times.sorted(), "in time order")
    }

    /// What the adapters would publish of such a chain passes the transaction engine's checks (values balance):
    /// an instance that does not would be dead-lettered by the platform while the benchmark counts it.
    @Test func everyScenarioTransactionIsValid() {
        let scenarios = TypologyScenarios(seed: 7, background: 1_000, perTypology: 3)
        let invalid = scenarios.transactions.compactMap { transaction -> String? in
            do {
                try transaction.validate()
                return nil
            } catch {
                return "\(transaction.txid): \(error)"
            }
        }
        #expect(invalid.isEmpty, "\(invalid.prefix(3))")
    }

    @Test func everyInjectedTypologyIsFound() {
        let scenarios = TypologyScenarios(seed: 11, background: 3_000, perTypology: 2)
        let tags = ListedTag.byAddress(scenarios.tags, list: "scenario")
        var analyzer = TransactionAnalyzer()
        var found = Set<TypologyScenarios.Label>()
        for first in stride(from: 0, to: scenarios.transactions.count, by: 500) {
            let batch = Array(scenarios.transactions[first..<min(first + 500, scenarios.transactions.count)])
            for finding in analyzer.analyze(batch, tags: [.bitcoin: tags]) {
                if let typology = Typology(rawValue: finding.typology) { found.insert(.init(typology: typology, subject: finding.subject)) }
            }
        }
        let missed = Set(scenarios.labels).subtracting(found)
        #expect(missed.isEmpty, "\(missed.map(\.typology.rawValue).sorted())")
    }
}
