import CSICCore
import HummingbirdWSClient
import Logging
import ServiceLifecycle
import Synchronization

/// An `eth_subscribe("newHeads")` subscription over a node's WebSocket endpoint (e.g. geth's `--ws` on
/// `ws://127.0.0.1:8546`). Reconnects with backoff until its task is cancelled; every announced head wakes
/// the adapter, which then asks the node over HTTP what to fetch.
public struct EthereumHeadSubscription: Sendable {
    public let url: String

    public init(url: String) {
        self.url = url
    }

    /// Calls `onHead` with each announced head's number until the task is cancelled or shut down.
    public func run(logger: Logger, onHead: @escaping @Sendable (UInt64?) -> Void) async {
        var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(30))
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let subscribed = SubscribedFlag()
            do {
                try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text(EthereumSubscriptionMessage.subscribeRequest))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        switch EthereumSubscriptionMessage(text: text) {
                        case .subscribed(let id):
                            logger.info("ethereum newHeads subscription active", metadata: ["url": "\(url)", "subscription": "\(id)"])
                            subscribed.value.store(true, ordering: .relaxed)
                        case .newHead(_, let number):
                            onHead(number)
                        case .failed(let code, let reason):
                            throw NodeRPCError.rpc(code: code, message: reason, retryable: false)
                        case .unrecognised:
                            continue
                        }
                    }
                }
                logger.info("ethereum node closed the WebSocket", metadata: ["url": "\(url)"])
            } catch {
                if Task.isCancelled { return }
                logger.warning("ethereum newHeads subscription failed; reconnecting", metadata: ["url": "\(url)", "error": "\(error)"])
            }
            if subscribed.value.load(ordering: .relaxed) { backoff.reset() }
            try? await Task.sleep(for: backoff.next())
        }
    }
}

/// Whether a connection got as far as an active subscription (then the next reconnect starts with a short wait).
private final class SubscribedFlag: Sendable {
    let value = Atomic<Bool>(false)
}
