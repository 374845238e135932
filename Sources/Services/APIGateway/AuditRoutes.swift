import AuditTrail
import CSICCore
import Foundation
import Hummingbird

/// `/api/v1/audit/...`: audit records with their inclusion proofs against the newest signed checkpoint.
/// Search scans the newest entries covered by that checkpoint (at most `scan` of them) and filters by
/// actor, action, resource, outcome, time range and free text; a full-text index is future work.
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
            guard id.utf8.count <= 200, let index = try log.index(ofRecord: id) else { throw APIError.notFound("audit record \(id)") }
            return try AuditRecordView(log.proof(index: index), record: AuditLeaf.record(log.leaf(index)))
        }
        group.get("audit/records") { request, _ in
            let filter = AuditFilter(
                actor: try request.textParameter("actor"), action: try request.textParameter("action"),
                resource: try request.textParameter("resource"), outcome: try request.textParameter("outcome"),
                text: try request.textParameter("q"), from: try request.timeParameter("from"), to: try request.timeParameter("to"))
            let limit = try request.boundedInteger("limit", default: 50, range: 1...500)
            let scan = try request.boundedInteger("scan", default: 100_000, range: 1...1_000_000)
            let (log, checkpoint, note) = try open()
            var items: [AuditRecordView] = []
            var index = checkpoint.size
            var scanned = 0
            while index > 0, items.count < limit, scanned < scan {
                index -= 1
                scanned += 1
                let leaf = try log.leaf(index)
                let record = try AuditLeaf.record(leaf)
                guard filter.matches(record) else { continue }
                items.append(AuditRecordView(
                    recordBytes: Data(leaf).base64EncodedString(), leafIndex: index, record: record,
                    inclusionProof: try log.inclusionProof(index: index, size: checkpoint.size).map { Data($0.bytes).base64EncodedString() }))
            }
            return AuditSearchView(items: items, treeSize: checkpoint.size, checkpoint: note, verifierKey: log.verifierKey, scanned: scanned)
        }
    }

    private func open() throws -> (AuditLog, Checkpoint, String) {
        guard let log = try? AuditLog(directory: directory, settings: .init(origin: origin, readOnly: true)),
              let (checkpoint, note) = try log.latestCheckpoint()
        else { throw APIError(.notFound, code: "no_checkpoint", message: "the audit trail has no signed checkpoint yet") }
        return (log, checkpoint, note)
    }
}

struct AuditFilter {
    var actor, action, resource, outcome, text: String?
    var from, to: Timestamp?

    func matches(_ record: AuditRecord) -> Bool {
        if let actor, record.actor != actor { return false }
        if let action, record.action != action { return false }
        if let resource, !record.resource.hasPrefix(resource) { return false }
        if let outcome, record.outcome.rawValue != outcome { return false }
        if let from, record.time < from { return false }
        if let to, record.time >= to { return false }
        if let text {
            let haystack = ([record.id, record.actor, record.action, record.resource, record.requestID, record.sourceAddress] + record.details.values).joined(separator: " ")
            if !haystack.localizedCaseInsensitiveContains(text) { return false }
        }
        return true
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
    var scanned: Int
}
