import CSICCore

/// One address of the clustering as stored: its id, its parent in the disjoint-set forest, the size of its
/// set (meaningful at roots) and the next id in its set's circular list of members.
public struct ClusterNode: Sendable, Hashable {
    public var id: Int32
    public var address: String
    public var parent: Int32
    public var size: Int32
    public var next: Int32

    public init(id: Int32, address: String, parent: Int32, size: Int32, next: Int32) {
        self.id = id
        self.address = address
        self.parent = parent
        self.size = size
        self.next = next
    }
}

/// One union of two sets: `child`'s root was attached under `root`.
public struct ClusterUnion: Sendable, Hashable, Codable {
    public var child: Int32
    public var root: Int32

    public init(child: Int32, root: Int32) {
        self.child = child
        self.root = root
    }
}

/// One applied multi-input transaction as journalled: the ids of its input addresses and the unions it made,
/// kept for undoing it when it is reorganised away.
public struct ClusterJournalEntry: Sendable, Hashable {
    public var txid: String
    public var inputs: [Int32]
    public var unions: [ClusterUnion]

    public init(txid: String, inputs: [Int32], unions: [ClusterUnion]) {
        self.txid = txid
        self.inputs = inputs
        self.unions = unions
    }

    /// `inputs` as stored: decimal ids separated by commas.
    var storedInputs: String { inputs.map(String.init).joined(separator: ",") }
    /// `unions` as stored: `child:root` pairs separated by commas.
    var storedUnions: String { unions.map { "\($0.child):\($0.root)" }.joined(separator: ",") }

    init(txid: String, storedInputs: String, storedUnions: String) throws(ClusterStoreError) {
        self.txid = txid
        var inputs: [Int32] = []
        for field in storedInputs.split(separator: ",") {
            guard let id = Int32(field) else { throw ClusterStoreError.corrupt("journal entry \(txid): input \(field)") }
            inputs.append(id)
        }
        var unions: [ClusterUnion] = []
        for pair in storedUnions.split(separator: ",") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let child = Int32(parts[0]), let root = Int32(parts[1]) else {
                throw ClusterStoreError.corrupt("journal entry \(txid): union \(pair)")
            }
            unions.append(ClusterUnion(child: child, root: root))
        }
        self.inputs = inputs
        self.unions = unions
    }
}

/// What a batch changed in the clustering: nodes to upsert, journal entries to add (in order) or rewrite in
/// place, and the txids whose journal entries go (reverted, or older than the deepest reorg kept). The journal
/// is the clustering's undo state, derived from the stored transactions (which stay, reverted ones marked as
/// such): removing an entry deletes no record the platform received, only the means to undo a merge that no
/// longer holds or can no longer be reorganised away.
public struct ClusterChanges: Sendable, Equatable {
    public var nodes: [ClusterNode] = []
    public var appended: [ClusterJournalEntry] = []
    public var replaced: [String: ClusterJournalEntry] = [:]
    public var removed: Set<String> = []

    public init() {}

    public var isEmpty: Bool { nodes.isEmpty && appended.isEmpty && replaced.isEmpty && removed.isEmpty }
}

/// The persisted multi-input clustering (Bitcoin): the disjoint-set forest itself, so the entity of an address
/// is found by following parents to the root, and the journal of recent merges. On SQLite and PostgreSQL
/// (``StoreDatabase/clusters``), tables created by ``ClusterTables/migrations``.
public protocol ClusterStore: Sendable {
    /// Applies one batch's changes atomically. Idempotent: the same changes applied twice leave the same state.
    func apply(_ changes: ClusterChanges) async throws
    /// Every node in id order, and the journal oldest first.
    func load() async throws -> (nodes: [ClusterNode], journal: [ClusterJournalEntry])
    /// The entity (root id) of `address` and its size; `nil` for an address never seen spending.
    func entity(of address: String) async throws -> (id: Int32, size: Int32)?
    /// The addresses of entity `id` a page at a time, along its list of members (its root, then the addresses joined
    /// to it most recently first): a page costs its own size, whatever the entity's. Empty when `id` is not an
    /// entity's root; a cursor that is not one of its members is ``StoreError/invalidCursor(_:)``.
    func addresses(ofEntity id: Int32, limit: Int, cursor: String?) async throws -> Page<String>
    /// How many addresses entity `id` has, read from its root alone; `nil` when `id` is not an entity's root.
    func size(ofEntity id: Int32) async throws -> Int32?
}

/// Stored clustering that cannot be read back.
public enum ClusterStoreError: Error, Equatable, CustomStringConvertible {
    case corrupt(String)

    public var description: String {
        switch self {
        case .corrupt(let detail): "the stored clustering is corrupt: \(detail)"
        }
    }
}

/// The clustering's tables, on both backends.
public enum ClusterTables {
    /// Created by the transaction analysis component (``StoreMigration``), in order.
    public static let migrations = [nodes, memberLists]

    static let nodes = StoreMigration(
        "2026-12-06-clusters",
        sqlite: { db in
            try db.execute(
                sql: """
                    CREATE TABLE cluster_nodes (id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, parent INTEGER NOT NULL,
                        size INTEGER NOT NULL);
                    CREATE INDEX cluster_nodes_parent ON cluster_nodes (parent);
                    CREATE TABLE cluster_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, txid TEXT NOT NULL UNIQUE, inputs TEXT NOT NULL,
                        unions TEXT NOT NULL);
                    """)
        },
        postgres: [
            "CREATE TABLE cluster_nodes (id BIGINT PRIMARY KEY, address TEXT NOT NULL UNIQUE, parent BIGINT NOT NULL, size BIGINT NOT NULL)",
            "CREATE INDEX cluster_nodes_parent ON cluster_nodes (parent)",
            "CREATE TABLE cluster_journal (seq BIGSERIAL PRIMARY KEY, txid TEXT NOT NULL UNIQUE, inputs TEXT NOT NULL, unions TEXT NOT NULL)",
        ])

    /// Each node's successor in its set's circular list of members (`next_member`), so a page of an entity's addresses
    /// costs the page, not the entity. A store made before it gets each set listed from its root, then by id.
    static let memberLists = StoreMigration(
        "2026-12-07-cluster-member-lists",
        sqlite: { db in
            try db.execute(
                sql: """
                    ALTER TABLE cluster_nodes ADD COLUMN next_member INTEGER NOT NULL DEFAULT -1;
                    CREATE TEMP TABLE cluster_lists (id INTEGER PRIMARY KEY, next_member INTEGER NOT NULL);
                    INSERT INTO cluster_lists \(existingLists);
                    UPDATE cluster_nodes SET next_member = (SELECT l.next_member FROM cluster_lists l WHERE l.id = cluster_nodes.id);
                    DROP TABLE cluster_lists;
                    """)
        },
        postgres: [
            "ALTER TABLE cluster_nodes ADD COLUMN next_member BIGINT NOT NULL DEFAULT -1",
            "UPDATE cluster_nodes SET next_member = l.next_member FROM (\(existingLists)) l WHERE l.id = cluster_nodes.id",
        ])

    /// Every node of a forest stored without lists, with its successor: its set's root first, then its other members
    /// in id order, the last one followed by the root again.
    private static let existingLists = """
        WITH RECURSIVE up(id, ancestor) AS (
            SELECT id, parent FROM cluster_nodes
            UNION ALL SELECT up.id, n.parent FROM up JOIN cluster_nodes n ON n.id = up.ancestor AND n.parent <> n.id),
        rooted(id, root) AS (SELECT up.id, up.ancestor FROM up JOIN cluster_nodes r ON r.id = up.ancestor AND r.parent = r.id)
        SELECT id, coalesce(LEAD(id) OVER (PARTITION BY root ORDER BY id <> root, id), root) AS next_member FROM rooted
        """

    /// A page of the members of entity `$1`, at most `$3` of them from member `$2` on, along the entity's list: each
    /// one's address and successor. Nothing when `$1` is not a root or `$2` is not one of its members (its root is
    /// walked up to, depth at most log2 of the set's size).
    static func members(_ placeholder: (Int) -> String) -> String {
        """
        WITH RECURSIVE up(id, parent) AS (
            SELECT id, parent FROM cluster_nodes WHERE id = \(placeholder(2))
            UNION ALL SELECT n.id, n.parent FROM cluster_nodes n JOIN up ON n.id = up.parent AND up.id <> up.parent),
        walk(id, step) AS (
            SELECT \(placeholder(2)), 0 WHERE EXISTS (SELECT 1 FROM up WHERE id = parent AND id = \(placeholder(1)))
            UNION ALL SELECT n.next_member, walk.step + 1 FROM walk JOIN cluster_nodes n ON n.id = walk.id
                WHERE walk.step + 1 < \(placeholder(3)) AND n.next_member <> \(placeholder(1)))
        SELECT n.address, n.next_member FROM walk JOIN cluster_nodes n ON n.id = walk.id ORDER BY walk.step
        """
    }

    /// Where a page of entity `entity`'s members starts: the member a cursor names, or the root.
    static func memberCursor(_ cursor: String?, entity: Int32) throws(StoreError) -> Int64 {
        guard let cursor else { return Int64(entity) }
        guard cursor.utf8.count <= 12, let id = Int32(cursor), id >= 0 else { throw StoreError.invalidCursor(String(cursor.prefix(200))) }
        return Int64(id)
    }

    /// The page that ``members(_:)`` rows make: the cursor is the last one's successor, unless the list ends there.
    /// No rows for a `cursor` while `entity` exists (`size`) means the cursor is not one of its members.
    static func memberPage(
        _ rows: [(address: String, next: Int64)], entity: Int32, limit: Int, cursor: String?, size: (Int32) async throws -> Int32?
    ) async throws -> Page<String> {
        if rows.isEmpty, let cursor, try await size(entity) != nil { throw StoreError.invalidCursor(String(cursor.prefix(200))) }
        let more = rows.count == limit && rows.last.map { $0.next != Int64(entity) } == true
        return Page(items: rows.map(\.address), nextCursor: more ? rows.last.map { String($0.next) } : nil)
    }

    /// The size of the set rooted at a node, nothing when it is not a root.
    static func rootSize(_ placeholder: (Int) -> String) -> String {
        "SELECT size FROM cluster_nodes WHERE id = \(placeholder(1)) AND parent = id"
    }

    /// The root of `address`: the forest walked up (depth at most log2 of the set's size).
    static func root(_ placeholder: (Int) -> String) -> String {
        """
        WITH RECURSIVE up(id, parent, size) AS (
            SELECT id, parent, size FROM cluster_nodes WHERE address = \(placeholder(1))
            UNION ALL SELECT n.id, n.parent, n.size FROM cluster_nodes n JOIN up ON n.id = up.parent AND up.id <> up.parent)
        SELECT id, size FROM up WHERE id = parent
        """
    }
}

extension StoreDatabase {
    /// The clustering on this database.
    public var clusters: any ClusterStore {
        switch self {
        case .sqlite(let store): SQLiteClusterStore(store)
        case .postgres(let store): PostgresClusterStore(store)
        }
    }
}
