import APIGateway
import CSICCore
import CSICTestSupport
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Storage
import Testing

@Suite struct EventFeedTests {
    /// The ids and event names of a stream's text.
    func events(_ text: String) -> [(id: String, event: String)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard let id = lines.first(where: { $0.hasPrefix("id: ") }), let event = lines.first(where: { $0.hasPrefix("event: ") }) else {
                return nil
            }
            return (String(id.dropFirst(4)), String(event.dropFirst(7)))
        }
    }

    @Test func newlyStoredTransactionsAndDeadLettersStreamAndResumeAfterTheLastEventID() async throws {
        let (directory, fixture, _, auth) = try await GatewayTests().fixture()
        var dependencies = fixture
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        dependencies.feed = store
        dependencies.settings.eventStreamSeconds = 1
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            // From the start: every stored transaction (120) and the dead letter, in store order.
            let all = try await client.execute(uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: "0-0"]) {
                response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream")
                return events(String(buffer: response.body))
            }
            #expect(all.filter { $0.event == "transaction" }.count == 120 && all.filter { $0.event == "dead_letter" }.count == 1)
            let middle = all[59].id
            let resumed = try await client.execute(uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: middle]) {
                events(String(buffer: $0.body))
            }
            #expect(resumed.map(\.id) == Array(all.dropFirst(60).map(\.id)), "resuming sends exactly what came after the id")
            let fresh = try await client.execute(uri: "/api/v1/events", method: .get, headers: auth) { events(String(buffer: $0.body)) }
            #expect(fresh.isEmpty, "without Last-Event-ID a stream starts with what is stored from now on")
            for bad in ["x", "1", "-1-2", "1-2-3-4", "1-2-x", "1--2", String(repeating: "9", count: 30) + "-1"] {
                try await client.execute(uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: bad]) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
            try await client.execute(uri: "/api/v1/events", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    /// Every alert change (raised, updated, an analyst's) is an `alert` event after what is stored before it;
    /// the third position resumes them, and an id of two positions resumes alerts from now.
    @Test func alertChangesStreamAndResume() async throws {
        let (directory, fixture, _, auth) = try await GatewayTests().fixture()
        var dependencies = fixture
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        dependencies.feed = store
        dependencies.settings.eventStreamSeconds = 1
        let time = Timestamp(secondsSinceEpoch: 1_796_000_000)
        let findings = (1...2).map { number in
            ComplianceFinding(
                id: "fan_in:btc:hub:t\(number)", kind: .pattern, subject: "hub", severity: .medium, source: "risk-engine",
                summary: "fan-in",
                time: time, typology: "fan_in", subjects: ["hub"], txids: ["t\(number)"], chain: .bitcoin, ruleVersion: "typologies-x")
        }
        _ = try await store.record(findings, at: time)
        _ = try await store.change(alert: "alert:fan_in:btc:hub:t1", .acknowledge, detail: nil, by: "user:ann", at: time)
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            let all = try await client.execute(uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: "0-0-0"]) {
                events(String(buffer: $0.body))
            }
            let alerts = all.filter { $0.event == "alert" }
            #expect(alerts.count == 3, "raised, updated, acknowledged")
            #expect(alerts.map { $0.id.split(separator: "-").last.map(String.init) } == ["1", "2", "3"])
            let text = try await client.execute(
                uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: alerts[1].id]
            ) {
                String(buffer: $0.body)
            }
            #expect(
                events(text).map(\.event) == ["alert"] && text.contains("\"action\":\"acknowledge\""), "after the second, the third only")
            #expect(text.contains("\"alert_id\":\"alert:fan_in:btc:hub:t1\"") && text.contains("\"status\":\"acknowledged\""))
            let twoPositions = alerts[0].id.split(separator: "-").prefix(2).joined(separator: "-")
            let fromNow = try await client.execute(
                uri: "/api/v1/events", method: .get, headers: auth + [.init("Last-Event-ID")!: twoPositions]
            ) {
                events(String(buffer: $0.body))
            }
            #expect(fromNow.isEmpty, "an id without the alert position resumes alerts from now")
        }
    }
}
