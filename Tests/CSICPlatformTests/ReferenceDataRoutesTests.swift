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

/// `/api/v1/reference-data` on the platform's own components: imports by the roles that may, the lists read
/// by the others, bad bodies refused, every import audited with its caller.
@Suite struct ReferenceDataRoutesTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
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
}
