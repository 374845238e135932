import CSICCore
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import CSICPlatform

/// The store monitor's view of a server that answers, then hangs (a restart in progress), then answers again.
@Suite struct StoreMonitorTests {
    /// How the probe behaves: answers, fails, or hangs until told otherwise.
    final class Server: Sendable {
        enum Mode { case answering, failing, hanging }
        let mode = Mutex(Mode.answering)

        func probe() async throws {
            while mode.withLock({ $0 }) == .hanging { try await Task.sleep(for: .milliseconds(10)) }
            if mode.withLock({ $0 }) == .failing { throw CancellationError() }
        }
    }

    func wait(until condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func anOutageIsReportedOnceWhileItLastsAndClearedWhenTheServerAnswers() async throws {
        let server = Server()
        let health = HealthBoard()
        let registry = PrometheusCollectorRegistry()
        let metrics = Platform.metricsFactory(registry, help: PlatformMetrics.help)
        let monitor = StoreMonitor(
            backend: "postgres", probe: { try await server.probe() }, health: health, metrics: metrics, logger: Logger(label: "test"),
            interval: .milliseconds(50), timeout: .milliseconds(300))
        func exposition() -> String {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let running = Task { try await monitor.run() }
        try await Task.sleep(for: .milliseconds(400))
        #expect(health.current.isEmpty)
        #expect(exposition().contains(#"csic_store_up{backend="postgres"} 1"#))
        for mode in [Server.Mode.hanging, .failing] {
            server.mode.withLock { $0 = mode }
            try await wait { !health.current.isEmpty }
            #expect(health.current.first?.hasPrefix("store postgres: unreachable") == true, "\(mode): \(health.current)")
            #expect(exposition().contains(#"csic_store_up{backend="postgres"} 0"#), "\(mode)")
            try await Task.sleep(for: .milliseconds(300))
            server.mode.withLock { $0 = .answering }
            try await wait { health.current.isEmpty }
            #expect(health.current.isEmpty, "\(mode): cleared once the server answers")
            #expect(exposition().contains(#"csic_store_up{backend="postgres"} 1"#), "\(mode)")
        }
        #expect(exposition().contains(#"csic_store_unreachable_total{backend="postgres"} 2"#), "one per outage: \(exposition())")
        running.cancel()
    }
}
