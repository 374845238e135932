import Synchronization

/// A limit on how long one call to the server may take. A query in flight when the server dies does not
/// always fail (seen in CI: a batch's transaction waited forever on a connection of a crashed server, and the
/// engine with it); past the limit the call fails with ``PostgresStoreError/timedOut(_:)``, the engine
/// retries the batch on a new connection, and the abandoned call is cancelled.
enum PostgresDeadline {
    /// Whether the caller has been answered (by the work or by the limit), once.
    private final class Answered: Sendable {
        let flag = Atomic<Bool>(false)
        func claim() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
    }

    static func run<Result: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result
    {
        let answered = Answered()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let worker = Task {
                let outcome = await Task { try await work() }.result
                if answered.claim() { continuation.resume(with: outcome) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if answered.claim() {
                    worker.cancel()
                    continuation.resume(throwing: PostgresStoreError.timedOut(limit))
                }
            }
        }
    }
}
