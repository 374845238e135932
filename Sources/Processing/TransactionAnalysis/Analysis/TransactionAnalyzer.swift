import CSICCore
import Storage

/// The analysis of the transaction stream, in memory: the clustering, every typology detector and the findings
/// each transaction completes. A reverted (reorganised) transaction undoes its merges and detector state and
/// is announced by a withdrawal (``withdrawal(of:ruleVersion:)``): whoever keeps findings withdraws those
/// resting on it, whether or not this process made them. Deterministic: the same transactions in the same order
/// give the same findings with the same ids.
public struct TransactionAnalyzer: Sendable {
    public let settings: TypologySettings
    /// The clustering's undo journal is kept this many merges deep (past the deepest reorg).
    public let journalDepth: Int
    public private(set) var clusters: AddressClusters
    private var detectors: [any TypologyDetector]
    /// Scores every valid transaction when set (``takeAssessments()``).
    public let scorer: RiskScorer?
    /// Keeps every valid transaction's features (``takeFeatures()``): training data.
    public let keepsFeatures: Bool
    private var assessments: [RiskAssessment] = []
    /// Tags that define an entity, lent to the other addresses of their cluster.
    private var entityTags = EntityTags()
    private var features: [(txid: String, row: [Float])] = []

    public init(
        settings: TypologySettings = TypologySettings(), clusters: AddressClusters = AddressClusters(), journalDepth: Int = 50_000,
        scorer: RiskScorer? = nil, keepsFeatures: Bool = false
    ) {
        self.settings = settings
        self.clusters = clusters
        self.journalDepth = journalDepth
        self.scorer = scorer
        self.keepsFeatures = keepsFeatures
        detectors = settings.detectors()
    }

    /// Uses `tags` (Bitcoin's tags in force that define an entity, by address) from now on: each lends itself to
    /// every address of its tagged address's cluster, for the detectors and the features.
    public mutating func useEntityDefiningTags(_ tags: [String: [ListedTag]]) {
        entityTags.replace(with: tags, clusters: clusters)
    }

    /// The entity key of `address`: `entity:<root id>` for an address that has spent in a cluster of several
    /// addresses, else the address itself.
    public func entityKey(_ address: String) -> String {
        Self.entityKey(address, in: clusters)
    }

    static func entityKey(_ address: String, in clusters: AddressClusters) -> String {
        guard let root = clusters.entityOfSeveral(address) else { return address }
        return "entity:\(root)"
    }

    /// Analyses `transactions` in order, with the tags in force for their addresses (by chain, then address).
    /// Returns the findings made and withdrawn.
    public mutating func analyze(_ transactions: [ChainTransaction], tags: [Chain: [String: [ListedTag]]]) -> [ComplianceFinding] {
        var findings: [ComplianceFinding] = []
        var latest: Timestamp?
        var scored: [(flows: TransactionFlows, hits: [Detection])] = []
        var rows: [Float] = []
        for transaction in transactions {
            let flows = TransactionFlows(transaction)
            if transaction.status == .reverted {
                if transaction.chain == .bitcoin {
                    clusters.revert(txid: transaction.txid)
                    if !entityTags.isEmpty { entityTags.refile(clusters) }
                }
                let context = context(for: flows, tags: tags[transaction.chain] ?? [:])
                for index in detectors.indices { detectors[index].revert(flows, context) }
                findings.append(Self.withdrawal(of: transaction, ruleVersion: settings.ruleVersion))
                continue
            }
            if transaction.chain == .bitcoin {
                _ = clusters.apply(transaction)
                entityTags.applied(transaction, clusters: clusters)
            }
            let context = context(for: flows, tags: tags[transaction.chain] ?? [:])
            var hits: [Detection] = []
            for index in detectors.indices {
                let found = detectors[index].observe(flows, context)
                // One exposure detector serves both exposure typologies: a disabled one is not reported.
                if !found.isEmpty { hits += found.filter { settings.enabled.contains($0.typology) } }
            }
            findings += hits.map { finding($0, flows) }
            if scorer != nil || keepsFeatures {
                let row = RiskFeatures.row(
                    flows, context: context, entitySize: clusters.entitySize(of:), hits: Set(hits.map(\.typology)),
                    structuring: settings.structuring)
                if scorer != nil {
                    scored.append((flows, hits))
                    rows += row
                }
                if keepsFeatures { features.append((flows.txid, row)) }
            }
            latest = max(latest ?? flows.time, flows.time)
        }
        if let scorer, !scored.isEmpty {
            let made = scorer.assess(scored, rows: rows)
            assessments += made
            if let alertScore = scorer.alertScore {
                for (index, assessment) in made.enumerated() where scored[index].hits.isEmpty && assessment.score >= alertScore {
                    findings.append(Self.highRiskFinding(assessment, scored[index].flows, alertScore: alertScore))
                }
            }
        }
        if let latest {
            for index in detectors.indices { detectors[index].expire(before: latest) }
        }
        if clusters.journalEntries.count > journalDepth * 2 { clusters.trimJournal(keeping: journalDepth) }
        return findings
    }

    /// The assessments made since the last call.
    public mutating func takeAssessments() -> [RiskAssessment] {
        defer { assessments = [] }
        return assessments
    }

    /// The features kept since the last call, by txid.
    public mutating func takeFeatures() -> [(txid: String, row: [Float])] {
        defer { features = [] }
        return features
    }

    /// The clustering's changes since the last call, for the store.
    public mutating func takeClusterChanges() -> ClusterChanges {
        clusters.takeChanges()
    }

    private func context(for flows: TransactionFlows, tags: [String: [ListedTag]]) -> DetectionContext {
        let clusters = clusters
        var lent: [String: [ListedTag]] = [:]
        if flows.chain == .bitcoin, !entityTags.isEmpty {
            for flow in flows.senders + flows.recipients where lent[flow.address] == nil {
                let tags = entityTags.tags(of: flow.address, in: clusters)
                if !tags.isEmpty { lent[flow.address] = tags }
            }
        }
        var context = DetectionContext(tags: tags, entityTags: lent) { Self.entityKey($0, in: clusters) }
        context.remember(flows)
        return context
    }

    private func finding(_ detection: Detection, _ flows: TransactionFlows) -> ComplianceFinding {
        let subject = detection.subjects.first ?? flows.txid
        let kind: FindingKind = detection.typology == .sanctionedExposure ? .sanctionsHit : .pattern
        return ComplianceFinding(
            id: Self.findingID(detection.typology.rawValue, subject: subject, flows), kind: kind, subject: subject,
            severity: detection.severity, source: Self.findingSource, summary: detection.summary, evidence: detection.evidence,
            time: flows.time,
            typology: detection.typology.rawValue, subjects: detection.subjects, txids: detection.txids, amount: detection.amount,
            chain: flows.chain, ruleVersion: settings.ruleVersion)
    }

    /// A finding's deterministic id, `<typology>:<chain>:<subject>:<txid>` (the replay compares by it and reads the
    /// transaction that completed it from its last component).
    static func findingID(_ typology: String, subject: String, _ flows: TransactionFlows) -> String {
        "\(typology):\(flows.chain.idPrefix):\(subject):\(flows.txid)"
    }

    /// The `source` of the findings and withdrawals the analysis makes.
    public static let findingSource = "risk-engine"

    /// The record that withdraws every finding resting on `transaction`, orphaned by a reorganisation: id
    /// `withdrawal:<chain>:<txid>`, `withdrawn` set, the txid as subject and only txid.
    public static func withdrawal(of transaction: ChainTransaction, ruleVersion: String) -> ComplianceFinding {
        ComplianceFinding(
            id: "withdrawal:\(transaction.chain.idPrefix):\(transaction.txid)", kind: .pattern, subject: transaction.txid, severity: .info,
            source: Self.findingSource,
            summary: "transaction \(transaction.txid) was orphaned by a reorganisation: the findings resting on it are withdrawn",
            time: transaction.seenAt, txids: [transaction.txid], chain: transaction.chain, ruleVersion: ruleVersion, withdrawn: true)
    }
}
