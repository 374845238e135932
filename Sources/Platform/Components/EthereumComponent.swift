import BlockchainAdapters
import CSICCore
import ServiceLifecycle
import Storage

/// The Ethereum adapter (`ethereum:`): follows execution clients in the `ingest` role when `rpc_urls` is set.
public struct EthereumComponent: PlatformComponent {
    public static let section = "ethereum"

    /// JSON-RPC (HTTP) URLs in order of preference (failover); empty disables the adapter.
    public var rpcURLs: [String]
    /// The node's WebSocket endpoint for `eth_subscribe("newHeads")`; without it the adapter polls.
    public var webSocketURL: String?
    /// The chain the nodes must be on (`eth_chainId`: 1 mainnet); unset accepts any.
    public var chainID: UInt64?
    public var startHeight: UInt64
    public var confirmations: UInt64
    public var pollSeconds: Double
    /// The most bytes of a rejected node answer a dead letter keeps; the reason gives its length and SHA-256.
    public var deadLetterMaxBytes: Int

    public init(_ section: ConfigSection) throws {
        rpcURLs = section.strings("rpc_urls", secret: true) ?? []
        webSocketURL = section.string("ws_url", secret: true)
        chainID = section.int("chain_id").map { UInt64(max(0, $0)) }
        startHeight = section.unsigned("start_height", default: 0)
        confirmations = section.unsigned("confirmations", default: 1)
        pollSeconds = try section.number("poll_seconds", default: 2, in: 0.01...3600)
        deadLetterMaxBytes = try section.integer(
            "dead_letter_max_bytes", default: DeadLetter.defaultMaxPayloadBytes, in: 1024...DeadLetter.maxPayloadBytesLimit)
        guard !rpcURLs.isEmpty else { return }
        if let bad = rpcURLs.first(where: { NodeURL($0) == nil || $0.hasPrefix("ws") }) {
            throw section.malformed("rpc_urls", "not an http(s) URL: \(NodeURL.redacted(bad))")
        }
        if let url = webSocketURL, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) || NodeURL(url) == nil {
            throw section.malformed("ws_url", "must be ws://host:port or wss://..., got \(NodeURL.redacted(url))")
        }
        guard confirmations >= 1 else { throw section.outOfRange("confirmations", "must be at least 1") }
    }

    public var settingsDescription: [String: String] {
        guard !rpcURLs.isEmpty else { return [:] }
        return [
            "rpc_urls": rpcURLs.map(NodeURL.redacted).joined(separator: ","), "chain_id": chainID.map(String.init) ?? "any",
            "confirmations": String(confirmations), "dead_letter_max_bytes": String(deadLetterMaxBytes),
            "ws_url": webSocketURL.map(NodeURL.redacted) ?? "none",
        ]
    }

    public var metricsHelp: [String: String] { ChainMetricsHelp.all }

    /// The adapter's state tables on PostgreSQL (on SQLite the state is its own file).
    public var storeMigrations: [StoreMigration] { [PostgresEthereumAdapterState.migration] }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.ingest), !rpcURLs.isEmpty else { return [] }
        var settings = EthereumAdapterSettings(
            endpoints: rpcURLs.compactMap(NodeURL.init).map { EthereumNodeEndpoint(url: $0.address, authorization: $0.basicAuthorization) },
            chainID: chainID, startHeight: startHeight, confirmations: confirmations, pollInterval: .seconds(pollSeconds),
            state: AdapterStateLocation(context.database, path: context.directory("ethereum/adapter.sqlite")),
            headSubscription: webSocketURL.map(EthereumHeadSubscription.init(url:))
        )
        settings.deadLetterMaxBytes = deadLetterMaxBytes
        return [try EthereumAdapter(settings: settings, log: context.log, metrics: context.metrics, logger: context.logger)]
    }
}
