import CSICCore
import CSICProtos
import Foundation
import GRDB

extension SQLiteStore {
    public func upsert(_ alerts: [Alert]) async throws {
        guard !alerts.isEmpty else { return }
        try await pool.write { db in
            for alert in alerts { try SQLiteAlertRows.write(alert, db) }
        }
    }

    public func record(_ findings: [ComplianceFinding], at time: Timestamp) async throws -> [AlertChange] {
        guard !findings.isEmpty else { return [] }
        return try await pool.write { db in
            var changes: [AlertChange] = []
            for finding in findings {
                changes +=
                    finding.withdrawn ? try SQLiteAlertRows.withdraw(finding, at: time, db) : try SQLiteAlertRows.add(finding, at: time, db)
            }
            return changes
        }
    }

    public func change(alert id: String, _ action: AlertAction, detail: String?, by actor: String, at time: Timestamp) async throws -> Alert
    {
        try await pool.write { db in
            guard let alert = try SQLiteAlertRows.alerts(db, "WHERE id = ?", [id]).first else { throw AlertChangeError.notFound(id) }
            let (changed, change) = try AlertLifecycle.apply(action, detail: detail, to: alert.1, by: actor, at: time)
            try SQLiteAlertRows.write(changed, db)
            try SQLiteAlertRows.append(change, db)
            return changed
        }
    }

    public func alert(id: String) async throws -> Alert? {
        try await pool.read { db in try SQLiteAlertRows.alerts(db, "WHERE id = ?", [id]).first?.1 }
    }

    public func alerts(_ query: AlertQuery, limit: Int, cursor: String?) async throws -> Page<Alert> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        return try await pool.read { db in
            let found = try SQLiteAlertRows.alerts(
                db,
                """
                WHERE (? IS NULL OR typology = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR severity = ?) AND (? IS NULL OR subject = ?)
                    AND seq < ? ORDER BY seq DESC LIMIT ?
                """,
                [
                    query.typology, query.typology, query.status?.rawValue, query.status?.rawValue, query.severity?.rawValue,
                    query.severity?.rawValue, query.subject, query.subject, before, limit,
                ])
            return Page(items: found.map(\.1), nextCursor: Cursor.next(found.map(\.0), limit: limit))
        }
    }

    public func history(alert id: String) async throws -> [AlertChange] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, alert_id, time_us, actor, action, status, detail FROM alert_history WHERE alert_id = ? ORDER BY seq",
                arguments: [id]
            ).map { Self.change($0).item }
        }
    }

    public func alertChanges(after position: Int64, limit: Int) async throws -> [Positioned<AlertChange>] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, alert_id, time_us, actor, action, status, detail FROM alert_history WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [position, limit]
            ).map(Self.change)
        }
    }

    private static func change(_ row: Row) -> Positioned<AlertChange> {
        Positioned(
            position: row[0],
            item: AlertChange(
                alertID: row[1], time: Timestamp(microsecondsSinceEpoch: row[2]), actor: row[3],
                action: AlertAction(rawValue: row[4]) ?? .updated, status: AlertStatus(rawValue: row[5]) ?? .open, detail: row[6]))
    }

    public func findings(_ query: FindingQuery, limit: Int, cursor: String?) async throws -> Page<ComplianceFinding> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, withdrawn, payload FROM findings
                    WHERE (? IS NULL OR typology = ?) AND (? IS NULL OR subject = ?) AND (? IS NULL OR alert_id = ?)
                        AND time_us >= ? AND time_us < ? AND seq < ? ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [
                    query.typology, query.typology, query.subject, query.subject, query.alertID, query.alertID,
                    query.from?.microsecondsSinceEpoch ?? Int64.min, query.to?.microsecondsSinceEpoch ?? Int64.max, before, limit,
                ])
            let findings = try rows.map { row in
                var finding = try ComplianceFinding(protoBytes: row["payload"] as Data)
                finding.withdrawn = row["withdrawn"]
                return finding
            }
            return Page(items: findings, nextCursor: Cursor.next(rows.map { $0["seq"] }, limit: limit))
        }
    }
}

/// The alert service's rows on SQLite.
enum SQLiteAlertRows {
    static func alerts(_ db: Database, _ condition: String, _ arguments: StatementArguments) throws -> [(Int64, Alert)] {
        try Row.fetchAll(db, sql: "SELECT \(AlertColumns.list) FROM alerts \(condition)", arguments: arguments).map { row in
            let alert = Alert(
                id: row[1], title: row[2], subject: row[3], severity: Severity(rawValue: row[4]) ?? .medium,
                status: AlertStatus(rawValue: row[5]) ?? .open,
                findingIDs: try JSONDecoder().decode([String].self, from: Data((row[6] as String).utf8)),
                createdAt: Timestamp(microsecondsSinceEpoch: row[7]), updatedAt: Timestamp(microsecondsSinceEpoch: row[8]),
                typology: row[9],
                assignee: row[10], resolution: row[11], findingCount: row[12], activeFindings: row[13],
                lastFindingAt: Timestamp(microsecondsSinceEpoch: row[14]))
            return (row[0], alert)
        }
    }

    static func write(_ alert: Alert, _ db: Database) throws {
        let findings = String(decoding: try JSONEncoder().encode(alert.findingIDs), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO alerts (id, title, subject, severity, status, finding_ids, created_at_us, updated_at_us, typology, assignee,
                    resolution, finding_count, active_findings, last_finding_at_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET title = excluded.title, severity = excluded.severity, status = excluded.status,
                    finding_ids = excluded.finding_ids, updated_at_us = excluded.updated_at_us, typology = excluded.typology,
                    assignee = excluded.assignee, resolution = excluded.resolution, finding_count = excluded.finding_count,
                    active_findings = excluded.active_findings, last_finding_at_us = excluded.last_finding_at_us
                """,
            arguments: [
                alert.id, alert.title, alert.subject, alert.severity.rawValue, alert.status.rawValue, findings,
                alert.createdAt.microsecondsSinceEpoch, alert.updatedAt.microsecondsSinceEpoch, alert.typology, alert.assignee,
                alert.resolution, alert.findingCount, alert.activeFindings, alert.lastFindingAt.microsecondsSinceEpoch,
            ])
    }

    static func append(_ change: AlertChange, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO alert_history (alert_id, time_us, actor, action, status, detail) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                change.alertID, change.time.microsecondsSinceEpoch, change.actor, change.action.rawValue, change.status.rawValue,
                change.detail,
            ])
    }

    static func add(_ finding: ComplianceFinding, at time: Timestamp, _ db: Database) throws -> [AlertChange] {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM findings WHERE id = ?", arguments: [finding.id]) == nil else { return [] }
        let active = try alerts(
            db, "WHERE typology = ? AND subject = ? AND status != 'resolved' ORDER BY seq DESC LIMIT 1",
            [finding.typology, finding.subject]
        ).first?.1
        let (alert, change) = AlertEpisodes.fold(finding, into: active, at: time)
        try db.execute(
            sql: "INSERT INTO findings (id, alert_id, typology, subject, time_us, withdrawn, payload) VALUES (?, ?, ?, ?, ?, 0, ?)",
            arguments: [
                finding.id, alert.id, finding.typology, finding.subject, finding.time.microsecondsSinceEpoch,
                Data(finding.serializedProto()),
            ])
        for txid in Set(finding.txids) {
            try db.execute(sql: "INSERT OR IGNORE INTO finding_txids (txid, finding_id) VALUES (?, ?)", arguments: [txid, finding.id])
        }
        try write(alert, db)
        try append(change, db)
        return [change]
    }

    static func withdraw(_ withdrawal: ComplianceFinding, at time: Timestamp, _ db: Database) throws -> [AlertChange] {
        var changes: [AlertChange] = []
        for txid in withdrawal.txids {
            let affected = try Row.fetchAll(
                db,
                sql: """
                    SELECT f.id, f.alert_id FROM finding_txids t JOIN findings f ON f.id = t.finding_id
                    WHERE t.txid = ? AND f.withdrawn = 0 ORDER BY f.seq
                    """, arguments: [txid])
            for row in affected {
                let (findingID, alertID): (String, String) = (row[0], row[1])
                try db.execute(sql: "UPDATE findings SET withdrawn = 1 WHERE id = ?", arguments: [findingID])
                guard let alert = try alerts(db, "WHERE id = ?", [alertID]).first?.1 else { continue }
                let (changed, change) = AlertEpisodes.withdraw(findingID, txid: txid, from: alert, at: time)
                try write(changed, db)
                try append(change, db)
                changes.append(change)
            }
        }
        return changes
    }
}
