import CSICCore
import EventLog
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Metrics
import Prometheus
import ServiceLifecycle
import Storage

/// What the API serves: the log (for stats and audit records), the metrics registry, and the routes of
/// every component.
public struct GatewayDependencies: Sendable {
    public var log: any EventLog
    public var registry: PrometheusCollectorRegistry
    public var metrics: any MetricsFactory
    /// The routes the components add under `/api/v1`.
    public var routes: [any APIRoutes]
    /// The consumer groups, each with the topic it reads: `/api/v1/stats` reports per topic the lag of the group
    /// furthest behind.
    public var consumers: [String: String]
    /// Bytes the stores occupy on disk.
    public var storeBytes: @Sendable () async throws -> Int64
    /// What the components report as not ok.
    public var health: HealthBoard
    /// Accounts, credentials and tokens: who calls.
    public var access: AccessControl
    /// CORS origins, TLS and the idle timeout.
    public var settings: GatewaySettings
    /// What the live feed (`/api/v1/events`, gRPC `Watch`) reads; without it neither is served.
    public var feed: (any StoredFeed)?
    /// Stored transactions for gRPC's `GetTransaction` and `ListTransactions` (REST has the component's routes).
    public var transactions: (any TransactionStore)?
    /// Audit records with proofs for gRPC's `GetAuditRecord`.
    public var audit: (any AuditQueries)?

    public init(
        log: any EventLog, registry: PrometheusCollectorRegistry, metrics: any MetricsFactory, routes: [any APIRoutes],
        consumers: [String: String], storeBytes: @escaping @Sendable () async throws -> Int64, access: AccessControl,
        settings: GatewaySettings = GatewaySettings(), feed: (any StoredFeed)? = nil, transactions: (any TransactionStore)? = nil,
        audit: (any AuditQueries)? = nil, health: HealthBoard = HealthBoard()
    ) {
        self.feed = feed
        self.transactions = transactions
        self.audit = audit
        self.health = health
        self.access = access
        self.settings = settings
        self.log = log
        self.registry = registry
        self.metrics = metrics
        self.routes = routes
        self.consumers = consumers
        self.storeBytes = storeBytes
    }
}

/// The REST API (Hummingbird 2): `/`, `/health`, `/metrics`, `/api/v1/stats` and the components' routes.
public enum Gateway {
    /// Every route of the gateway: its own, sign-in and accounts, and the components'.
    public static func routes(_ dependencies: GatewayDependencies) -> [APIRoute] {
        routes(dependencies, shared: GatewayShared(dependencies))
    }

    static func routes(_ dependencies: GatewayDependencies, shared: GatewayShared) -> [APIRoute] {
        let own = [
            APIRoute(
                .get, "/health", access: .open("health"), summary: "ok, or damaged (503) naming what does not serve",
                response: .object(["status": .string(values: ["ok", "damaged"]), "damage": .array(.string())], required: ["status"]),
                alsoAnswers: [.serviceUnavailable]
            ) { _, _ in
                let damage = await dependencies.log.damage() + dependencies.health.current
                guard damage.isEmpty else {
                    return EditedResponse(status: .serviceUnavailable, response: HealthView(status: "damaged", damage: damage))
                }
                return EditedResponse(status: .ok, response: HealthView(status: "ok", damage: nil))
            },
            APIRoute(
                .get, "/metrics", access: metricsAccess(dependencies.access.settings.metricsAccess), summary: "Prometheus metrics",
                response: .string(), contentType: "text/plain"
            ) { _, context in
                // A gauge that cannot be refreshed must not hide every other metric.
                do {
                    try await MetricsRefresher(dependencies).refresh()
                } catch {
                    context.logger.warning("metrics refresh failed", metadata: ["error": "\(error)"])
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: dependencies.registry.emitToBuffer())))
            },
            APIRoute(
                .get, "stats", access: .statsRead, summary: "Throughput, lag, stores",
                response: .reference("Stats")
            ) {
                _, _ in try await StatsView.collect(dependencies)
            },
        ]
        let components = dependencies.routes.flatMap(\.routes)
        let accounts = AuthRoutes(access: dependencies.access).routes + UserRoutes(access: dependencies.access).routes
        let all =
            own + accounts + components
            + (shared.events.map { [$0.route] } ?? [])
        func index(_ handler: @escaping @Sendable (Request, APIContext) async throws -> IndexView) -> APIRoute {
            APIRoute(
                .get, "/", access: .open("index"), summary: "Every route and who may call it", response: IndexView.schema, handler: handler)
        }
        func openAPI(_ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) -> APIRoute {
            APIRoute(
                .get, "/openapi.yaml", access: .open("openapi"), summary: "This document", response: .string(),
                contentType: "application/yaml",
                handler: handler)
        }
        let described = [index { _, _ in fatalError("a description only") }, openAPI { _, _ in fatalError("a description only") }] + all
        let listing = IndexView(
            name: "csic", endpoints: described.map(\.name).sorted(),
            routes: described.map(RouteView.init).sorted { ($0.path, $0.method) < ($1.path, $1.method) },
            grpcMethods: GRPCMethod.queryService.map(GRPCMethodView.init))
        let document = ByteBuffer(string: OpenAPIDocument.yaml(described))
        return [
            index { _, _ in listing },
            openAPI { _, _ in
                Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: document))
            },
        ] + all
    }

    static func metricsAccess(_ setting: AuthSettings.MetricsAccess) -> Access {
        switch setting {
        case .open: return .open("metrics.read")
        case .token: return .roles("metrics.read", .admin, .supervisor, .auditor)
        case .loopback:
            var access = Access.roles("metrics.read", .admin, .supervisor, .auditor)
            access.openOnLoopback = true
            return access
        }
    }

    /// Builds the router with every route behind the request-metrics and the access-and-audit middleware.
    public static func router(_ dependencies: GatewayDependencies) -> Router<APIContext> {
        router(dependencies, shared: GatewayShared(dependencies))
    }

    static func router(_ dependencies: GatewayDependencies, shared: GatewayShared) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        let table = RouteTable(routes(dependencies, shared: shared))
        router.add(
            middleware: ResponseHeadersMiddleware(
                corsOrigins: Set(dependencies.settings.corsOrigins), tls: dependencies.settings.tls != nil))
        router.add(middleware: RequestMetricsMiddleware(factory: dependencies.metrics))
        router.add(middleware: InternalErrorMiddleware())
        router.add(
            middleware: AuditMiddleware(
                log: dependencies.log, access: dependencies.access, table: table, limiter: shared.limiter))
        let limit = dependencies.settings.readTimeoutSeconds
        for route in table.routes {
            // A read that takes longer than the limit is answered 503 `timeout` (its audit record says so); a
            // write is never cut short, so that its outcome record tells what happened.
            if route.method == .get {
                router.on(RouterPath(route.path), method: route.method) { request, context in
                    try await withReadLimit(seconds: limit) { try await route.handler(request, context) }
                }
            } else {
                router.on(RouterPath(route.path), method: route.method, use: route.handler)
            }
        }
        return router
    }

    /// The API's services: REST on `host:httpPort` and, when `grpcPort` is given, gRPC on `host:grpcPort`,
    /// sharing their rate limits and live-feed streams. `onServerRunning` and `onGRPCRunning` get the bound ports.
    public static func services(
        _ dependencies: GatewayDependencies, host: String, httpPort: Int, grpcPort: Int?,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onGRPCRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> [any Service] {
        let shared = GatewayShared(dependencies)
        let rest = try application(dependencies, shared: shared, host: host, port: httpPort, onServerRunning: onServerRunning)
        guard let grpcPort else { return [rest] }
        return [rest, GRPCQueryServer(dependencies, shared: shared, host: host, port: grpcPort, onServerRunning: onGRPCRunning)]
    }

    /// A Hummingbird application serving the router on `host:port`, over TLS when configured.
    public static func application(
        _ dependencies: GatewayDependencies, host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try application(dependencies, shared: GatewayShared(dependencies), host: host, port: port, onServerRunning: onServerRunning)
    }

    static func application(
        _ dependencies: GatewayDependencies, shared: GatewayShared, host: String, port: Int,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) throws -> some ApplicationProtocol {
        let http = HTTP1Channel.Configuration(idleTimeout: .seconds(Int64(dependencies.settings.idleTimeoutSeconds)))
        let server: HTTPServerBuilder
        if let tls = dependencies.settings.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(configuration: http), tlsConfiguration: configuration)
        } else {
            server = .http1(configuration: http)
        }
        return Application(
            router: router(dependencies, shared: shared), server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "csic"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
    }
}

/// The answer of `body`, or 503 `timeout` when it takes more than `seconds` (the work is cancelled).
func withReadLimit(seconds: Double, _ body: @escaping @Sendable () async throws -> Response) async throws -> Response {
    try await withThrowingTaskGroup(of: Response.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw APIError(
                .serviceUnavailable, code: "timeout", message: "the answer took longer than \(seconds) s; narrow the query or retry")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

/// What REST and gRPC share while they serve: the rate limits' buckets and the live feed's open streams.
struct GatewayShared: Sendable {
    let limiter: RateLimiter
    let events: EventFeed?

    init(_ dependencies: GatewayDependencies) {
        limiter = RateLimiter(dependencies.access.settings.rateLimits, factory: dependencies.metrics)
        events = dependencies.feed.map { EventFeed(feed: $0, maxSeconds: dependencies.settings.eventStreamSeconds) }
    }
}

/// How the gateway serves: TLS, browser origins allowed cross-origin, idle connections.
public struct GatewaySettings: Sendable {
    public var corsOrigins: [String]
    /// PEM files of the certificate chain and the private key; plain HTTP when `nil`.
    public var tls: (certificate: String, key: String)?
    public var idleTimeoutSeconds: Int
    /// How long one `/api/v1/events` stream lasts before the client reconnects with its last id.
    public var eventStreamSeconds: Double
    /// The longest a read (GET) may take before it is answered 503 `timeout` (the seed's 10 s at most).
    public var readTimeoutSeconds: Double

    public init(
        corsOrigins: [String] = [], tls: (certificate: String, key: String)? = nil, idleTimeoutSeconds: Int = 60,
        eventStreamSeconds: Double = 600, readTimeoutSeconds: Double = 10
    ) {
        self.readTimeoutSeconds = readTimeoutSeconds
        self.corsOrigins = corsOrigins
        self.tls = tls
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.eventStreamSeconds = eventStreamSeconds
    }
}

/// Turns a store's invalid-cursor error into a 400.
func pageOrBadCursor<Item>(_ body: () async throws -> Page<Item>) async throws -> Page<Item> {
    do {
        return try await body()
    } catch let error as StoreError {
        throw APIError(.badRequest, code: "invalid_cursor", message: error.description, field: "cursor")
    }
}

/// `ok`, or `damaged` (with 503) naming what does not serve: monitoring sees it without reading logs.
struct HealthView: ResponseEncodable {
    var status: String
    var damage: [String]?
}
