import CSICCore
import EventLog
import Hummingbird
import Metrics
import Prometheus
import Storage

/// What the API reads from.
public struct GatewayDependencies: Sendable {
    public var store: any PlatformStore
    public var log: any EventLog
    public var registry: PrometheusCollectorRegistry
    public var metrics: any MetricsFactory
    /// The consumer group whose lag `/api/v1/stats` reports for `transactions`.
    public var transactionGroup: String
    /// The audit trail's directory and checkpoint origin, read by `/api/v1/audit/...`.
    public var auditDirectory: String
    public var auditOrigin: String
    /// The retention periods shown by `/api/v1/retention`.
    public var retention: RecordRetention

    public init(store: any PlatformStore, log: any EventLog, registry: PrometheusCollectorRegistry, metrics: any MetricsFactory, transactionGroup: String,
                auditDirectory: String, auditOrigin: String, retention: RecordRetention = RecordRetention()) {
        self.store = store
        self.log = log
        self.registry = registry
        self.metrics = metrics
        self.transactionGroup = transactionGroup
        self.auditDirectory = auditDirectory
        self.auditOrigin = auditOrigin
        self.retention = retention
    }
}

/// The REST API (Hummingbird 2): `/health`, `/metrics`, `/api/v1/...`.
public enum Gateway {
    /// Builds the router with every route and the request-metrics middleware.
    public static func router(_ dependencies: GatewayDependencies) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: RequestMetricsMiddleware(factory: dependencies.metrics))
        router.add(middleware: AuditMiddleware(log: dependencies.log))
        router.get("/") { _, _ in IndexView.current }
        router.get("/health") { _, _ in HealthView(status: "ok") }
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
        TransactionRoutes(store: dependencies.store).register(on: api)
        AuditRoutes(directory: dependencies.auditDirectory, origin: dependencies.auditOrigin).register(on: api)
        RetentionRoutes(store: dependencies.store, log: dependencies.log, retention: dependencies.retention).register(on: api)
        api.get("dead-letters") { request, _ in
            let page = try await pageOrBadCursor {
                try await dependencies.store.deadLetters(
                    source: try request.textParameter("source"),
                    limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                    cursor: try request.textParameter("cursor"))
            }
            return PageView(items: page.items.map(DeadLetterView.init), nextCursor: page.nextCursor)
        }
        api.get("stats") { _, _ in try await StatsView.collect(dependencies) }
        return router
    }

    /// A Hummingbird application serving the router on `host:port`.
    public static func application(_ dependencies: GatewayDependencies, host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
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

struct HealthView: ResponseEncodable {
    var status: String
}

/// `GET /`: what this server offers, until the admin console is served here.
struct IndexView: ResponseEncodable {
    var name: String
    var endpoints: [String]

    static let current = IndexView(name: "csic", endpoints: [
        "GET /health", "GET /metrics", "GET /api/v1/stats",
        "GET /api/v1/transactions?address=&limit=&cursor=", "GET /api/v1/transactions/{id}",
        "GET /api/v1/dead-letters?source=&limit=&cursor=",
        "GET /api/v1/audit/checkpoint", "GET /api/v1/audit/records/{id}",
        "GET /api/v1/audit/records?actor=&action=&resource=&outcome=&from=&to=&q=&limit=",
        "GET /api/v1/retention", "POST /api/v1/retention/holds", "POST /api/v1/retention/holds/{id}/release",
    ])
}

/// `/api/v1/transactions` and `/api/v1/transactions/{id}`.
struct TransactionRoutes {
    let store: any PlatformStore

    func register(on group: RouterGroup<APIContext>) {
        group.get("transactions/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard id.utf8.count <= 200 else { throw APIError.invalid("id", "id must be at most 200 characters") }
            // Accept the event id (`btc:<txid>`) or a bare txid.
            let candidates = id.contains(":") ? [id] : Chain.allCases.map { "\($0.idPrefix):\(id.lowercased())" }
            for candidate in candidates {
                if let row = try await store.transaction(id: candidate) { return try TransactionView(row) }
            }
            throw APIError.notFound("transaction \(id)")
        }
        group.get("transactions") { request, _ in
            let address = try request.textParameter("address")
            let page = try await pageOrBadCursor {
                try await store.transactions(
                    address: address,
                    limit: try request.boundedInteger("limit", default: 50, range: 1...1000),
                    cursor: try request.textParameter("cursor"))
            }
            // The address index is keyed by a 64-bit hash: keep only rows that really touch the address.
            let items = try page.items.map(TransactionView.init).filter { view in address.map(view.addresses.contains) ?? true }
            return PageView(items: items, nextCursor: page.nextCursor)
        }
    }
}
