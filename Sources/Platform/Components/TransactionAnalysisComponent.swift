import APIGateway
import CSICCore
import ServiceLifecycle
import Storage
import StreamRuntime
import TransactionAnalysis

/// The transaction engine (`analysis:`): in the `process` role it consumes `transactions` and stores every
/// valid transaction with its address index; `/api/v1/transactions` reads them. Its tables include the tag
/// lists (`csic import tags|sanctions`, `/api/v1/reference-data`).
public struct TransactionAnalysisComponent: PlatformComponent {
    public static let section = "analysis"
    /// The transaction engine's consumer group.
    public static let group = "transaction-engine"

    public init(_ section: ConfigSection) throws {}

    public var consumers: [String: String] { [Topic.transactions.rawValue: Self.group] }

    public var storeMigrations: [StoreMigration] { [TagTables.migration] }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        return [
            StreamProcessor(
                engine: TransactionEngine(group: Self.group), log: context.log, store: context.store, logger: context.logger,
                metrics: context.metrics, health: context.health)
        ]
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [
            TransactionRoutes(store: context.store),
            ReferenceDataRoutes(service: ReferenceDataImporter(store: context.database.tags, log: context.log)),
        ]
    }
}
