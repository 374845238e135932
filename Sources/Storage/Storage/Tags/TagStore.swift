import CSICCore

/// A tag as stored: the attribution and the list version it came from (a finding cites it).
public struct ListedTag: Hashable, Sendable, Codable {
    public var tag: AddressTag
    public var list: String
    public var version: Int

    public init(tag: AddressTag, list: String, version: Int) {
        self.tag = tag
        self.list = list
        self.version = version
    }

    /// `tags` as one version of list `list` in force, by address, as ``TagStore/tags(chain:addresses:)`` gives
    /// them (scenarios and benchmarks that have no store).
    public static func byAddress(_ tags: [AddressTag], list: String, version: Int = 1) -> [String: [ListedTag]] {
        var found: [String: [ListedTag]] = [:]
        for tag in tags { found[tag.address, default: []].append(ListedTag(tag: tag, list: list, version: version)) }
        return found
    }
}

/// Reference data: tag lists (TagPacks, the OFAC SDN list), every imported version kept, the newest version of
/// each list in force. On SQLite and on PostgreSQL (``StoreDatabase/tags``), tables created by ``migration``.
public protocol TagStore: Sendable {
    /// Stores `tags` as the next version of list `name` (1 for a new list) in one transaction, and returns that
    /// version. Earlier versions stay.
    func importList(
        name: String, format: String, sha256: String, importedBy: String, at time: Timestamp, tags: [AddressTag]
    ) async throws -> TagListVersion
    /// The tags in force (each list's newest version) for `addresses` on `chain`, by address.
    func tags(chain: Chain, addresses: [String]) async throws -> [String: [ListedTag]]
    /// The addresses on `chain` that any stored version tags, ascending, the first `limit` after `after` (from the
    /// first when nil): the analysis reads every tag in force a page of addresses at a time.
    func taggedAddresses(chain: Chain, after: String?, limit: Int) async throws -> [String]
    /// Every version of every list, by name, newest version first.
    func lists() async throws -> [TagListVersion]
}

/// The tag store's tables, on both backends.
public enum TagTables {
    /// Created by the transaction analysis component (``StoreMigration``).
    public static let migration = StoreMigration(
        "2026-12-06-tags",
        sqlite: { db in
            try db.execute(
                sql: """
                    CREATE TABLE tag_lists (name TEXT NOT NULL, version INTEGER NOT NULL, format TEXT NOT NULL,
                        imported_at_us INTEGER NOT NULL, imported_by TEXT NOT NULL, sha256 TEXT NOT NULL, tag_count INTEGER NOT NULL,
                        PRIMARY KEY (name, version));
                    CREATE TABLE tags (list TEXT NOT NULL, version INTEGER NOT NULL, chain TEXT NOT NULL, address TEXT NOT NULL,
                        label TEXT NOT NULL, category TEXT, source TEXT NOT NULL, confidence INTEGER NOT NULL, actor TEXT,
                        defines_entity INTEGER NOT NULL, valid_from_us INTEGER, valid_to_us INTEGER);
                    CREATE INDEX tags_address ON tags (chain, address);
                    CREATE INDEX tags_list ON tags (list, version);
                    """)
        },
        postgres: [
            """
            CREATE TABLE tag_lists (name TEXT NOT NULL, version BIGINT NOT NULL, format TEXT NOT NULL,
                imported_at_us BIGINT NOT NULL, imported_by TEXT NOT NULL, sha256 TEXT NOT NULL, tag_count BIGINT NOT NULL,
                PRIMARY KEY (name, version))
            """,
            """
            CREATE TABLE tags (list TEXT NOT NULL, version BIGINT NOT NULL, chain TEXT NOT NULL, address TEXT NOT NULL,
                label TEXT NOT NULL, category TEXT, source TEXT NOT NULL, confidence BIGINT NOT NULL, actor TEXT,
                defines_entity BOOLEAN NOT NULL, valid_from_us BIGINT, valid_to_us BIGINT)
            """,
            "CREATE INDEX tags_address ON tags (chain, address)",
            "CREATE INDEX tags_list ON tags (list, version)",
        ])

    /// Lists with their newest version: the join that keeps only tags in force.
    static let newestVersions = "SELECT name, MAX(version) AS version FROM tag_lists GROUP BY name"

    /// The columns read back, in this order, by both backends.
    static let columns =
        "t.list, t.version, t.chain, t.address, t.label, t.category, t.source, t.confidence, t.actor, t.defines_entity, t.valid_from_us, t.valid_to_us"
}

extension StoreDatabase {
    /// The tag lists on this database.
    public var tags: any TagStore {
        switch self {
        case .sqlite(let store): SQLiteTagStore(store)
        case .postgres(let store): PostgresTagStore(store)
        }
    }
}
