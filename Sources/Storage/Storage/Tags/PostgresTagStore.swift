import CSICCore
import PostgresNIO

/// ``TagStore`` on PostgreSQL. Imports of the same list take turns (an advisory lock per transaction), so two
/// imports at once get consecutive versions.
public struct PostgresTagStore: TagStore {
    let store: PostgresStore

    public init(_ store: PostgresStore) {
        self.store = store
    }

    public func importList(
        name: String, format: String, sha256: String, importedBy: String, at time: Timestamp, tags: [AddressTag]
    ) async throws -> TagListVersion {
        let logger = store.logger
        let lock = store.feedLock("tag_lists")
        // The store's write transaction: abandoned and reported after its time limit, as every write is.
        return try await store.transaction { connection in
            try await connection.query(lock, logger: logger)
            var version = 1
            for try await newest in try await connection.query("SELECT MAX(version) FROM tag_lists WHERE name = \(name)", logger: logger)
                .decode(Int64?.self)
            {
                version = Int(newest ?? 0) + 1
            }
            let count = Int64(tags.count)
            try await connection.query(
                """
                INSERT INTO tag_lists (name, version, format, imported_at_us, imported_by, sha256, tag_count)
                VALUES (\(name), \(Int64(version)), \(format), \(time.microsecondsSinceEpoch), \(importedBy), \(sha256), \(count))
                """, logger: logger)
            for first in stride(from: 0, to: tags.count, by: 10_000) {
                let batch = tags[first..<min(first + 10_000, tags.count)]
                try await connection.query(
                    """
                    INSERT INTO tags (list, version, chain, address, label, category, source, confidence, actor, defines_entity,
                        valid_from_us, valid_to_us)
                    SELECT \(name), \(Int64(version)), c, a, l, NULLIF(g, ''), s, n, NULLIF(r, ''), d, NULLIF(f, \(Int64.min)),
                        NULLIF(t, \(Int64.min))
                    FROM UNNEST(\(batch.map(\.chain.rawValue)), \(batch.map(\.address)), \(batch.map(\.label)),
                        \(batch.map { $0.category?.rawValue ?? "" }), \(batch.map(\.source)), \(batch.map { Int64($0.confidence) }),
                        \(batch.map { $0.actor ?? "" }), \(batch.map(\.definesEntity)),
                        \(batch.map { $0.validFrom?.microsecondsSinceEpoch ?? Int64.min }),
                        \(batch.map { $0.validTo?.microsecondsSinceEpoch ?? Int64.min })) AS u(c, a, l, g, s, n, r, d, f, t)
                    """, logger: logger)
            }
            return TagListVersion(
                name: name, version: version, format: format, importedAt: time, importedBy: importedBy, sha256: sha256, tagCount: tags.count
            )
        }
    }

    public func tags(chain: Chain, addresses: [String]) async throws -> [String: [ListedTag]] {
        guard !addresses.isEmpty else { return [:] }
        return try await store.read(
            """
            SELECT \(unescaped: TagTables.columns) FROM tags t JOIN (\(unescaped: TagTables.newestVersions)) l
                ON t.list = l.name AND t.version = l.version
            WHERE t.chain = \(chain.rawValue) AND t.address = ANY(\(addresses))
            ORDER BY t.list, t.ctid
            """, Self.collect)
    }

    public func taggedAddresses(chain: Chain, after: String?, limit: Int) async throws -> [String] {
        try await store.rows(
            "SELECT DISTINCT address FROM tags WHERE chain = \(chain.rawValue) AND address > \(after ?? "") ORDER BY address LIMIT \(limit)"
        ) { row in try row[0].decode(String.self) }
    }

    public func lists() async throws -> [TagListVersion] {
        try await store.rows(
            "SELECT name, version, format, imported_at_us, imported_by, sha256, tag_count FROM tag_lists ORDER BY name, version DESC"
        ) {
            row in
            TagListVersion(
                name: try row[0].decode(String.self), version: Int(try row[1].decode(Int64.self)), format: try row[2].decode(String.self),
                importedAt: Timestamp(microsecondsSinceEpoch: try row[3].decode(Int64.self)), importedBy: try row[4].decode(String.self),
                sha256: try row[5].decode(String.self), tagCount: Int(try row[6].decode(Int64.self)))
        }
    }

    /// The tags of `rows` (``TagTables/columns``), by address.
    static func collect(_ rows: PostgresRowSequence) async throws -> [String: [ListedTag]] {
        var found: [String: [ListedTag]] = [:]
        for try await row in rows {
            let listed = try listed(row.makeRandomAccess())
            found[listed.tag.address, default: []].append(listed)
        }
        return found
    }

    static func listed(_ row: PostgresRandomAccessRow) throws -> ListedTag {
        let chainName = try row[2].decode(String.self)
        guard let chain = Chain(rawValue: chainName) else { throw TagStoreError.corrupt("tag of unknown chain \(chainName)") }
        let tag = AddressTag(
            chain: chain, address: try row[3].decode(String.self), label: try row[4].decode(String.self),
            category: try row[5].decode(String?.self).flatMap(TagCategory.init(rawValue:)), source: try row[6].decode(String.self),
            confidence: Int(try row[7].decode(Int64.self)), actor: try row[8].decode(String?.self),
            definesEntity: try row[9].decode(Bool.self),
            validFrom: try row[10].decode(Int64?.self).map(Timestamp.init(microsecondsSinceEpoch:)),
            validTo: try row[11].decode(Int64?.self).map(Timestamp.init(microsecondsSinceEpoch:)))
        return ListedTag(tag: tag, list: try row[0].decode(String.self), version: Int(try row[1].decode(Int64.self)))
    }
}
