import CSICCore
import Storage

/// The Bitcoin adapter's durable state: the follower's checkpoint and the UTXO index of the blocks it applied.
/// On SQLite (``BitcoinAdapterState``, its own file) or in the platform's PostgreSQL store
/// (``PostgresBitcoinAdapterState``), so that the ingest role can move to another machine.
public protocol BitcoinStateStore: Sendable {
    /// The saved checkpoint, or an empty one of `depth`.
    func checkpoint(depth: Int) async throws -> ChainCheckpoint
    /// What the index knows of `outpoints` (unspent or spent by a block still in the checkpoint).
    func spentOutputs(_ outpoints: [Outpoint]) async throws -> [Outpoint: SpentOutput]
    /// Records a connected block: its outputs, the outputs it spends, and the new checkpoint, atomically.
    func connect(height: UInt64, created: [(Outpoint, SpentOutput)], spent: [Outpoint], checkpoint: ChainCheckpoint) async throws
    /// Undoes a disconnected block: its outputs go, the outputs it spent are unspent again.
    func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws
}

/// The Ethereum adapter's durable state: the checkpoint and the transactions of the blocks it remembers. On
/// SQLite (``EthereumAdapterState``) or PostgreSQL (``PostgresEthereumAdapterState``).
public protocol EthereumStateStore: Sendable {
    /// The saved checkpoint, or an empty one of `depth`.
    func checkpoint(depth: Int) async throws -> ChainCheckpoint
    /// Records a connected block's transactions and the new checkpoint; forgets blocks older than it.
    func connect(height: UInt64, transactions: [ChainTransaction], checkpoint: ChainCheckpoint) async throws
    /// The transactions recorded for the block at `height`, in block order.
    func transactions(height: UInt64) async throws -> [ChainTransaction]
    /// Forgets a disconnected block's transactions and saves the checkpoint without it.
    func disconnect(height: UInt64, checkpoint: ChainCheckpoint) async throws
}

extension BitcoinAdapterState: BitcoinStateStore {}
extension EthereumAdapterState: EthereumStateStore {}

/// Where an adapter keeps its state: its own SQLite file, or the platform's PostgreSQL store.
public enum AdapterStateLocation: Sendable {
    case sqlite(path: String)
    case postgres(PostgresStore)

    /// The platform's store when it is PostgreSQL, else the SQLite file at `path`.
    public init(_ database: StoreDatabase, path: String) {
        switch database {
        case .sqlite: self = .sqlite(path: path)
        case .postgres(let store): self = .postgres(store)
        }
    }

    /// The Bitcoin adapter's state here.
    public func bitcoin() throws -> any BitcoinStateStore {
        switch self {
        case .sqlite(let path): try BitcoinAdapterState(path: path)
        case .postgres(let store): PostgresBitcoinAdapterState(store: store)
        }
    }

    /// The Ethereum adapter's state here.
    public func ethereum() throws -> any EthereumStateStore {
        switch self {
        case .sqlite(let path): try EthereumAdapterState(path: path)
        case .postgres(let store): PostgresEthereumAdapterState(store: store)
        }
    }
}
