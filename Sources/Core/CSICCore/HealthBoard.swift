import Synchronization

/// Problems the platform's parts report while they run — a witness that refused the audit log's checkpoint,
/// say — for `/health` (which answers 503 while any is listed). Each source replaces its own list.
public final class HealthBoard: Sendable {
    private let problems = Mutex<[String: [String]]>([:])

    public init() {}

    /// Sets `source`'s problems (an empty list clears them).
    public func report(_ source: String, problems list: [String]) {
        problems.withLock { $0[source] = list.isEmpty ? nil : list }
    }

    /// Every problem, by source name.
    public var current: [String] {
        problems.withLock { problems in problems.keys.sorted().flatMap { source in problems[source]!.map { "\(source): \($0)" } } }
    }
}
