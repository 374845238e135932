import BlockchainAdapters
import CSICCore
import ServiceLifecycle
import Storage

/// The Bitcoin adapter (`bitcoin:`): follows Bitcoin Core nodes in the `ingest` role when `rpc_urls` is set.
public struct BitcoinComponent: PlatformComponent {
    public static let section = "bitcoin"

    /// JSON-RPC URLs in order of preference (failover); empty disables the adapter. A URL with
    /// `user:password@` uses those credentials for that node instead of the shared ones.
    public var rpcURLs: [String]
    public var rpcUser: String?
    public var rpcPassword: String?
    /// Bitcoin Core's `.cookie` file, used when no user is set.
    public var rpcCookieFile: String?
    /// `mainnet`, `testnet`, `testnet4`, `signet` or `regtest`.
    public var network: String
    public var startHeight: UInt64
    public var confirmations: UInt64
    public var pollSeconds: Double
    /// The most bytes of a rejected node answer a dead letter keeps; the reason gives its length and SHA-256.
    public var deadLetterMaxBytes: Int
    /// The node's `-zmqpubhashblock` endpoint (`tcp://host:port`): new blocks are fetched at once.
    public var zmqBlock: String?

    public init(_ section: ConfigSection) throws {
        rpcURLs = section.strings("rpc_urls", secret: true) ?? []
        rpcUser = section.string("rpc_user")
        rpcPassword = section.string("rpc_password", secret: true)
        rpcCookieFile = section.string("rpc_cookie_file")
        network = section.string("network", default: "mainnet")
        startHeight = section.unsigned("start_height", default: 0)
        confirmations = section.unsigned("confirmations", default: 1)
        pollSeconds = try section.number("poll_seconds", default: 2, in: 0.01...3600)
        deadLetterMaxBytes = try section.integer(
            "dead_letter_max_bytes", default: DeadLetter.defaultMaxPayloadBytes, in: 1024...DeadLetter.maxPayloadBytesLimit)
        zmqBlock = section.string("zmq_block")
        guard !rpcURLs.isEmpty else { return }
        guard BitcoinNetwork.named(network) != nil else { throw section.malformed("network", "unknown network \(network)") }
        let nodes = rpcURLs.map(NodeURL.init)
        if let bad = nodes.firstIndex(of: nil) {
            throw section.malformed("rpc_urls", "not an http(s) URL: \(NodeURL.redacted(rpcURLs[bad]))")
        }
        guard rpcUser != nil || rpcCookieFile != nil || nodes.allSatisfy({ $0?.user != nil }) else {
            throw section.missing("rpc_user", "set rpc_user and rpc_password, rpc_cookie_file, or user:password@ in every URL")
        }
        guard confirmations >= 1 else { throw section.outOfRange("confirmations", "must be at least 1") }
        if let endpoint = zmqBlock, !endpoint.hasPrefix("tcp://") || endpoint.split(separator: ":").last.flatMap({ Int($0) }) == nil {
            throw section.malformed("zmq_block", "must be tcp://host:port, got \(endpoint)")
        }
    }

    public var settingsDescription: [String: String] {
        guard !rpcURLs.isEmpty else { return [:] }
        return [
            "rpc_urls": rpcURLs.map(NodeURL.redacted).joined(separator: ","), "network": network,
            "confirmations": String(confirmations), "dead_letter_max_bytes": String(deadLetterMaxBytes),
        ]
    }

    public var metricsHelp: [String: String] { ChainMetricsHelp.all }

    /// The adapter's state tables on PostgreSQL (on SQLite the state is its own file).
    public var storeMigrations: [StoreMigration] { [PostgresBitcoinAdapterState.migration] }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.ingest), let settings = adapterSettings(context) else { return [] }
        return [try BitcoinAdapter(settings: settings, log: context.log, metrics: context.metrics, logger: context.logger)]
    }

    /// The adapter's settings, when nodes are configured. A node URL's own `user:password@` wins over the
    /// shared `rpc_user`/`rpc_password`/`rpc_cookie_file`.
    func adapterSettings(_ context: ComponentContext) -> BitcoinAdapterSettings? {
        guard !rpcURLs.isEmpty, let network = BitcoinNetwork.named(network) else { return nil }
        let shared: BitcoinRPCCredentials =
            rpcUser.map { .password(user: $0, password: rpcPassword ?? "") } ?? .cookieFile(rpcCookieFile ?? "")
        let endpoints = rpcURLs.compactMap(NodeURL.init).map { node in
            BitcoinNodeEndpoint(
                url: node.address, credentials: node.user.map { .password(user: $0, password: node.password ?? "") } ?? shared)
        }
        var settings = BitcoinAdapterSettings(
            endpoints: endpoints, network: network, startHeight: startHeight, confirmations: confirmations,
            pollInterval: .seconds(pollSeconds),
            state: AdapterStateLocation(context.database, path: context.directory("bitcoin/adapter.sqlite")),
            blockNotifications: zmqBlock.flatMap { ZMQSubscription(endpoint: $0, topics: ["hashblock"]) })
        settings.deadLetterMaxBytes = deadLetterMaxBytes
        return settings
    }
}

/// HELP text of the chain adapters' metrics (both adapters emit them, labelled by chain).
enum ChainMetricsHelp {
    static let all = [
        "csic_chain_sync_latency_seconds": "Seconds from a block's time to its events being appended to the log.",
        "csic_chain_blocks_total": "Blocks the adapter connected or disconnected (reorgs), by chain and step.",
        "csic_chain_height": "Height of the newest block the adapter applied, by chain.",
    ]
}
