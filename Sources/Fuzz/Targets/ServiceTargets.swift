import APIGateway
import AuditTrail
import CSICCore
import CSICPlatform
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded

/// The parsers reached through a service rather than called alone: the configuration file as `csic serve
/// --config` loads it, and an API request through the whole router of a platform opened in a scratch
/// directory (every component's routes, the audit middleware, the real SQLite store and event log).
extension FuzzTargets {
    /// Where the service targets keep their files: `CSIC_FUZZ_DIR`, or a directory for this process that is
    /// removed at exit.
    static let workDirectory: String = {
        if let directory = ProcessInfo.processInfo.environment["CSIC_FUZZ_DIR"] { return directory }
        let directory = NSTemporaryDirectory() + "csic-fuzz-\(getpid())"
        atexit { try? FileManager.default.removeItem(atPath: FuzzTargets.workDirectory) }
        return directory
    }()

    /// A configuration file: loaded, validated and every component built from its section, or refused with
    /// an error; either way it returns.
    static func configuration(_ bytes: [UInt8]) async {
        let path = workDirectory + "/config-\(UInt64.random(in: 0...UInt64.max)).yaml"
        guard (try? FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)) != nil,
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
        else { fatalError("cannot write \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let loaded = try? await ConfigurationLoader.load(file: path, environment: [:]) else { return }
        _ = loaded.components.map(\.settingsDescription)
    }

    /// An HTTP request: the first byte picks the method and (its high bit clear) whether the request carries
    /// an admin's API key, the bytes up to the first newline are the request
    /// target (bytes an HTTP parser would not pass are percent-encoded), the rest is the body. The answer must
    /// not be a 5xx, and a 400 must carry the problem document with its code.
    static func apiRequest(_ bytes: [UInt8]) async {
        guard let first = bytes.first else { return }
        let harness: APIHarness
        do {
            harness = try await APIHarness.shared.value
        } catch {
            fatalError("the platform for the API target did not open: \(error)")
        }
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head]
        let rest = bytes.dropFirst()
        let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        var target = rest[..<newline].map { byte in
            (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
        if !target.hasPrefix("/") { target = "/" + target }
        let body = newline < rest.endIndex ? Array(rest[rest.index(after: newline)...]) : []
        var headers: HTTPFields = [.contentType: "application/json", .contentLength: String(body.count)]
        if first & 0x80 == 0 { headers[.authorization] = harness.authorization }
        let request = Request(
            head: HTTPRequest(
                method: methods[Int(first & 0x7F) % methods.count], scheme: "http", authority: "127.0.0.1", path: target,
                headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let (status, answer) = await harness.answer(request)
        if status.code >= 500 {
            fatalError(
                "\(request.method) \(target.prefix(300)) answered \(status.code): \(String(decoding: answer.prefix(300), as: UTF8.self))")
        }
        if status == .badRequest {
            let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]
            guard object?["code"] is String, object?["status"] as? Int == 400 else {
                fatalError("\(request.method) \(target.prefix(300)) answered 400 without an error code: \(answer.prefix(300))")
            }
        }
    }
}

/// The router of a platform opened once per process, and how a request reaches it without a socket.
struct APIHarness: Sendable {
    let platform: Platform
    let responder: RouterResponder<APIContext>
    /// `Bearer <an admin's API key>`.
    let authorization: String
    let logger = APIHarness.silent
    static let silent = Logger(label: "csic-fuzz") { _ in SwiftLogNoOpLogHandler() }

    static let shared = Task<APIHarness, any Error> {
        var configuration = PlatformConfiguration()
        configuration.dataDirectory = FuzzTargets.workDirectory + "/platform"
        configuration.roles = [.api]
        try seedAuditTrail(configuration.dataDirectory + "/audit")
        let platform = try await Platform.open(configuration, logger: silent)
        let origin = ChangeOrigin(actor: "fuzz", sourceAddress: "local")
        _ = try await platform.access.addUser("fuzz-admin", role: .admin, password: nil, entityID: nil, by: origin)
        let key = try await platform.access.addAPIKey("fuzz-admin", label: "fuzz", by: origin)
        return APIHarness(
            platform: platform, responder: Gateway.router(platform.gatewayDependencies).buildResponder(),
            authorization: "Bearer \(key.text)")
    }

    /// A checkpointed audit trail with its search index, so that record searches and proofs answer from data.
    static func seedAuditTrail(_ directory: String) throws {
        let log = try AuditLog(directory: directory, settings: .init(origin: AuditDefaults.origin))
        let records = (0..<20).map { n in
            AuditRecord(
                id: "fuzz-\(n)", time: Timestamp(secondsSinceEpoch: 1_767_225_600 + Int64(n)), actor: "anonymous",
                action: "http.GET /api/v1/transactions/{id}", resource: "/api/v1/transactions/\(n)", outcome: .success,
                requestID: "request-\(n)", sourceAddress: "127.0.0.1", details: ["status": "200", "words": "peel chain \(n)"])
        }
        let range = try log.append(records)
        try AuditIndex(path: directory + "/index.sqlite").add(records, first: range.lowerBound)
        _ = try log.issueCheckpoint()
    }

    /// The status and body the server would send for `request`.
    func answer(_ request: Request) async -> (HTTPResponse.Status, [UInt8]) {
        let context = APIContext(source: ApplicationRequestContextSource(channel: NIOAsyncTestingChannel(), logger: logger))
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            guard let answered = try? error.response(from: request, context: context) else { return (error.status, []) }
            response = answered
        } catch {
            return (.internalServerError, Array("unanswered: \(error)".utf8))
        }
        let collector = BodyCollector()
        do {
            try await response.body.write(collector)
        } catch {
            return (.internalServerError, Array("the body could not be written: \(error)".utf8))
        }
        return (response.status, collector.bytes)
    }
}

/// Collects a response body in memory (a class: the body consumes its writer).
private final class BodyCollector: ResponseBodyWriter {
    var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
