import CSICCore
import EventLog
import Hummingbird
import Metrics
import Prometheus
import Storage

/// What the API serves: the log (for stats and audit records), the metrics registry, and the routes of
/// every component.
public struct GatewayDependencies: Sendable {
    public var log: any EventLog
    public var registry: PrometheusCollectorRegistry
    public var metrics: any MetricsFactory
    /// The routes the components add under `/api/v1`.
    public var routes: [any APIRoutes]
    /// For each topic, the consumer group whose lag `/api/v1/stats` reports.
    public var consumers: [String: String]
    /// Bytes the stores occupy on disk.
    public var storeBytes: @Sendable () async throws -> Int64
    /// What the components report as not ok.
    public var health: HealthBoard

    public init(
        log: any EventLog, registry: PrometheusCollectorRegistry, metrics: any MetricsFactory, routes: [any APIRoutes],
        consumers: [String: String], storeBytes: @escaping @Sendable () async throws -> Int64, health: HealthBoard = HealthBoard()
    ) {
        self.health = health
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
    /// Builds the router with every route and the request-metrics and audit middleware.
    public static func router(_ dependencies: GatewayDependencies) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: RequestMetricsMiddleware(factory: dependencies.metrics))
        router.add(middleware: InternalErrorMiddleware())
        router.add(middleware: AuditMiddleware(log: dependencies.log))
        router.get("/health") { _, _ in
            let damage = await dependencies.log.damage() + dependencies.health.current
            guard damage.isEmpty else {
                return EditedResponse(status: .serviceUnavailable, response: HealthView(status: "damaged", damage: damage))
            }
            return EditedResponse(status: .ok, response: HealthView(status: "ok", damage: nil))
        }
        router.get("/metrics") { _, context in
            // A gauge that cannot be refreshed must not hide every other metric.
            do {
                try await MetricsRefresher(dependencies).refresh()
            } catch {
                context.logger.warning("metrics refresh failed", metadata: ["error": "\(error)"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: dependencies.registry.emitToBuffer())))
        }
        let api = router.group("api/v1")
        api.get("stats") { _, _ in try await StatsView.collect(dependencies) }
        for routes in dependencies.routes { routes.register(on: api) }
        let index = IndexView(name: "csic", endpoints: ["GET /"] + router.routes.map { "\($0.method) \($0.path)" }.sorted())
        router.get("/") { _, _ in index }
        return router
    }

    /// A Hummingbird application serving the router on `host:port`.
    public static func application(
        _ dependencies: GatewayDependencies, host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(dependencies),
            configuration: .init(address: .hostname(host, port: port), serverName: "csic"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) })
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

/// `GET /`: what this server offers, read from the router, until the admin console is served here.
struct IndexView: ResponseEncodable {
    var name: String
    var endpoints: [String]
}
