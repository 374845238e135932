import APIGateway
import CSICCore
import EventLog
import ServiceLifecycle
import Storage
import StreamRuntime
import TransactionAnalysis

/// The transaction engine and the risk engine (`analysis:`). In the `process` role the transaction engine
/// consumes `transactions` and stores every valid transaction with its address index, and the risk engine
/// (one process at a time) analyses them: clustering, typologies (`analysis.typologies.*`), findings on
/// `compliance`, and a risk assessment of every transaction by the model (`analysis.risk_model.*`). Its tables
/// include the tag lists (`csic import tags|sanctions`, `/api/v1/reference-data`), the clustering, the
/// assessments and the models used.
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
    /// The model scoring every transaction (`analysis.risk_model.*`); nil when scoring is off.
    public var scorer: RiskScorer?

    public init(_ section: ConfigSection) throws {
        typologies = try TypologyConfiguration.read(section)
        riskEngine = section.bool("risk_engine", default: true)
        scorer = try RiskModelConfiguration.read(section)
    }

    public var settingsDescription: [String: String] {
        [
            "risk_engine": String(riskEngine), "typologies.rule_version": typologies.ruleVersion,
            "risk_model.version": scorer?.version ?? "none",
        ]
    }

    public var consumers: [String: String] {
        [Self.group: Topic.transactions.rawValue, Self.riskGroup: Topic.transactions.rawValue]
    }

    public var storeMigrations: [StoreMigration] { [TagTables.migration] + ClusterTables.migrations + [RiskTables.migration] }

    public var metricsHelp: [String: String] {
        [
            "csic_findings_total": "Findings made by the risk engine, by typology.",
            "csic_findings_withdrawals_total":
                "Withdrawals published because a transaction was orphaned by a reorganisation (its findings are withdrawn).",
            "csic_risk_assessments_total": "Transactions the risk engine scored, by risk band.",
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
            let state = AnalysisState(settings: typologies, scorer: scorer)
            let engine = AnalysisEngine(group: Self.riskGroup, state: state, tags: context.database.tags, metrics: context.metrics)
            services += context.oneAtATime(
                Self.riskGroup,
                [
                    StreamProcessor(
                        engine: engine,
                        sink: AnalysisEngine.Sink(
                            state: state, clusters: context.database.clusters, assessments: context.database.riskAssessments,
                            log: context.log),
                        log: context.log,
                        logger: context.logger, metrics: context.metrics, health: context.health)
                ])
        }
        return services
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [
            TransactionRoutes(store: context.store, assessments: context.database.riskAssessments),
            AddressRoutes(
                transactions: context.store, tags: context.database.tags, clusters: context.database.clusters,
                assessments: context.database.riskAssessments, findings: context.store),
            PathRoutes(transactions: context.store, clusters: context.database.clusters),
            ReferenceDataRoutes(
                service: ReferenceDataImporter(
                    store: context.database.tags, log: context.log,
                    reevaluations: riskEngine
                        ? Reevaluations(replay: replay(log: context.log, store: context.store, database: context.database)) : nil)),
        ]
    }

    /// The analysis re-run over the stored log with this component's rules and model, compared with what `store`
    /// holds (`csic replay`, `csic import --reevaluate`, re-evaluations through the API).
    public func replay(log: any EventLog, store: any PlatformStore, database: StoreDatabase) -> AnalysisReplay {
        AnalysisReplay(
            log: log, tags: database.tags, findings: store, assessments: database.riskAssessments, settings: typologies, scorer: scorer)
    }
}
