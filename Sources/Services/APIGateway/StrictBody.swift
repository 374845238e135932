import Foundation
import Hummingbird

/// JSON request bodies decoded strictly: at most `limit` bytes, a JSON object with only the `allowed` keys
/// (snake_case), each of the expected type. Anything else is a 400 naming the field.
enum StrictBody {
    /// The largest request body (and gRPC request message) taken: 16 KiB.
    static let maxBytes = 16 * 1024

    static func decode<Body: Decodable>(
        _ type: Body.Type, from request: Request, allowed: Set<String>, limit: Int = maxBytes
    ) async throws -> Body {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the body must be at most \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_body", message: "the body must be a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(
                .badRequest, code: "unknown_field",
                message: "unknown field \(unknown.prefix(100)); this body takes \(allowed.sorted().joined(separator: ", "))",
                field: String(unknown.prefix(100)))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Body.self, from: data)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let field = context.codingPath.first.map { snakeCase($0.stringValue) } ?? "body"
            throw APIError(.badRequest, code: "invalid_field", message: "\(field) has the wrong type", field: field)
        } catch DecodingError.keyNotFound(let key, _) {
            let field = snakeCase(key.stringValue)
            throw APIError(.badRequest, code: "missing_field", message: "\(field) is required", field: field)
        } catch {
            throw APIError(.badRequest, code: "invalid_body", message: "the body is not valid for this route")
        }
    }

    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}
