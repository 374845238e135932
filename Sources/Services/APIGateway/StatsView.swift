import CSICCore
import EventLog
import Hummingbird
import Metrics
import Storage

/// `GET /api/v1/stats`: what is stored (each component's tables and the stores' bytes on disk), and per topic
/// what the log holds and how far behind its consumer is.
struct StatsView: ResponseEncodable {
    struct TopicStats: Encodable {
        var records: Int64
        var lag: Int64
        var sizeBytes: Int64
        var partitions: Int
    }

    /// Row counts by table, and `store_bytes`.
    var stored: [String: Int64]
    var log: [String: TopicStats]

    static func collect(_ dependencies: GatewayDependencies) async throws -> StatsView {
        var topics: [String: TopicStats] = [:]
        for topic in try await dependencies.log.topicNames() {
            let partitions = try await dependencies.log.describe(topic: topic)
            // The lag of the group furthest behind on the topic.
            var lag: Int64 = 0
            for (group, read) in dependencies.consumers where read == topic {
                lag = max(lag, try await dependencies.log.lag(group: group, topic: topic).values.reduce(0, +))
            }
            topics[topic] = TopicStats(
                records: partitions.reduce(0) { $0 + $1.endOffset - $1.startOffset },
                lag: lag,
                // -1 when the backend does not report sizes (Kafka).
                sizeBytes: partitions.contains { $0.sizeBytes < 0 } ? -1 : partitions.reduce(0) { $0 + $1.sizeBytes },
                partitions: partitions.count)
        }
        var stored = try await storedCounts(dependencies).mapValues(Int64.init)
        stored["store_bytes"] = try await dependencies.storeBytes()
        return StatsView(stored: stored, log: topics)
    }

    /// Every component's row counts, by table.
    static func storedCounts(_ dependencies: GatewayDependencies) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for routes in dependencies.routes { counts.merge(try await routes.storedCounts()) { _, new in new } }
        return counts
    }
}

/// Updates the gauges that are read on demand (sizes, lag) just before a scrape.
struct MetricsRefresher {
    let dependencies: GatewayDependencies

    init(_ dependencies: GatewayDependencies) {
        self.dependencies = dependencies
    }

    func refresh() async throws {
        let factory = dependencies.metrics
        let log = dependencies.log
        Gauge(label: "csic_store_size_bytes", dimensions: [("store", "platform")], factory: factory)
            .record(try await dependencies.storeBytes())
        for (table, rows) in try await StatsView.storedCounts(dependencies) {
            Gauge(label: "csic_store_rows", dimensions: [("table", table)], factory: factory).record(rows)
        }
        let topics = try await log.topicNames()
        for topic in topics {
            let partitions = try await log.describe(topic: topic)
            Gauge(label: "csic_log_size_bytes", dimensions: [("topic", topic)], factory: factory)
                .record(partitions.reduce(0) { $0 + $1.sizeBytes })
            Gauge(label: "csic_log_records", dimensions: [("topic", topic)], factory: factory)
                .record(partitions.reduce(0) { $0 + $1.endOffset - $1.startOffset })
        }
        for group in try await log.groupNames() {
            for topic in topics {
                let committed = try await log.committedOffsets(group: group, topic: topic)
                guard !committed.isEmpty else { continue }
                let lag = try await log.lag(group: group, topic: topic).values.reduce(0, +)
                Gauge(label: "csic_consumer_lag", dimensions: [("group", group), ("topic", topic)], factory: factory).record(lag)
            }
        }
    }
}

/// Counts requests by route and status and times them.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let factory: any MetricsFactory

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            record(route: route, status: response.status.code, since: started)
            return response
        } catch let error as any HTTPResponseError {
            record(route: route, status: error.status.code, since: started)
            throw error
        } catch {
            record(route: route, status: 500, since: started)
            throw error
        }
    }

    private func record(route: String, status: Int, since started: ContinuousClock.Instant) {
        Counter(label: "csic_http_requests_total", dimensions: [("route", route), ("status", "\(status)")], factory: factory).increment()
        Metrics.Timer(label: "csic_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .record(duration: ContinuousClock.now - started)
    }
}
