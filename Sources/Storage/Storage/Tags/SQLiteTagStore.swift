import CSICCore
import GRDB

/// ``TagStore`` on the platform's SQLite database.
public struct SQLiteTagStore: TagStore {
    let pool: DatabasePool

    public init(_ store: SQLiteStore) {
        pool = store.pool
    }

    public func importList(
        name: String, format: String, sha256: String, importedBy: String, at time: Timestamp, tags: [AddressTag]
    ) async throws -> TagListVersion {
        try await pool.write { db in
            let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM tag_lists WHERE name = ?", arguments: [name]) ?? 0) + 1
            let list = TagListVersion(
                name: name, version: version, format: format, importedAt: time, importedBy: importedBy, sha256: sha256, tagCount: tags.count
            )
            try db.execute(
                sql:
                    "INSERT INTO tag_lists (name, version, format, imported_at_us, imported_by, sha256, tag_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [name, version, format, time.microsecondsSinceEpoch, importedBy, sha256, tags.count])
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO tags (list, version, chain, address, label, category, source, confidence, actor, defines_entity,
                        valid_from_us, valid_to_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for tag in tags {
                try insert.execute(arguments: [
                    name, version, tag.chain.rawValue, tag.address, tag.label, tag.category?.rawValue, tag.source, tag.confidence,
                    tag.actor, tag.definesEntity, tag.validFrom?.microsecondsSinceEpoch, tag.validTo?.microsecondsSinceEpoch,
                ])
            }
            return list
        }
    }

    public func tags(chain: Chain, addresses: [String]) async throws -> [String: [ListedTag]] {
        guard !addresses.isEmpty else { return [:] }
        return try await pool.read { db in
            var found: [String: [ListedTag]] = [:]
            for slice in stride(from: 0, to: addresses.count, by: 500) {
                let batch = Array(addresses[slice..<min(slice + 500, addresses.count)])
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT \(TagTables.columns) FROM tags t JOIN (\(TagTables.newestVersions)) l ON t.list = l.name AND t.version = l.version
                        WHERE t.chain = ? AND t.address IN (\(databaseQuestionMarks(count: batch.count)))
                        ORDER BY t.list, t.rowid
                        """, arguments: StatementArguments([chain.rawValue] + batch))
                try Self.collect(rows, into: &found)
            }
            return found
        }
    }

    public func taggedAddresses(chain: Chain, after: String?, limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT DISTINCT address FROM tags WHERE chain = ? AND address > ? ORDER BY address LIMIT ?",
                arguments: [chain.rawValue, after ?? "", limit])
        }
    }

    public func lists() async throws -> [TagListVersion] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT name, version, format, imported_at_us, imported_by, sha256, tag_count FROM tag_lists ORDER BY name, version DESC"
            ).map { row in
                TagListVersion(
                    name: row["name"], version: row["version"], format: row["format"],
                    importedAt: Timestamp(microsecondsSinceEpoch: row["imported_at_us"]), importedBy: row["imported_by"],
                    sha256: row["sha256"], tagCount: row["tag_count"])
            }
        }
    }

    /// Adds the tags of `rows` (``TagTables/columns``) to `found`, by address.
    static func collect(_ rows: RowCursor, into found: inout [String: [ListedTag]]) throws {
        while let row = try rows.next() {
            let listed = try listed(row)
            found[listed.tag.address, default: []].append(listed)
        }
    }

    static func listed(_ row: Row) throws -> ListedTag {
        let chainName: String = row[2]
        guard let chain = Chain(rawValue: chainName) else { throw TagStoreError.corrupt("tag of unknown chain \(chainName)") }
        let category: String? = row[5]
        let validFrom: Int64? = row[10]
        let validTo: Int64? = row[11]
        let tag = AddressTag(
            chain: chain, address: row[3], label: row[4], category: category.flatMap(TagCategory.init(rawValue:)), source: row[6],
            confidence: row[7], actor: row[8], definesEntity: row[9], validFrom: validFrom.map(Timestamp.init(microsecondsSinceEpoch:)),
            validTo: validTo.map(Timestamp.init(microsecondsSinceEpoch:)))
        return ListedTag(tag: tag, list: row[0], version: row[1])
    }
}

/// A stored tag that cannot be read back.
public enum TagStoreError: Error, CustomStringConvertible {
    case corrupt(String)

    public var description: String {
        switch self {
        case .corrupt(let what): "tag store: \(what)"
        }
    }
}
