import CSICCore
import CSICProtos
import CSICQueryService
import Foundation
import GRPCCore
import Storage

/// `csic.v1.QueryService`: answers from the same queries as the REST routes, with the topic messages as
/// they were published. Called only once ``GRPCAccessInterceptor`` has admitted the caller.
struct QueryServiceHandler: Csic_V1_QueryService.SimpleServiceProtocol {
    let transactions: TransactionQueries?
    let audit: (any AuditQueries)?
    let events: EventFeed?
    let stats: @Sendable () async throws -> StatsView

    func getTransaction(request: Csic_V1_GetTransactionRequest, context: ServerContext) async throws -> Csic_V1_StoredTransaction {
        try Self.message(try await served(transactions, "transactions").transaction(id: request.id))
    }

    func listTransactions(request: Csic_V1_ListTransactionsRequest, context: ServerContext) async throws -> Csic_V1_TransactionPage {
        guard request.limit <= 1000 else { throw APIError.invalid("limit", "limit must be at most 1000") }
        func text(_ value: String) -> String? { value.isEmpty ? nil : value }
        var chain: String?
        if request.chain != .unspecified {
            guard let known = try? Chain(proto: request.chain) else { throw APIError.invalid("chain", "chain must be bitcoin or ethereum") }
            chain = known.rawValue
        }
        let query = try TransactionQuery.parsing(
            address: text(request.address), chain: chain,
            from: request.hasFromUs ? Timestamp(microsecondsSinceEpoch: request.fromUs) : nil,
            to: request.hasToUs ? Timestamp(microsecondsSinceEpoch: request.toUs) : nil, minAmount: text(request.minAmount),
            maxAmount: text(request.maxAmount), sort: text(request.sort))
        let page = try await served(transactions, "transactions").transactions(
            query, limit: request.limit == 0 ? 50 : Int(request.limit), cursor: text(request.cursor))
        return try .with {
            $0.items = try page.items.map(Self.message)
            $0.nextCursor = page.nextCursor ?? ""
        }
    }

    func getStats(request: Csic_V1_GetStatsRequest, context: ServerContext) async throws -> Csic_V1_Stats {
        let view = try await stats()
        return .with {
            $0.stored = view.stored
            $0.log = view.log.mapValues { topic in
                .with {
                    $0.records = topic.records
                    $0.lag = topic.lag
                    $0.sizeBytes = topic.sizeBytes
                    $0.partitions = Int32(clamping: topic.partitions)
                }
            }
        }
    }

    func getAuditRecord(request: Csic_V1_GetAuditRecordRequest, context: ServerContext) async throws -> Csic_V1_ProvenAuditRecord {
        let queries = try served(audit, "audit records")
        guard request.id.utf8.count <= 200, let proven = try await AuditRoutes.answer({ try await queries.record(id: request.id) })
        else { throw APIError.notFound("audit record \(request.id.prefix(200))") }
        return .with {
            $0.record = proven.record.proto
            $0.recordBytes = Data(proven.leaf)
            $0.leafIndex = proven.leafIndex
            $0.inclusionProof = proven.inclusionProof.map { Data($0) }
            $0.treeSize = proven.checkpoint.treeSize
            $0.checkpoint = proven.checkpoint.note
            $0.verifierKey = proven.checkpoint.verifierKey
        }
    }

    func watch(request: Csic_V1_WatchRequest, response: RPCWriter<Csic_V1_WatchEvent>, context: ServerContext) async throws {
        let feed = try served(events, "the live feed")
        let start: EventFeed.Position
        if request.after.isEmpty {
            start = try await feed.newest()
        } else {
            guard let position = EventFeed.Position(request.after) else {
                throw APIError.invalid("after", "after must be <n>-<m>-<k> as sent in an event's position")
            }
            start = try await feed.resolved(position)
        }
        try feed.openStream()
        defer { feed.closeStream() }
        let hidden = GRPCCaller.hiddenFields
        try await feed.follow(from: start) { batch in
            for (position, event) in batch {
                try await response.write(
                    try .with {
                        $0.position = position.id
                        switch event {
                        case .transaction(let stored): $0.transaction = try Self.message(stored)
                        case .deadLetter(let letter):
                            var message = letter.proto
                            if hidden.contains("key_base64") { message.key = Data() }
                            if hidden.contains("payload_base64") { message.payload = Data() }
                            $0.deadLetter = message
                        case .alertChange(let change): $0.alertChange = change.proto
                        }
                    })
            }
        }
    }

    /// A stored transaction as its published message and what is known of it now.
    static func message(_ stored: StoredTransaction) throws -> Csic_V1_StoredTransaction {
        guard case .transaction(let published)? = try Csic_V1_TransactionEvent(serializedBytes: stored.payload).payload else {
            throw APIError(.internalServerError, code: "internal", message: "stored payload of \(stored.id) is not a transaction")
        }
        return .with {
            $0.id = stored.id
            $0.transaction = published
            $0.status = stored.status.proto
            if let score = stored.riskScore { $0.riskScore = UInt32(clamping: score) }
        }
    }

    /// What a method reads, or UNIMPLEMENTED when this process does not serve it.
    private func served<Value>(_ value: Value?, _ what: String) throws -> Value {
        guard let value else { throw RPCError(code: .unimplemented, message: "this process does not serve \(what)") }
        return value
    }
}
