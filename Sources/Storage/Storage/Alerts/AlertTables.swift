import GRDB

/// The alert service's tables on both backends: the alerts' episode columns, the findings (with the txids they
/// rest on, for withdrawals) and every alert's history. Platform migrations, after the `alerts` table's own.
enum AlertTables {
    static let name = "2026-12-06-alert-episodes"

    static func register(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration(name) { db in
            try db.execute(
                sql: """
                    ALTER TABLE alerts ADD COLUMN typology TEXT NOT NULL DEFAULT '';
                    ALTER TABLE alerts ADD COLUMN assignee TEXT;
                    ALTER TABLE alerts ADD COLUMN resolution TEXT;
                    ALTER TABLE alerts ADD COLUMN finding_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE alerts ADD COLUMN active_findings INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE alerts ADD COLUMN last_finding_at_us INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX alerts_episode ON alerts(typology, subject, status);
                    CREATE INDEX alerts_subject ON alerts(subject, seq);
                    CREATE TABLE findings (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, alert_id TEXT NOT NULL, typology TEXT NOT NULL,
                        subject TEXT NOT NULL, time_us INTEGER NOT NULL, withdrawn INTEGER NOT NULL, payload BLOB NOT NULL);
                    CREATE INDEX findings_typology ON findings(typology, seq);
                    CREATE INDEX findings_subject ON findings(subject, seq);
                    CREATE INDEX findings_alert ON findings(alert_id, seq);
                    CREATE TABLE finding_txids (txid TEXT NOT NULL, finding_id TEXT NOT NULL, PRIMARY KEY (txid, finding_id));
                    CREATE TABLE alert_history (seq INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, time_us INTEGER NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL);
                    CREATE INDEX alert_history_alert ON alert_history(alert_id, seq);
                    """)
        }
    }

    static let postgres: (name: String, statements: [String]) = (
        name,
        [
            "ALTER TABLE alerts ADD COLUMN typology TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE alerts ADD COLUMN assignee TEXT",
            "ALTER TABLE alerts ADD COLUMN resolution TEXT",
            "ALTER TABLE alerts ADD COLUMN finding_count BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE alerts ADD COLUMN active_findings BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE alerts ADD COLUMN last_finding_at_us BIGINT NOT NULL DEFAULT 0",
            "CREATE INDEX alerts_episode ON alerts (typology, subject, status)",
            "CREATE INDEX alerts_subject ON alerts (subject, seq)",
            """
            CREATE TABLE findings (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE, alert_id TEXT NOT NULL,
                typology TEXT NOT NULL, subject TEXT NOT NULL, time_us BIGINT NOT NULL, withdrawn BOOLEAN NOT NULL, payload BYTEA NOT NULL)
            """,
            "CREATE INDEX findings_typology ON findings (typology, seq)",
            "CREATE INDEX findings_subject ON findings (subject, seq)",
            "CREATE INDEX findings_alert ON findings (alert_id, seq)",
            "CREATE TABLE finding_txids (txid TEXT NOT NULL, finding_id TEXT NOT NULL, PRIMARY KEY (txid, finding_id))",
            """
            CREATE TABLE alert_history (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, alert_id TEXT NOT NULL, time_us BIGINT NOT NULL,
                actor TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL)
            """,
            "CREATE INDEX alert_history_alert ON alert_history (alert_id, seq)",
        ]
    )
}
