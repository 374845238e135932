import CSICQueryService
import GRPCCore

/// A gRPC method and who may call it: the gRPC part of the route table, read by the access interceptor,
/// by `GET /` (its `grpc_methods`, from which the RBAC tests generate their matrix) and by the docs. Every
/// method takes one request message.
public struct GRPCMethod: Sendable {
    public let descriptor: MethodDescriptor
    public let access: Access
    public let summary: String
    /// Fields of its answers only some roles see: cleared for the others.
    public let redaction: Redaction?

    /// `csic.v1.QueryService/GetTransaction`.
    public var name: String { descriptor.fullyQualifiedMethod }

    init(_ descriptor: MethodDescriptor, access: Access, summary: String, redaction: Redaction? = nil) {
        self.descriptor = descriptor
        self.access = access
        self.summary = summary
        self.redaction = redaction
    }
}

extension GRPCMethod {
    /// `csic.v1.QueryService`: the regulatory query interface.
    public static let queryService: [GRPCMethod] = [
        GRPCMethod(
            Csic_V1_QueryService.Method.GetTransaction.descriptor, access: .transactionsRead,
            summary: "One transaction by event id or bare txid"),
        GRPCMethod(
            Csic_V1_QueryService.Method.ListTransactions.descriptor, access: .transactionsRead,
            summary: "Transactions newest first, or those touching an address, a page at a time"),
        GRPCMethod(Csic_V1_QueryService.Method.GetStats.descriptor, access: .statsRead, summary: "Row counts and the log per topic"),
        GRPCMethod(
            Csic_V1_QueryService.Method.GetAuditRecord.descriptor, access: .auditRead,
            summary: "One audit record with its inclusion proof"),
        GRPCMethod(
            Csic_V1_QueryService.Method.Watch.descriptor, access: .eventsRead,
            summary: "Newly stored transactions and dead letters", redaction: .deadLetterBytes),
    ]
}

/// The caller of the gRPC call being served, set by ``GRPCAccessInterceptor``.
enum GRPCCaller {
    @TaskLocal static var principal: Principal?
    /// The answer fields withheld from the caller (``GRPCMethod/redaction``).
    @TaskLocal static var hiddenFields: Set<String> = []
}
