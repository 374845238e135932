import CSICCore
import PostgresNIO
import Storage

/// The audit search index in the platform's PostgreSQL store: `audit_entries`, one row per leaf with its fields
/// and a `tsvector` of its words under a GIN index (what the seed sends to OpenSearch). Words are split the way
/// SQLite's FTS5 `unicode61` tokenizer splits them (``AuditSearchWords``) and matched as a phrase, so a search
/// finds the same entries on both backends.
public struct PostgresAuditIndex: AuditSearchIndex {
    let store: PostgresStore

    public init(_ store: PostgresStore) {
        self.store = store
    }

    /// The table, created by the audit trail component's migration (``AuditTrailComponent``) on PostgreSQL;
    /// on SQLite the index is its own file and the migration changes nothing.
    public static let migration = StoreMigration(
        "2026-12-06-audit-entries", sqlite: { _ in },
        postgres: [
            """
            CREATE TABLE audit_entries (
                leaf_index BIGINT PRIMARY KEY, id TEXT NOT NULL, time_us BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                resource TEXT NOT NULL, outcome TEXT NOT NULL, words TSVECTOR NOT NULL)
            """,
            "CREATE INDEX audit_entries_id ON audit_entries (id)",
            "CREATE INDEX audit_entries_actor ON audit_entries (actor, leaf_index)",
            "CREATE INDEX audit_entries_action ON audit_entries (action, leaf_index)",
            "CREATE INDEX audit_entries_time ON audit_entries (time_us)",
            "CREATE INDEX audit_entries_words ON audit_entries USING gin (words)",
        ])

    public func indexedCount() async throws -> UInt64 {
        let count = try await store.rows("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM audit_entries") { try $0[0].decode(Int64.self) }
        return UInt64(count.first ?? 0)
    }

    public func index(_ records: [AuditRecord], first: UInt64) async throws {
        guard !records.isEmpty else { return }
        let leaves = records.indices.map { Int64(first) + Int64($0) }
        let words = records.map { AuditSearchWords.of($0).joined(separator: " ") }
        try await store.execute(
            """
            INSERT INTO audit_entries (leaf_index, id, time_us, actor, action, resource, outcome, words)
            SELECT leaf, id, time_us, actor, action, resource, outcome, to_tsvector('simple', words)
            FROM UNNEST(\(leaves), \(records.map(\.id)), \(records.map(\.time.microsecondsSinceEpoch)), \(records.map(\.actor)),
                \(records.map(\.action)), \(records.map(\.resource)), \(records.map(\.outcome.rawValue)), \(words))
                AS e(leaf, id, time_us, actor, action, resource, outcome, words)
            ON CONFLICT (leaf_index) DO UPDATE SET id = EXCLUDED.id, time_us = EXCLUDED.time_us, actor = EXCLUDED.actor,
                action = EXCLUDED.action, resource = EXCLUDED.resource, outcome = EXCLUDED.outcome, words = EXCLUDED.words
            """)
    }

    public func leafIndex(ofRecord id: String) async throws -> UInt64? {
        try await store.rows("SELECT leaf_index FROM audit_entries WHERE id = \(id) ORDER BY leaf_index DESC LIMIT 1") {
            UInt64(try $0[0].decode(Int64.self))
        }.first
    }

    public func leafIndexes(matching filter: AuditFilter, in range: Range<UInt64>, order: AuditOrder, limit: Int) async throws -> [UInt64] {
        guard !range.isEmpty else { return [] }
        var bindings = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        var conditions = [
            "leaf_index >= \(bind(Int64(clamping: range.lowerBound)))", "leaf_index < \(bind(Int64(clamping: range.upperBound)))",
        ]
        if let actor = filter.actor { conditions.append("actor = \(bind(actor))") }
        if let action = filter.action { conditions.append("action = \(bind(action))") }
        if let resource = filter.resource { conditions.append("starts_with(resource, \(bind(resource)))") }
        if let outcome = filter.outcome { conditions.append("outcome = \(bind(outcome))") }
        if let from = filter.from { conditions.append("time_us >= \(bind(from.microsecondsSinceEpoch))") }
        if let to = filter.to { conditions.append("time_us < \(bind(to.microsecondsSinceEpoch))") }
        if let text = filter.text {
            let words = AuditSearchWords.split(text)
            conditions.append(words.isEmpty ? "FALSE" : "words @@ phraseto_tsquery('simple', \(bind(words.joined(separator: " "))))")
        }
        let direction = order == .newestFirst ? "DESC" : "ASC"
        let sql =
            "SELECT leaf_index FROM audit_entries WHERE \(conditions.joined(separator: " AND ")) ORDER BY leaf_index \(direction) LIMIT \(bind(Int64(limit)))"
        return try await store.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)) { UInt64(try $0[0].decode(Int64.self)) }
    }
}

/// The words of an audit entry that a text search matches, split as SQLite FTS5's `unicode61` tokenizer splits
/// them: runs of letters and digits, lower-cased; everything else separates.
public enum AuditSearchWords {
    /// The words of `record`: its id, actor, action, resource, request id, source address, and every detail's key
    /// and value (keys in order).
    public static func of(_ record: AuditRecord) -> [String] {
        ([record.id, record.actor, record.action, record.resource, record.requestID, record.sourceAddress]
            + record.details.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }).flatMap(split)
    }

    public static func split(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }
}
