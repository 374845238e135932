import CSICCore
import DurableFiles

/// ``AuditQueries`` over the audit trail's files on this host (`<data>/audit`): the WORM log opened
/// read-only (public keys only), per query, on the blocking thread pool (`BlockingIO`), and the search index
/// (SQLite beside the log, or the platform's PostgreSQL store). Works when the API runs beside the audit engine,
/// or anywhere that directory is mounted read-only.
public struct LocalAuditQueries: AuditQueries {
    public let directory: String
    public let origin: String
    public let search: AuditSearchBackend

    public init(directory: String, origin: String, search: AuditSearchBackend? = nil) {
        self.directory = directory
        self.origin = origin
        self.search = search ?? .sqlite(directory: directory)
    }

    public func latestCheckpoint() async throws -> AuditCheckpointInfo {
        try await BlockingIO.run { try open().1 }
    }

    public func record(id: String) async throws -> AuditProvenRecord? {
        guard let index = try await searchIndex().leafIndex(ofRecord: id) else { return nil }
        return try await BlockingIO.run {
            let (log, newest) = try open()
            guard index < log.size else { return nil }
            guard index < newest.treeSize else { throw AuditQueryError.notYetCovered(leafIndex: index, treeSize: newest.treeSize) }
            // The key that signed this checkpoint, which may be an older, rotated one.
            var checkpoint = newest
            checkpoint.verifierKey = log.keptVerifier(of: newest.note)?.verifierKey ?? newest.verifierKey
            return try proven(index, in: log, checkpoint: checkpoint)
        }
    }

    public func search(_ filter: AuditFilter, order: AuditOrder, after: UInt64?, limit: Int) async throws -> AuditSearchResult {
        let size = try await BlockingIO.run { try open().1.treeSize }
        let range: Range<UInt64> =
            switch order {
            case .newestFirst: 0..<min(after ?? size, size)
            case .oldestFirst: min(after.map { $0 &+ 1 } ?? 0, size)..<size
            }
        let found = try await searchIndex().leafIndexes(matching: filter, in: range, order: order, limit: limit)
        return try await BlockingIO.run {
            // Proven against the newest checkpoint, which covers every leaf of `range` (it may have grown since).
            let (log, checkpoint) = try open()
            return AuditSearchResult(items: try found.map { try proven($0, in: log, checkpoint: checkpoint) }, checkpoint: checkpoint)
        }
    }

    private func proven(_ index: UInt64, in log: AuditLog, checkpoint: AuditCheckpointInfo) throws -> AuditProvenRecord {
        let leaf = try log.leaf(index)
        return AuditProvenRecord(
            leaf: leaf, leafIndex: index, record: try AuditLeaf.record(leaf),
            inclusionProof: try log.inclusionProof(index: index, size: checkpoint.treeSize).map(\.bytes), checkpoint: checkpoint)
    }

    private func searchIndex() throws -> any AuditSearchIndex {
        do {
            return try search.open(readOnly: true)
        } catch {
            throw AuditQueryError.noIndex
        }
    }

    private func open() throws -> (AuditLog, AuditCheckpointInfo) {
        guard let log = try? AuditLog(directory: directory, settings: .init(origin: origin, readOnly: true)),
            let (checkpoint, note) = try log.latestCheckpoint()
        else { throw AuditQueryError.noCheckpoint }
        return (log, AuditCheckpointInfo(treeSize: checkpoint.size, note: note, verifierKey: log.verifierKey))
    }
}
