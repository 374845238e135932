import Foundation

/// What one text message on an Ethereum node's WebSocket says, for an `eth_subscribe("newHeads")` client.
/// Parsing is pure, so it is tested without a socket.
public enum EthereumSubscriptionMessage: Sendable, Hashable {
    /// The answer to `eth_subscribe`: the subscription's id.
    case subscribed(id: String)
    /// A `newHeads` notification: the head's number when it is a valid quantity.
    case newHead(subscription: String, number: UInt64?)
    /// The node refused the subscription.
    case failed(code: Int, message: String)
    /// Not JSON-RPC, or a message this client does not use.
    case unrecognised

    /// The request a client sends once connected.
    public static let subscribeRequest = #"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#

    private struct Wire: Decodable {
        struct ErrorBody: Decodable {
            let code: Int
            let message: String
        }
        struct Params: Decodable {
            struct Head: Decodable {
                /// Kept as text: a head with a bad number still announces a block.
                let number: String?
            }
            let subscription: String
            let result: Head?
        }
        let id: Int?
        let result: String?
        let error: ErrorBody?
        let method: String?
        let params: Params?
    }

    public init(text: String) {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else {
            self = .unrecognised
            return
        }
        if let error = wire.error {
            self = .failed(code: error.code, message: error.message)
        } else if wire.method == "eth_subscription", let params = wire.params {
            self = .newHead(subscription: params.subscription, number: params.result?.number.flatMap(HexQuantity.parse)?.uint64Value)
        } else if wire.id != nil, let id = wire.result {
            self = .subscribed(id: id)
        } else {
            self = .unrecognised
        }
    }
}
