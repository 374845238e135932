import AuditTrail
import Hummingbird
import Logging

/// The HTTP face of a ``TlogWitness`` (`csic witness serve`): `POST /add-checkpoint` as C2SP tlog-witness
/// defines it, and `GET /latest?origin=<origin>`, the latest checkpoint cosigned for a log (the log's
/// signature and the witness's cosignature), for auditors and `csic audit verify --witness`.
public enum WitnessServer {
    public static func application(
        _ witness: TlogWitness, host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("add-checkpoint") { request, _ -> Response in
            let body = try await request.body.collect(upTo: TlogWitness.maxRequestBytes)
            let answer = try await witness.submit(Array(body.readableBytesView))
            if answer.status != 200 {
                logger.warning("add-checkpoint refused", metadata: ["status": "\(answer.status)", "reason": "\(answer.body)"])
            }
            return Response(
                status: .init(code: answer.status), headers: [.contentType: answer.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.get("latest") { request, _ -> Response in
            guard let origin = request.uri.queryParameters.get("origin"), let note = witness.latest(origin: origin) else {
                return Response(
                    status: .notFound, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "none\n")))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: note)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "csic-witness"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
