import Synchronization

/// Rows read to authenticate a request (an account, an API key), kept for `seconds`: a client sending many
/// requests reads its rows from the store about once per `seconds` rather than once per request. Changes made
/// through ``AccessControl`` clear it at once; changes made by `csic user` in another process are seen within
/// `seconds`. At most `capacity` rows are kept; beyond, all are dropped.
final class RecentRows<Value: Sendable>: Sendable {
    let seconds: Double
    let capacity: Int
    private let rows = Mutex<[String: (value: Value, until: Double)]>([:])

    init(seconds: Double, capacity: Int = 10_000) {
        self.seconds = seconds
        self.capacity = capacity
    }

    /// The row for `key` read at most `seconds` before `now`, else `read(key)`, kept.
    func value(_ key: String, now: Double, read: (String) async throws -> Value) async throws -> Value {
        if let kept = rows.withLock({ $0[key] }), kept.until > now { return kept.value }
        let value = try await read(key)
        rows.withLock { rows in
            if rows.count >= capacity { rows.removeAll() }
            rows[key] = (value, now + seconds)
        }
        return value
    }

    /// Forgets every row: the next request reads its rows again.
    func clear() {
        rows.withLock { $0.removeAll() }
    }
}
