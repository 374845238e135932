/// Exponential backoff, the one used everywhere the platform waits before trying again: the first wait is
/// `initial`, each wait doubles the next up to `maximum`, and `reset()` (after a success) starts over.
///
/// ```swift
/// var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))
/// while true {
///     do { try await connect(); backoff.reset() } catch { try await Task.sleep(for: backoff.next()) }
/// }
/// ```
public struct Backoff: Sendable, Hashable {
    public let initial: Duration
    public let maximum: Duration
    /// The wait `next()` returns.
    public private(set) var current: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        current = initial
    }

    /// The wait to use now; the one after it is twice as long, at most `maximum`.
    public mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    /// Starts again from `initial`.
    public mutating func reset() {
        current = initial
    }
}
