import CSICCore
import GRDB

/// An item with its position in the order the store received it (the table's `seq`): what a live feed
/// resumes from.
public struct Positioned<Item: Sendable>: Sendable {
    public var position: Int64
    public var item: Item

    public init(position: Int64, item: Item) {
        self.position = position
        self.item = item
    }
}

/// What was stored after a position, oldest first, for live feeds (`/api/v1/events`, gRPC `Watch`).
public protocol StoredFeed: Sendable {
    /// Transactions stored after `position` (new rows only; an update keeps its position), at most `limit`.
    func transactions(after position: Int64, limit: Int) async throws -> [Positioned<StoredTransaction>]
    /// Dead letters stored after `position`, at most `limit`.
    func deadLetters(after position: Int64, limit: Int) async throws -> [Positioned<DeadLetter>]
    /// Every alert's changes kept after `position` (the alert history's `seq`), oldest first, at most `limit`.
    func alertChanges(after position: Int64, limit: Int) async throws -> [Positioned<AlertChange>]
    /// The newest positions: where a feed that starts now begins.
    func feedPositions() async throws -> (transactions: Int64, deadLetters: Int64, alertChanges: Int64)
}

extension SQLiteStore {
    public func transactions(after position: Int64, limit: Int) async throws -> [Positioned<StoredTransaction>] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM transactions WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [position, limit]).map {
                Positioned(position: $0["seq"], item: try TransactionRows.decode($0))
            }
        }
    }

    public func deadLetters(after position: Int64, limit: Int) async throws -> [Positioned<DeadLetter>] {
        try await pool.read { db in
            try DeadLetterRecord.fetchAll(
                db, sql: "SELECT * FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [position, limit]
            )
            .map { Positioned(position: $0.seq ?? 0, item: $0.letter) }
        }
    }

    public func feedPositions() async throws -> (transactions: Int64, deadLetters: Int64, alertChanges: Int64) {
        try await pool.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM transactions") ?? 0,
                try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM dead_letters") ?? 0,
                try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM alert_history") ?? 0
            )
        }
    }
}
