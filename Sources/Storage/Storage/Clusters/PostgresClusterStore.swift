import CSICCore
import PostgresNIO

/// ``ClusterStore`` on PostgreSQL: each batch's changes in one write transaction, nodes and journal entries
/// written as `UNNEST` batches.
public struct PostgresClusterStore: ClusterStore {
    let store: PostgresStore

    public init(_ store: PostgresStore) {
        self.store = store
    }

    public func apply(_ changes: ClusterChanges) async throws {
        guard !changes.isEmpty else { return }
        let logger = store.logger
        try await store.transaction { connection in
            for first in stride(from: 0, to: changes.nodes.count, by: 10_000) {
                let nodes = changes.nodes[first..<min(first + 10_000, changes.nodes.count)]
                try await connection.query(
                    """
                    INSERT INTO cluster_nodes (id, address, parent, size, next_member)
                    SELECT * FROM UNNEST(\(nodes.map { Int64($0.id) }), \(nodes.map(\.address)), \(nodes.map { Int64($0.parent) }),
                        \(nodes.map { Int64($0.size) }), \(nodes.map { Int64($0.next) }))
                    ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, size = excluded.size, next_member = excluded.next_member
                    """, logger: logger)
            }
            if !changes.removed.isEmpty {
                try await connection.query("DELETE FROM cluster_journal WHERE txid = ANY(\(Array(changes.removed)))", logger: logger)
            }
            let entries = changes.appended + changes.replaced.values
            for first in stride(from: 0, to: entries.count, by: 10_000) {
                let batch = entries[first..<min(first + 10_000, entries.count)]
                try await connection.query(
                    """
                    INSERT INTO cluster_journal (txid, inputs, unions)
                    SELECT txid, inputs, unions
                    FROM UNNEST(\(batch.map(\.txid)), \(batch.map(\.storedInputs)), \(batch.map(\.storedUnions))) WITH ORDINALITY
                        AS u(txid, inputs, unions, position) ORDER BY position
                    ON CONFLICT (txid) DO UPDATE SET inputs = excluded.inputs, unions = excluded.unions
                    """, logger: logger)
            }
        }
    }

    public func load() async throws -> (nodes: [ClusterNode], journal: [ClusterJournalEntry]) {
        let nodes = try await store.rows("SELECT id, address, parent, size, next_member FROM cluster_nodes ORDER BY id") { row in
            ClusterNode(
                id: Int32(try row[0].decode(Int64.self)), address: try row[1].decode(String.self),
                parent: Int32(try row[2].decode(Int64.self)), size: Int32(try row[3].decode(Int64.self)),
                next: Int32(try row[4].decode(Int64.self)))
        }
        let journal = try await store.rows("SELECT txid, inputs, unions FROM cluster_journal ORDER BY seq") { row in
            try ClusterJournalEntry(
                txid: try row[0].decode(String.self), storedInputs: try row[1].decode(String.self),
                storedUnions: try row[2].decode(String.self))
        }
        return (nodes, journal)
    }

    public func entity(of address: String) async throws -> (id: Int32, size: Int32)? {
        let rows = try await store.rows(PostgresQuery(unsafeSQL: ClusterTables.root { "$\($0)" }, binds: PostgresBindings(address))) {
            row in
            (id: Int32(try row[0].decode(Int64.self)), size: Int32(try row[1].decode(Int64.self)))
        }
        return rows.first
    }

    public func size(ofEntity id: Int32) async throws -> Int32? {
        let rows = try await store.rows(PostgresQuery(unsafeSQL: ClusterTables.rootSize { "$\($0)" }, binds: PostgresBindings(Int64(id)))) {
            row in Int32(try row[0].decode(Int64.self))
        }
        return rows.first
    }

    public func addresses(ofEntity id: Int32, limit: Int, cursor: String?) async throws -> Page<String> {
        let from = try ClusterTables.memberCursor(cursor, entity: id)
        let query = PostgresQuery(unsafeSQL: ClusterTables.members { "$\($0)" }, binds: PostgresBindings(Int64(id), from, Int64(limit)))
        let rows = try await store.rows(query) { row in (address: try row[0].decode(String.self), next: try row[1].decode(Int64.self)) }
        return try await ClusterTables.memberPage(rows, entity: id, limit: limit, cursor: cursor, size: size(ofEntity:))
    }
}
