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

/// `/api/v1/findings` and `/api/v1/alerts` on the platform's own components: reads for every supervising role,
/// lifecycle changes by analysts and supervisors only, refusals with their codes, every change audited.
@Suite struct AlertRoutesTests {
    func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]) ?? [:]
    }

    @Test func alertsAreReadHandledAndAudited() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try ConfigurationLoader.load(values: ["data_dir": ConfigValue(.string(directory.path), isSecret: false)])
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let origin = ChangeOrigin(actor: "test", sourceAddress: "local")
        var keys: [String: HTTPFields] = [:]
        for (name, role) in [("ann", UserAccount.Role.analyst), ("aud", .auditor), ("ex", .reportingEntity)] {
            _ = try await platform.access.addUser(
                name, role: role, password: nil, entityID: role == .reportingEntity ? "ex-1" : nil, by: origin)
            keys[name] = [
                .authorization: "Bearer \(try await platform.access.addAPIKey(name, label: "", by: origin).text)",
                .contentType: "application/json",
            ]
        }
        let headers = keys
        let time = Timestamp(secondsSinceEpoch: 1_796_000_000)
        let findings = (1...3).map { number in
            ComplianceFinding(
                id: "fan_in:btc:hub:t\(number)", kind: .pattern, subject: "hub", severity: number == 2 ? .high : .medium,
                source: "risk-engine",
                summary: "fan-in", evidence: ["counterparties": "20"], time: time.adding(microseconds: Int64(number) * 1_000_000),
                typology: "fan_in", subjects: ["hub"], txids: ["t\(number)"], amount: Amount(7), chain: .bitcoin,
                ruleVersion: "typologies-x")
        }
        _ = try await platform.store.record(findings, at: time)
        let id = "alert:fan_in:btc:hub:t1"
        let app = Application(router: Gateway.router(platform.gatewayDependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts?typology=fan_in&status=open", method: .get, headers: headers["aud"]!) {
                response in
                let items = json(response.body)["items"] as? [[String: Any]]
                #expect(items?.map { $0["id"] as? String } == [id])
                #expect(items?.first?["finding_count"] as? Int == 3 && items?.first?["severity"] as? String == "high")
                #expect(items?.first?["finding_ids"] as? [String] == (1...3).map { "fan_in:btc:hub:t\($0)" }, "as the schema spells it")
            }
            try await client.execute(uri: "/api/v1/findings?subject=hub&limit=2", method: .get, headers: headers["ann"]!) { response in
                let page = json(response.body)
                #expect((page["items"] as? [[String: Any]])?.map { $0["id"] as? String } == ["fan_in:btc:hub:t3", "fan_in:btc:hub:t2"])
                #expect(page["next_cursor"] != nil)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .get, headers: headers["ex"]!) { response in
                #expect(response.status == .forbidden, "a reporting entity does not read the regulator's alerts")
            }
            try await client.execute(
                uri: "/api/v1/alerts/\(id)/acknowledge", method: .post, headers: headers["aud"]!, body: ByteBuffer(string: "{}")
            ) {
                response in
                #expect(response.status == .forbidden, "an auditor reads but does not handle alerts")
            }
            try await client.execute(
                uri: "/api/v1/alerts/\(id)/assign", method: .post, headers: headers["ann"]!,
                body: ByteBuffer(string: #"{"assignee": "ann"}"#)
            ) { response in
                #expect(response.status == .ok && json(response.body)["status"] as? String == "assigned")
            }
            let refused: [(String, String, HTTPResponse.Status, String)] = [
                ("reopen", "{}", .conflict, "invalid_transition"),
                ("resolve", "{}", .badRequest, "invalid_parameter"),
                ("resolve", #"{"reason": "x", "note": 1}"#, .badRequest, "unknown_field"),
            ]
            for (action, body, status, code) in refused {
                try await client.execute(
                    uri: "/api/v1/alerts/\(id)/\(action)", method: .post, headers: headers["ann"]!, body: ByteBuffer(string: body)
                ) {
                    response in
                    #expect(response.status == status && json(response.body)["code"] as? String == code, "\(action) \(body)")
                }
            }
            try await client.execute(
                uri: "/api/v1/alerts/alert:none/acknowledge", method: .post, headers: headers["ann"]!, body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(
                uri: "/api/v1/alerts/\(id)/resolve", method: .post, headers: headers["ann"]!,
                body: ByteBuffer(string: #"{"reason": "exchange hot wallet"}"#)
            ) { response in
                #expect(json(response.body)["resolution"] as? String == "exchange hot wallet")
            }
            try await client.execute(uri: "/api/v1/alerts/\(id)", method: .get, headers: headers["aud"]!) { response in
                let detail = json(response.body)
                #expect((detail["findings"] as? [[String: Any]])?.count == 3)
                let history = detail["history"] as? [[String: Any]]
                #expect(history?.map { $0["action"] as? String } == ["raised", "updated", "updated", "assign", "resolve"])
                #expect(history?.last?["actor"] as? String == "ann")
            }
            try await client.execute(uri: "/api/v1/alerts?status=closed", method: .get, headers: headers["ann"]!) { response in
                #expect(response.status == .badRequest && json(response.body)["field"] as? String == "status")
            }
        }
        var consumer = try await LogConsumer(log: platform.log, group: "test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 1_000, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
        let outcomes = records.filter { $0.action.hasPrefix("alert.") && $0.details["phase"] == "outcome" }
        #expect(outcomes.map(\.action) == ["alert.assign", "alert.reopen", "alert.resolve", "alert.acknowledge", "alert.resolve"])
        #expect(outcomes.map(\.outcome) == [.success, .failure, .failure, .failure, .success])
        #expect(outcomes.allSatisfy { $0.actor == "ann" && $0.resource.hasPrefix("alerts/") })
        try await platform.log.close()
    }
}
