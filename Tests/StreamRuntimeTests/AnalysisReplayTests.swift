import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Storage
import Testing
import TransactionAnalysis

/// `csic replay`'s comparison on the embedded log and a real store: what the live engine stored is reproduced;
/// a new list version's exposure is new, a typology switched off is gone; applying publishes the new findings and
/// records a new model's assessments, audited.
@Suite struct AnalysisReplayTests {
    typealias Engine = AnalysisEngineTests

    func replay(
        _ log: EmbeddedEventLog, _ database: StoreDatabase, _ settings: TypologySettings, scorer: RiskScorer? = nil
    ) throws -> AnalysisReplay {
        AnalysisReplay(
            log: log, tags: database.tags, findings: database.store, assessments: database.riskAssessments, settings: settings,
            scorer: try scorer ?? Engine.scorer(), chunk: 1)
    }

    @Test(arguments: StoreBackend.available) func reproducesWhatIsStoredAndReportsWhatChanged(_ backend: StoreBackend) async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        try await log.createPlatformTopics(partitions: 3)
        let database = try await backend.place().database(migrations: Engine.migrations)
        let origin = ChangeOrigin(actor: "operator:test", sourceAddress: "local")
        func list(_ name: String, _ address: String, _ category: TagCategory) async throws {
            _ = try await database.tags.importList(
                name: name, format: "tagpack", sha256: "00", importedBy: "test", at: Engine.start,
                tags: [AddressTag(chain: .bitcoin, address: address, label: name, category: category, source: "test", confidence: 100)])
        }
        try await list("ofac-sdn", "bc1qsanctioned", .sanction)
        // Block 1: the sanctioned address pays A; an untagged address pays E. Block 2: A pays B.
        try await Engine().append(
            log,
            [
                Engine.transaction(1, [(100, "bc1qsanctioned", 10_000)], [("bc1qa", 9_000)], height: 1),
                Engine.transaction(2, [(101, "bc1qlater", 5_000)], [("bc1qe", 4_500)], height: 1),
                Engine.transaction(3, [(1, "bc1qa", 9_000)], [("bc1qb", 8_500)], height: 2),
            ])
        var settings = TypologySettings()
        settings.enabled = [.sanctionedExposure, .illicitExposure]
        let state = AnalysisState(settings: settings, scorer: try Engine.scorer())
        try await runProcessors([Engine().processor(log, database, state)]) { try await Engine().findings(log).count >= 2 }
        let live = try await Engine().findings(log)
        _ = try await database.store.record(live, at: Engine.start)

        var report = try await replay(log, database, settings).run(from: 0, to: nil, apply: false, by: origin)
        #expect(report.transactions == 3 && report.skippedRecords == 0)
        #expect(report.findings == ["sanctioned_exposure": AnalysisReplay.Counts(reproduced: 2, new: 0, gone: 0)])
        #expect(report.assessmentsCompared == 3 && report.assessmentsChanged == 0 && report.assessmentsNew == 0)

        // A new list names the payer of transaction 2 a mixer: its payee is exposed; the transaction scores higher.
        try await list("mixers", "bc1qlater", .mixingService)
        report = try await replay(log, database, settings).run(from: 0, to: nil, apply: false, by: origin)
        #expect(report.newFindings.map(\.subject) == ["bc1qe"] && report.newFindings.first?.typology == "illicit_exposure")
        #expect(report.goneFindings.isEmpty && report.findings["sanctioned_exposure"]?.reproduced == 2)
        #expect(report.assessmentsChanged == 1 && report.bandChanges.values.reduce(0, +) == 1)
        #expect(try await Engine().findings(log).count == 2, "nothing written without apply")

        // Sanctioned exposure switched off: its findings are gone (listed, not withdrawn).
        var narrower = settings
        narrower.enabled = [.illicitExposure]
        report = try await replay(log, database, narrower).run(from: 0, to: nil, apply: false, by: origin)
        #expect(
            report.goneFindings.map(\.subject).sorted() == ["bc1qa", "bc1qb"] && report.goneFindings.allSatisfy { !$0.withdrawn },
            "\(report.goneFindings.map(\.id)) \(report.findings)")

        // From offset 1 of each partition the replay starts later, with empty state.
        let partial = try await replay(log, database, settings).run(from: 1, to: nil, apply: false, by: origin)
        #expect(partial.transactions < 3 && partial.ranges.count == 3)

        // Applied with another model: the new finding published, every transaction's assessment by the new model
        // recorded beside the old one, the replay audited.
        let renamed = try Engine.scorer(name: "renamed")
        report = try await replay(log, database, settings, scorer: renamed).run(from: 0, to: nil, apply: true, by: origin)
        #expect(report.applied && report.assessmentsRecorded == 3)
        let published = try await Engine().findings(log)
        let exposed = try #require(published.first { $0.subject == "bc1qe" })
        #expect(published.count == 3 && exposed.typology == "illicit_exposure")
        #expect(
            try await database.riskAssessments.assessments(chain: .bitcoin, txid: Engine.txid(2)).map(\.modelVersion).sorted()
                == [try Engine.scorer().version, renamed.version].sorted())
        let audit = try await Engine().audited(log, "analysis.replay")
        #expect(audit.map { $0.details["phase"] } == ["attempt", "outcome"] && audit.last?.details["new_findings"] == "1")
        #expect(audit.first?.actor == "operator:test")

        // Once the alert service has stored it, the new finding is reproduced.
        _ = try await database.store.record([exposed], at: Engine.start)
        report = try await replay(log, database, settings).run(from: 0, to: nil, apply: false, by: origin)
        #expect(report.newFindings.isEmpty && report.findings["illicit_exposure"]?.reproduced == 1)
        try await log.close()
    }
}
