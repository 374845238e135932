import CSICCore
import Foundation
import RiskEngine
import Simulation
import Storage
import TransactionAnalysis

/// `csic bench clustering`, `csic bench model` and `csic bench analysis`: the analysis's own hot loops on one core.
public enum AnalysisBenchmark {
    /// The whole transaction analysis (clustering, every typology detector with its defaults and the committed
    /// risk model scoring every transaction, the simulated services tagged as a regulator's TagPacks would tag
    /// its licensed services) over simulated transactions in batches of 1,000, in memory:
    /// transactions per second on one core, the same pass without scoring measured first in the same run, and the
    /// findings made (the simulated economy is benign: every finding is one a tuned deployment would not want).
    public static func analysis(transactions count: Int = 500_000, scorer: RiskScorer?) -> BenchmarkResult {
        var simulator = ChainSimulator(seed: 43, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        var transactions: [ChainTransaction] = []
        transactions.reserveCapacity(count)
        while transactions.count < count { transactions.append(simulator.nextTransaction()) }
        let tags = ListedTag.byAddress(simulator.serviceTags(), list: "services")
        func pass(_ scorer: RiskScorer?) -> (elapsed: Duration, findings: [String: Int], bands: [RiskBand: Int]) {
            var analyzer = TransactionAnalyzer(scorer: scorer)
            var findings: [String: Int] = [:]
            var bands: [RiskBand: Int] = [:]
            let clock = ContinuousClock()
            let started = clock.now
            for first in stride(from: 0, to: transactions.count, by: 1_000) {
                let batch = Array(transactions[first..<min(first + 1_000, transactions.count)])
                for finding in analyzer.analyze(batch, tags: [.bitcoin: tags]) { findings[finding.typology, default: 0] += 1 }
                _ = analyzer.takeClusterChanges()
                for assessment in analyzer.takeAssessments() { bands[assessment.band, default: 0] += 1 }
            }
            return (clock.now - started, findings, bands)
        }
        let unscored = pass(nil)
        let scored = scorer.map(pass)
        let (elapsed, findings) = ((scored ?? unscored).elapsed, (scored ?? unscored).findings)
        var parameters = [
            "transactions": "\(count)", "detectors": "\(Typology.allCases.count) typologies, defaults", "batch": "1000", "threads": "1",
            "findings": "\(findings.values.reduce(0, +))", "unit": "transactions", "scoring": scorer?.version ?? "off",
            "without_scoring_per_s": String(format: "%.0f", Double(count) / unscored.elapsed.seconds),
        ]
        for (typology, made) in findings { parameters["findings_\(typology)"] = "\(made)" }
        for (band, assessed) in scored?.bands ?? [:] { parameters["band_\(band.rawValue)"] = "\(assessed)" }
        return BenchmarkResult(name: "analysis", records: count, duration: elapsed, latency: LatencyHistogram(), parameters: parameters)
    }

    /// Detection quality on a scenario set (``TypologyScenarios``) from `seed`: every typology's precision, recall
    /// and F1 over distinct (typology, subject) pairs, overall, and the findings on the benign background alone
    /// (goal: none). A finding about an address of another injected instance (a peel chain's hops pass funds
    /// through) counts against precision and is also shown apart (`overlap_<typology>`).
    ///
    /// With `models`, the risk model and its logistic-regression baseline each score every transaction of the
    /// mixed set from its ``RiskFeatures``; the label is whether the transaction was injected, and each model's
    /// precision-recall AUC (average precision) is printed. `exportFeatures` writes the same rows as CSV
    /// (`txid,label,<feature names>`), the training data of `tools/train_risk_model.py`.
    public static func detection(
        seed: UInt64, background: Int = 100_000, perTypology: Int = 20, models: (risk: any RiskModel, baseline: any RiskModel)? = nil,
        exportFeatures: String? = nil
    ) throws -> BenchmarkResult {
        let clock = ContinuousClock()
        let started = clock.now
        let scenarios = TypologyScenarios(seed: seed, background: background, perTypology: perTypology)
        let tags = ListedTag.byAddress(scenarios.tags, list: "scenario")
        var injected = Set<String>()
        let labelled = Set(scenarios.labels.map { "\($0.typology.rawValue) \($0.subject)" })
        var benignOnly = TransactionAnalyzer(keepsFeatures: models != nil)
        var benignRows: [Float] = []
        var mixed = TransactionAnalyzer(keepsFeatures: true)
        var features: [(txid: String, row: [Float])] = []
        var benignFindings: [String: Int] = [:]
        var found = Set<String>()
        var overlap: [String: Int] = [:]
        var benignSet = ChainSimulator(seed: seed, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        var benign: [ChainTransaction] = []
        while benign.count < background { benign.append(benignSet.nextTransaction()) }
        let benignTxids = Set(benign.map(\.txid))
        for transaction in scenarios.transactions where !benignTxids.contains(transaction.txid) {
            injected.formUnion(transaction.addresses)
        }
        for first in stride(from: 0, to: benign.count, by: 1_000) {
            for finding in benignOnly.analyze(Array(benign[first..<min(first + 1_000, benign.count)]), tags: [.bitcoin: tags]) {
                benignFindings[finding.typology, default: 0] += 1
            }
            benignRows += benignOnly.takeFeatures().flatMap(\.row)
        }
        for first in stride(from: 0, to: scenarios.transactions.count, by: 1_000) {
            let batch = Array(scenarios.transactions[first..<min(first + 1_000, scenarios.transactions.count)])
            for finding in mixed.analyze(batch, tags: [.bitcoin: tags]) where !finding.withdrawn {
                let key = "\(finding.typology) \(finding.subject)"
                if found.insert(key).inserted, !labelled.contains(key), injected.contains(finding.subject) {
                    overlap[finding.typology, default: 0] += 1
                }
            }
            features += mixed.takeFeatures()
        }
        let labels = features.map { !benignTxids.contains($0.txid) }
        var parameters: [String: String] = [
            "seed": "\(seed)", "background_transactions": "\(background)", "instances_per_typology": "\(perTypology)",
            "transactions": "\(scenarios.transactions.count)", "benign_only_findings": "\(benignFindings.values.reduce(0, +))",
            "unit": "transactions",
        ]
        var totals = (truePositives: 0, findings: 0, labels: 0)
        for typology in Typology.allCases {
            let labels = labelled.filter { $0.hasPrefix(typology.rawValue + " ") }
            let findings = found.filter { $0.hasPrefix(typology.rawValue + " ") }
            let hits = findings.intersection(labels).count
            totals = (totals.truePositives + hits, totals.findings + findings.count, totals.labels + labels.count)
            let (precision, recall) = (ratio(hits, findings.count), ratio(hits, labels.count))
            parameters["precision_\(typology.rawValue)"] = format(precision)
            parameters["recall_\(typology.rawValue)"] = format(recall)
            parameters["f1_\(typology.rawValue)"] = format(f1(precision, recall))
            parameters["overlap_\(typology.rawValue)"] = "\(overlap[typology.rawValue] ?? 0)"
            parameters["benign_only_\(typology.rawValue)"] = "\(benignFindings[typology.rawValue] ?? 0)"
        }
        let (precision, recall) = (ratio(totals.truePositives, totals.findings), ratio(totals.truePositives, totals.labels))
        parameters["precision"] = format(precision)
        parameters["recall"] = format(recall)
        parameters["f1"] = format(f1(precision, recall))
        parameters["risk_rows"] = "\(features.count)"
        parameters["risk_positives"] = "\(labels.filter { $0 }.count)"
        if let models {
            let rows = features.flatMap(\.row)
            parameters["pr_auc_model"] = format(ModelEvaluation.averagePrecision(scores: models.risk.probabilities(rows), labels: labels))
            parameters["pr_auc_baseline"] = format(
                ModelEvaluation.averagePrecision(scores: models.baseline.probabilities(rows), labels: labels))
            scoreAlerts(models.risk, benignOnly: benignRows, mixed: rows, labels: labels, into: &parameters)
        }
        if let exportFeatures { try writeFeatures(features, labels: labels, to: exportFeatures) }
        return BenchmarkResult(
            name: "detection", records: scenarios.transactions.count + benign.count, duration: clock.now - started,
            latency: LatencyHistogram(),
            parameters: parameters)
    }

    /// What `high_risk_score` findings (the model alone, no rule hit) would be at several alert scores: on the
    /// benign-only set (`benign_only_score_alerts_<score>`: every one a false alert) and, on the scenario set, among
    /// injected transactions (`injected_score_only_<score>`: what the model adds to the rules) and benign ones.
    private static func scoreAlerts(
        _ model: any RiskModel, benignOnly: [Float], mixed: [Float], labels: [Bool], into parameters: inout [String: String]
    ) {
        let width = RiskFeatures.names.count
        let rules = (width - Typology.allCases.count)..<width
        func scoreOnly(_ rows: [Float]) -> [Int?] {
            zip(model.probabilities(rows), stride(from: 0, to: rows.count, by: width)).map { probability, start in
                rules.contains { rows[start + $0] != 0 } ? nil : Int((probability * 100).rounded())
            }
        }
        let benign = scoreOnly(benignOnly)
        let scenario = scoreOnly(mixed)
        for alertScore in Set([90, 95, 99, 100, RiskScorer.defaultAlertScore]).sorted() {
            parameters["benign_only_score_alerts_\(alertScore)"] = "\(benign.filter { ($0 ?? 0) >= alertScore }.count)"
            let reached = scenario.indices.filter { (scenario[$0] ?? 0) >= alertScore }
            parameters["injected_score_only_\(alertScore)"] = "\(reached.filter { labels[$0] }.count)"
            parameters["benign_score_only_\(alertScore)"] = "\(reached.filter { !labels[$0] }.count)"
        }
    }

    /// The feature rows as CSV: `txid,label,<feature names>`, missing values empty.
    private static func writeFeatures(_ features: [(txid: String, row: [Float])], labels: [Bool], to path: String) throws {
        var text = (["txid", "label"] + RiskFeatures.names).joined(separator: ",") + "\n"
        for (index, (txid, row)) in features.enumerated() {
            text += ([txid, labels[index] ? "1" : "0"] + row.map { $0.isNaN ? "" : "\($0)" }).joined(separator: ",") + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private static func ratio(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
    private static func f1(_ precision: Double, _ recall: Double) -> Double {
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }
    private static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    /// Multi-input clustering over simulated transactions: inputs applied per second.
    public static func clustering(transactions count: Int = 500_000) -> BenchmarkResult {
        var simulator = ChainSimulator(seed: 42, start: Timestamp(secondsSinceEpoch: 1_767_225_600))
        var transactions: [ChainTransaction] = []
        transactions.reserveCapacity(count)
        while transactions.count < count { transactions.append(simulator.nextTransaction()) }
        let inputs = transactions.reduce(0) { $0 + $1.inputs.count }
        var clusters = AddressClusters()
        var merged = 0
        var coinJoins = 0
        let clock = ContinuousClock()
        let started = clock.now
        for transaction in transactions {
            switch clusters.apply(transaction) {
            case .merged(let merges): merged += merges
            case .coinJoin: coinJoins += 1
            default: break
            }
        }
        let elapsed = clock.now - started
        return BenchmarkResult(
            name: "clustering", records: inputs, duration: elapsed, latency: LatencyHistogram(),
            parameters: [
                "transactions": "\(count)", "inputs": "\(inputs)", "addresses": "\(clusters.addressCount)", "unions": "\(merged)",
                "coinjoins": "\(coinJoins)", "unit": "inputs",
            ])
    }

    /// Gradient-boosted tree inference on one core: scores per second of `model` (an XGBoost JSON file; else
    /// a random 100-tree depth-6 model over 32 features) on `rows` (little-endian float32, the model's feature
    /// count per row; else random rows with 5 % missing values).
    public static func model(file: String?, rows rowsFile: String?, duration: Duration) throws -> BenchmarkResult {
        let model = try GradientBoostedTrees(json: file.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) } ?? randomModel())
        var generator = SystemRandomNumberGenerator()
        let values: [Float]
        if let rowsFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: rowsFile))
            values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        } else {
            values = (0..<10_000 * model.featureCount).map { _ in
                Int.random(in: 0..<20, using: &generator) == 0 ? .nan : Float.random(in: -3...3, using: &generator)
            }
        }
        let rowCount = values.count / model.featureCount
        precondition(rowCount > 0, "no rows")
        let clock = ContinuousClock()
        let started = clock.now
        var scored = 0
        var checksum: Float = 0
        while clock.now - started < duration {
            checksum += model.margins(values).reduce(0, +)
            scored += rowCount
        }
        let elapsed = clock.now - started
        return BenchmarkResult(
            name: "model", records: scored, duration: elapsed, latency: LatencyHistogram(),
            parameters: [
                "trees": "\(model.treeCount)", "features": "\(model.featureCount)", "rows": "\(rowCount)", "threads": "1",
                "scoring": model.scoring,
                "model": file ?? "random 100 trees, depth 6", "checksum": String(format: "%.3f", checksum / Float(scored)),
                "unit": "scores",
            ])
    }

    /// A random `gbtree` model in XGBoost's JSON format: 100 full trees of depth 6 over 32 features.
    static func randomModel(trees: Int = 100, depth: Int = 6, features: Int = 32) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let nodes = (1 << (depth + 1)) - 1
        let treeTexts = (0..<trees).map { _ in
            var left: [Int] = []
            var right: [Int] = []
            var indices: [Int] = []
            var conditions: [Float] = []
            var defaults: [Int] = []
            for node in 0..<nodes {
                let isLeaf = node >= (1 << depth) - 1
                left.append(isLeaf ? -1 : 2 * node + 1)
                right.append(isLeaf ? -1 : 2 * node + 2)
                indices.append(isLeaf ? 0 : Int.random(in: 0..<features, using: &generator))
                conditions.append(isLeaf ? Float.random(in: -0.2...0.2, using: &generator) : Float.random(in: -2...2, using: &generator))
                defaults.append(Int.random(in: 0...1, using: &generator))
            }
            return """
                {"left_children":\(left),"right_children":\(right),"split_indices":\(indices),"split_conditions":\(conditions),"default_left":\(defaults)}
                """
        }
        let text = """
            {"learner":{"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[\(treeTexts.joined(separator: ","))]}},
            "learner_model_param":{"base_score":"5E-1","num_feature":"\(features)","num_class":"0","num_target":"1"}}}
            """
        return Array(text.utf8)
    }
}
