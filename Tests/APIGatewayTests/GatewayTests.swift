import APIGateway
import AuditTrail
import CSICCore
import CSICProtos
import CSICPlatform
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Storage
import CSICTestSupport
import Testing

@Suite struct GatewayTests {
    /// A store with transactions from the simulator, processed by the real engine, and one dead letter.
    func fixture() async throws -> (TemporaryDirectory, GatewayDependencies, [String], HTTPFields) {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: "\(directory.path)/log")
        let store = try SQLiteStore(path: "\(directory.path)/store.sqlite")
        try await log.createPlatformTopics(partitions: 2)
        let txids = try await Seeding.seed(log: log, store: store, transactions: 120)
        let registry = PrometheusCollectorRegistry()
        let routes: [any APIRoutes] = [
            TransactionRoutes(store: store), DeadLetterRoutes(store: store),
            AuditRoutes(queries: LocalAuditQueries(directory: directory.path + "/audit", origin: "test/audit")),
            RetentionRoutes(store: store, log: log, retention: RecordRetention()),
        ]
        let access = try await AccessControl(settings: AuthSettings(), store: store, log: log, keyDirectory: directory.path + "/auth/keys")
        return (
            directory,
            GatewayDependencies(
                log: log, registry: registry, metrics: PrometheusMetricsFactory(registry: registry), routes: routes,
                consumers: ["transaction-engine": "transactions"], storeBytes: { try await store.sizeBytes() }, access: access), txids,
            try await TestAccess.adminHeaders(access)
        )
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test func transactionsByIdAndByAddressWithPaging() async throws {
        let (directory, dependencies, txids, auth) = try await fixture()
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            let txid = txids[5]
            try await client.execute(uri: "/api/v1/transactions/btc:\(txid)", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["txid"] as? String == txid)
                #expect(body["chain"] as? String == "bitcoin")
                #expect((body["outputs"] as? [Any])?.isEmpty == false)
            }
            try await client.execute(uri: "/api/v1/transactions/\(txid)", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
            }
            var address = ""
            try await client.execute(uri: "/api/v1/transactions?limit=10", method: .get, headers: auth) { response in
                let body = try json(response.body)
                let items = body["items"] as? [[String: Any]] ?? []
                #expect(items.count == 10)
                #expect(body["next_cursor"] is String)
                address = (items[0]["addresses"] as? [String])?.first ?? ""
            }
            var seen = 0
            var cursor: String?
            repeat {
                let uri = "/api/v1/transactions?address=\(address)&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                cursor = try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    let body = try json(response.body)
                    let items = body["items"] as? [[String: Any]] ?? []
                    #expect(items.allSatisfy { ($0["addresses"] as? [String])?.contains(address) == true })
                    seen += items.count
                    return body["next_cursor"] as? String
                }
            } while cursor != nil
            let expected = try await client.execute(uri: "/api/v1/transactions?address=\(address)&limit=1000", method: .get, headers: auth)
            { response in
                (try json(response.body)["items"] as? [Any])?.count ?? 0
            }
            #expect(expected >= 1 && seen == expected, "paging by 2 returns every transaction of the address, once")
        }
        _ = directory
    }

    @Test func badRequestsGetMachineReadableErrors() async throws {
        let (directory, dependencies, _, auth) = try await fixture()
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            for (uri, status, code) in [
                ("/api/v1/transactions/btc:\(String(repeating: "0", count: 64))", HTTPResponse.Status.notFound, "not_found"),
                ("/api/v1/transactions?limit=0", .badRequest, "invalid_parameter"),
                ("/api/v1/transactions?limit=abc", .badRequest, "invalid_parameter"),
                ("/api/v1/transactions?cursor=zzz", .badRequest, "invalid_cursor"),
                ("/api/v1/transactions?address=", .badRequest, "invalid_parameter"),
                ("/api/v1/dead-letters?limit=5000", .badRequest, "invalid_parameter"),
                ("/api/v1/transactions?limt=5", .badRequest, "unknown_parameter"),
                ("/api/v1/transactions?limit=5&chain=bitcoin&limit=6", .badRequest, "repeated_parameter"),
            ] {
                try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    #expect(response.status == status, "\(uri)")
                    let error = try json(response.body) as [String: Any]?
                    #expect(error?["code"] as? String == code, "\(uri)")
                    #expect((error?["detail"] as? String)?.isEmpty == false)
                    #expect(error?["status"] as? Int == Int(status.code) && error?["type"] as? String == "urn:csic:problem:\(code)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff" && response.headers[.cacheControl] == "no-store")
                }
            }
            try await client.execute(uri: "/no/such/route", method: .get, headers: auth) { response in
                #expect(response.status == .notFound)
                let problem = try json(response.body)
                #expect(problem["code"] as? String == "not_found", "the router's own 404 is a problem document too")
            }
        }
        _ = directory
    }

    @Test func statsDeadLettersHealthAndMetrics() async throws {
        let (directory, dependencies, txids, auth) = try await fixture()
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect((body["endpoints"] as? [String])?.contains("GET /api/v1/stats") == true)
            }
            try await client.execute(uri: "/health", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect(body["status"] as? String == "ok")
            }
            try await client.execute(uri: "/api/v1/stats", method: .get, headers: auth) { response in
                let body = try json(response.body)
                let stored = body["stored"] as? [String: Any]
                #expect(stored?["transactions"] as? Int == txids.count)
                let transactions = (body["log"] as? [String: Any])?["transactions"] as? [String: Any]
                // 120 transactions, 2 block headers (100 per block) and the junk record.
                #expect(transactions?["records"] as? Int == txids.count + 3)
                #expect(transactions?["lag"] as? Int == 0)
            }
            try await client.execute(uri: "/api/v1/dead-letters", method: .get, headers: auth) { response in
                let items = try json(response.body)["items"] as? [[String: Any]] ?? []
                #expect(items.count == 1)
                #expect(items.first?["reason_code"] as? String == "undecodable")
                #expect(items.first?["payload_base64"] as? String == "3q2+7w==")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: auth) { response in
                let text = String(buffer: response.body)
                for name in ["csic_store_size_bytes", "csic_log_records", "csic_consumer_lag", "csic_log_size_bytes"] {
                    #expect(text.contains(name), "\(name) missing from /metrics")
                }
            }
        }
        _ = directory
    }

    @Test func listsAreFilteredBySeenTimeChainAndAmountAndSorted() async throws {
        let (directory, dependencies, _, auth) = try await fixture()
        _ = directory
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            let query = "chain=bitcoin&min_amount=100000&max_amount=100000000000&sort=-amount&limit=7"
            var amounts: [Double] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/transactions?\(query)" + (cursor.map { "&cursor=\($0)" } ?? "")
                cursor = try await client.execute(uri: uri, method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let body = try json(response.body)
                    amounts += (body["items"] as? [[String: Any]] ?? []).compactMap { ($0["total_output"] as? String).flatMap(Double.init) }
                    return body["next_cursor"] as? String
                }
            } while cursor != nil && amounts.count < 200
            #expect(amounts.count > 7 && amounts == amounts.sorted(by: >), "largest first across pages")
            #expect(amounts.allSatisfy { $0 >= 100_000 && $0 <= 100_000_000_000 })
            for (parameter, value) in [
                ("chain", "dogecoin"), ("min_amount", "-1"), ("max_amount", "1e9"), ("min_amount", String(repeating: "9", count: 79)),
                ("sort", "size"), ("from", "yesterday"),
            ] {
                try await client.execute(uri: "/api/v1/transactions?\(parameter)=\(value)", method: .get, headers: auth) { response in
                    let body = try json(response.body)
                    #expect(response.status == .badRequest, "\(parameter)=\(value)")
                    #expect(body["field"] as? String == parameter)
                }
            }
            try await client.execute(uri: "/api/v1/transactions?sort=amount&cursor=-amount~5~5", method: .get, headers: auth) { response in
                let body = try json(response.body)
                #expect(body["code"] as? String == "invalid_cursor", "a cursor of another order")
            }
        }
    }
}

@Suite struct AuditMiddlewareTests {
    @Test func everyAPIRequestIsAuditedWithItsOwnRecordIDEvenWhenTheClientRepeatsARequestID() async throws {
        let (directory, dependencies, txids, auth) = try await GatewayTests().fixture()
        _ = directory
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(
                    uri: "/api/v1/transactions/btc:\(txids[0])", method: .get, headers: auth + [.init("X-Request-ID")!: "same-id"]
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.init("X-Request-ID")!] == "same-id")
                }
            }
            try await client.execute(uri: "/api/v1/transactions?limit=-1", method: .get, headers: auth) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/health", method: .get, headers: auth) { response in #expect(response.status == .ok) }
        }
        var consumer = try await LogConsumer(log: dependencies.log, group: "audit-test", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .seconds(1)).map { try AuditRecord(protoBytes: $0.value) }
            .filter { $0.action.hasPrefix("http.") }
        #expect(records.count == 3, "two reads and one rejected read; /health is not audited")
        #expect(Set(records.map(\.id)).count == 3)
        #expect(records.filter { $0.requestID == "same-id" }.count == 2)
        #expect(
            records.allSatisfy {
                $0.action.hasPrefix("http.GET /api/v1/transactions") && $0.actor == "test-admin" && $0.details["role"] == "admin"
                    && $0.details["rule"] == "transactions.read" && $0.details["decision"] == "allowed"
            })
        #expect(records.filter { $0.outcome == .failure }.map { $0.details["status"] } == ["400"])
    }

    /// A read whose audit record cannot be written is not answered (fail closed): here the log's audit
    /// partition is stopped by a failed write, as after an fsync error.
    @Test func aReadThatCannotBeAuditedIsRefused() async throws {
        let (directory, dependencies, txids, auth) = try await GatewayTests().fixture()
        let audit = "\(directory.path)/log/topics/audit/0"
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: audit).first { $0.hasSuffix(".log") })
        let disk = FailingDisk(failingWritesTo: "\(audit)/\(segment)")
        defer { disk.heal() }
        let app = Application(router: Gateway.router(dependencies))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/transactions/btc:\(txids[0])", method: .get, headers: auth) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try GatewayTests().json(response.body)
                #expect(body["code"] as? String == "audit_unavailable")
            }
            try await client.execute(uri: "/api/v1/transactions/btc:\(String(repeating: "0", count: 64))", method: .get, headers: auth) {
                response in
                #expect(response.status == .serviceUnavailable, "a not-found answer is not sent unrecorded either")
            }
        }
    }
}
