import CSICCore
import Foundation
import GRDB

/// The audit trail's search index on SQLite, `audit/index.sqlite`: every entry's fields (actor, action,
/// resource, outcome, time, id) and an FTS5 full-text index of its words (``AuditSearchWords``), keyed by leaf
/// index. See ``AuditSearchIndex``.
public final class AuditIndex: Sendable {
    let queue: DatabaseQueue

    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.readonly = readOnly
        if !readOnly { configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") } }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        guard !readOnly else { return }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-25-audit-index") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries (
                        leaf_index INTEGER PRIMARY KEY, id TEXT NOT NULL, time INTEGER NOT NULL,
                        actor TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, outcome TEXT NOT NULL);
                    CREATE INDEX entries_id ON entries(id);
                    CREATE INDEX entries_actor ON entries(actor, leaf_index);
                    CREATE INDEX entries_action ON entries(action, leaf_index);
                    CREATE INDEX entries_time ON entries(time);
                    CREATE VIRTUAL TABLE entries_text USING fts5(text, content='', tokenize = 'unicode61');
                    """)
        }
        try migrator.migrate(queue)
    }

    /// The number of entries indexed (they are indexed in order, from 0).
    public func count() throws -> UInt64 {
        try queue.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(leaf_index) + 1, 0) FROM entries") ?? 0) }
    }

    /// Indexes entries `first...` (in order).
    public func add(_ records: [AuditRecord], first: UInt64) throws {
        try queue.write { db in
            let entry = try db.cachedStatement(sql: "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)")
            let text = try db.cachedStatement(sql: "INSERT INTO entries_text (rowid, text) VALUES (?, ?)")
            for (offset, record) in records.enumerated() {
                let index = Int64(first) + Int64(offset)
                try entry.execute(arguments: [
                    index, record.id, record.time.microsecondsSinceEpoch, record.actor, record.action, record.resource,
                    record.outcome.rawValue,
                ])
                try text.execute(arguments: [index, AuditSearchWords.of(record).joined(separator: " ")])
            }
        }
    }

    /// The leaf index of the record with `id`.
    public func index(ofRecord id: String) throws -> UInt64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT leaf_index FROM entries WHERE id = ? ORDER BY leaf_index DESC LIMIT 1", arguments: [id])
        }
        .map(UInt64.init)
    }

    /// Up to `limit` leaf indexes in `range` matching `filter`, in `order`.
    public func search(_ filter: AuditFilter, in range: Range<UInt64>, order: AuditOrder, limit: Int) throws -> [UInt64] {
        guard !range.isEmpty else { return [] }
        var conditions = ["leaf_index >= ?", "leaf_index < ?"]
        var arguments: [any DatabaseValueConvertible] = [Int64(clamping: range.lowerBound), Int64(clamping: range.upperBound)]
        if let actor = filter.actor {
            conditions.append("actor = ?")
            arguments.append(actor)
        }
        if let action = filter.action {
            conditions.append("action = ?")
            arguments.append(action)
        }
        if let resource = filter.resource {
            conditions.append("substr(resource, 1, ?) = ?")
            arguments += [resource.count, resource]
        }
        if let outcome = filter.outcome {
            conditions.append("outcome = ?")
            arguments.append(outcome)
        }
        if let from = filter.from {
            conditions.append("time >= ?")
            arguments.append(from.microsecondsSinceEpoch)
        }
        if let to = filter.to {
            conditions.append("time < ?")
            arguments.append(to.microsecondsSinceEpoch)
        }
        if let text = filter.text {
            // The words as one phrase; they are letters and digits only, so nothing in them needs quoting.
            let words = AuditSearchWords.split(text)
            guard !words.isEmpty else { return [] }
            conditions.append("leaf_index IN (SELECT rowid FROM entries_text WHERE entries_text MATCH ?)")
            arguments.append("\"" + words.joined(separator: " ") + "\"")
        }
        arguments.append(limit)
        let direction = order == .newestFirst ? "DESC" : "ASC"
        let sql = "SELECT leaf_index FROM entries WHERE \(conditions.joined(separator: " AND ")) ORDER BY leaf_index \(direction) LIMIT ?"
        return try queue.read { db in try Int64.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(UInt64.init) }
    }
}
