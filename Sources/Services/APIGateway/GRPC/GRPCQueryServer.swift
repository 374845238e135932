import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// The gRPC API (grpc-swift-2 over HTTP/2, port 9090 by default) as a service of the platform: the query
/// service behind ``GRPCAccessInterceptor``, over TLS with the REST certificate when one is configured.
/// Request messages are limited to 16 KiB, like REST bodies. At graceful shutdown it stops taking calls and
/// its `Watch` streams end.
struct GRPCQueryServer: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let onServerRunning: @Sendable (Int) async -> Void

    init(
        _ dependencies: GatewayDependencies, shared: GatewayShared, host: String, port: Int,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) {
        let security: HTTP2ServerTransport.Posix.TransportSecurity =
            if let tls = dependencies.settings.tls {
                .tls(certificateChain: [.file(path: tls.certificate, format: .pem)], privateKey: .file(path: tls.key, format: .pem))
            } else {
                .plaintext
            }
        transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port), transportSecurity: security,
            config: .defaults { config in
                config.rpc.maxRequestPayloadSize = StrictBody.maxBytes
                config.connection.maxIdleTime = .seconds(dependencies.settings.idleTimeoutSeconds)
            })
        let handler = QueryServiceHandler(
            transactions: dependencies.transactions.map(TransactionQueries.init), audit: dependencies.audit, events: shared.events,
            stats: { try await StatsView.collect(dependencies) })
        server = GRPCServer(
            transport: transport, services: [handler],
            interceptors: [
                GRPCAccessInterceptor(
                    access: dependencies.access, log: dependencies.log, limiter: shared.limiter, methods: GRPCMethod.queryService)
            ])
        self.onServerRunning = onServerRunning
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let address = try await transport.listeningAddress.ipv4 { await onServerRunning(address.port) }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
