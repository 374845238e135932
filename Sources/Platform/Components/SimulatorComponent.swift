import CSICCore
import ServiceLifecycle
import Simulation

/// The chain simulator (`simulator:`), a source in the `ingest` role when `enabled` (always in `csic demo`).
public struct SimulatorComponent: PlatformComponent {
    public static let section = "simulator"

    public var enabled: Bool
    /// A fixed seed replays the same chain from 2026-01-01 and keeps a cursor; without one the chain is live.
    public var seed: UInt64?
    /// Produce exactly this many transactions, then idle.
    public var count: Int?
    /// Transactions per second.
    public var rate: Double?

    public init(_ section: ConfigSection) throws {
        enabled = section.bool("enabled", default: false)
        seed = section.int("seed").map { UInt64(bitPattern: Int64($0)) }
        count = section.int("count")
        rate = try section.number("rate", default: 200, in: 0.001...10_000_000)
        if let count, count < 0 { throw section.outOfRange("count", "must not be negative") }
    }

    public var settingsDescription: [String: String] { ["enabled": String(enabled)] }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.ingest), enabled else { return [] }
        return [ChainSimulatorService(settings: simulatorSettings(context), log: context.log, logger: context.logger)]
    }

    func simulatorSettings(_ context: ComponentContext) -> ChainSimulatorSettings {
        if let seed {
            return ChainSimulatorSettings(
                seed: seed, count: count, ratePerSecond: rate, start: Timestamp(secondsSinceEpoch: 1_767_225_600),
                cursorPath: context.directory("simulator/chain-\(seed).cursor"))
        }
        return ChainSimulatorSettings(
            seed: UInt64.random(in: 1...UInt64.max), count: count, ratePerSecond: rate, start: .now(), liveClock: true)
    }
}
