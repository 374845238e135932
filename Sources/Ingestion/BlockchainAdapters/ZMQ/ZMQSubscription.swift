import CSICCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A ZMQ SUB connection (ZMTP 3.0, NULL mechanism) on SwiftNIO, e.g. to Bitcoin Core's
/// `-zmqpubhashblock=tcp://127.0.0.1:28332`. Reconnects with backoff until its task is cancelled.
public struct ZMQSubscription: Sendable {
    public let host: String
    public let port: Int
    public let topics: [String]

    public init(host: String, port: Int, topics: [String]) {
        self.host = host
        self.port = port
        self.topics = topics
    }

    /// `tcp://host:port`, as Bitcoin Core's `-zmqpub*` options spell endpoints.
    public init?(endpoint: String, topics: [String]) {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else {
            return nil
        }
        self.init(host: String(address[..<colon]), port: port, topics: topics)
    }

    /// Delivers every message (its frames) to `onMessage` until the task is cancelled or shut down.
    public func run(logger: Logger, onMessage: @escaping @Sendable ([[UInt8]]) async -> Void) async {
        var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                try await channel.executeThenClose { inbound, outbound in
                    var subscriber = ZMTPSubscriber(topics: topics)
                    try await outbound.write(ByteBuffer(bytes: ZMTPSubscriber.greeting))
                    for try await buffer in inbound {
                        let (send, messages) = try subscriber.receive(buffer.readableBytesView)
                        if !send.isEmpty { try await outbound.write(ByteBuffer(bytes: send)) }
                        for message in messages { await onMessage(message) }
                        backoff.reset()
                    }
                }
                logger.info("zmq publisher closed the connection", metadata: ["endpoint": "\(host):\(port)"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("zmq subscription failed; reconnecting", metadata: ["endpoint": "\(host):\(port)", "error": "\(error)"])
            }
            try? await Task.sleep(for: backoff.next())
        }
    }
}
