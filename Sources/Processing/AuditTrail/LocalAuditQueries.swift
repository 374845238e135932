import CSICCore
import DurableFiles

/// ``AuditQueries`` over the audit trail's files on this host (`<data>/audit`): the WORM log opened
/// read-only (public keys only) and the search index, per query, on the blocking thread pool (`BlockingIO`). Works
/// when the API runs beside the audit engine, or anywhere that directory is mounted read-only.
public struct LocalAuditQueries: AuditQueries {
    public let directory: String
    public let origin: String

    public init(directory: String, origin: String) {
        self.directory = directory
        self.origin = origin
    }

    public func latestCheckpoint() async throws -> AuditCheckpointInfo {
        try await BlockingIO.run { try open().1 }
    }

    public func record(id: String) async throws -> AuditProvenRecord? {
        try await BlockingIO.run {
            let (log, newest) = try open()
            guard let index = try searchIndex().index(ofRecord: id), index < log.size else { return nil }
            guard index < newest.treeSize else { throw AuditQueryError.notYetCovered(leafIndex: index, treeSize: newest.treeSize) }
            // The key that signed this checkpoint, which may be an older, rotated one.
            var checkpoint = newest
            checkpoint.verifierKey = log.keptVerifier(of: newest.note)?.verifierKey ?? newest.verifierKey
            return try proven(index, in: log, checkpoint: checkpoint)
        }
    }

    public func search(_ filter: AuditFilter, order: AuditOrder, after: UInt64?, limit: Int) async throws -> AuditSearchResult {
        try await BlockingIO.run {
            let (log, checkpoint) = try open()
            let size = checkpoint.treeSize
            let range: Range<UInt64> =
                switch order {
                case .newestFirst: 0..<min(after ?? size, size)
                case .oldestFirst: min(after.map { $0 &+ 1 } ?? 0, size)..<size
                }
            let items = try searchIndex().search(filter, in: range, order: order, limit: limit).map { index in
                try proven(index, in: log, checkpoint: checkpoint)
            }
            return AuditSearchResult(items: items, checkpoint: checkpoint)
        }
    }

    private func proven(_ index: UInt64, in log: AuditLog, checkpoint: AuditCheckpointInfo) throws -> AuditProvenRecord {
        let leaf = try log.leaf(index)
        return AuditProvenRecord(
            leaf: leaf, leafIndex: index, record: try AuditLeaf.record(leaf),
            inclusionProof: try log.inclusionProof(index: index, size: checkpoint.treeSize).map(\.bytes), checkpoint: checkpoint)
    }

    private func searchIndex() throws -> AuditIndex {
        do {
            return try AuditIndex(path: directory + "/index.sqlite", readOnly: true)
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
