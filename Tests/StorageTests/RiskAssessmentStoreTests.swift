import CSICCore
import CSICTestSupport
import Storage
import Testing

/// The risk assessments and model activations on every backend.
@Suite struct RiskAssessmentStoreTests {
    static let time = Timestamp(secondsSinceEpoch: 1_796_000_000)

    static func assessment(_ txid: String, score: Int, model: String, chain: Chain = .bitcoin, at offset: Int64 = 0) -> RiskAssessment {
        RiskAssessment(
            chain: chain, txid: txid, score: score, probability: Double(score) / 100,
            reasons: [
                RiskReason(name: "sanctioned_party", value: 1, contribution: 2.5),
                RiskReason(name: "rule:fan_in", value: nil, contribution: 50),
            ], modelVersion: model, assessedAt: time.adding(microseconds: offset))
    }

    /// The first assessment a model made of a transaction stands (a retried batch, a replay, does not overwrite it);
    /// another model's is added; the latest is the last stored.
    @Test(arguments: StoreBackend.available) func firstAssessmentPerModelStandsAndTheLatestIsRead(_ backend: StoreBackend) async throws {
        let place = backend.place()
        let store = try await place.database(migrations: [RiskTables.migration]).riskAssessments
        try await store.record([Self.assessment("tx-1", score: 12, model: "m@1"), Self.assessment("tx-2", score: 80, model: "m@1")])
        try await store.record([Self.assessment("tx-1", score: 99, model: "m@1", at: 5)])
        #expect(try await store.assessments(chain: .bitcoin, txid: "tx-1") == [Self.assessment("tx-1", score: 12, model: "m@1")])
        try await store.record([Self.assessment("tx-1", score: 40, model: "m@2", at: 9)])
        let both = try await store.assessments(chain: .bitcoin, txid: "tx-1")
        #expect(both.map(\.modelVersion) == ["m@2", "m@1"] && both[0] == Self.assessment("tx-1", score: 40, model: "m@2", at: 9))
        #expect(both[0].band == .medium && both[0].reasons.count == 2, "every field read back")
        let latest = try await store.latest(chain: .bitcoin, txids: ["tx-1", "tx-2", "tx-3"])
        #expect(latest.mapValues(\.score) == ["tx-1": 40, "tx-2": 80])
        #expect(try await store.latest(chain: .ethereum, txids: ["tx-1"]).isEmpty, "per chain")
        #expect(try await store.latest(chain: .bitcoin, txids: []).isEmpty)
        let reopened = try await place.database(migrations: [RiskTables.migration]).riskAssessments
        #expect(try await reopened.assessments(chain: .bitcoin, txid: "tx-2").map(\.score) == [80], "kept across a reopen")
    }

    /// Every model used is kept with its file; the latest activation is the model in force.
    @Test(arguments: StoreBackend.available) func activationsKeepEveryModelFile(_ backend: StoreBackend) async throws {
        let store = try await backend.database(migrations: [RiskTables.migration]).riskAssessments
        #expect(try await store.activations().isEmpty)
        let first = RiskModelActivation(version: "m@aa", name: "m", sha256: "aa", activatedAt: Self.time, activatedBy: "csic:risk-engine")
        let second = RiskModelActivation(
            version: "m@bb", name: "m", sha256: "bb", activatedAt: Self.time.adding(microseconds: 1), activatedBy: "csic:risk-engine")
        try await store.activate(first, model: Array("{\"first\": 1}".utf8))
        try await store.activate(second, model: [0, 255, 7])
        #expect(try await store.activations() == [second, first])
        #expect(try await store.model(version: "m@aa") == Array("{\"first\": 1}".utf8))
        #expect(try await store.model(version: "m@bb") == [0, 255, 7])
        #expect(try await store.model(version: "m@cc") == nil)
    }
}
