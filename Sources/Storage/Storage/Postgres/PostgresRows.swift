import CSICCore
import Foundation
import PostgresNIO

/// Rows of the PostgreSQL tables decoded into the platform's types (columns by name, as `SELECT *` returns them;
/// amounts selected as text by ``PostgresTransactionRows/columns``).
enum PostgresRows {
    static func time(_ row: PostgresRandomAccessRow, _ column: String) throws -> Timestamp {
        Timestamp(microsecondsSinceEpoch: try row[column].decode(Int64.self))
    }

    static func optionalTime(_ row: PostgresRandomAccessRow, _ column: String) throws -> Timestamp? {
        try row[column].decode(Int64?.self).map(Timestamp.init(microsecondsSinceEpoch:))
    }

    static func bytes(_ row: PostgresRandomAccessRow, _ column: String) throws -> [UInt8] {
        Array(try row[column].decode(ByteBuffer.self).readableBytesView)
    }

    static func transaction(_ row: PostgresRandomAccessRow) throws -> StoredTransaction {
        StoredTransaction(
            id: try row["id"].decode(String.self),
            chain: Chain(rawValue: try row["chain"].decode(String.self)) ?? .bitcoin,
            txid: try row["txid"].decode(String.self),
            blockHeight: try row["block_height"].decode(Int64?.self).map { UInt64(bitPattern: $0) },
            blockHash: try row["block_hash"].decode(String?.self),
            blockTime: try optionalTime(row, "block_time_us"),
            seenAt: try time(row, "seen_at_us"),
            fee: try row["fee"].decode(String?.self).flatMap(Amount.init(decimal:)),
            totalOutput: Amount(decimal: try row["total_output"].decode(String.self)) ?? .zero,
            inputCount: Int(try row["input_count"].decode(Int32.self)),
            outputCount: Int(try row["output_count"].decode(Int32.self)),
            status: TransactionStatus(rawValue: try row["status"].decode(String.self)) ?? .pending,
            riskScore: try row["risk_score"].decode(Int32?.self).map(Int.init),
            payload: try bytes(row, "payload"),
            source: LogPosition(
                topic: try row["source_topic"].decode(String.self), partition: try row["source_partition"].decode(Int32.self),
                offset: try row["source_offset"].decode(Int64.self)))
    }

    static func deadLetter(_ row: PostgresRandomAccessRow) throws -> DeadLetter {
        DeadLetter(
            source: try row["source"].decode(String.self), topic: try row["topic"].decode(String.self),
            partition: try row["partition"].decode(Int32?.self), offset: try row["offset"].decode(Int64?.self),
            key: try bytes(row, "record_key"), payload: try bytes(row, "payload"),
            reasonCode: ValidationError.Code(rawValue: try row["reason_code"].decode(String.self)) ?? .malformed,
            reason: try row["reason"].decode(String.self), rejectedBy: try row["rejected_by"].decode(String.self),
            time: try time(row, "time_us"))
    }

    static func configuration(_ row: PostgresRandomAccessRow) throws -> ConfigurationEntry {
        ConfigurationEntry(
            key: try row["key"].decode(String.self), value: try row["value"].decode(String.self), updatedAt: try time(row, "updated_at_us"),
            updatedBy: try row["updated_by"].decode(String.self))
    }

    static func hold(_ row: PostgresRandomAccessRow) throws -> LegalHold {
        LegalHold(
            id: try row["id"].decode(String.self),
            recordClass: RecordClass(rawValue: try row["record_class"].decode(String.self)) ?? .transactions,
            subject: try row["subject"].decode(String?.self), reason: try row["reason"].decode(String.self),
            caseReference: try row["case_reference"].decode(String?.self), placedBy: try row["placed_by"].decode(String.self),
            placedAt: try time(row, "placed_at_us"), releasedBy: try row["released_by"].decode(String?.self),
            releasedAt: try optionalTime(row, "released_at_us"))
    }

    static func user(_ row: PostgresRandomAccessRow) throws -> UserAccount {
        UserAccount(
            username: try row["username"].decode(String.self), displayName: try row["display_name"].decode(String.self),
            role: UserAccount.Role(rawValue: try row["role"].decode(String.self)) ?? .analyst,
            passwordHash: try row["password_hash"].decode(String.self), disabled: try row["disabled"].decode(Bool.self),
            createdAt: try time(row, "created_at_us"), entityID: try row["entity_id"].decode(String?.self),
            totpSecret: try row["totp_secret"].decode(String?.self))
    }

    static func apiKey(_ row: PostgresRandomAccessRow) throws -> StoredAPIKey {
        StoredAPIKey(
            id: try row["id"].decode(String.self), username: try row["username"].decode(String.self),
            secretSHA256: try row["secret_sha256"].decode(String.self), label: try row["label"].decode(String.self),
            createdAt: try time(row, "created_at_us"), revokedAt: try optionalTime(row, "revoked_at_us"))
    }

    static func refreshToken(_ row: PostgresRandomAccessRow) throws -> StoredRefreshToken {
        StoredRefreshToken(
            tokenSHA256: try row["token_sha256"].decode(String.self), family: try row["family"].decode(String.self),
            username: try row["username"].decode(String.self), issuedAt: try time(row, "issued_at_us"),
            expiresAt: try time(row, "expires_at_us"), usedAt: try optionalTime(row, "used_at_us"),
            revokedAt: try optionalTime(row, "revoked_at_us"))
    }
}
