import CSICCore
import DurableFiles
import Storage

/// The audit trail's search index, one protocol with a backend each: SQLite FTS5 beside the WORM log
/// (``AuditIndex``) or PostgreSQL full-text search in the platform's store (``PostgresAuditIndex``). It is
/// derived data: written after the entries are durable, caught up from the log on start, and never trusted for
/// integrity (every result is served with its inclusion proof).
public protocol AuditSearchIndex: Sendable {
    /// The number of entries indexed (they are indexed in order, from 0).
    func indexedCount() async throws -> UInt64
    /// Indexes entries `first...` (in order).
    func index(_ records: [AuditRecord], first: UInt64) async throws
    /// The leaf index of the record with `id`.
    func leafIndex(ofRecord id: String) async throws -> UInt64?
    /// Up to `limit` leaf indexes in `range` matching `filter`, in `order`. `filter.text` matches its words as a
    /// phrase among an entry's id, actor, action, resource, request id, source address and details.
    func leafIndexes(matching filter: AuditFilter, in range: Range<UInt64>, order: AuditOrder, limit: Int) async throws -> [UInt64]
}

/// Where the audit trail's search index lives.
public enum AuditSearchBackend: Sendable {
    /// `index.sqlite` in the audit directory (FTS5).
    case sqlite(directory: String)
    /// The platform's PostgreSQL store (`audit_entries`: a `tsvector` with a GIN index).
    case postgres(PostgresStore)

    /// The index of the platform's store: PostgreSQL when the store is, else SQLite beside the log.
    public init(_ database: StoreDatabase, directory: String) {
        switch database {
        case .sqlite: self = .sqlite(directory: directory)
        case .postgres(let store): self = .postgres(store)
        }
    }

    /// Opens the index (`readOnly`: for queries, never creating it).
    public func open(readOnly: Bool) throws -> any AuditSearchIndex {
        switch self {
        case .sqlite(let directory): try AuditIndex(path: directory + "/index.sqlite", readOnly: readOnly)
        case .postgres(let store): PostgresAuditIndex(store)
        }
    }
}

extension AuditIndex: AuditSearchIndex {
    public func indexedCount() async throws -> UInt64 {
        try await BlockingIO.run { try self.count() }
    }

    public func index(_ records: [AuditRecord], first: UInt64) async throws {
        try await BlockingIO.run { try self.add(records, first: first) }
    }

    public func leafIndex(ofRecord id: String) async throws -> UInt64? {
        try await BlockingIO.run { try self.index(ofRecord: id) }
    }

    public func leafIndexes(matching filter: AuditFilter, in range: Range<UInt64>, order: AuditOrder, limit: Int) async throws -> [UInt64] {
        try await BlockingIO.run { try self.search(filter, in: range, order: order, limit: limit) }
    }
}
