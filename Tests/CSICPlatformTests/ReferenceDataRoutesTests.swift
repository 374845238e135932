import APIGateway
import CSICCore
import CSICPlatform
import CSICProtos
import CSICTestSupport
import Configuration
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Storage
import Testing
import TransactionAnalysis

/// `/api/v1/reference-data` on the platform's own components: imports by the roles that may, the lists read
/// by the others, bad bodies refused, every import audited with its caller.
@Suite struct ReferenceDataRoutesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
    }

    /// A platform in `directory` (with `values` besides its data directory) and the headers of a supervisor, sue.
    static func platformWithSupervisor(
        in directory: TemporaryDirectory, values: [String: ConfigValue] = [:]
    ) async throws -> (Platform, HTTPFields) {
        let configuration = try ConfigurationLoader.load(
            values: values.merging(["data_dir": ConfigValue(.string(directory.path), isSecret: false)]) { $1 })
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        _ = try await platform.access.addUser("sue", role: .supervisor, password: nil, entityID: nil, by: origin)
        let key = try await platform.access.addAPIKey("sue", label: "", by: origin)
        return (platform, [.authorization: "Bearer \(key.text)", .contentType: "application/json"])
    }

    func body(_ kind: String, _ files: [String]) throws -> ByteBuffer {
        ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["kind": kind, "files": files]))
    }

    @Test func importsAreMadeByAdminsAndSupervisorsListedForReadersAndAudited() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try ConfigurationLoader.load(values: ["data_dir": ConfigValue(.string(directory.path), isSecret: false)])
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        var keys: [String: HTTPFields] = [:]
        for (name, role) in [("sue", UserAccount.Role.supervisor), ("ann", .analyst)] {
            _ = try await platform.access.addUser(name, role: role, password: nil, entityID: nil, by: origin)
            keys[name] = [
                .authorization: "Bearer \(try await platform.access.addAPIKey(name, label: "", by: origin).text)",
                .contentType: "application/json",
            ]
        }
        let headers = keys
        let tagPack = try String(contentsOf: Self.fixtures.appendingPathComponent("tagpacks/exchanges.yaml"), encoding: .utf8)
        let sdn = try String(contentsOf: Self.fixtures.appendingPathComponent("ofac/SDN.CSV"), encoding: .utf8)
        let comments = try String(contentsOf: Self.fixtures.appendingPathComponent("ofac/SDN_COMMENTS.CSV"), encoding: .utf8)
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            let imports = "/api/v1/reference-data/imports"
            try await client.execute(uri: imports, method: .post, headers: headers["sue"]!, body: try body("tags", [tagPack])) { response in
                #expect(response.status == .created)
                let report = (json(response.body)["imports"] as? [[String: Any]])?.first
                let list = report?["list"] as? [String: Any]
                #expect(list?["name"] as? String == "tagpack:Example exchange and mixer attributions" && list?["version"] as? Int == 1)
                #expect(list?["tag_count"] as? Int == 5 && list?["imported_by"] as? String == "sue")
                #expect(
                    report?["rejected_count"] as? Int == 3 && report?["skipped"] as? [String: Int] == ["currency LTC": 1, "tx_hash tag": 1])
            }
            try await client.execute(uri: imports, method: .post, headers: headers["sue"]!, body: try body("sanctions", [sdn, comments])) {
                response in
                #expect(response.status == .created)
                let list = (json(response.body)["imports"] as? [[String: Any]])?.first?["list"] as? [String: Any]
                #expect(list?["name"] as? String == "ofac-sdn" && list?["tag_count"] as? Int == 6)
            }
            try await client.execute(uri: imports, method: .post, headers: headers["ann"]!, body: try body("tags", [tagPack])) { response in
                #expect(response.status == .forbidden, "an analyst reads the lists but does not import")
            }
            let refused: [(ByteBuffer, String, String)] = [
                (try body("emails", [tagPack]), "invalid_parameter", "kind"),
                (try body("tags", ["title: only a title"]), "invalid_file", "files"),
                (try body("sanctions", ["<Sanctions><DistinctParties>"]), "invalid_file", "files"),
                (try body("tags", []), "invalid_parameter", "files"),
                (ByteBuffer(string: #"{"kind": "tags", "files": ["x"], "also": 1}"#), "unknown_field", "also"),
            ]
            for (request, code, field) in refused {
                try await client.execute(uri: imports, method: .post, headers: headers["sue"]!, body: request) { response in
                    let problem = json(response.body)
                    #expect(
                        response.status == .badRequest && problem["code"] as? String == code && problem["field"] as? String == field,
                        "\(problem)")
                }
            }
            try await client.execute(uri: "/api/v1/reference-data/lists?limit=1", method: .get, headers: headers["ann"]!) { response in
                let page = json(response.body)
                #expect((page["lists"] as? [[String: Any]])?.map { $0["name"] as? String } == ["ofac-sdn"])
                #expect(page["next_cursor"] as? String == "1")
            }
            try await client.execute(uri: "/api/v1/reference-data/lists?cursor=1", method: .get, headers: headers["ann"]!) { response in
                let page = json(response.body)
                #expect(
                    (page["lists"] as? [[String: Any]])?.map { $0["name"] as? String } == [
                        "tagpack:Example exchange and mixer attributions"
                    ])
                #expect(page["next_cursor"] == nil)
            }
            try await client.execute(uri: "/api/v1/reference-data/lists?cursor=x", method: .get, headers: headers["ann"]!) { response in
                #expect(response.status == .badRequest && json(response.body)["code"] as? String == "invalid_cursor")
            }
        }
        let sanctioned = try await platform.database.tags.tags(chain: .ethereum, addresses: ["0x098B716B8Aaf21512996dC57EB0615e2383E2f96"])
        #expect(sanctioned.values.flatMap { $0 }.map(\.list) == ["ofac-sdn"])
        var consumer = try await LogConsumer(log: platform.log, group: "test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 1_000, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
        let outcomes = records.filter { $0.action == "reference_data.import" && $0.details["phase"] == "outcome" }
        #expect(
            outcomes.map(\.actor) == ["sue", "sue"]
                && outcomes.map(\.resource) == ["tag_lists/tagpack:Example exchange and mixer attributions", "tag_lists/ofac-sdn"])
        try await platform.log.close()
    }
    /// `"reevaluate": true`: after the import, the stored history is replayed against the new list in the
    /// background and what it finds is published; its status is read at `/reference-data/reevaluation`.
    @Test func anImportMayReevaluateTheStoredHistory() async throws {
        let directory = try TemporaryDirectory()
        let (platform, headers) = try await Self.platformWithSupervisor(in: directory)
        // History stored before the list named its payer: the SDN address pays bc1qpayee.
        let time = Timestamp(secondsSinceEpoch: 1_796_000_000)
        let txid = String(repeating: "ab", count: 32)
        let paid = ChainTransaction(
            chain: .bitcoin, txid: txid, block: BlockRef(height: 1, hash: String(repeating: "cd", count: 32), time: time), seenAt: time,
            inputs: [
                TransactionInput(
                    previousTxid: String(repeating: "ef", count: 32), previousIndex: 0,
                    address: "bc1qsmqpalp3gtgkltag4x3ygevmhh9y2hzk73t2ug",
                    value: Amount(50_000))
            ],
            outputs: [TransactionOutput(index: 0, address: "bc1qpayee", value: Amount(49_000), scriptType: "p2wpkh")], status: .confirmed)
        _ = try await platform.log.append(
            .transactions, records: [ProducerRecord(key: txid, value: TransactionTopicEvent.transaction(paid).serializedProto())])
        let sdn = try String(contentsOf: Self.fixtures.appendingPathComponent("ofac/SDN.CSV"), encoding: .utf8)
        let request = ByteBuffer(
            data: try JSONSerialization.data(withJSONObject: ["kind": "sanctions", "files": [sdn], "reevaluate": true]))
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            let status = "/api/v1/reference-data/reevaluation"
            try await client.execute(uri: status, method: .get, headers: headers) { response in
                #expect(response.status == .notFound, "none yet")
            }
            try await client.execute(uri: "/api/v1/reference-data/imports", method: .post, headers: headers, body: request) { response in
                #expect(response.status == .created)
                let started = json(response.body)["reevaluation"] as? [String: Any]
                #expect(started?["id"] as? Int == 1 && started?["requested_by"] as? String == "sue" && started?["state"] != nil)
            }
            var finished: [String: Any] = [:]
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while ContinuousClock.now < deadline {
                try await client.execute(uri: status, method: .get, headers: headers) { response in finished = json(response.body) }
                if finished["state"] as? String != "running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(finished["state"] as? String == "completed" && finished["transactions"] as? Int == 1, "\(finished)")
            #expect(finished["new_findings"] as? Int == 1 && finished["gone_findings"] as? Int == 0 && finished["finished_at"] != nil)
        }
        var consumer = try await LogConsumer(log: platform.log, group: "test", topics: [Topic.compliance.rawValue, Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 1_000, timeout: .seconds(1))
        let findings = records.filter { $0.topic == Topic.compliance.rawValue }.compactMap { record -> ComplianceFinding? in
            guard case .finding(let finding)? = try? ComplianceTopicEvent(protoBytes: record.value) else { return nil }
            return finding
        }
        #expect(findings.map(\.subject) == ["bc1qpayee"] && findings.first?.typology == "sanctioned_exposure")
        let replays = records.filter { $0.topic == Topic.audit.rawValue }.compactMap { try? AuditRecord(protoBytes: $0.value) }
            .filter { $0.action == "analysis.replay" }
        #expect(replays.map { $0.details["phase"] } == ["attempt", "outcome"] && replays.allSatisfy { $0.actor == "sue" })
        try await platform.log.close()
    }
    /// One re-evaluation at a time; another starts once it finished; none where there is no analysis to re-run.
    @Test func oneReevaluationRunsAtATime() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try ConfigurationLoader.load(values: ["data_dir": ConfigValue(.string(directory.path), isSecret: false)])
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        let reevaluations = Reevaluations(
            replay: AnalysisReplay(
                log: platform.log, tags: platform.database.tags, findings: platform.store, assessments: platform.database.riskAssessments,
                settings: TypologySettings(), scorer: nil))
        let first = try await reevaluations.start(by: origin)
        #expect(first.id == 1 && first.state == .running && first.requestedBy == "test")
        await #expect(throws: ReevaluationError.running(first)) { try await reevaluations.start(by: origin) }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while await reevaluations.latest?.state == .running, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let done = await reevaluations.latest
        #expect(done?.state == .completed && done?.transactions == 0 && done?.finishedAt != nil)
        #expect(try await reevaluations.start(by: origin).id == 2)
        let importer = ReferenceDataImporter(store: platform.database.tags, log: platform.log)
        await #expect(throws: ReevaluationError.unavailable) { try await importer.reevaluation() }
        try await platform.log.close()
    }
    /// With the risk engine off there is nothing to re-run: the import asking for it is refused before importing
    /// (409), and the status route says so (404).
    @Test func noReevaluationWithoutTheRiskEngine() async throws {
        let directory = try TemporaryDirectory()
        let (platform, headers) = try await Self.platformWithSupervisor(
            in: directory, values: ["analysis.risk_engine": .init(.bool(false), isSecret: false)])
        let tagPack = try String(contentsOf: Self.fixtures.appendingPathComponent("tagpacks/exchanges.yaml"), encoding: .utf8)
        let request = ByteBuffer(
            data: try JSONSerialization.data(withJSONObject: ["kind": "tags", "files": [tagPack], "reevaluate": true]))
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/reference-data/imports", method: .post, headers: headers, body: request) { response in
                #expect(response.status == .conflict && json(response.body)["code"] as? String == "reevaluation_unavailable")
            }
            try await client.execute(uri: "/api/v1/reference-data/reevaluation", method: .get, headers: headers) { response in
                #expect(response.status == .notFound && json(response.body)["code"] as? String == "reevaluation_unavailable")
            }
        }
        #expect(try await platform.database.tags.lists().isEmpty, "nothing imported")
        try await platform.log.close()
    }
}
