import Hummingbird
import Logging

/// Answers every failure as a problem document: a handler's failure that is not an HTTP error (a store that
/// cannot be read, a bug) with a 500, whose error goes to the log (and, through ``AuditMiddleware``, inside
/// this one, to the audit trail), not to the client; Hummingbird's own errors (no such route, a body over
/// the server's limit) with their status and a `code` for it.
struct InternalErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            throw APIError(error.status, code: Self.code(error.status), message: message, headers: (error as? HTTPError)?.headers ?? [:])
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path.prefix(200))", "error": "\(error)"])
            throw APIError(
                .internalServerError, code: "internal", message: "the request could not be answered; the error is in the server's log")
        }
    }

    /// The code of an HTTP error raised outside the project's handlers.
    static func code(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "body_too_large"
        case .badRequest: "bad_request"
        case .unsupportedMediaType: "unsupported_media_type"
        default: status.code >= 500 ? "internal" : "http_\(status.code)"
        }
    }
}
