import CSICCore
import CSICTestSupport
import Storage
import Testing

/// Findings, alert episodes and the alert lifecycle on every backend.
@Suite struct AlertStoreTests {
    static let time = Timestamp(secondsSinceEpoch: 1_796_000_000)

    static func finding(
        _ id: String, _ typology: Typology, subject: String, txids: [String], severity: Severity = .medium, at seconds: Int64 = 0
    ) -> ComplianceFinding {
        ComplianceFinding(
            id: id, kind: .pattern, subject: subject, severity: severity, source: "risk-engine", summary: "\(typology.rawValue) \(subject)",
            evidence: ["k": "v"], time: time.adding(microseconds: seconds * 1_000_000), typology: typology.rawValue, subjects: [subject],
            txids: txids, amount: Amount(5), chain: .bitcoin, ruleVersion: "typologies-1")
    }

    static func withdrawal(_ txid: String) -> ComplianceFinding {
        ComplianceFinding(
            id: "withdrawal:btc:\(txid)", kind: .pattern, subject: txid, severity: .info, source: "risk-engine", summary: "orphaned",
            time: time, txids: [txid], chain: .bitcoin, withdrawn: true)
    }

    @Test(arguments: StoreBackend.available) func findingsFoldIntoEpisodesOnce(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let batch = [
            Self.finding("f1", .fanIn, subject: "hub", txids: ["t1"], at: 1),
            Self.finding("f2", .fanIn, subject: "hub", txids: ["t2"], severity: .high, at: 2),
            Self.finding("f3", .fanIn, subject: "other", txids: ["t3"], at: 3),
            Self.finding("f4", .structuring, subject: "hub", txids: ["t4"], at: 4),
        ]
        let changes = try await store.record(batch, at: Self.time)
        #expect(changes.map(\.action) == [.raised, .updated, .raised, .raised])
        #expect(try await store.record(batch, at: Self.time).isEmpty, "a replayed batch changes nothing")

        let hub = try #require(try await store.alert(id: "alert:f1"))
        #expect(hub.findingIDs == ["f1", "f2"] && hub.findingCount == 2 && hub.activeFindings == 2)
        #expect(hub.severity == .high && hub.status == .open && hub.typology == "fan_in" && hub.subject == "hub")
        #expect(hub.lastFindingAt == Self.time.adding(microseconds: 2_000_000))
        #expect(try await store.alerts(AlertQuery(typology: "fan_in"), limit: 10, cursor: nil).items.map(\.id) == ["alert:f3", "alert:f1"])
        #expect(try await store.alerts(AlertQuery(subject: "hub"), limit: 10, cursor: nil).items.map(\.id) == ["alert:f4", "alert:f1"])
        #expect(try await store.alerts(AlertQuery(severity: .high), limit: 10, cursor: nil).items.map(\.id) == ["alert:f1"])
        let firstPage = try await store.alerts(AlertQuery(), limit: 2, cursor: nil)
        let secondPage = try await store.alerts(AlertQuery(), limit: 2, cursor: firstPage.nextCursor)
        #expect((firstPage.items + secondPage.items).map(\.id) == ["alert:f4", "alert:f3", "alert:f1"])

        let stored = try await store.findings(FindingQuery(alertID: "alert:f1"), limit: 10, cursor: nil).items
        #expect(stored == [batch[1], batch[0]], "every field read back, newest first")
        let window = FindingQuery(from: Self.time.adding(microseconds: 2_000_000), to: Self.time.adding(microseconds: 4_000_000))
        #expect(try await store.findings(window, limit: 10, cursor: nil).items.map(\.id) == ["f3", "f2"])
        #expect(try await store.findings(FindingQuery(typology: "structuring"), limit: 10, cursor: nil).items.map(\.id) == ["f4"])
        #expect(try await store.findings(FindingQuery(subject: "other"), limit: 10, cursor: nil).items.map(\.id) == ["f3"])
    }

    @Test(arguments: StoreBackend.available) func theLifecycleIsKeptInTheHistory(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.record([Self.finding("f1", .cycle, subject: "a", txids: ["t1"])], at: Self.time)
        let id = "alert:f1"
        await #expect(throws: AlertChangeError.invalidTransition(action: .reopen, status: .open)) {
            try await store.change(alert: id, .reopen, detail: nil, by: "user:ann", at: Self.time)
        }
        await #expect(throws: AlertChangeError.missingDetail(action: .assign, field: "assignee")) {
            try await store.change(alert: id, .assign, detail: " ", by: "user:ann", at: Self.time)
        }
        await #expect(throws: AlertChangeError.notFound("alert:none")) {
            try await store.change(alert: "alert:none", .acknowledge, detail: nil, by: "user:ann", at: Self.time)
        }
        #expect(try await store.change(alert: id, .acknowledge, detail: nil, by: "user:ann", at: Self.time).status == .acknowledged)
        #expect(try await store.change(alert: id, .assign, detail: "bob", by: "user:ann", at: Self.time).assignee == "bob")
        let resolved = try await store.change(alert: id, .resolve, detail: "known customer", by: "user:bob", at: Self.time)
        #expect(resolved.status == .resolved && resolved.resolution == "known customer")

        // After resolution a new finding starts a new episode; the resolved alert can be reopened.
        _ = try await store.record([Self.finding("f2", .cycle, subject: "a", txids: ["t2"])], at: Self.time)
        #expect(try await store.alert(id: "alert:f2")?.status == .open)
        #expect(try await store.change(alert: id, .reopen, detail: nil, by: "user:bob", at: Self.time).status == .reopened)
        let history = try await store.history(alert: id)
        #expect(history.map(\.action) == [.raised, .acknowledge, .assign, .resolve, .reopen])
        #expect(history.map(\.actor) == ["alert-service", "user:ann", "user:ann", "user:bob", "user:bob"])
        #expect(history.map(\.status) == [.open, .acknowledged, .assigned, .resolved, .reopened])
        #expect(history[2].detail == "bob" && history[3].detail == "known customer")
    }

    @Test(arguments: StoreBackend.available) func withdrawnFindingsLeaveTheirAlerts(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.record(
            [
                Self.finding("f1", .peelChain, subject: "a", txids: ["t1", "t2"]),
                Self.finding("f2", .peelChain, subject: "a", txids: ["t3"]),
                Self.finding("f3", .fanOut, subject: "b", txids: ["t2"]),
            ], at: Self.time)
        let changes = try await store.record([Self.withdrawal("t2")], at: Self.time)
        #expect(changes.map(\.alertID) == ["alert:f1", "alert:f3"] && changes.allSatisfy { $0.action == .findingWithdrawn })
        let partly = try #require(try await store.alert(id: "alert:f1"))
        #expect(partly.activeFindings == 1 && partly.findingCount == 2 && partly.status == .open)
        let emptied = try #require(try await store.alert(id: "alert:f3"))
        #expect(emptied.status == .resolved && emptied.activeFindings == 0 && emptied.resolution?.hasPrefix("withdrawn") == true)
        let findings = try await store.findings(FindingQuery(), limit: 10, cursor: nil).items
        #expect(findings.filter(\.withdrawn).map(\.id).sorted() == ["f1", "f3"])
        #expect(try await store.record([Self.withdrawal("t2")], at: Self.time).isEmpty, "withdrawn once")
    }
}
