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

@Suite struct GatewayConventionsTests {
    func app(
        _ directory: TemporaryDirectory, _ change: (inout AuthSettings) -> Void = { _ in }
    ) async throws
        -> (some ApplicationProtocol, HTTPFields, any EventLog)
    {
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        var settings = AuthSettings()
        change(&settings)
        let store = try SQLiteStore(path: directory.path + "/store.sqlite")
        let access = try await AccessControl(settings: settings, store: store, log: log, keyDirectory: directory.path + "/keys")
        let registry = PrometheusCollectorRegistry()
        let dependencies = GatewayDependencies(
            log: log, registry: registry, metrics: PrometheusMetricsFactory(registry: registry), routes: [TransactionRoutes(store: store)],
            consumers: [:], storeBytes: { 0 }, access: access, settings: GatewaySettings(corsOrigins: ["https://console.example.org"]))
        return (Application(router: Gateway.router(dependencies)), try await TestAccess.adminHeaders(access), log)
    }

    @Test func corsOnlyForConfiguredOriginsAndSecurityHeadersEverywhere() async throws {
        let directory = try TemporaryDirectory()
        let (app, auth, _) = try await app(directory)
        try await app.test(.router) { client in
            let preflight: HTTPFields = [.origin: "https://console.example.org", .accessControlRequestMethod: "GET"]
            try await client.execute(uri: "/api/v1/transactions", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://console.example.org")
                #expect(response.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
            let foreign: HTTPFields = [.origin: "https://evil.example", .accessControlRequestMethod: "GET"]
            try await client.execute(uri: "/api/v1/transactions", method: .options, headers: foreign) { response in
                #expect(response.status == .forbidden && response.headers[.accessControlAllowOrigin] == nil)
            }
            try await client.execute(uri: "/api/v1/transactions", method: .get, headers: auth + [.origin: "https://console.example.org"]) {
                response in
                #expect(response.status == .ok && response.headers[.accessControlAllowOrigin] == "https://console.example.org")
                #expect(response.headers[.vary] == "Origin")
            }
            try await client.execute(uri: "/api/v1/transactions", method: .get, headers: auth + [.origin: "https://evil.example"]) {
                response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff" && response.headers[.strictTransportSecurity] == nil)
            }
            try await client.execute(uri: "/api/v1/transactions", method: .get) { response in
                #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer realm=\"csic\"")
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
            }
        }
    }

    @Test func aPrincipalOverItsBudgetGets429WithRetryAfter() async throws {
        let directory = try TemporaryDirectory()
        let (app, auth, log) = try await app(directory) { $0.rateLimits[.read] = RateLimit(perPrincipal: 3, perAddress: 1_000) }
        try await app.test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/transactions", method: .get, headers: auth) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/api/v1/transactions", method: .get, headers: auth) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
        }
        var consumer = try await LogConsumer(log: log, group: "t", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .milliseconds(200)).map { try AuditRecord(protoBytes: $0.value) }
        #expect(records.filter { $0.action.hasPrefix("http.") }.count == 3, "a throttled request leaves no permanent audit record")
    }

    /// A read slower than the limit.
    struct SlowRoutes: APIRoutes {
        var routes: [APIRoute] {
            [
                APIRoute(.get, "slow", access: .authenticated("slow"), summary: "slow", response: .string()) { _, _ -> String in
                    try await Task.sleep(for: .seconds(10))
                    return "late"
                }
            ]
        }
    }

    @Test func aReadOverTheTimeLimitIsAnswered503AndAudited() async throws {
        let directory = try TemporaryDirectory()
        let log = try EmbeddedEventLog(directory: directory.path + "/log")
        try await log.createPlatformTopics(partitions: 1)
        let access = try await TestAccess.access(directory: directory.path, log: log)
        let registry = PrometheusCollectorRegistry()
        let dependencies = GatewayDependencies(
            log: log, registry: registry, metrics: PrometheusMetricsFactory(registry: registry), routes: [SlowRoutes()], consumers: [:],
            storeBytes: { 0 }, access: access, settings: GatewaySettings(readTimeoutSeconds: 0.3))
        let auth = try await TestAccess.adminHeaders(access)
        try await Application(router: Gateway.router(dependencies)).test(.router) { client in
            // Timed around the request alone: a loaded machine slows the rest of the test, not the 0.3 s limit.
            let started = ContinuousClock.now
            try await client.execute(uri: "/api/v1/slow", method: .get, headers: auth) { response in
                #expect(response.status == .serviceUnavailable)
                let problem = try GatewayTests().json(response.body)
                #expect(problem["code"] as? String == "timeout")
            }
            #expect(ContinuousClock.now - started < .seconds(5), "answered at the limit, not when the work (10 s) would have ended")
        }
        var consumer = try await LogConsumer(log: log, group: "t", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .milliseconds(200)).map { try AuditRecord(protoBytes: $0.value) }
        #expect(records.contains { $0.action == "http.GET /api/v1/slow" && $0.details["status"] == "503" && $0.outcome == .failure })
    }

    @Test func theAuditRecordKeepsABoundedRedactedTarget() async throws {
        let directory = try TemporaryDirectory()
        let (app, auth, log) = try await app(directory)
        try await app.test(.router) { client in
            let long = String(repeating: "x", count: 60_000)
            try await client.execute(uri: "/api/v1/transactions/\(long)", method: .get, headers: auth) { _ in }
            try await client.execute(uri: "/api/v1/transactions?address=a&access_token=s3cret", method: .get, headers: auth) { _ in }
        }
        var consumer = try await LogConsumer(log: log, group: "t", topics: [Topic.audit.rawValue])
        let records = try await consumer.poll(maxRecords: 100, timeout: .milliseconds(200)).map { try AuditRecord(protoBytes: $0.value) }
            .filter { $0.action.hasPrefix("http.") }
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.resource.utf8.count < 600 })
        #expect(records.last?.details["query"] == "address=a&access_token=<redacted>")
        #expect(!records.contains { $0.details.values.contains { $0.contains("s3cret") } })
    }
}
