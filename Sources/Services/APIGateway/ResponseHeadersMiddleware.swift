import Hummingbird

/// Security headers on every answer, and CORS for the configured origins only.
///
/// Every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`,
/// a `Content-Security-Policy` (the API's answers load nothing: `default-src 'none'`; `/`, where the console
/// will be served, only from itself), `Cache-Control: no-store` under `/api/` and `/.well-known/` unless the
/// route set its own, and `Strict-Transport-Security` when served over TLS. A request whose `Origin` is
/// configured gets `Access-Control-Allow-Origin` with it (`Vary: Origin`); its preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) is answered 204 here. Any other origin gets no CORS header, so a browser
/// keeps the answer from the page.
struct ResponseHeadersMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let corsOrigins: Set<String>
    let tls: Bool

    static let allowedMethods = "GET, POST, PUT, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID, Last-Event-ID"

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin].flatMap { corsOrigins.contains($0) ? $0 : nil }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: origin == nil ? .forbidden : .noContent)
            if origin != nil {
                response.headers[.accessControlAllowMethods] = Self.allowedMethods
                response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
                response.headers[.accessControlMaxAge] = "600"
            }
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        secure(&response, path: request.uri.path)
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "X-Request-ID, Retry-After, WWW-Authenticate"
        }
        if !corsOrigins.isEmpty { response.headers[values: .vary].append("Origin") }
        return response
    }

    private func secure(_ response: inout Response, path: String) {
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.contentSecurityPolicy] =
            path == "/" ? "default-src 'self'; frame-ancestors 'none'; base-uri 'none'" : "default-src 'none'; frame-ancestors 'none'"
        if path.hasPrefix("/api/") || path.hasPrefix("/.well-known/"), response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    }
}
