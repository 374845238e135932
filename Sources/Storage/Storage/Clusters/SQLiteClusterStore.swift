import CSICCore
import GRDB

/// ``ClusterStore`` on the platform's SQLite database.
public struct SQLiteClusterStore: ClusterStore {
    let pool: DatabasePool

    public init(_ store: SQLiteStore) {
        pool = store.pool
    }

    public func apply(_ changes: ClusterChanges) async throws {
        guard !changes.isEmpty else { return }
        try await pool.write { db in
            let node = try db.cachedStatement(
                sql: """
                    INSERT INTO cluster_nodes (id, address, parent, size, next_member) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, size = excluded.size, next_member = excluded.next_member
                    """)
            for changed in changes.nodes {
                try node.execute(arguments: [changed.id, changed.address, changed.parent, changed.size, changed.next])
            }
            let remove = try db.cachedStatement(sql: "DELETE FROM cluster_journal WHERE txid = ?")
            for txid in changes.removed { try remove.execute(arguments: [txid]) }
            let write = try db.cachedStatement(
                sql: """
                    INSERT INTO cluster_journal (txid, inputs, unions) VALUES (?, ?, ?)
                    ON CONFLICT (txid) DO UPDATE SET inputs = excluded.inputs, unions = excluded.unions
                    """)
            for entry in changes.appended + changes.replaced.values {
                try write.execute(arguments: [entry.txid, entry.storedInputs, entry.storedUnions])
            }
        }
    }

    public func load() async throws -> (nodes: [ClusterNode], journal: [ClusterJournalEntry]) {
        try await pool.read { db in
            var nodes: [ClusterNode] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, address, parent, size, next_member FROM cluster_nodes ORDER BY id")
            while let row = try rows.next() {
                nodes.append(ClusterNode(id: row[0], address: row[1], parent: row[2], size: row[3], next: row[4]))
            }
            var journal: [ClusterJournalEntry] = []
            let entries = try Row.fetchCursor(db, sql: "SELECT txid, inputs, unions FROM cluster_journal ORDER BY seq")
            while let row = try entries.next() {
                journal.append(try ClusterJournalEntry(txid: row[0], storedInputs: row[1], storedUnions: row[2]))
            }
            return (nodes, journal)
        }
    }

    public func entity(of address: String) async throws -> (id: Int32, size: Int32)? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: ClusterTables.root { _ in "?" }, arguments: [address]).map { (id: $0[0], size: $0[1]) }
        }
    }

    public func size(ofEntity id: Int32) async throws -> Int32? {
        try await pool.read { db in try Int32.fetchOne(db, sql: ClusterTables.rootSize { _ in "?" }, arguments: [id]) }
    }

    public func addresses(ofEntity id: Int32, limit: Int, cursor: String?) async throws -> Page<String> {
        let from = try ClusterTables.memberCursor(cursor, entity: id)
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: ClusterTables.members { "?\($0)" }, arguments: [id, from, limit]).map {
                (address: $0[0] as String, next: $0[1] as Int64)
            }
        }
        return try await ClusterTables.memberPage(rows, entity: id, limit: limit, cursor: cursor, size: size(ofEntity:))
    }
}
