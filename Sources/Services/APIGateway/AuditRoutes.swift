import AuditTrail
import CSICCore
import Foundation
import Hummingbird

/// `/api/v1/audit/...`: audit records with their inclusion proofs against the newest signed checkpoint.
/// Search runs on the audit search index (fields and FTS5 full text) over the entries that checkpoint
/// covers: actor, action, resource prefix, outcome, time range, words.
struct AuditRoutes {
    let directory: String
    let origin: String

    func register(on group: RouterGroup<APIContext>) {
        group.get("audit/checkpoint") { _, _ in
            let (log, checkpoint, note) = try open()
            return AuditCheckpointView(treeSize: checkpoint.size, checkpoint: note, verifierKey: log.verifierKey)
        }
        group.get("audit/records/{id}") { _, context in
            let id = try context.parameters.require("id")
            let (log, _, _) = try open()
            guard id.utf8.count <= 200, let index = try searchIndex().index(ofRecord: id), index < log.size else {
                throw APIError.notFound("audit record \(id)")
            }
            return try AuditRecordView(log.proof(index: index), record: AuditLeaf.record(log.leaf(index)))
        }
        group.get("audit/records") { request, _ in
            let filter = AuditFilter(
                actor: try request.textParameter("actor"), action: try request.textParameter("action"),
                resource: try request.textParameter("resource"), outcome: try request.textParameter("outcome"),
                text: try request.textParameter("q"), from: try request.timeParameter("from"), to: try request.timeParameter("to"))
            let limit = try request.boundedInteger("limit", default: 50, range: 1...500)
            let (log, checkpoint, note) = try open()
            let items = try searchIndex().search(filter, below: checkpoint.size, limit: limit).map { index in
                let leaf = try log.leaf(index)
                return AuditRecordView(
                    recordBytes: Data(leaf).base64EncodedString(), leafIndex: index, record: try AuditLeaf.record(leaf),
                    inclusionProof: try log.inclusionProof(index: index, size: checkpoint.size).map { Data($0.bytes).base64EncodedString() })
            }
            return AuditSearchView(items: items, treeSize: checkpoint.size, checkpoint: note, verifierKey: log.verifierKey)
        }
    }

    private func searchIndex() throws -> AuditIndex {
        do {
            return try AuditIndex(path: directory + "/index.sqlite", readOnly: true)
        } catch {
            throw APIError(.notFound, code: "no_index", message: "the audit search index does not exist yet")
        }
    }

    private func open() throws -> (AuditLog, Checkpoint, String) {
        guard let log = try? AuditLog(directory: directory, settings: .init(origin: origin, readOnly: true)),
              let (checkpoint, note) = try log.latestCheckpoint()
        else { throw APIError(.notFound, code: "no_checkpoint", message: "the audit trail has no signed checkpoint yet") }
        return (log, checkpoint, note)
    }
}

struct AuditCheckpointView: ResponseEncodable {
    var treeSize: UInt64
    var checkpoint: String
    var verifierKey: String
}

struct AuditRecordView: ResponseEncodable {
    /// Base64 of the exact leaf bytes the proof is for.
    var recordBytes: String
    var leafIndex: UInt64
    var record: AuditRecord
    var inclusionProof: [String]
    var treeSize: UInt64?
    var checkpoint: String?
    var verifierKey: String?

    init(recordBytes: String, leafIndex: UInt64, record: AuditRecord, inclusionProof: [String]) {
        self.recordBytes = recordBytes
        self.leafIndex = leafIndex
        self.record = record
        self.inclusionProof = inclusionProof
    }

    init(_ proof: AuditInclusionProof, record: AuditRecord) {
        self.init(recordBytes: proof.record, leafIndex: proof.leafIndex, record: record, inclusionProof: proof.inclusionProof)
        treeSize = proof.treeSize
        checkpoint = proof.checkpoint
        verifierKey = proof.verifierKey
    }
}

struct AuditSearchView: ResponseEncodable {
    var items: [AuditRecordView]
    var treeSize: UInt64
    var checkpoint: String
    var verifierKey: String
}
