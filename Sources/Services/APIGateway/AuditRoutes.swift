import CSICCore
import Foundation
import Hummingbird

/// `/api/v1/audit/...`: audit records with their inclusion proofs against the newest signed checkpoint,
/// read through ``AuditQueries`` (the audit trail's query protocol; the gateway never opens its files).
/// Search: actor, action, resource prefix, outcome, time range, words.
public struct AuditRoutes: APIRoutes {
    let queries: any AuditQueries

    public init(queries: any AuditQueries) {
        self.queries = queries
    }

    public var routes: [APIRoute] {
        let access = Access.auditRead
        return [
            APIRoute(
                .get, "audit/checkpoint", access: access, summary: "The newest signed checkpoint of the audit log",
                response: .reference("AuditCheckpoint"), problems: [.notFound]
            ) { _, _ in
                let checkpoint = try await Self.answer { try await queries.latestCheckpoint() }
                return AuditCheckpointView(
                    treeSize: checkpoint.treeSize, checkpoint: checkpoint.note, verifierKey: checkpoint.verifierKey)
            },
            APIRoute(
                .get, "audit/records/{id}", access: access, summary: "One audit record with its inclusion proof",
                response: .reference("ProvenAuditRecord")
            ) { _, context in
                let id = try context.parameters.require("id")
                guard id.utf8.count <= 200, let proven = try await Self.answer({ try await queries.record(id: id) }) else {
                    throw APIError.notFound("audit record \(id.prefix(200))")
                }
                return AuditRecordView(proven, withCheckpoint: true)
            },
            APIRoute(
                .get, "audit/records", access: access, summary: "Search the audit trail, with proofs",
                query: [
                    .text("actor", "who"), .text("action", "what, e.g. http.GET /api/v1/transactions/{id}"),
                    .text("resource", "resource prefix"),
                    QueryParameter("outcome", .string(values: AuditOutcome.allCases.map(\.rawValue)), "success, denied or failure"),
                    .text("q", "words in the record"), .time("from", "not before"), .time("to", "not after"),
                    QueryParameter(
                        "sort", .string(values: AuditOrder.allCases.map(\.rawValue)), "-time (newest first, the default) or time"),
                    .limit(default: 50, maximum: 500), .cursor,
                ],
                response: .reference("AuditSearch"), problems: [.notFound]
            ) { request, _ in
                let filter = AuditFilter(
                    actor: try request.textParameter("actor"), action: try request.textParameter("action"),
                    resource: try request.textParameter("resource"), outcome: try request.textParameter("outcome"),
                    text: try request.textParameter("q"), from: try request.timeParameter("from"), to: try request.timeParameter("to"))
                let order = try request.textParameter("sort").map { try caseNamed($0, field: "sort") } ?? AuditOrder.newestFirst
                let limit = try request.boundedInteger("limit", default: 50, range: 1...500)
                let after = try request.textParameter("cursor").map(Self.leafIndex)
                let result = try await Self.answer { try await queries.search(filter, order: order, after: after, limit: limit) }
                return AuditSearchView(
                    items: result.items.map { AuditRecordView($0, withCheckpoint: false) },
                    nextCursor: result.items.count == limit ? result.items.last.map { String($0.leafIndex) } : nil,
                    treeSize: result.checkpoint.treeSize, checkpoint: result.checkpoint.note, verifierKey: result.checkpoint.verifierKey)
            },
        ]
    }

    /// A cursor of this route: the leaf index of the previous page's last record.
    static func leafIndex(_ cursor: String) throws -> UInt64 {
        guard cursor.utf8.count <= 20, cursor.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let index = UInt64(cursor) else {
            throw APIError(.badRequest, code: "invalid_cursor", message: "not a cursor of this list", field: "cursor")
        }
        return index
    }

    /// The query's answer; what the audit trail does not have yet is a 404 with its own code.
    static func answer<Value>(_ query: () async throws -> Value) async throws -> Value {
        do {
            return try await query()
        } catch let error as AuditQueryError {
            let code =
                switch error {
                case .noCheckpoint: "no_checkpoint"
                case .noIndex: "no_index"
                case .notYetCovered: "not_yet_checkpointed"
                }
            throw APIError(.notFound, code: code, message: error.description)
        }
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

    /// A record with its proof; a search result leaves the checkpoint to the enclosing answer.
    init(_ proven: AuditProvenRecord, withCheckpoint: Bool) {
        recordBytes = Data(proven.leaf).base64EncodedString()
        leafIndex = proven.leafIndex
        record = proven.record
        inclusionProof = proven.inclusionProof.map { Data($0).base64EncodedString() }
        if withCheckpoint {
            treeSize = proven.checkpoint.treeSize
            checkpoint = proven.checkpoint.note
            verifierKey = proven.checkpoint.verifierKey
        }
    }
}

struct AuditSearchView: ResponseEncodable {
    var items: [AuditRecordView]
    var nextCursor: String?
    var treeSize: UInt64
    var checkpoint: String
    var verifierKey: String
}
