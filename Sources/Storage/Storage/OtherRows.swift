import CSICCore
import Foundation
import GRDB

/// SQL for the `dead_letters` table.
enum DeadLetterRows {
    static func upsert(_ letter: DeadLetter, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO dead_letters (id, source, topic, partition, "offset", reason_code, reason, rejected_by, time_us, record_key, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING
                """)
        try statement.execute(arguments: [
            letter.eventID, letter.source, letter.topic, letter.partition.map { Int64($0) }, letter.offset,
            letter.reasonCode.rawValue, letter.reason, letter.rejectedBy, letter.time.microsecondsSinceEpoch,
            Data(letter.key), Data(letter.payload),
        ])
    }

    static func page(source: String?, limit: Int, before: Int64?, _ db: Database) throws -> Page<DeadLetter> {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM dead_letters WHERE (? IS NULL OR source = ?) AND seq < ? ORDER BY seq DESC LIMIT ?
                """, arguments: [source, source, before ?? Int64.max, limit])
        let items = rows.map { row -> DeadLetter in
            let key: Data = row["record_key"]
            let payload: Data = row["payload"]
            return DeadLetter(
                source: row["source"], topic: row["topic"],
                partition: (row["partition"] as Int64?).map { Int32(truncatingIfNeeded: $0) }, offset: row["offset"],
                key: Array(key), payload: Array(payload),
                reasonCode: ValidationError.Code(rawValue: row["reason_code"]) ?? .malformed,
                reason: row["reason"], rejectedBy: row["rejected_by"],
                time: Timestamp(microsecondsSinceEpoch: row["time_us"]))
        }
        return Page(items: items, nextCursor: Cursor.next(rows.map { $0["seq"] }, limit: limit))
    }
}

/// SQL for the `alerts` table.
enum AlertRows {
    static func upsert(_ alert: Alert, _ db: Database) throws {
        let findings = String(decoding: try JSONEncoder().encode(alert.findingIDs), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO alerts (id, title, subject, severity, status, finding_ids, created_at_us, updated_at_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity, status = excluded.status,
                    finding_ids = excluded.finding_ids, updated_at_us = excluded.updated_at_us
                """,
            arguments: [
                alert.id, alert.title, alert.subject, alert.severity.rawValue, alert.status.rawValue, findings,
                alert.createdAt.microsecondsSinceEpoch, alert.updatedAt.microsecondsSinceEpoch,
            ])
    }

    static func fetch(id: String, _ db: Database) throws -> Alert? {
        try Row.fetchOne(db, sql: "SELECT * FROM alerts WHERE id = ?", arguments: [id]).map(decode)
    }

    static func page(status: AlertStatus?, limit: Int, before: Int64?, _ db: Database) throws -> Page<Alert> {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM alerts WHERE (? IS NULL OR status = ?) AND seq < ? ORDER BY seq DESC LIMIT ?
                """, arguments: [status?.rawValue, status?.rawValue, before ?? Int64.max, limit])
        return Page(items: try rows.map(decode), nextCursor: Cursor.next(rows.map { $0["seq"] }, limit: limit))
    }

    static func decode(_ row: Row) throws -> Alert {
        let findings = try JSONDecoder().decode([String].self, from: Data((row["finding_ids"] as String).utf8))
        return Alert(
            id: row["id"], title: row["title"], subject: row["subject"],
            severity: Severity(rawValue: row["severity"]) ?? .medium, status: AlertStatus(rawValue: row["status"]) ?? .open,
            findingIDs: findings, createdAt: Timestamp(microsecondsSinceEpoch: row["created_at_us"]),
            updatedAt: Timestamp(microsecondsSinceEpoch: row["updated_at_us"]))
    }
}

/// SQL for the `users` table.
enum AccountRows {
    static func upsert(_ user: UserAccount, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO users (username, display_name, role, password_hash, disabled, created_at_us) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                    password_hash = excluded.password_hash, disabled = excluded.disabled
                """,
            arguments: [
                user.username, user.displayName, user.role.rawValue, user.passwordHash, user.disabled,
                user.createdAt.microsecondsSinceEpoch,
            ])
    }

    static func fetch(username: String, _ db: Database) throws -> UserAccount? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]).map(decode)
    }

    static func all(_ db: Database) throws -> [UserAccount] {
        try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY username").map(decode)
    }

    static func decode(_ row: Row) -> UserAccount {
        UserAccount(
            username: row["username"], displayName: row["display_name"],
            role: UserAccount.Role(rawValue: row["role"]) ?? .analyst, passwordHash: row["password_hash"],
            disabled: row["disabled"], createdAt: Timestamp(microsecondsSinceEpoch: row["created_at_us"]))
    }
}

/// SQL for the `configuration` table.
enum ConfigurationRows {
    static func upsert(_ entry: ConfigurationEntry, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO configuration (key, value, updated_at_us, updated_by) VALUES (?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at_us = excluded.updated_at_us, updated_by = excluded.updated_by
                """, arguments: [entry.key, entry.value, entry.updatedAt.microsecondsSinceEpoch, entry.updatedBy])
    }

    static func fetch(key: String, _ db: Database) throws -> ConfigurationEntry? {
        try Row.fetchOne(db, sql: "SELECT * FROM configuration WHERE key = ?", arguments: [key]).map(decode)
    }

    static func all(_ db: Database) throws -> [ConfigurationEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM configuration ORDER BY key").map(decode)
    }

    static func decode(_ row: Row) -> ConfigurationEntry {
        ConfigurationEntry(
            key: row["key"], value: row["value"], updatedAt: Timestamp(microsecondsSinceEpoch: row["updated_at_us"]),
            updatedBy: row["updated_by"])
    }
}
