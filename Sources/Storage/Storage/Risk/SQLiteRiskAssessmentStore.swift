import CSICCore
import Foundation
import GRDB

/// ``RiskAssessmentStore`` on the platform's SQLite database.
public struct SQLiteRiskAssessmentStore: RiskAssessmentStore {
    let pool: DatabasePool

    public init(_ store: SQLiteStore) {
        pool = store.pool
    }

    public func record(_ assessments: [RiskAssessment]) async throws {
        guard !assessments.isEmpty else { return }
        try await pool.write { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO risk_assessments (chain, txid, model_version, score, band, probability, reasons, assessed_at_us)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain, txid, model_version) DO NOTHING
                    """)
            for assessment in assessments {
                try insert.execute(arguments: [
                    assessment.chain.rawValue, assessment.txid, assessment.modelVersion, assessment.score, assessment.band.rawValue,
                    assessment.probability, RiskTables.storedReasons(assessment.reasons), assessment.assessedAt.microsecondsSinceEpoch,
                ])
            }
        }
    }

    public func assessments(chain: Chain, txid: String) async throws -> [RiskAssessment] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(RiskTables.columns) FROM risk_assessments WHERE chain = ? AND txid = ? ORDER BY seq DESC",
                arguments: [chain.rawValue, txid]
            ).map(Self.assessment)
        }
    }

    public func latest(chain: Chain, txids: [String]) async throws -> [String: RiskAssessment] {
        guard !txids.isEmpty else { return [:] }
        return try await pool.read { db in
            var found: [String: RiskAssessment] = [:]
            for slice in stride(from: 0, to: txids.count, by: 500) {
                let batch = Array(txids[slice..<min(slice + 500, txids.count)])
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(RiskTables.columns) FROM risk_assessments
                        WHERE chain = ? AND txid IN (\(databaseQuestionMarks(count: batch.count))) ORDER BY seq
                        """, arguments: StatementArguments([chain.rawValue] + batch))
                for row in rows {
                    let assessment = try Self.assessment(row)
                    found[assessment.txid] = assessment
                }
            }
            return found
        }
    }

    public func activate(_ activation: RiskModelActivation, model: [UInt8]) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO risk_model_activations (version, name, sha256, model, activated_at_us, activated_by)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    activation.version, activation.name, activation.sha256, Data(model), activation.activatedAt.microsecondsSinceEpoch,
                    activation.activatedBy,
                ])
        }
    }

    public func activations() async throws -> [RiskModelActivation] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT version, name, sha256, activated_at_us, activated_by FROM risk_model_activations ORDER BY seq DESC"
            ).map { row in
                RiskModelActivation(
                    version: row[0], name: row[1], sha256: row[2], activatedAt: Timestamp(microsecondsSinceEpoch: row[3]),
                    activatedBy: row[4])
            }
        }
    }

    public func model(version: String) async throws -> [UInt8]? {
        try await pool.read { db in
            try Data.fetchOne(
                db, sql: "SELECT model FROM risk_model_activations WHERE version = ? ORDER BY seq LIMIT 1", arguments: [version]
            ).map(Array.init)
        }
    }

    static func assessment(_ row: Row) throws -> RiskAssessment {
        try RiskTables.assessment(
            chain: row[0], txid: row[1], modelVersion: row[2], score: row[3], probability: row[4], reasons: row[5], assessedAt: row[6])
    }
}
