import CSICCore
import PostgresNIO

/// ``RiskAssessmentStore`` on PostgreSQL: a batch written as one `UNNEST` insert.
public struct PostgresRiskAssessmentStore: RiskAssessmentStore {
    let store: PostgresStore

    public init(_ store: PostgresStore) {
        self.store = store
    }

    public func record(_ assessments: [RiskAssessment]) async throws {
        guard !assessments.isEmpty else { return }
        let logger = store.logger
        try await store.transaction { connection in
            for first in stride(from: 0, to: assessments.count, by: 10_000) {
                let batch = assessments[first..<min(first + 10_000, assessments.count)]
                try await connection.query(
                    """
                    INSERT INTO risk_assessments (chain, txid, model_version, score, band, probability, reasons, assessed_at_us)
                    SELECT chain, txid, model_version, score, band, probability, reasons, assessed_at_us
                    FROM UNNEST(\(batch.map(\.chain.rawValue)), \(batch.map(\.txid)), \(batch.map(\.modelVersion)),
                        \(batch.map { Int64($0.score) }), \(batch.map(\.band.rawValue)), \(batch.map(\.probability)),
                        \(batch.map { RiskTables.storedReasons($0.reasons) }), \(batch.map(\.assessedAt.microsecondsSinceEpoch)))
                        WITH ORDINALITY AS u(chain, txid, model_version, score, band, probability, reasons, assessed_at_us, position)
                    ORDER BY position
                    ON CONFLICT (chain, txid, model_version) DO NOTHING
                    """, logger: logger)
            }
        }
    }

    public func assessments(chain: Chain, txid: String) async throws -> [RiskAssessment] {
        try await store.rows(
            "SELECT \(unescaped: RiskTables.columns) FROM risk_assessments WHERE chain = \(chain.rawValue) AND txid = \(txid) ORDER BY seq DESC",
            Self.assessment)
    }

    public func latest(chain: Chain, txids: [String]) async throws -> [String: RiskAssessment] {
        guard !txids.isEmpty else { return [:] }
        let rows = try await store.rows(
            "SELECT \(unescaped: RiskTables.columns) FROM risk_assessments WHERE chain = \(chain.rawValue) AND txid = ANY(\(txids)) ORDER BY seq",
            Self.assessment)
        var found: [String: RiskAssessment] = [:]
        for assessment in rows { found[assessment.txid] = assessment }
        return found
    }

    public func activate(_ activation: RiskModelActivation, model: [UInt8]) async throws {
        try await store.transaction { connection in
            _ = try await connection.query(
                """
                INSERT INTO risk_model_activations (version, name, sha256, model, activated_at_us, activated_by)
                VALUES (\(activation.version), \(activation.name), \(activation.sha256), \(ByteBuffer(bytes: model)),
                    \(activation.activatedAt.microsecondsSinceEpoch), \(activation.activatedBy))
                """, logger: store.logger)
        }
    }

    public func activations() async throws -> [RiskModelActivation] {
        try await store.rows("SELECT version, name, sha256, activated_at_us, activated_by FROM risk_model_activations ORDER BY seq DESC") {
            row in
            RiskModelActivation(
                version: try row[0].decode(String.self), name: try row[1].decode(String.self), sha256: try row[2].decode(String.self),
                activatedAt: Timestamp(microsecondsSinceEpoch: try row[3].decode(Int64.self)), activatedBy: try row[4].decode(String.self))
        }
    }

    public func model(version: String) async throws -> [UInt8]? {
        try await store.rows("SELECT model FROM risk_model_activations WHERE version = \(version) ORDER BY seq LIMIT 1") { row in
            Array(try row[0].decode(ByteBuffer.self).readableBytesView)
        }.first
    }

    static func assessment(_ row: PostgresRandomAccessRow) throws -> RiskAssessment {
        try RiskTables.assessment(
            chain: try row[0].decode(String.self), txid: try row[1].decode(String.self), modelVersion: try row[2].decode(String.self),
            score: try row[3].decode(Int64.self), probability: try row[4].decode(Double.self), reasons: try row[5].decode(String.self),
            assessedAt: try row[6].decode(Int64.self))
    }
}
