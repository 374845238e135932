import CSICCore
import CSICPlatform
import CSICTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A component whose only service fails as it starts, the way an adapter stops on a fork deeper than its
/// checkpoint.
struct FailingComponent: PlatformComponent {
    static let section = "failing"

    init(_ section: ConfigSection) throws {}

    func services(_ context: ComponentContext) throws -> [any Service] { [FailingService()] }
}

struct FailingService: Service {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "the node's chain forked below the checkpoint" }
    }

    func run() async throws { throw Failure() }
}

@Suite struct ContainedServiceTests {
    /// The failure is that component's: /health names it, the other components' services and the process run
    /// on until they are stopped, and `run` ends without the error.
    @Test func aFailingServiceDoesNotStopThePlatform() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try ConfigurationLoader.load(
            values: [
                "data_dir": .init(.string(directory.path), isSecret: false), "roles": .init(.stringArray(["process"]), isSecret: false),
            ],
            components: Platform.standardComponents + [FailingComponent.self, NotesComponent.self])
        let platform = try await Platform.open(configuration, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        try await platform.run(duration: .seconds(3))
        #expect(ContinuousClock.now - started >= .seconds(3), "the platform ran until it was stopped")
        let reported = platform.health.current.filter { $0.hasPrefix("service failing FailingService") }
        #expect(reported.first?.contains("the node's chain forked below the checkpoint") == true, "\(platform.health.current)")
        var stored: [String: Int] = [:]
        for routes in platform.gatewayDependencies.routes { stored.merge(try await routes.storedCounts()) { first, _ in first } }
        #expect(stored["notes"] == 1, "the other component's service ran")
    }
}
