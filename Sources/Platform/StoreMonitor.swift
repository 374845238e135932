import CSICCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Watches a store server (PostgreSQL) from the outside: a probe every half second, and the store counted
/// unreachable when no probe has answered for `timeout`, whether the probes fail or hang. An outage is a
/// warning in the log, `csic_store_up{backend} 0` and one more `csic_store_unreachable_total{backend}` in
/// `/metrics`, and a problem on `/health` until the store answers again. The engines need none of this to
/// recover (they retry their batch); it is for the operators.
struct StoreMonitor: Service {
    let backend: String
    let probe: @Sendable () async throws -> Void
    let health: HealthBoard
    let metrics: any MetricsFactory
    let logger: Logger
    var interval: Duration = .milliseconds(500)
    var timeout: Duration = .seconds(2)

    /// What the probes have seen so far.
    private struct State {
        var lastAnswer = ContinuousClock.now
        var probing = false
        var lastError: String?
    }

    /// The state shared with the probe tasks.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    func run() async throws {
        let shared = Shared()
        let up = Gauge(label: "csic_store_up", dimensions: [("backend", backend)], factory: metrics)
        let outages = Counter(label: "csic_store_unreachable_total", dimensions: [("backend", backend)], factory: metrics)
        up.record(1)
        try? await cancelWhenGracefulShutdown {
            var reachable = true
            var since = ContinuousClock.now
            while !Task.isCancelled {
                let start = shared.state.withLock { state in
                    defer { state.probing = true }
                    return !state.probing
                }
                if start {
                    Task.detached { [probe] in
                        do {
                            try await probe()
                            shared.state.withLock { $0 = State(lastAnswer: .now, probing: false, lastError: nil) }
                        } catch {
                            shared.state.withLock { state in
                                state.probing = false
                                state.lastError = "\(error)"
                            }
                        }
                    }
                }
                try await Task.sleep(for: interval)
                let (lastAnswer, lastError) = shared.state.withLock { ($0.lastAnswer, $0.lastError) }
                let answering = ContinuousClock.now - lastAnswer < timeout
                if answering != reachable {
                    reachable = answering
                    up.record(answering ? 1 : 0)
                    if answering {
                        logger.notice(
                            "store reachable again", metadata: ["backend": "\(backend)", "after": "\(ContinuousClock.now - since)"])
                        health.report("store \(backend)", problems: [])
                    } else {
                        outages.increment()
                        since = lastAnswer
                        let reason = lastError ?? "no answer in \(timeout)"
                        logger.warning(
                            "store unreachable; engines retry their batches", metadata: ["backend": "\(backend)", "error": "\(reason)"])
                        health.report("store \(backend)", problems: ["unreachable: \(reason)"])
                    }
                }
            }
        }
    }
}
