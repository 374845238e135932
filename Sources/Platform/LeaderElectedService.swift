import CSICCore
import Logging
import Metrics
import ServiceLifecycle
import Storage

/// Services that must run in one process of the platform at a time (the audit engine, the single writer of
/// the WORM segments, and its witness requests): every process that has them waits for the lead
/// (``PostgresLeadership``, an advisory lock on the store's server) and runs them only while it leads. When the
/// leader dies, another process takes over within a second or two; a leader that loses its lock's connection
/// stops them first, then waits for the lead again. `csic_leader{name}` is 1 where they run.
struct LeaderElectedService: Service {
    let name: String
    let leadership: PostgresLeadership
    let services: [any Service]
    let logger: Logger
    let gauge: Gauge

    init(name: String, store: PostgresStore, services: [any Service], metrics: any MetricsFactory, logger: Logger) {
        self.name = name
        leadership = PostgresLeadership(store: store, name: name)
        self.services = services
        self.logger = logger
        gauge = Gauge(label: "csic_leader", dimensions: [("name", name)], factory: metrics)
    }

    func run() async throws {
        let (name, logger, gauge, services) = (self.name, self.logger, self.gauge, self.services)
        gauge.record(0)
        logger.info("waiting for the lead", metadata: ["name": "\(name)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await leadership.whileLeading({ leads in
                        gauge.record(leads ? 1 : 0)
                        logger.notice(leads ? "took the lead" : "gave the lead up", metadata: ["name": "\(name)"])
                    }) {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for service in services { group.addTask { try await service.run() } }
                            try await group.waitForAll()
                        }
                    }
                }
                return
            } catch let error as PostgresLeadershipError {
                logger.error("lost the lead; waiting for it again", metadata: ["name": "\(name)", "error": "\(error)"])
            } catch is CancellationError {
                return
            } catch {
                guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
                // The server cannot be reached to ask for the lead: ask again (the store monitor reports the outage).
                logger.warning("cannot ask for the lead; retrying", metadata: ["name": "\(name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
