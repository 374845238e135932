import CSICCore

/// Chain transactions with their risk score and status.
public protocol TransactionStore: Sendable {
    /// Makes `writes` ready for ``apply(_:)`` off the writer, while the previous batch is written: grouped,
    /// sorted and keyed, and encoded ahead of time where the backend can.
    func prepare(_ writes: [TransactionWrite]) -> PreparedTransactions
    /// Upserts a batch of transactions atomically (all or none), made ready by ``prepare(_:)``. Idempotent by
    /// event id: applying the same batch twice leaves the same state.
    func apply(_ prepared: PreparedTransactions) async throws
    /// The transaction with event id `id` (e.g. `btc:<txid>`).
    func transaction(id: String) async throws -> StoredTransaction?
    /// The transactions `query` selects, in its order, a page at a time.
    func transactions(_ query: TransactionQuery, limit: Int, cursor: String?) async throws -> Page<StoredTransaction>
    func transactionCount() async throws -> Int
}

extension TransactionStore {
    /// Newest first; only those touching `address` when given.
    public func transactions(address: String?, limit: Int, cursor: String?) async throws -> Page<StoredTransaction> {
        try await transactions(TransactionQuery(address: address), limit: limit, cursor: cursor)
    }
}

/// Rejected input kept for operators.
public protocol DeadLetterStore: Sendable {
    /// Keeps `letters` atomically; a letter whose id is already stored is kept once.
    func record(_ letters: [DeadLetter]) async throws
    /// Newest first; only those from `source` when given.
    func deadLetters(source: String?, limit: Int, cursor: String?) async throws -> Page<DeadLetter>
    func deadLetterCount() async throws -> Int
}

/// Runtime configuration settings.
public protocol ConfigurationStore: Sendable {
    func setConfiguration(_ entry: ConfigurationEntry) async throws
    func configuration(key: String) async throws -> ConfigurationEntry?
    func configurationEntries() async throws -> [ConfigurationEntry]
}

/// Legal holds and the purge of expired records: the only path by which the platform deletes a record.
public protocol RetentionStore: Sendable {
    /// Records `hold`; a hold with the same id already placed is an error.
    func placeHold(_ hold: LegalHold) async throws
    /// Releases the active hold `id`; `nil` when there is no such active hold.
    func releaseHold(id: String, by actor: String, at time: Timestamp) async throws -> LegalHold?
    /// Holds newest placed first, a page at a time; only active (`true`) or released (`false`) ones when asked.
    func holds(active: Bool?, limit: Int, cursor: String?) async throws -> Page<LegalHold>
    /// Deletes the records of `recordClass` that have expired under `retention` by the store's own clock and
    /// that no active hold covers. There is no way to name a cutoff: a record cannot be purged before its expiry.
    func purgeExpired(_ recordClass: RecordClass, retention: RecordRetention) async throws -> PurgeReport
}

/// The platform's own stores behind one backend (SQLite embedded, PostgreSQL for scale-out). Each store
/// protocol declares its own writes; an engine's sink applies a batch of them in one transaction. A
/// component adds tables of its own with ``StoreMigration``s.
public protocol PlatformStore: TransactionStore, DeadLetterStore, AlertStore, UserStore, ConfigurationStore, RetentionStore, StoredFeed {
    /// Bytes the store occupies on disk.
    func sizeBytes() async throws -> Int64
}

extension TransactionStore {
    public func prepare(_ writes: [TransactionWrite]) -> PreparedTransactions {
        PreparedTransactions(writes)
    }

    /// Prepares and applies `writes` atomically.
    public func apply(_ writes: [TransactionWrite]) async throws {
        try await apply(prepare(writes))
    }
}

/// Why a purge was refused.
public enum RetentionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The class is kept permanently: nothing of it is ever purged.
    case permanent(RecordClass)

    public var description: String {
        switch self {
        case .permanent(let recordClass): "\(recordClass.rawValue) records are kept permanently and cannot be purged"
        }
    }
}
