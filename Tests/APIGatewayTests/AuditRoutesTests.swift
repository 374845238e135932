import APIGateway
import CSICCore
import CSICTestSupport
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

/// An audit trail that is not one: fixed answers from memory, to show the gateway needs nothing but the
/// ``AuditQueries`` protocol (no audit directory exists anywhere in this test).
struct FixedAuditQueries: AuditQueries {
    let checkpoint: AuditCheckpointInfo?
    let record = AuditRecord(
        id: "r-1", time: Timestamp(secondsSinceEpoch: 1_767_225_600), actor: "alice", action: "http.GET /api/v1/stats",
        resource: "/api/v1/stats", outcome: .success, requestID: "q-1", sourceAddress: "127.0.0.1", details: [:])

    func latestCheckpoint() async throws -> AuditCheckpointInfo {
        guard let checkpoint else { throw AuditQueryError.noCheckpoint }
        return checkpoint
    }

    func record(id: String) async throws -> AuditProvenRecord? {
        guard let checkpoint else { throw AuditQueryError.noCheckpoint }
        return id == record.id
            ? AuditProvenRecord(leaf: [1, 2, 3], leafIndex: 7, record: record, inclusionProof: [[0xAA], [0xBB]], checkpoint: checkpoint)
            : nil
    }

    func search(_ filter: AuditFilter, order: AuditOrder, after: UInt64?, limit: Int) async throws -> AuditSearchResult {
        guard let checkpoint else { throw AuditQueryError.noCheckpoint }
        let onPage = after.map { order == .newestFirst ? 7 < $0 : 7 > $0 } ?? true
        let items = filter.actor == record.actor && onPage ? [try await self.record(id: record.id)!] : []
        return AuditSearchResult(items: Array(items.prefix(limit)), checkpoint: checkpoint)
    }
}

@Suite struct AuditRoutesTests {
    func app(_ queries: FixedAuditQueries, log: any EventLog, directory: String) async throws -> (some ApplicationProtocol, HTTPFields) {
        let registry = PrometheusCollectorRegistry()
        let access = try await TestAccess.access(directory: directory, log: log)
        let app = Application(
            router: Gateway.router(
                GatewayDependencies(
                    log: log, registry: registry, metrics: PrometheusMetricsFactory(registry: registry),
                    routes: [AuditRoutes(queries: queries)], consumers: [:], storeBytes: { 0 }, access: access)))
        return (app, try await TestAccess.adminHeaders(access))
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test func auditRoutesAreServedFromAnyImplementationOfTheQueryProtocol() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let checkpoint = AuditCheckpointInfo(
            treeSize: 8, note: "csic.test/audit\n8\nroot\n\n— sig\n", verifierKey: "csic.test/audit+01020304+AQ")
        let (served, auth) = try await app(FixedAuditQueries(checkpoint: checkpoint), log: log, directory: directory.path)
        try await served.test(.router) { client in
            try await client.execute(uri: "/api/v1/audit/checkpoint", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect(
                    body["tree_size"] as? Int == 8 && body["checkpoint"] as? String == checkpoint.note
                        && body["verifier_key"] as? String == checkpoint.verifierKey)
            }
            try await client.execute(uri: "/api/v1/audit/records/r-1", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect(body["record_bytes"] as? String == "AQID")
                #expect(body["leaf_index"] as? Int == 7 && body["tree_size"] as? Int == 8)
                #expect(body["inclusion_proof"] as? [String] == ["qg==", "uw=="])
                #expect((body["record"] as? [String: Any])?["actor"] as? String == "alice")
            }
            try await client.execute(uri: "/api/v1/audit/records/r-2", method: .get, headers: auth) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/audit/records?actor=alice&limit=5", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect((body["items"] as? [[String: Any]])?.map { $0["leaf_index"] as? Int } == [7])
                #expect(body["tree_size"] as? Int == 8)
                #expect(body["next_cursor"] == nil, "a page that is not full is the last")
            }
            try await client.execute(uri: "/api/v1/audit/records?actor=alice&limit=1", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect(body["next_cursor"] as? String == "7", "a full page names where the next starts")
            }
            // Record 7 lies before cursor 8 newest first, after cursor 6 oldest first, and past neither at cursor 7.
            for (sort, cursor, count) in [("-time", 7, 0), ("-time", 8, 1), ("time", 7, 0), ("time", 6, 1)] {
                let uri = "/api/v1/audit/records?actor=alice&cursor=\(cursor)&sort=\(sort)"
                try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    let body = try json(response.body)
                    #expect((body["items"] as? [Any])?.count == count, "\(uri)")
                }
            }
            for (uri, code) in [
                ("/api/v1/audit/records?cursor=x7", "invalid_cursor"), ("/api/v1/audit/records?cursor=-1", "invalid_cursor"),
                ("/api/v1/audit/records?cursor=99999999999999999999", "invalid_cursor"),
                ("/api/v1/audit/records?sort=newest", "invalid_parameter"),
            ] {
                try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    let body = try json(response.body)
                    #expect(body["code"] as? String == code, "\(uri)")
                }
            }
            for uri in ["/api/v1/audit/records?q=a%00b%00", "/api/v1/audit/records?actor=%0A", "/api/v1/audit/records?resource=x%7F"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    #expect(response.status == .badRequest, "control characters are refused: \(uri)")
                    let error = try json(response.body) as [String: Any]?
                    #expect(error?["code"] as? String == "invalid_parameter")
                }
            }
            try await client.execute(uri: "/api/v1/audit/records?actor=bob", method: .get, headers: auth) { response in
                let items = try json(response.body)["items"] as? [Any]
                #expect(items?.isEmpty == true)
            }
        }
        let (empty, emptyAuth) = try await app(FixedAuditQueries(checkpoint: nil), log: log, directory: directory.path + "/empty")
        try await empty.test(.router) { client in
            for uri in ["/api/v1/audit/checkpoint", "/api/v1/audit/records/r-1", "/api/v1/audit/records?actor=alice"] {
                try await client.execute(uri: uri, method: .get, headers: emptyAuth) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    let error = try json(response.body) as [String: Any]?
                    #expect(error?["code"] as? String == "no_checkpoint", "\(uri)")
                }
            }
        }
        try await log.close()
    }
}

/// Routes whose handler fails the way a broken store does: with an error that is not an HTTP error.
struct FailingRoutes: APIRoutes {
    struct StoreBroken: Error {}

    var routes: [APIRoute] {
        [
            APIRoute(.get, "broken", access: .authenticated("broken"), summary: "fails", response: nil) { _, _ -> String in
                throw StoreBroken()
            },
            APIRoute(.post, "broken", access: .authenticated("broken"), summary: "fails", response: nil) { _, _ -> String in
                throw StoreBroken()
            },
        ]
    }
}

@Suite struct AuditMiddlewareErrorTests {
    @Test func aRequestWhoseHandlerThrowsANonHTTPErrorIsStillAudited() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let registry = PrometheusCollectorRegistry()
        let access = try await TestAccess.access(directory: directory.path, log: log)
        let auth = try await TestAccess.adminHeaders(access)
        let app = Application(
            router: Gateway.router(
                GatewayDependencies(
                    log: log, registry: registry, metrics: PrometheusMetricsFactory(registry: registry), routes: [FailingRoutes()],
                    consumers: [:], storeBytes: { 0 }, access: access)))
        try await app.test(.router) { client in
            for method in [HTTPRequest.Method.get, .post] {
                try await client.execute(uri: "/api/v1/broken", method: method, headers: auth) { response in
                    #expect(response.status == .internalServerError)
                    let error = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                    #expect(error?["code"] as? String == "internal", "a 500 has the machine-readable body too")
                    #expect((error?["detail"] as? String)?.contains("StoreBroken") == false, "the error itself stays in the log")
                }
            }
        }
        var consumer = try await LogConsumer(log: log, group: "audit-test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
        let outcomes = records.filter { $0.details["phase"] != "attempt" && $0.action.hasPrefix("http.") }
        #expect(outcomes.map(\.action).sorted() == ["http.GET /api/v1/broken", "http.POST /api/v1/broken"])
        #expect(
            outcomes.allSatisfy {
                $0.outcome == .failure && $0.details["status"] == "500" && $0.details["error"]?.contains("StoreBroken") == true
            })
        #expect(
            records.filter { $0.details["phase"] == "attempt" && $0.action.hasPrefix("http.") }.count == 1,
            "the write was audited before it ran")
        try await log.close()
    }
}
