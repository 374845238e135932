import CSICCore
import Logging
import ServiceLifecycle

/// A component's service whose failure stays its own: an error it throws (a fork deeper than the adapter's
/// checkpoint, a state file it cannot open) is reported in `/health` under `service <section> <type>` and logged at
/// critical level, and the process — the other sources, engines and the API — runs on until it is stopped.
/// Nothing restarts the failed service: what stopped it needs an operator, and a restart follows the fix.
struct ContainedService: Service {
    let service: any Service
    /// The component's configuration section, which names it in `/health`.
    let section: String
    let health: HealthBoard
    let logger: Logger

    func run() async throws {
        do {
            try await service.run()
        } catch {
            guard !Task.isCancelled, !Task.isShuttingDownGracefully, !(error is CancellationError) else { return }
            let name = "\(type(of: service))"
            health.report("service \(section) \(name)", problems: ["stopped: \(error); the rest of the platform runs on"])
            logger.critical(
                "a service stopped; the rest of the platform runs on; operator action needed",
                metadata: ["component": "\(section)", "service": "\(name)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
