/// What the API asks of the audit trail: records with their inclusion proofs against the newest signed
/// checkpoint. The audit trail provides the implementation (its WORM log and search index on this host);
/// the gateway depends on this protocol alone, so it serves the same routes from any implementation.
public protocol AuditQueries: Sendable {
    /// The newest signed checkpoint. Throws ``AuditQueryError/noCheckpoint`` when none has been signed.
    func latestCheckpoint() async throws -> AuditCheckpointInfo
    /// The record with `id` and its proof against the newest checkpoint, or `nil` when no such record is
    /// in the log.
    func record(id: String) async throws -> AuditProvenRecord?
    /// Up to `limit` records matching `filter` that the newest checkpoint covers, in `order`, each with its
    /// proof against that checkpoint; `after` (a leaf index from a previous page) continues that page.
    func search(_ filter: AuditFilter, order: AuditOrder, after: UInt64?, limit: Int) async throws -> AuditSearchResult
}

/// The order of an audit search: log order is time order, each entry appended after the one before.
public enum AuditOrder: String, Sendable, Hashable, CaseIterable {
    /// Newest first (the default).
    case newestFirst = "-time"
    /// Oldest first.
    case oldestFirst = "time"
}

/// Why an audit query has no answer yet.
public enum AuditQueryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No checkpoint has been signed yet.
    case noCheckpoint
    /// The search index has not been created yet.
    case noIndex
    /// The record exists but the newest checkpoint does not cover it yet.
    case notYetCovered(leafIndex: UInt64, treeSize: UInt64)

    public var description: String {
        switch self {
        case .noCheckpoint: "the audit trail has no signed checkpoint yet"
        case .noIndex: "the audit search index does not exist yet"
        case .notYetCovered(let index, let size): "entry \(index) is not yet covered by a checkpoint (the newest covers \(size) entries)"
        }
    }
}

/// A signed checkpoint as the API shows it.
public struct AuditCheckpointInfo: Sendable, Hashable {
    /// The number of entries the checkpoint covers.
    public var treeSize: UInt64
    /// The C2SP signed note.
    public var note: String
    /// The signed-note verifier key of its signer: `<name>+<hex key id>+<base64 key>`.
    public var verifierKey: String

    public init(treeSize: UInt64, note: String, verifierKey: String) {
        self.treeSize = treeSize
        self.note = note
        self.verifierKey = verifierKey
    }
}

/// One audit record with what proves it is in the log.
public struct AuditProvenRecord: Sendable, Hashable {
    /// The exact leaf bytes the proof is for.
    public var leaf: [UInt8]
    public var leafIndex: UInt64
    /// The record decoded from `leaf`.
    public var record: AuditRecord
    /// RFC 9162 inclusion proof, leaf to root.
    public var inclusionProof: [[UInt8]]
    /// The checkpoint the proof verifies against.
    public var checkpoint: AuditCheckpointInfo

    public init(leaf: [UInt8], leafIndex: UInt64, record: AuditRecord, inclusionProof: [[UInt8]], checkpoint: AuditCheckpointInfo) {
        self.leaf = leaf
        self.leafIndex = leafIndex
        self.record = record
        self.inclusionProof = inclusionProof
        self.checkpoint = checkpoint
    }
}

/// Search results, all proven against one checkpoint.
public struct AuditSearchResult: Sendable, Hashable {
    public var items: [AuditProvenRecord]
    public var checkpoint: AuditCheckpointInfo

    public init(items: [AuditProvenRecord], checkpoint: AuditCheckpointInfo) {
        self.items = items
        self.checkpoint = checkpoint
    }
}

/// What an audit search asks for; every field optional.
public struct AuditFilter: Sendable, Hashable {
    public var actor, action, resource, outcome, text: String?
    public var from, to: Timestamp?

    public init(
        actor: String? = nil, action: String? = nil, resource: String? = nil, outcome: String? = nil, text: String? = nil,
        from: Timestamp? = nil, to: Timestamp? = nil
    ) {
        (self.actor, self.action, self.resource, self.outcome, self.text, self.from, self.to) = (
            actor, action, resource, outcome, text, from, to
        )
    }
}
