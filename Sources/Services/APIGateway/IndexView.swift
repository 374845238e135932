import Hummingbird

/// `GET /`: what this server offers, read from the route table, until the admin console is served here.
struct IndexView: ResponseEncodable {
    var name: String
    var endpoints: [String]
    /// Every route with who may call it: what the RBAC tests generate their matrix from.
    var routes: [RouteView]
    /// Every gRPC method with who may call it.
    var grpcMethods: [GRPCMethodView]

    static let schema = Schema.object(
        [
            "name": .string(), "endpoints": .array(.string()),
            "routes": .array(
                .object(
                    [
                        "method": .string(), "path": .string(), "rule": .string(), "roles": .array(.string()), "is_public": .boolean,
                        "open_on_loopback": .boolean, "entity_parameter": .string(), "query": .array(.string()),
                    ], required: ["method", "path", "rule", "roles", "is_public", "open_on_loopback", "query"])),
            "grpc_methods": .array(
                .object(
                    ["method": .string(), "rule": .string(), "roles": .array(.string()), "summary": .string(), "streaming": .boolean],
                    required: ["method", "rule", "roles", "summary", "streaming"])),
        ], required: ["name", "endpoints", "routes", "grpc_methods"])
}

/// A route and its access rule, as `GET /` lists it.
struct RouteView: Encodable, Sendable {
    var method: String
    var path: String
    var rule: String
    var roles: [String]
    var isPublic: Bool
    var openOnLoopback: Bool
    var entityParameter: String?
    var query: [String]

    init(_ route: APIRoute) {
        method = route.method.rawValue
        path = route.path
        rule = route.access.rule
        roles = route.access.roles.map(\.rawValue).sorted()
        isPublic = route.access.isPublic
        openOnLoopback = route.access.openOnLoopback
        entityParameter = route.access.entityParameter
        query = route.query.map(\.name)
    }
}

/// A gRPC method and its access rule, as `GET /` lists it.
struct GRPCMethodView: Encodable, Sendable {
    var method: String
    var rule: String
    var roles: [String]
    var summary: String
    var streaming: Bool

    init(_ method: GRPCMethod) {
        self.method = method.name
        rule = method.access.rule
        roles = method.access.roles.map(\.rawValue).sorted()
        summary = method.summary
        streaming = method.descriptor.type?.isResponseStreaming ?? false
    }
}
