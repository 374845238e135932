import CSICCore
import CSICProtos
import EventLog
import Logging
import Metrics
import Storage
import StreamRuntime

/// The risk engine's stream stage (`risk-engine` group on `transactions`): every valid transaction is analysed
/// in log order (``TransactionAnalyzer``) with the tags in force for its addresses; findings, and withdrawals of
/// findings whose transactions were orphaned, go to the `compliance` topic keyed by subject; the clustering's
/// changes and, with a model, each transaction's risk assessment are stored in the same batch. Invalid records are the transaction engine's to dead-letter; here they
/// are counted and passed over. Stateful over all partitions, so one process runs it at a time.
public struct AnalysisEngine: StreamEngine {
    public let group: String
    public let topics = [Topic.transactions.rawValue]
    let state: AnalysisState
    let tags: any TagStore
    let metrics: AnalysisMetrics

    public init(
        group: String = "risk-engine", state: AnalysisState, tags: any TagStore, metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.group = group
        self.state = state
        self.tags = tags
        self.metrics = AnalysisMetrics(factory: metrics)
    }

    public func process(_ batch: [LogRecord]) async throws -> EngineOutput<AnalysisChanges> {
        let (transactions, skipped) = Self.transactions(in: batch)
        if skipped > 0 { metrics.skipped.increment(by: skipped) }
        try await state.followTags(in: tags)
        let (findings, changes) = await state.analyze(AnalysisOrder.arrange(transactions))
        metrics.record(findings)
        metrics.record(changes.assessments)
        let events = findings.map { finding in
            (
                topic: Topic.compliance.rawValue,
                record: Self.record(of: finding)
            )
        }
        return EngineOutput(effects: changes, events: events)
    }
}

extension AnalysisEngine {
    /// `finding` as a `compliance` record, keyed by its subject.
    static func record(of finding: ComplianceFinding) -> ProducerRecord {
        ProducerRecord(key: Array(finding.subject.utf8), value: ComplianceTopicEvent.finding(finding).serializedProto())
    }

    /// The valid transactions of `batch`, in log order, and how many records were not (the transaction engine
    /// dead-letters those).
    static func transactions(in batch: [LogRecord]) -> (valid: [ChainTransaction], skipped: Int) {
        var transactions: [ChainTransaction] = []
        transactions.reserveCapacity(batch.count)
        for record in batch {
            guard case .transaction(let transaction)? = try? TransactionTopicEvent(protoBytes: record.value),
                (try? TransactionEngine.check(transaction, record: record)) != nil
            else { continue }
            transactions.append(transaction)
        }
        return (transactions, batch.count - transactions.count)
    }
}

/// The analyser shared by the engine (which feeds it) and its sink (which loads it from the store at start).
public actor AnalysisState {
    private var analyzer: TransactionAnalyzer
    private let settings: TypologySettings
    /// Scores every valid transaction, when set.
    nonisolated let scorer: RiskScorer?
    /// The tags in force the analyser uses, reloaded when an import changes the lists.
    private var tags = TagsInForce()

    /// `scorer` scores every valid transaction; without one, none is.
    public init(settings: TypologySettings = TypologySettings(), scorer: RiskScorer? = nil) {
        self.settings = settings
        self.scorer = scorer
        analyzer = TransactionAnalyzer(settings: settings, scorer: scorer)
    }

    /// Restores the clustering as stored; detector windows start empty.
    func load(from store: any ClusterStore) async throws {
        let (nodes, journal) = try await store.load()
        analyzer = TransactionAnalyzer(
            settings: settings, clusters: try AddressClusters(restoring: nodes, journal: journal), scorer: scorer)
        tags = TagsInForce()
    }

    /// Loads the tags in force when the tag lists changed since they were last loaded (an import while the
    /// platform runs takes effect from the next batch), and gives the analyser their entity-defining tags.
    func followTags(in store: any TagStore) async throws {
        guard try await !tags.isCurrent(in: store) else { return }
        let loaded = try await TagsInForce.load(from: store)
        analyzer.useEntityDefiningTags(loaded.entityDefining(chain: .bitcoin))
        tags = loaded
    }

    func analyze(_ transactions: [ChainTransaction]) -> ([ComplianceFinding], AnalysisChanges) {
        let findings = analyzer.analyze(transactions, tags: tags.tags(of: transactions))
        return (findings, AnalysisChanges(clusters: analyzer.takeClusterChanges(), assessments: analyzer.takeAssessments()))
    }

    /// How many addresses the clustering knows.
    public var clusteredAddresses: Int { analyzer.clusters.addressCount }
}

extension AnalysisEngine {
    /// Stores the clustering's changes of a batch in one store transaction and its assessments in another (both
    /// idempotent: a batch retried after a crash writes the same); loads the clustering at start.
    ///
    /// At start, a scorer whose model is not the one in force is activated: the model file stored and the switch
    /// recorded in the audit trail (`risk_model.activate`, with the previous version).
    public struct Sink: EffectSink {
        let state: AnalysisState
        let clusters: any ClusterStore
        let assessments: any RiskAssessmentStore
        let log: any EventLog

        public init(state: AnalysisState, clusters: any ClusterStore, assessments: any RiskAssessmentStore, log: any EventLog) {
            self.state = state
            self.clusters = clusters
            self.assessments = assessments
            self.log = log
        }

        public func start() async throws {
            try await state.load(from: clusters)
            guard let scorer = state.scorer else { return }
            let previous = try await assessments.activations().first?.version
            guard previous != scorer.version else { return }
            let activation = RiskModelActivation(
                version: scorer.version, name: scorer.name, sha256: scorer.sha256, activatedAt: .now(), activatedBy: "csic:risk-engine")
            try await log.audited(
                "risk_model.activate", resource: "risk_models/\(scorer.version)",
                by: ChangeOrigin(actor: activation.activatedBy, sourceAddress: "local"),
                details: ["previous": previous ?? "none", "sha256": scorer.sha256, "features": "\(scorer.model.featureCount)"]
            ) {
                try await assessments.activate(activation, model: scorer.file)
            }
        }

        public func apply(_ changes: AnalysisChanges) async throws {
            try await clusters.apply(changes.clusters)
            try await assessments.record(changes.assessments)
        }
    }
}

/// What one batch of the risk engine changed in the store.
public struct AnalysisChanges: Sendable {
    public var clusters: ClusterChanges
    public var assessments: [RiskAssessment]
}

/// The risk engine's metrics (names in `docs/architecture.md`).
struct AnalysisMetrics: Sendable {
    let factory: any MetricsFactory
    /// Records that were not valid transactions (dead-lettered by the transaction engine).
    let skipped: Counter

    init(factory: any MetricsFactory) {
        self.factory = factory
        skipped = Counter(label: "csic_analysis_skipped_total", factory: factory)
    }

    func record(_ findings: [ComplianceFinding]) {
        var made: [String: Int] = [:]
        var withdrawals = 0
        for finding in findings {
            if finding.withdrawn { withdrawals += 1 } else { made[finding.typology, default: 0] += 1 }
        }
        for (typology, count) in made {
            Counter(label: "csic_findings_total", dimensions: [("typology", typology)], factory: factory).increment(by: count)
        }
        if withdrawals > 0 { Counter(label: "csic_findings_withdrawals_total", factory: factory).increment(by: withdrawals) }
    }

    func record(_ assessments: [RiskAssessment]) {
        var bands: [RiskBand: Int] = [:]
        for assessment in assessments { bands[assessment.band, default: 0] += 1 }
        for (band, count) in bands {
            Counter(label: "csic_risk_assessments_total", dimensions: [("band", band.rawValue)], factory: factory).increment(by: count)
        }
    }
}
