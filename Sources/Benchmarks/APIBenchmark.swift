import APIGateway
import AsyncHTTPClient
import CSICCore
import CSICPlatform
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Storage

/// `csic bench api`: authenticated HTTP load on loopback against the real gateway over a large store, p99
/// per query class, and the cost of checking tokens.
///
/// The platform's own gateway (routes, access-and-audit middleware: every request is authenticated and
/// durably audited) serves a store filled to `transactions` by ``APIStoreFill``. A load generator of its own
/// (AsyncHTTPClient, `connections` keep-alive connections, each sending its next request when the last is
/// answered, or with `rate` an open loop offering that many requests per second) drives each class for
/// `seconds`:
/// - `by_id`: `GET /api/v1/transactions/{id}` of transactions sampled across the store;
/// - `address_page`: `GET /api/v1/transactions?address=&limit=50` of sampled addresses;
/// - `filtered_sorted`: chain, a `window_hours` time range at a sampled time, an amount range, largest first.
/// Then `auth_overhead` (closed loop always): the same by-id load against the same gateway with and without credentials (a copy of
/// the routes whose rule admits anyone), alternating three times; the figure is the mean rate with tokens
/// over the mean without.
public enum APIBenchmark {
    public struct Options: Sendable {
        public var transactions: Int
        public var connections: Int
        public var seconds: Double
        public var windowHours: Double
        /// Requests per second offered to each query class (open loop); `nil`: as fast as answered.
        public var rate: Double?

        public init(transactions: Int, connections: Int, seconds: Double, windowHours: Double, rate: Double? = nil) {
            self.transactions = transactions
            self.connections = connections
            self.seconds = seconds
            self.windowHours = windowHours
            self.rate = rate
        }
    }

    public static func run(
        _ platform: Platform, options: Options, progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchmarkResult] {
        let started = ContinuousClock.now
        try await APIStoreFill.fill(platform.store, to: options.transactions) { stored in
            if stored % 500_000 < 16_384 { progress("stored \(stored) transactions (\(ContinuousClock.now - started))") }
        }
        let stored = try await platform.store.transactionCount()
        let origin = ChangeOrigin(actor: "operator:bench", sourceAddress: "local")
        let password = "api benchmark administrator"
        try await platform.access.ensureAdmin("bench-admin", password: password, by: origin)
        let grant = try await platform.access.signIn(username: "bench-admin", password: password, totp: nil, source: "bench", requestID: "")
        var authenticated = HTTPHeaders()
        authenticated.add(name: "Authorization", value: "Bearer \(grant.accessToken)")

        let dependencies = platform.gatewayDependencies
        var open = dependencies
        open.routes = dependencies.routes.map { OpenRoutes(wrapped: $0) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let servers = ServiceGroup(
            services: [
                try Gateway.application(dependencies, host: "127.0.0.1", port: 0) { continuation.yield($0) },
                try Gateway.application(open, host: "127.0.0.1", port: 0) { continuation.yield($0) },
            ], logger: Logger(label: "bench"))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let results = try await measure(platform, client, servers, ports, authenticated, stored, options, progress)
            try await client.shutdown()
            return results
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func measure(
        _ platform: Platform, _ client: HTTPClient, _ servers: ServiceGroup, _ ports: AsyncStream<Int>, _ authenticated: HTTPHeaders,
        _ stored: Int, _ options: Options, _ progress: @escaping @Sendable (String) -> Void
    ) async throws -> [BenchmarkResult] {
        try await withThrowingTaskGroup { tasks in
            tasks.addTask { try await servers.run() }
            var iterator = ports.makeAsyncIterator()
            guard let first = await iterator.next(), let second = await iterator.next() else { throw CancellationError() }
            // Which port is which: the open copy answers a transaction route (one it wraps) without a credential.
            let probe = try await LoadGenerator.status(client, "http://127.0.0.1:\(first)/api/v1/transactions?limit=1", HTTPHeaders())
            let (securePort, openPort) = probe == 200 ? (second, first) : (first, second)
            let load = LoadGenerator(client: client, connections: options.connections)
            let offered = LoadGenerator(client: client, connections: options.connections, rate: options.rate)
            let sample = try await Sample.take(load, port: securePort, headers: authenticated, stored: stored)
            progress("sampled \(sample.ids.count) transactions and \(sample.addresses.count) addresses")
            let window = Int64(options.windowHours * 3_600_000_000)
            let classes: [(String, String, @Sendable (inout SystemRandomNumberGenerator) -> String)] = [
                ("by_id", "GET /api/v1/transactions/{id}", { sample.ids.randomElement(using: &$0)! }),
                (
                    "address_page", "GET /api/v1/transactions?address=&limit=50",
                    { "?address=\(sample.addresses.randomElement(using: &$0)!)&limit=50" }
                ),
                (
                    "filtered_sorted",
                    "GET /api/v1/transactions?chain=bitcoin&from=&to=&min_amount=100000&max_amount=10000000000&sort=-amount&limit=50",
                    { generator in
                        let from = Int64.random(in: sample.earliest...max(sample.earliest, sample.latest - window), using: &generator)
                        let range = "from=\(Sample.rfc3339(from))&to=\(Sample.rfc3339(from + window))"
                        return "?chain=bitcoin&\(range)&min_amount=100000&max_amount=10000000000&sort=-amount&limit=50"
                    }
                ),
            ]
            var results: [BenchmarkResult] = []
            let parameters = [
                "transactions_stored": "\(stored)", "connections": "\(options.connections)", "window_hours": "\(options.windowHours)",
                "credential": "EdDSA access token", "audited": "every request, durably, before its answer",
                "load": options.rate.map { "open loop, \($0) requests/s offered, latency from when each was due" }
                    ?? "closed loop: each connection sends when answered",
            ]
            for (name, shape, path) in classes {
                let run = try await offered.drive(
                    seconds: options.seconds, headers: authenticated,
                    url: { "http://127.0.0.1:\(securePort)/api/v1/transactions" + (name == "by_id" ? "/" : "") + path(&$0) })
                progress("\(name): \(run.requests) requests, \(run.failures) failed \(run.failedStatuses)")
                var result = BenchmarkResult(
                    name: "api.\(name)", records: run.requests, duration: run.duration, latency: run.latency,
                    parameters: parameters.merging(["request": shape, "failed_requests": "\(run.failures)"]) { $1 })
                result.figures["failed_requests"] = Double(run.failures)
                results.append(result)
            }
            results.append(try await authOverhead(load, sample, securePort, openPort, authenticated, options, parameters, progress))
            await servers.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return results
        }
    }

    /// By-id requests per second with a token against the same route without one, alternating three times.
    private static func authOverhead(
        _ load: LoadGenerator, _ sample: Sample, _ securePort: Int, _ openPort: Int, _ authenticated: HTTPHeaders, _ options: Options,
        _ parameters: [String: String], _ progress: @escaping @Sendable (String) -> Void
    ) async throws -> BenchmarkResult {
        var withAuth: [Double] = []
        var without: [Double] = []
        var latency = LatencyHistogram()
        var requests = 0
        var failures = 0
        var duration = Duration.zero
        for _ in 0..<3 {
            let secured = try await load.drive(seconds: options.seconds / 2, headers: authenticated) {
                "http://127.0.0.1:\(securePort)/api/v1/transactions/\(sample.ids.randomElement(using: &$0)!)"
            }
            let unsecured = try await load.drive(seconds: options.seconds / 2, headers: HTTPHeaders()) {
                "http://127.0.0.1:\(openPort)/api/v1/transactions/\(sample.ids.randomElement(using: &$0)!)"
            }
            withAuth.append(secured.rate)
            without.append(unsecured.rate)
            latency.merge(secured.latency)
            requests += secured.requests
            failures += secured.failures + unsecured.failures
            if secured.failures + unsecured.failures > 0 {
                progress("auth_overhead: failed with a token \(secured.failedStatuses), without \(unsecured.failedStatuses)")
            }
            duration += secured.duration
        }
        let ratio = withAuth.reduce(0, +) / max(1, without.reduce(0, +))
        var result = BenchmarkResult(
            name: "api.auth_overhead", records: requests, duration: duration, latency: latency,
            parameters: parameters.merging([
                "request": "GET /api/v1/transactions/{id}, with a token vs. the same route admitting anyone",
                "load": "closed loop: each connection sends when answered",
                "with_token_per_s": withAuth.map { String(format: "%.0f", $0) }.joined(separator: ","),
                "without_token_per_s": without.map { String(format: "%.0f", $0) }.joined(separator: ","),
            ]) { $1 })
        result.figures["auth_to_open_throughput_ratio"] = (ratio * 1000).rounded() / 1000
        result.figures["failed_requests"] = Double(failures)
        return result
    }
}

/// A component's routes with every rule replaced by one that admits anyone: the same handlers, for measuring
/// what checking credentials costs.
struct OpenRoutes: APIRoutes {
    let wrapped: any APIRoutes

    var routes: [APIRoute] {
        wrapped.routes.map { route in
            var open = route
            open.access = .open(route.access.rule)
            return open
        }
    }

    func storedCounts() async throws -> [String: Int] { try await wrapped.storedCounts() }
}
