import CSICCore
import CSICProtos
import Foundation
import PostgresNIO

extension PostgresStore {
    public func upsert(_ alerts: [Alert]) async throws {
        guard !alerts.isEmpty else { return }
        let logger = logger
        try await transaction { connection in
            for alert in alerts { try await PostgresAlertRows.write(alert, connection, logger) }
        }
    }

    public func record(_ findings: [ComplianceFinding], at time: Timestamp) async throws -> [AlertChange] {
        guard !findings.isEmpty else { return [] }
        let logger = logger
        let lock = feedLock("alerts")
        return try await transaction { connection in
            // One writer of alerts at a time: two batches must not both open an episode for one subject.
            try await connection.query(lock, logger: logger)
            var changes: [AlertChange] = []
            for finding in findings {
                changes +=
                    finding.withdrawn
                    ? try await PostgresAlertRows.withdraw(finding, at: time, connection, logger)
                    : try await PostgresAlertRows.add(finding, at: time, connection, logger)
            }
            return changes
        }
    }

    public func change(alert id: String, _ action: AlertAction, detail: String?, by actor: String, at time: Timestamp) async throws -> Alert
    {
        let logger = logger
        let lock = feedLock("alerts")
        return try await transaction { connection in
            try await connection.query(lock, logger: logger)
            guard let alert = try await PostgresAlertRows.alerts("WHERE id = $1", PostgresBindings(id), connection, logger).first?.1 else {
                throw AlertChangeError.notFound(id)
            }
            let (changed, change) = try AlertLifecycle.apply(action, detail: detail, to: alert, by: actor, at: time)
            try await PostgresAlertRows.write(changed, connection, logger)
            try await PostgresAlertRows.append(change, connection, logger)
            return changed
        }
    }

    public func alert(id: String) async throws -> Alert? {
        try await rows(PostgresQuery(unsafeSQL: "SELECT \(AlertColumns.list) FROM alerts WHERE id = $1", binds: PostgresBindings(id))) {
            try PostgresAlertRows.alert($0)
        }.first
    }

    public func alerts(_ query: AlertQuery, limit: Int, cursor: String?) async throws -> Page<Alert> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        let (typology, status, severity, subject) = (query.typology, query.status?.rawValue, query.severity?.rawValue, query.subject)
        let found = try await rows(
            """
            SELECT \(unescaped: AlertColumns.list) FROM alerts
            WHERE (\(typology)::text IS NULL OR typology = \(typology)) AND (\(status)::text IS NULL OR status = \(status))
                AND (\(severity)::text IS NULL OR severity = \(severity)) AND (\(subject)::text IS NULL OR subject = \(subject))
                AND seq < \(before) ORDER BY seq DESC LIMIT \(limit)
            """
        ) { (try $0[0].decode(Int64.self), try PostgresAlertRows.alert($0)) }
        return Page(items: found.map(\.1), nextCursor: Cursor.next(found.map(\.0), limit: limit))
    }

    public func history(alert id: String) async throws -> [AlertChange] {
        try await rows(
            "SELECT seq, alert_id, time_us, actor, action, status, detail FROM alert_history WHERE alert_id = \(id) ORDER BY seq",
            Self.change
        ).map(\.item)
    }

    /// Alert changes are written under the alert writers' advisory lock, one transaction at a time, so the
    /// history's `seq` order is its commit order and a feed reading after a position misses nothing.
    public func alertChanges(after position: Int64, limit: Int) async throws -> [Positioned<AlertChange>] {
        try await rows(
            "SELECT seq, alert_id, time_us, actor, action, status, detail FROM alert_history WHERE seq > \(position) ORDER BY seq LIMIT \(Int64(limit))",
            Self.change)
    }

    private static func change(_ row: PostgresRandomAccessRow) throws -> Positioned<AlertChange> {
        Positioned(
            position: try row[0].decode(Int64.self),
            item: AlertChange(
                alertID: try row[1].decode(String.self), time: Timestamp(microsecondsSinceEpoch: try row[2].decode(Int64.self)),
                actor: try row[3].decode(String.self), action: AlertAction(rawValue: try row[4].decode(String.self)) ?? .updated,
                status: AlertStatus(rawValue: try row[5].decode(String.self)) ?? .open, detail: try row[6].decode(String.self)))
    }

    public func findings(_ query: FindingQuery, limit: Int, cursor: String?) async throws -> Page<ComplianceFinding> {
        let before = try Cursor.decode(cursor) ?? Int64.max
        let (typology, subject, alertID) = (query.typology, query.subject, query.alertID)
        let (from, to) = (query.from?.microsecondsSinceEpoch ?? Int64.min, query.to?.microsecondsSinceEpoch ?? Int64.max)
        let found = try await rows(
            """
            SELECT seq, withdrawn, payload FROM findings
            WHERE (\(typology)::text IS NULL OR typology = \(typology)) AND (\(subject)::text IS NULL OR subject = \(subject))
                AND (\(alertID)::text IS NULL OR alert_id = \(alertID)) AND time_us >= \(from) AND time_us < \(to) AND seq < \(before)
            ORDER BY seq DESC LIMIT \(limit)
            """
        ) { row in
            var finding = try ComplianceFinding(protoBytes: try PostgresRows.bytes(row, "payload"))
            finding.withdrawn = try row[1].decode(Bool.self)
            return (try row[0].decode(Int64.self), finding)
        }
        return Page(items: found.map(\.1), nextCursor: Cursor.next(found.map(\.0), limit: limit))
    }
}

/// The alert service's rows on PostgreSQL.
enum PostgresAlertRows {
    static func alert(_ row: PostgresRandomAccessRow) throws -> Alert {
        Alert(
            id: try row[1].decode(String.self), title: try row[2].decode(String.self), subject: try row[3].decode(String.self),
            severity: Severity(rawValue: try row[4].decode(String.self)) ?? .medium,
            status: AlertStatus(rawValue: try row[5].decode(String.self)) ?? .open,
            findingIDs: try JSONDecoder().decode([String].self, from: Data(try row[6].decode(String.self).utf8)),
            createdAt: Timestamp(microsecondsSinceEpoch: try row[7].decode(Int64.self)),
            updatedAt: Timestamp(microsecondsSinceEpoch: try row[8].decode(Int64.self)), typology: try row[9].decode(String.self),
            assignee: try row[10].decode(String?.self), resolution: try row[11].decode(String?.self),
            findingCount: Int(try row[12].decode(Int64.self)), activeFindings: Int(try row[13].decode(Int64.self)),
            lastFindingAt: Timestamp(microsecondsSinceEpoch: try row[14].decode(Int64.self)))
    }

    static func alerts(
        _ condition: String, _ binds: PostgresBindings, _ connection: PostgresConnection, _ logger: Logger
    ) async throws
        -> [(Int64, Alert)]
    {
        var found: [(Int64, Alert)] = []
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(AlertColumns.list) FROM alerts \(condition)", binds: binds), logger: logger)
        for try await row in rows {
            let access = row.makeRandomAccess()
            found.append((try access[0].decode(Int64.self), try alert(access)))
        }
        return found
    }

    static func write(_ alert: Alert, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let findings = String(decoding: try JSONEncoder().encode(alert.findingIDs), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO alerts (id, title, subject, severity, status, finding_ids, created_at_us, updated_at_us, typology, assignee,
                resolution, finding_count, active_findings, last_finding_at_us)
            VALUES (\(alert.id), \(alert.title), \(alert.subject), \(alert.severity.rawValue), \(alert.status.rawValue), \(findings),
                \(alert.createdAt.microsecondsSinceEpoch), \(alert.updatedAt.microsecondsSinceEpoch), \(alert.typology), \(alert.assignee),
                \(alert.resolution), \(Int64(alert.findingCount)), \(Int64(alert.activeFindings)), \(alert.lastFindingAt.microsecondsSinceEpoch))
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, severity = EXCLUDED.severity, status = EXCLUDED.status,
                finding_ids = EXCLUDED.finding_ids, updated_at_us = EXCLUDED.updated_at_us, typology = EXCLUDED.typology,
                assignee = EXCLUDED.assignee, resolution = EXCLUDED.resolution, finding_count = EXCLUDED.finding_count,
                active_findings = EXCLUDED.active_findings, last_finding_at_us = EXCLUDED.last_finding_at_us
            """, logger: logger)
    }

    static func append(_ change: AlertChange, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO alert_history (alert_id, time_us, actor, action, status, detail)
            VALUES (\(change.alertID), \(change.time.microsecondsSinceEpoch), \(change.actor), \(change.action.rawValue),
                \(change.status.rawValue), \(change.detail))
            """, logger: logger)
    }

    static func add(
        _ finding: ComplianceFinding, at time: Timestamp, _ connection: PostgresConnection, _ logger: Logger
    ) async throws
        -> [AlertChange]
    {
        let known = try await connection.query("SELECT 1 FROM findings WHERE id = \(finding.id)", logger: logger).collect()
        guard known.isEmpty else { return [] }
        let active = try await alerts(
            "WHERE typology = $1 AND subject = $2 AND status <> 'resolved' ORDER BY seq DESC LIMIT 1",
            PostgresBindings(finding.typology, finding.subject), connection, logger
        ).first?.1
        let (alert, change) = AlertEpisodes.fold(finding, into: active, at: time)
        try await connection.query(
            """
            INSERT INTO findings (id, alert_id, typology, subject, time_us, withdrawn, payload)
            VALUES (\(finding.id), \(alert.id), \(finding.typology), \(finding.subject), \(finding.time.microsecondsSinceEpoch), false,
                \(ByteBuffer(bytes: finding.serializedProto())))
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO finding_txids (txid, finding_id) SELECT t, \(finding.id) FROM UNNEST(\(Array(Set(finding.txids)))) AS u(t)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await write(alert, connection, logger)
        try await append(change, connection, logger)
        return [change]
    }

    static func withdraw(
        _ withdrawal: ComplianceFinding, at time: Timestamp, _ connection: PostgresConnection, _ logger: Logger
    ) async throws
        -> [AlertChange]
    {
        var changes: [AlertChange] = []
        for txid in withdrawal.txids {
            var affected: [(String, String)] = []
            let rows = try await connection.query(
                """
                SELECT f.id, f.alert_id FROM finding_txids t JOIN findings f ON f.id = t.finding_id
                WHERE t.txid = \(txid) AND NOT f.withdrawn ORDER BY f.seq
                """, logger: logger)
            for try await (findingID, alertID) in rows.decode((String, String).self) { affected.append((findingID, alertID)) }
            for (findingID, alertID) in affected {
                try await connection.query("UPDATE findings SET withdrawn = true WHERE id = \(findingID)", logger: logger)
                guard let alert = try await alerts("WHERE id = $1", PostgresBindings(alertID), connection, logger).first?.1 else {
                    continue
                }
                let (changed, change) = AlertEpisodes.withdraw(findingID, txid: txid, from: alert, at: time)
                try await write(changed, connection, logger)
                try await append(change, connection, logger)
                changes.append(change)
            }
        }
        return changes
    }
}
