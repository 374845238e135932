import CSICCore
import CSICProtos
import CSICTestSupport
import EventLog
import Foundation
import RiskEngine
import Storage
import StreamRuntime
import Testing
import TransactionAnalysis

/// The risk engine end to end on the embedded log and a real store: findings on `compliance`, withdrawals on a
/// reorg, the clustering kept across a restart.
@Suite struct AnalysisEngineTests {
    static let start = Timestamp(secondsSinceEpoch: 1_796_000_000)

    static func txid(_ number: Int) -> String { String(repeating: "0", count: 56) + String(format: "%08x", number) }

    /// Transaction `number` spending `inputs` (previous transaction number, address, value) to `outputs`.
    static func transaction(
        _ number: Int, _ inputs: [(Int, String, UInt64)], _ outputs: [(String, UInt64)], height: UInt64,
        status: TransactionStatus = .confirmed
    ) -> ChainTransaction {
        let time = start.adding(microseconds: Int64(height) * 600_000_000)
        return ChainTransaction(
            chain: .bitcoin, txid: txid(number), block: BlockRef(height: height, hash: txid(1_000_000 + Int(height)), time: time),
            seenAt: time,
            inputs: inputs.map { TransactionInput(previousTxid: txid($0.0), previousIndex: 0, address: $0.1, value: Amount($0.2)) },
            outputs: outputs.enumerated().map {
                TransactionOutput(index: UInt32($0.offset), address: $0.element.0, value: Amount($0.element.1), scriptType: "p2wpkh")
            }, status: status)
    }

    func append(_ log: EmbeddedEventLog, _ transactions: [ChainTransaction]) async throws {
        _ = try await log.append(
            .transactions,
            records: transactions.map { ProducerRecord(key: $0.txid, value: TransactionTopicEvent.transaction($0).serializedProto()) })
    }

    func findings(_ log: EmbeddedEventLog) async throws -> [ComplianceFinding] {
        var findings: [ComplianceFinding] = []
        for partition in try await log.describe(topic: Topic.compliance.rawValue) {
            for record in try await log.read(
                TopicPartition(topic: Topic.compliance.rawValue, partition: partition.partition), from: 0, maxRecords: 10_000,
                maxBytes: 1 << 24)
            {
                guard case .finding(let finding) = try ComplianceTopicEvent(protoBytes: record.value) else { continue }
                #expect(record.key.elementsEqual(finding.subject.utf8), "keyed by subject")
                findings.append(finding)
            }
        }
        return findings.sorted { $0.time < $1.time }
    }

    func processor(
        _ log: EmbeddedEventLog, _ database: StoreDatabase, _ state: AnalysisState
    ) -> StreamProcessor<AnalysisEngine, AnalysisEngine.Sink> {
        StreamProcessor(
            engine: AnalysisEngine(state: state, tags: database.tags),
            sink: AnalysisEngine.Sink(state: state, clusters: database.clusters, assessments: database.riskAssessments, log: log),
            log: log)
    }

    static let migrations = [TagTables.migration] + ClusterTables.migrations + [RiskTables.migration]

    static func scorer(name: String = "test") throws -> RiskScorer {
        let file = Array(TestRiskModel.json.utf8)
        return try RiskScorer(model: try RiskModels.load(json: file), name: name, file: file)
    }

    /// The audit records of `action` on the log.
    func audited(_ log: EmbeddedEventLog, _ action: String) async throws -> [AuditRecord] {
        try await log.read(TopicPartition(topic: Topic.audit.rawValue, partition: 0), from: 0, maxRecords: 10_000, maxBytes: 1 << 24)
            .compactMap { try? AuditRecord(protoBytes: $0.value) }.filter { $0.action == action }
    }

    @Test(arguments: StoreBackend.available) func findsExposureWithdrawsItOnAReorgAndKeepsClustersAcrossARestart(
        _ backend: StoreBackend
    ) async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        try await log.createPlatformTopics(partitions: 3)
        let place = backend.place()
        let database = try await place.database(migrations: Self.migrations)
        let sdn = AddressTag(
            chain: .bitcoin, address: "bc1qsanctioned", label: "Garantex", category: .sanction, source: "SDN.CSV", confidence: 100)
        _ = try await database.tags.importList(
            name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "00", importedBy: "test", at: Self.start, tags: [sdn])

        // Block 1: the sanctioned address pays A; C and D spend together (one entity). Block 2: A pays B.
        // Delivered with block 2 first: the engine arranges the batch by height.
        let block1 = [
            Self.transaction(1, [(100, "bc1qsanctioned", 10_000)], [("bc1qa", 9_000)], height: 1),
            Self.transaction(2, [(101, "bc1qc", 5_000), (102, "bc1qd", 5_000)], [("bc1qe", 9_500)], height: 1),
        ]
        let block2 = [Self.transaction(3, [(1, "bc1qa", 9_000)], [("bc1qb", 8_500)], height: 2)]
        try await append(log, block2 + block1)
        var settings = TypologySettings()
        settings.enabled = [.sanctionedExposure, .illicitExposure]
        var state = AnalysisState(settings: settings, scorer: try Self.scorer())
        try await runProcessors([processor(log, database, state)]) { try await findings(log).count >= 2 }
        var made = try await findings(log)
        #expect(made.map(\.subject) == ["bc1qa", "bc1qb"])
        #expect(made.map(\.typology) == ["sanctioned_exposure", "sanctioned_exposure"])
        #expect(made.map(\.kind) == [.sanctionsHit, .sanctionsHit])
        #expect(made.last?.evidence["path"] == "bc1qsanctioned -> bc1qa -> bc1qb")
        #expect(made.last?.txids == [Self.txid(1), Self.txid(3)])
        #expect(made.last?.ruleVersion == settings.ruleVersion)
        #expect(await state.clusteredAddresses == 4)
        // Every transaction assessed and stored with the model's version; the model activated once, audited.
        let version = try Self.scorer().version
        var scores: [[RiskAssessment]] = []
        for number in 1...3 { scores.append(try await database.riskAssessments.assessments(chain: .bitcoin, txid: Self.txid(number))) }
        #expect(scores.map { $0.map(\.score) } == [[95], [12], [75]], "sanctioned payer; benign; two hops from it (the rule's floor)")
        #expect(scores.allSatisfy { $0.first?.modelVersion == version })
        #expect(try await database.riskAssessments.activations().map(\.version) == [version])
        #expect(try await database.riskAssessments.model(version: version) == Array(TestRiskModel.json.utf8))
        let activations = try await audited(log, "risk_model.activate")
        #expect(
            activations.map { $0.details["phase"] } == ["attempt", "outcome"]
                && activations.allSatisfy { $0.resource == "risk_models/\(version)" })
        #expect(activations.first?.details["previous"] == "none")

        // After a restart (the clustering loaded from the store), block 2 is orphaned: its transaction is
        // announced as withdrawn, for the findings resting on it.
        // Restarted with another model: activated, audited with the one it replaces.
        state = AnalysisState(settings: settings, scorer: try Self.scorer(name: "renamed"))
        try await append(log, [Self.transaction(3, [(1, "bc1qa", 9_000)], [("bc1qb", 8_500)], height: 2, status: .reverted)])
        try await runProcessors([processor(log, database, state)]) { try await findings(log).count >= 3 }
        made = try await findings(log)
        let withdrawal = try #require(made.last)
        #expect(withdrawal.withdrawn && withdrawal.id == "withdrawal:btc:\(Self.txid(3))" && withdrawal.txids == [Self.txid(3)])
        #expect(made[1].txids.contains(Self.txid(3)), "the finding it withdraws rests on it")
        #expect(await state.clusteredAddresses == 4, "the clustering was loaded from the store")
        let reopened = try await place.database(migrations: Self.migrations).clusters
        #expect(try await reopened.entity(of: "bc1qc")?.id == reopened.entity(of: "bc1qd")?.id)
        #expect(try await reopened.entity(of: "bc1qc")?.size == 2)
        let renamed = try Self.scorer(name: "renamed").version
        #expect(try await database.riskAssessments.activations().map(\.version) == [renamed, version])
        #expect(try await audited(log, "risk_model.activate").last?.details["previous"] == version)
        #expect(try await audited(log, "risk_model.activate").count == 4)

        // Restarted with the same model: nothing to activate.
        state = AnalysisState(settings: settings, scorer: try Self.scorer(name: "renamed"))
        try await append(log, [Self.transaction(4, [(2, "bc1qe", 9_500)], [("bc1qf", 9_000)], height: 3)])
        try await runProcessors([processor(log, database, state)]) {
            try await !database.riskAssessments.assessments(chain: .bitcoin, txid: Self.txid(4)).isEmpty
        }
        #expect(try await database.riskAssessments.assessments(chain: .bitcoin, txid: Self.txid(4)).map(\.modelVersion) == [renamed])
        #expect(try await audited(log, "risk_model.activate").count == 4)
        #expect(try await database.riskAssessments.activations().count == 2)
        try await log.close()
    }
    /// Tags imported while the engine runs take effect from the next batch: a TagPack's tag that defines its entity
    /// makes an address that spent with the tagged one the market's, and whoever it pays is exposed; then an SDN
    /// address (a tag of its own address only) exposes whoever it pays.
    @Test(arguments: StoreBackend.available) func tagsImportedWhileRunningTakeEffectFromTheNextBatch(
        _ backend: StoreBackend
    ) async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        try await log.createPlatformTopics(partitions: 3)
        let database = try await backend.place().database(migrations: Self.migrations)
        var settings = TypologySettings()
        settings.enabled = [.sanctionedExposure, .illicitExposure]
        let state = AnalysisState(settings: settings)
        let running = Task { try await processor(log, database, state).run() }
        defer { running.cancel() }
        func waitFor(_ done: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while try await !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        }

        try await append(
            log, [Self.transaction(1, [(100, "bc1qmarket", 40_000), (101, "bc1qdeposit", 20_000)], [("bc1qmarket", 59_000)], height: 1)])
        try await waitFor { await state.clusteredAddresses == 2 }
        let market = AddressTag(
            chain: .bitcoin, address: "bc1qmarket", label: "Hydra", category: .darknetMarket, source: "tagpack", confidence: 80,
            definesEntity: true)
        _ = try await database.tags.importList(
            name: "tagpack:markets", format: "tagpack", sha256: "11", importedBy: "test", at: Self.start, tags: [market])
        try await append(log, [Self.transaction(2, [(1, "bc1qdeposit", 20_000)], [("bc1quser", 19_000)], height: 2)])
        try await waitFor { try await !findings(log).isEmpty }
        let made = try await findings(log)
        #expect(made.map(\.subject) == ["bc1quser"] && made.first?.typology == "illicit_exposure")
        #expect(made.first?.evidence["tagged_address"] == "bc1qmarket" && made.first?.evidence["party_address"] == "bc1qdeposit")
        #expect(made.first?.evidence["attributed_by"] == "entity" && made.first?.evidence["list"] == "tagpack:markets")

        try await append(log, [Self.transaction(3, [(2, "bc1quser", 19_000)], [("bc1qshop", 18_000)], height: 3)])
        try await waitFor { await state.clusteredAddresses == 3 }
        let sdn = AddressTag(
            chain: .bitcoin, address: "bc1qshop", label: "Garantex", category: .sanction, source: "SDN.CSV", confidence: 100)
        _ = try await database.tags.importList(
            name: "ofac-sdn", format: "ofac-sdn-csv", sha256: "22", importedBy: "test", at: Self.start, tags: [sdn])
        try await append(log, [Self.transaction(4, [(3, "bc1qshop", 18_000)], [("bc1qbuyer", 17_000)], height: 4)])
        try await waitFor { try await findings(log).contains { $0.typology == "sanctioned_exposure" } }
        let sanctioned = try await findings(log).filter { $0.typology == "sanctioned_exposure" }
        #expect(sanctioned.map(\.subject) == ["bc1qbuyer"] && sanctioned.first?.evidence["list"] == "ofac-sdn")
        running.cancel()
        _ = try? await running.value
        try await log.close()
    }
}
