import AsyncHTTPClient
import CSICCore
import Foundation
import NIOCore

/// A witness this log asks for cosignatures (`audit.witnesses`): the submission URL prefix and the witness's
/// cosignature verifier key.
public struct WitnessEndpoint: Sendable, Hashable {
    public var url: String
    public var key: CosignatureVerifier

    public init(url: String, key: CosignatureVerifier) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.key = key
    }
}

/// The client side of C2SP tlog-witness over HTTP.
public struct WitnessClient: Sendable {
    /// What the witness answered to `add-checkpoint`.
    public enum Answer: Sendable, Equatable {
        /// 200: the witness's cosignature line, verified against its key.
        case cosigned(line: String)
        /// 409: the size the witness last cosigned (the request's old size was not it, or the same size came
        /// with another root).
        case conflict(witnessSize: UInt64)
        /// 422: the consistency proof from the witness's size does not verify (the log was rewritten).
        case inconsistent
        /// Any other status, with the witness's body (truncated).
        case refused(status: Int, body: String)
    }

    public let endpoint: WitnessEndpoint
    let http: HTTPClient

    public init(endpoint: WitnessEndpoint, http: HTTPClient = .shared) {
        self.endpoint = endpoint
        self.http = http
    }

    public func addCheckpoint(_ request: WitnessRequest) async throws -> Answer {
        var post = HTTPClientRequest(url: endpoint.url + "/add-checkpoint")
        post.method = .POST
        post.body = .bytes(ByteBuffer(bytes: request.encoded))
        let response = try await http.execute(post, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 64 << 10))
        switch response.status.code {
        case 200:
            // The first line that verifies as this witness's cosignature on the checkpoint.
            let checkpointBody = try NoteText.split(request.note).body
            for line in body.split(separator: "\n") where line.hasPrefix("\u{2014} ") {
                let note = checkpointBody + "\n" + line + "\n"
                if (try? endpoint.key.verify(note)) != nil { return .cosigned(line: line + "\n") }
            }
            throw NoteError("\(endpoint.url) answered 200 without a valid cosignature by \(endpoint.key.name)")
        case 409:
            guard let size = UInt64(body.trimmingCharacters(in: .newlines)) else {
                throw NoteError("\(endpoint.url) answered 409 without a tree size")
            }
            return .conflict(witnessSize: size)
        case 422: return .inconsistent
        default: return .refused(status: Int(response.status.code), body: String(body.prefix(300)))
        }
    }

    /// The latest checkpoint a witness cosigned for `origin` (`GET /latest`), or `nil` when it has none.
    public static func latest(url: String, origin: String, http: HTTPClient = .shared) async throws -> String? {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let query =
            origin.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? origin
        let response = try await http.execute(HTTPClientRequest(url: base + "/latest?origin=" + query), timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 64 << 10))
        switch response.status.code {
        case 200: return body
        case 404: return nil
        default: throw NoteError("\(base)/latest answered \(response.status.code)")
        }
    }
}
