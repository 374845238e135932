import CSICCore
import GRDB

/// ``TimeSeriesStore`` on the platform's SQLite database: a table per series keyed by (key, time) with a time
/// index, and its rollup tables; samples and rollups of a batch in one transaction.
public struct SQLiteTimeSeries: TimeSeriesStore {
    let pool: DatabasePool

    public init(_ store: SQLiteStore) {
        pool = store.pool
    }

    public func prepare(_ series: TimeSeriesName, from: Timestamp, through: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS \(series.table) (key TEXT NOT NULL, time_us INTEGER NOT NULL, value REAL NOT NULL,
                        PRIMARY KEY (key, time_us)) WITHOUT ROWID;
                    CREATE INDEX IF NOT EXISTS \(series.table)_time ON \(series.table) (time_us);
                    """)
            for resolution in TimeSeriesResolution.allCases {
                try db.execute(sql: TimeSeriesRollups.createSQL(series.rollupTable(resolution)))
            }
        }
    }

    public func append(_ samples: [TimeSeriesSample], to series: TimeSeriesName) async throws {
        let unique = try samples.checkedUnique()
        guard !unique.isEmpty else { return }
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO \(series.table) (key, time_us, value) VALUES (?, ?, ?)")
            var inserted: [TimeSeriesSample] = []
            for sample in unique {
                try insert.execute(arguments: [sample.key, sample.time.microsecondsSinceEpoch, sample.value])
                if db.changesCount == 1 { inserted.append(sample) }
            }
            for resolution in TimeSeriesResolution.allCases {
                let add = try db.cachedStatement(
                    sql: TimeSeriesRollups.addSQL(
                        series.rollupTable(resolution), values: "VALUES (?, ?, ?, ?, ?, ?)", least: "min", greatest: "max"))
                for delta in TimeSeriesRollups.deltas(inserted, at: resolution) {
                    try add.execute(arguments: [delta.key, delta.bucket, delta.count, delta.sum, delta.min, delta.max])
                }
            }
        }
    }

    public func samples(
        _ series: TimeSeriesName, key: String, from: Timestamp, to: Timestamp, limit: Int
    ) async throws -> [TimeSeriesSample] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT time_us, value FROM \(series.table) WHERE key = ? AND time_us >= ? AND time_us < ? ORDER BY time_us LIMIT ?",
                arguments: [key, from.microsecondsSinceEpoch, to.microsecondsSinceEpoch, limit]
            ).map { TimeSeriesSample(key: key, time: Timestamp(microsecondsSinceEpoch: $0["time_us"]), value: $0["value"]) }
        }
    }

    public func rollup(
        _ series: TimeSeriesName, key: String, resolution: TimeSeriesResolution, from: Timestamp, to: Timestamp
    ) async throws
        -> [TimeSeriesBucket]
    {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT bucket_us, count, sum, min, max FROM \(series.rollupTable(resolution))
                    WHERE key = ? AND bucket_us >= ? AND bucket_us < ? ORDER BY bucket_us
                    """, arguments: [key, from.microsecondsSinceEpoch, to.microsecondsSinceEpoch]
            ).map {
                TimeSeriesBucket(
                    start: Timestamp(microsecondsSinceEpoch: $0["bucket_us"]), count: $0["count"], sum: $0["sum"], min: $0["min"],
                    max: $0["max"])
            }
        }
    }

    public func dropDays(_ series: TimeSeriesName, before cutoff: Timestamp) async throws -> Int {
        let boundary = TimeSeriesRollups.firstKeptDay(cutoff)
        let day = TimeSeriesResolution.day.microseconds
        return try await pool.write { db in
            let days =
                try Int.fetchOne(
                    db, sql: "SELECT count(DISTINCT (time_us - ((time_us % ?) + ?) % ?)) FROM \(series.table) WHERE time_us < ?",
                    arguments: [day, day, day, boundary]) ?? 0
            try db.execute(sql: "DELETE FROM \(series.table) WHERE time_us < ?", arguments: [boundary])
            for resolution in TimeSeriesResolution.allCases {
                try db.execute(sql: "DELETE FROM \(series.rollupTable(resolution)) WHERE bucket_us < ?", arguments: [boundary])
            }
            return days
        }
    }
}
