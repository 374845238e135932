import APIGateway
import CSICCore
import ServiceLifecycle
import Storage
import StreamRuntime
import TransactionAnalysis

/// The transaction engine and the risk engine (`analysis:`). In the `process` role the transaction engine
/// consumes `transactions` and stores every valid transaction with its address index, and the risk engine
/// (one process at a time) analyses them: clustering, typologies (`analysis.typologies.*`), findings on
/// `compliance`. Its tables include the tag lists (`csic import tags|sanctions`, `/api/v1/reference-data`) and
/// the clustering.
public struct TransactionAnalysisComponent: PlatformComponent {
    public static let section = "analysis"
    /// The transaction engine's consumer group.
    public static let group = "transaction-engine"
    /// The risk engine's consumer group.
    public static let riskGroup = "risk-engine"

    /// The typology parameters (`analysis.typologies.<name>.<parameter>`).
    public var typologies: TypologySettings
    /// Whether the risk engine runs (`analysis.risk_engine`, default true).
    public var riskEngine: Bool

    public init(_ section: ConfigSection) throws {
        typologies = try TypologyConfiguration.read(section)
        riskEngine = section.bool("risk_engine", default: true)
    }

    public var settingsDescription: [String: String] {
        ["risk_engine": String(riskEngine), "typologies.rule_version": typologies.ruleVersion]
    }

    public var consumers: [String: String] {
        [Self.group: Topic.transactions.rawValue, Self.riskGroup: Topic.transactions.rawValue]
    }

    public var storeMigrations: [StoreMigration] { [TagTables.migration, ClusterTables.migration] }

    public var metricsHelp: [String: String] {
        [
            "csic_findings_total": "Findings made by the risk engine, by typology.",
            "csic_findings_withdrawn_total":
                "Findings withdrawn because their transactions were orphaned by a reorganisation, by typology.",
            "csic_analysis_skipped_total": "Records of the transactions topic the risk engine passed over (not valid transactions).",
        ]
    }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        var services: [any Service] = [
            StreamProcessor(
                engine: TransactionEngine(group: Self.group), log: context.log, store: context.store, logger: context.logger,
                metrics: context.metrics, health: context.health)
        ]
        if riskEngine {
            let state = AnalysisState(settings: typologies)
            let engine = AnalysisEngine(group: Self.riskGroup, state: state, tags: context.database.tags, metrics: context.metrics)
            services += context.oneAtATime(
                Self.riskGroup,
                [
                    StreamProcessor(
                        engine: engine, sink: AnalysisEngine.Sink(state: state, clusters: context.database.clusters), log: context.log,
                        logger: context.logger, metrics: context.metrics, health: context.health)
                ])
        }
        return services
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [
            TransactionRoutes(store: context.store),
            ReferenceDataRoutes(service: ReferenceDataImporter(store: context.database.tags, log: context.log)),
        ]
    }
}
