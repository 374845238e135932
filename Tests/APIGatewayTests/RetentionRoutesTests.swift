import APIGateway
import CSICCore
import CSICProtos
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RetentionRoutesTests {
    private func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, _ auth: HTTPFields
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: uri, method: .post, headers: auth + [.contentType: "application/json"], body: ByteBuffer(string: body)
        ) {
            response in
            (response.status, try GatewayTests().json(response.body))
        }
    }

    @Test func holdsArePlacedListedReleasedAndAuditedAndBadBodiesAreRefused() async throws {
        let (directory, dependencies, _, auth) = try await GatewayTests().fixture()
        _ = directory
        let app = Application(router: Gateway.router(dependencies))
        let holdID = try await app.test(.router) { client in
            let (status, hold) = try await post(
                client, "/api/v1/retention/holds",
                #"{"record_class": "transactions", "subject": "bc1qexample", "reason": "preservation order", "case_reference": "C-17"}"#,
                auth)
            #expect(status == .created)
            #expect(
                hold["active"] as? Bool == true && hold["subject"] as? String == "bc1qexample"
                    && hold["placed_by"] as? String == "test-admin")
            let holdID = hold["id"] as? String ?? ""
            let refused: [(String, String, String?)] = [
                ("not json", "invalid_body", nil),
                (#"{"reason": "r"}"#, "missing_field", "record_class"),
                (#"{"record_class": "emails", "reason": "r"}"#, "invalid_parameter", "record_class"),
                (#"{"record_class": "audit", "reason": "r"}"#, "invalid_hold", "record_class"),
                (#"{"record_class": "alerts"}"#, "invalid_hold", "reason"),
                (#"{"record_class": "alerts", "reason": "r", "subject": ""}"#, "invalid_hold", "subject"),
                (
                    #"{"record_class": "alerts", "reason": "r", "case_reference": "\#(String(repeating: "x", count: 201))"}"#,
                    "invalid_hold", "case_reference"
                ),
            ]
            for (body, code, field) in refused {
                let (status, answer) = try await post(client, "/api/v1/retention/holds", body, auth)
                let error: [String: Any]? = answer
                #expect(
                    status == .badRequest && error?["code"] as? String == code && error?["field"] as? String == field, "\(body): \(answer)")
            }
            try await client.execute(uri: "/api/v1/retention", method: .get, headers: auth) { response in
                let body = try GatewayTests().json(response.body)
                #expect(
                    body["periods"] as? [String: String] == [
                        "audit": "permanent", "transactions": "7y", "alerts": "7y", "dead_letters": "7y",
                    ])
                #expect((body["holds"] as? [[String: Any]])?.map { $0["id"] as? String } == [holdID])
            }
            let (released, answer) = try await post(client, "/api/v1/retention/holds/\(holdID)/release", "", auth)
            #expect(released == .ok && answer["active"] as? Bool == false && answer["released_by"] as? String == "test-admin")
            let (again, _) = try await post(client, "/api/v1/retention/holds/\(holdID)/release", "", auth)
            #expect(again == .notFound)
            return holdID
        }
        var consumer = try await LogConsumer(log: dependencies.log, group: "audit-test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
        let placed = try #require(records.first { $0.action == "retention.hold.place" })
        #expect(
            placed.details["hold_id"] == holdID && placed.details["case_reference"] == "C-17" && placed.details["subject"] == "bc1qexample")
        #expect(records.contains { $0.action == "retention.hold.release" && $0.details["hold_id"] == holdID })
        // Every write was audited before it ran (attempt) and after (outcome), the refused ones as failures.
        let attempts = records.filter { $0.details["phase"] == "attempt" && $0.action.hasPrefix("http.") }
        #expect(attempts.count == 10)
        #expect(records.filter { $0.details["phase"] == "outcome" && $0.outcome == .failure }.count == 8)
    }
}
