import Hummingbird

/// One route: method, path, who may call it, the query parameters it takes and its handler. The list of
/// every route is the one table that the router, the access decisions, the audit records, `GET /` and the
/// RBAC tests read.
public struct APIRoute: Sendable {
    public let method: HTTPRequest.Method
    /// The full path with `{parameter}` segments: a path without a leading `/` is under `/api/v1/`.
    public let path: String
    public var access: Access
    public let summary: String
    /// The query parameters it takes; any other is a 400 (`unknown_parameter`).
    public let query: [QueryParameter]
    /// The JSON body it reads, if any (read strictly: unknown fields are a 400).
    public let body: Schema?
    /// Its answer when it succeeds, with `status`; `nil` for an empty answer.
    public let response: Schema?
    public let status: HTTPResponse.Status
    /// Other statuses answered with the same schema (`/health`'s 503).
    public let alsoAnswers: [HTTPResponse.Status]
    /// Problems it answers beyond those every route of its kind may (401 for a wrong password on a public route).
    public let problems: [HTTPResponse.Status]
    /// The answer's media type when it succeeds.
    public let contentType: String
    public let redaction: Redaction?
    let handler: @Sendable (Request, APIContext) async throws -> Response

    public init<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, access: Access, summary: String, query: [QueryParameter] = [],
        body: Schema? = nil, response: Schema?, status: HTTPResponse.Status = .ok, alsoAnswers: [HTTPResponse.Status] = [],
        problems: [HTTPResponse.Status] = [], contentType: String = "application/json", redaction: Redaction? = nil,
        handler: @escaping @Sendable (Request, APIContext) async throws -> Output
    ) {
        self.method = method
        self.path = path.hasPrefix("/") ? path : "/api/v1/" + path
        self.access = access
        self.summary = summary
        self.query = query
        self.body = body
        self.response = response
        self.status = status
        self.alsoAnswers = alsoAnswers
        self.problems = problems
        self.contentType = contentType
        self.redaction = redaction
        self.handler = { request, context in try await handler(request, context).response(from: request, context: context) }
    }

    /// Which rate-limit budget it uses.
    public var routeClass: RouteClass { method == .get || method == .head ? .read : .write }

    /// `GET /api/v1/transactions/{id}`.
    public var name: String { "\(method) \(path)" }

    /// The `{parameter}` segments of the path.
    public var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }
}

/// The routes one system adds, and what it reports in `/api/v1/stats` and `/metrics`.
///
/// A component hands its routes to the gateway; nothing else is edited when a system is added.
public protocol APIRoutes: Sendable {
    /// Its routes, each with the roles that may call it.
    var routes: [APIRoute] { get }
    /// Row counts of what the system stores, by table: shown under `stored` in `/api/v1/stats` and as
    /// `csic_store_rows{table}` in `/metrics`. Must answer in constant time, whatever the table's size.
    func storedCounts() async throws -> [String: Int]
}

extension APIRoutes {
    public func storedCounts() async throws -> [String: Int] { [:] }
}
