import Hummingbird
import Logging

/// Answers a handler's failure that is not an HTTP error (a store that cannot be read, a bug) with a 500 and
/// the machine-readable error body, instead of Hummingbird's empty one; the error itself goes to the log
/// (and, through ``AuditMiddleware``, inside this one, to the audit trail), not to the client.
struct InternalErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path.prefix(200))", "error": "\(error)"])
            throw APIError(
                .internalServerError, code: "internal", message: "the request could not be answered; the error is in the server's log")
        }
    }
}
