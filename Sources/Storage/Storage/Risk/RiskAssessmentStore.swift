import CSICCore
import Foundation

/// The risk engine's assessments, stored beside the transactions they score: one row per transaction and model
/// version, the first assessment a model made of a transaction kept (a replay or a retried batch does not
/// overwrite it; a new model adds its own). On SQLite and PostgreSQL (``StoreDatabase/riskAssessments``),
/// tables created by ``RiskTables/migration``.
public protocol RiskAssessmentStore: Sendable {
    /// Stores `assessments` in one transaction; those already stored for their transaction and model are kept.
    func record(_ assessments: [RiskAssessment]) async throws
    /// Every assessment of one transaction, the latest first.
    func assessments(chain: Chain, txid: String) async throws -> [RiskAssessment]
    /// The latest assessment of each of `txids` on `chain` that has one, by txid.
    func latest(chain: Chain, txids: [String]) async throws -> [String: RiskAssessment]
    /// Records that the risk engine now scores with `activation`'s model, whose file is `model` (kept: every model
    /// ever used can be read back and re-run).
    func activate(_ activation: RiskModelActivation, model: [UInt8]) async throws
    /// Every activation, the latest (the model in force) first.
    func activations() async throws -> [RiskModelActivation]
    /// The file of model `version`, as activated.
    func model(version: String) async throws -> [UInt8]?
}

/// A model the risk engine took up: its version (name and digest), when and by whom.
public struct RiskModelActivation: Sendable, Hashable, Codable {
    public var version: String
    public var name: String
    public var sha256: String
    public var activatedAt: Timestamp
    public var activatedBy: String

    public init(version: String, name: String, sha256: String, activatedAt: Timestamp, activatedBy: String) {
        self.version = version
        self.name = name
        self.sha256 = sha256
        self.activatedAt = activatedAt
        self.activatedBy = activatedBy
    }
}

/// The assessments' and the models' tables, on both backends.
public enum RiskTables {
    /// Created by the transaction analysis component (``StoreMigration``).
    public static let migration = StoreMigration(
        "2026-12-06-risk-assessments",
        sqlite: { db in
            try db.execute(
                sql: """
                    CREATE TABLE risk_assessments (seq INTEGER PRIMARY KEY AUTOINCREMENT, chain TEXT NOT NULL, txid TEXT NOT NULL,
                        model_version TEXT NOT NULL, score INTEGER NOT NULL, band TEXT NOT NULL, probability REAL NOT NULL,
                        reasons TEXT NOT NULL, assessed_at_us INTEGER NOT NULL, UNIQUE (chain, txid, model_version));
                    CREATE TABLE risk_model_activations (seq INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT NOT NULL, name TEXT NOT NULL,
                        sha256 TEXT NOT NULL, model BLOB NOT NULL, activated_at_us INTEGER NOT NULL, activated_by TEXT NOT NULL);
                    """)
        },
        postgres: [
            """
            CREATE TABLE risk_assessments (seq BIGSERIAL PRIMARY KEY, chain TEXT NOT NULL, txid TEXT NOT NULL,
                model_version TEXT NOT NULL, score BIGINT NOT NULL, band TEXT NOT NULL, probability DOUBLE PRECISION NOT NULL,
                reasons TEXT NOT NULL, assessed_at_us BIGINT NOT NULL, UNIQUE (chain, txid, model_version))
            """,
            """
            CREATE TABLE risk_model_activations (seq BIGSERIAL PRIMARY KEY, version TEXT NOT NULL, name TEXT NOT NULL,
                sha256 TEXT NOT NULL, model BYTEA NOT NULL, activated_at_us BIGINT NOT NULL, activated_by TEXT NOT NULL)
            """,
        ])

    static let columns = "chain, txid, model_version, score, probability, reasons, assessed_at_us"

    /// The reasons as stored: JSON.
    static func storedReasons(_ reasons: [RiskReason]) -> String {
        String(decoding: (try? JSONEncoder().encode(reasons)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// An assessment read back; a row that does not decode is reported, never guessed.
    static func assessment(
        chain: String, txid: String, modelVersion: String, score: Int64, probability: Double, reasons: String, assessedAt: Int64
    ) throws -> RiskAssessment {
        guard let chain = Chain(rawValue: chain), (0...100).contains(score),
            let reasons = try? JSONDecoder().decode([RiskReason].self, from: Data(reasons.utf8))
        else { throw RiskStoreError.corrupt("assessment of \(txid) by \(modelVersion)") }
        return RiskAssessment(
            chain: chain, txid: txid, score: Int(score), probability: probability, reasons: reasons, modelVersion: modelVersion,
            assessedAt: Timestamp(microsecondsSinceEpoch: assessedAt))
    }
}

/// A stored assessment that cannot be read back.
public enum RiskStoreError: Error, Equatable, CustomStringConvertible {
    case corrupt(String)

    public var description: String {
        switch self {
        case .corrupt(let detail): "a stored risk assessment is corrupt: \(detail)"
        }
    }
}

extension StoreDatabase {
    /// The risk assessments on this database.
    public var riskAssessments: any RiskAssessmentStore {
        switch self {
        case .sqlite(let store): SQLiteRiskAssessmentStore(store)
        case .postgres(let store): PostgresRiskAssessmentStore(store)
        }
    }
}
