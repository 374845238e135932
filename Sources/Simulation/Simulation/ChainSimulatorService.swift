import DurableFiles
import CSICCore
import CSICProtos
import EventLog
import Logging
import ServiceLifecycle

/// How the chain simulator runs.
public struct ChainSimulatorSettings: Sendable, Hashable {
    public var seed: UInt64
    /// Stop producing after exactly this many transactions (then idle); `nil` runs until shutdown.
    public var count: Int?
    /// Transactions per second; `nil` for as fast as the log accepts.
    public var ratePerSecond: Double?
    public var batchSize: Int
    /// The time of the first simulated block.
    public var start: Timestamp
    /// Where progress is kept so a restart continues without gaps; `nil` keeps none.
    public var cursorPath: String?
    public var transactionsPerBlock: Int
    /// Stamp blocks with the wall clock (a live demo) rather than simulated time from `start`.
    public var liveClock: Bool

    public init(
        seed: UInt64, count: Int? = nil, ratePerSecond: Double? = nil, batchSize: Int = 1_000, start: Timestamp, cursorPath: String? = nil,
        transactionsPerBlock: Int = 2_500, liveClock: Bool = false
    ) {
        self.liveClock = liveClock
        self.seed = seed
        self.count = count
        self.ratePerSecond = ratePerSecond
        self.batchSize = batchSize
        self.start = start
        self.cursorPath = cursorPath
        self.transactionsPerBlock = transactionsPerBlock
    }
}

/// Publishes the ``ChainSimulator``'s events to the `transactions` topic as a long-running service.
///
/// After each durable append it records how many events it has published; on restart it regenerates the
/// same sequence up to that point and continues, so with a fixed seed and count the log receives every
/// one of the N transactions (a crash between append and cursor write republishes a batch, which the
/// idempotent store absorbs).
public struct ChainSimulatorService: Service {
    private let settings: ChainSimulatorSettings
    private let log: any EventLog
    private let logger: Logger

    public init(settings: ChainSimulatorSettings, log: any EventLog, logger: Logger = Logger(label: "csic.simulator")) {
        self.settings = settings
        self.log = log
        self.logger = logger
    }

    public func run() async throws {
        var simulator = ChainSimulator(
            seed: settings.seed, start: settings.start, transactionsPerBlock: settings.transactionsPerBlock, liveClock: settings.liveClock)
        var published = try readCursor()
        for _ in 0..<published { _ = simulator.next() }
        if published > 0 {
            logger.info("simulator resumed", metadata: ["events": "\(published)", "transactions": "\(simulator.emittedTransactions)"])
        }
        let clock = ContinuousClock()
        let started = clock.now
        let startTransactions = simulator.emittedTransactions
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if let count = settings.count, simulator.emittedTransactions >= count { break }
            var records: [ProducerRecord] = []
            records.reserveCapacity(settings.batchSize)
            let batchLimit = settings.ratePerSecond.map { max(1, min(settings.batchSize, Int($0 / 10))) } ?? settings.batchSize
            while records.count < batchLimit {
                if let count = settings.count, simulator.emittedTransactions >= count { break }
                let event = simulator.next()
                records.append(ProducerRecord(key: event.recordKey, value: event.serializedProto()))
            }
            // The log may refuse the batch (a damaged partition, a full disk): the same batch is offered again
            // after a backoff, so the seeded sequence and its cursor stay exact; the process goes on.
            var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))
            while true {
                do {
                    try await log.append(.transactions, records: records)
                    break
                } catch {
                    guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
                    let delay = backoff.next()
                    logger.error("simulator append failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                }
            }
            published += records.count
            try await writeCursor(published)
            if let rate = settings.ratePerSecond {
                let due = started.advanced(by: .seconds(Double(simulator.emittedTransactions - startTransactions) / rate))
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
            }
        }
        if let count = settings.count, simulator.emittedTransactions >= count {
            logger.info("simulator produced all transactions; idling", metadata: ["count": "\(count)"])
            try? await gracefulShutdown()
        }
    }

    private func readCursor() throws -> Int {
        guard let path = settings.cursorPath, let bytes = try DurableFile.read(path) else { return 0 }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard fields.count == 2, UInt64(fields[0]) == settings.seed, let events = Int(fields[1]) else {
            throw SimulatorError.cursorMismatch(path: path, content: String(decoding: bytes, as: UTF8.self))
        }
        return events
    }

    private func writeCursor(_ events: Int) async throws {
        guard let path = settings.cursorPath else { return }
        let bytes = Array("\(settings.seed) \(events)".utf8)
        try await BlockingIO.run { try DurableFile.write(bytes, to: path) }
    }
}

/// Errors of the simulators.
public enum SimulatorError: Error, CustomStringConvertible {
    /// The cursor file belongs to another seed or is unreadable.
    case cursorMismatch(path: String, content: String)

    public var description: String {
        switch self {
        case .cursorMismatch(let path, let content): "simulator cursor \(path) holds '\(content)', not this seed's progress"
        }
    }
}
