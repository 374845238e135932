import Logging
import PostgresNIO

/// One holder at a time among all processes of a platform: a session-level PostgreSQL advisory lock, held on a
/// pooled connection of its own for as long as the holder leads.
///
/// A process that dies (even by SIGKILL) closes its connection and the server releases the lock at once, so
/// a waiting process takes over within ``retry``. A holder checks its connection every ``check``; when the
/// check fails (the server restarted, the network parted), the holder stops leading before another can start:
/// the work is cancelled and ``whileLeading(_:_:)`` throws ``PostgresLeadershipError/lost(_:)``.
public struct PostgresLeadership: Sendable {
    public let store: PostgresStore
    /// What is led (`audit-trail`, the audit engine's group); the lock key is `hashtext('<schema>.leader.<name>')`.
    public let name: String
    /// How often a process that does not lead asks again.
    public var retry: Duration
    /// How often the leader checks that its lock's connection is alive.
    public var check: Duration

    public init(store: PostgresStore, name: String, retry: Duration = .seconds(1), check: Duration = .seconds(1)) {
        self.store = store
        self.name = name
        self.retry = retry
        self.check = check
    }

    private var key: String { "\(store.settings.schema).leader.\(name)" }

    /// Waits until this process leads, runs `work` while it does, releases the lead when `work` returns.
    /// `leading` is told each change (true when the lead is taken, false when it is given up or lost).
    public func whileLeading(
        _ leading: @escaping @Sendable (Bool) -> Void, _ work: @escaping @Sendable () async throws -> Void
    )
        async throws
    {
        let (key, logger, check) = (self.key, store.logger, self.check)
        while true {
            try Task.checkCancellation()
            let led = try await store.client.withConnection { connection -> Bool in
                let rows = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(key)))", logger: logger)
                var held = false
                for try await value in rows.decode(Bool.self) { held = value }
                guard held else { return false }
                leading(true)
                defer { leading(false) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await work() }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: check)
                            do {
                                _ = try await PostgresDeadline.run(within: .seconds(5)) {
                                    try await connection.query("SELECT 1", logger: logger)
                                }
                            } catch {
                                throw PostgresLeadershipError.lost("\(error)")
                            }
                        }
                    }
                    // The work returning ends the lead; the check failing cancels the work.
                    try await group.next()
                    group.cancelAll()
                }
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
                return true
            }
            if led { return }
            try await Task.sleep(for: retry)
        }
    }
}

/// The lead was lost while its work ran.
public enum PostgresLeadershipError: Error, CustomStringConvertible {
    case lost(String)

    public var description: String {
        switch self {
        case .lost(let reason): "the lead was lost (its lock's connection failed: \(reason))"
        }
    }
}
