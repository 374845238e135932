import CSICCore
import PostgresNIO

/// ``TimeSeriesStore`` on PostgreSQL: each series a table partitioned by range of time, one partition per UTC
/// day (`ts_<series>_d<yyyymmdd>`, created ahead by ``prepare(_:from:through:)``) with a BRIN index on time
/// (cheap to keep on append-only data), rollup tables beside it, and retention by dropping whole partitions.
public struct PostgresTimeSeries: TimeSeriesStore {
    let store: PostgresStore

    public init(_ store: PostgresStore) {
        self.store = store
    }

    private func execute(_ sql: String, on connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: store.logger)
    }

    public func prepare(_ series: TimeSeriesName, from: Timestamp, through: Timestamp) async throws {
        let table = series.table
        try await store.transaction { connection in
            // Concurrent preparers (several processes starting) take turns.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(table)))", logger: store.logger)
            try await execute(
                """
                CREATE TABLE IF NOT EXISTS \(table) (key TEXT NOT NULL, time_us BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (key, time_us)) PARTITION BY RANGE (time_us)
                """, on: connection)
            try await execute("CREATE INDEX IF NOT EXISTS \(table)_time ON \(table) USING brin (time_us)", on: connection)
            for resolution in TimeSeriesResolution.allCases {
                try await execute(TimeSeriesRollups.createSQL(series.rollupTable(resolution)), on: connection)
            }
            let day = TimeSeriesResolution.day
            var start = day.bucket(of: from)
            while start <= through.microsecondsSinceEpoch {
                try await execute(
                    "CREATE TABLE IF NOT EXISTS \(Self.partition(series, day: start)) PARTITION OF \(table) FOR VALUES FROM (\(start)) TO (\(start + day.microseconds))",
                    on: connection)
                start += day.microseconds
            }
        }
    }

    /// The partition of the day starting at `day` (microseconds since the epoch).
    static func partition(_ series: TimeSeriesName, day: Int64) -> String {
        let date = Timestamp(microsecondsSinceEpoch: day).iso8601.prefix(10).replacingOccurrences(of: "-", with: "")
        return "\(series.table)_d\(date)"
    }

    public func append(_ samples: [TimeSeriesSample], to series: TimeSeriesName) async throws {
        let unique = try samples.checkedUnique()
        guard !unique.isEmpty else { return }
        do {
            try await store.transaction { connection in
                var inserted: [TimeSeriesSample] = []
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(series.table) (key, time_us, value) SELECT * FROM UNNEST($1::text[], $2::int8[], $3::float8[])
                            ON CONFLICT DO NOTHING RETURNING key, time_us, value
                            """,
                        binds: PostgresBindings(unique.map(\.key), unique.map(\.time.microsecondsSinceEpoch), unique.map(\.value))),
                    logger: store.logger)
                for try await (key, time, value) in rows.decode((String, Int64, Double).self) {
                    inserted.append(TimeSeriesSample(key: key, time: Timestamp(microsecondsSinceEpoch: time), value: value))
                }
                for resolution in TimeSeriesResolution.allCases {
                    let deltas = TimeSeriesRollups.deltas(inserted, at: resolution)
                    guard !deltas.isEmpty else { continue }
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: TimeSeriesRollups.addSQL(
                                series.rollupTable(resolution),
                                values:
                                    "SELECT * FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::float8[], $5::float8[], $6::float8[])",
                                least: "LEAST", greatest: "GREATEST"),
                            binds: PostgresBindings(
                                deltas.map(\.key), deltas.map(\.bucket), deltas.map(\.count), deltas.map(\.sum), deltas.map(\.min),
                                deltas.map(\.max))),
                        logger: store.logger)
                }
            }
        } catch  where PostgresStore.sqlState(of: error) == "23514" {
            // "no partition of relation found for row"
            throw TimeSeriesError.noPartition(unique.map(\.time).min() ?? .now())
        }
    }

    public func samples(
        _ series: TimeSeriesName, key: String, from: Timestamp, to: Timestamp, limit: Int
    ) async throws -> [TimeSeriesSample] {
        try await store.rows(
            PostgresQuery(
                unsafeSQL:
                    "SELECT time_us, value FROM \(series.table) WHERE key = $1 AND time_us >= $2 AND time_us < $3 ORDER BY time_us LIMIT $4",
                binds: PostgresBindings(key, from.microsecondsSinceEpoch, to.microsecondsSinceEpoch, Int64(limit)))
        ) { row in
            TimeSeriesSample(
                key: key, time: Timestamp(microsecondsSinceEpoch: try row[0].decode(Int64.self)), value: try row[1].decode(Double.self))
        }
    }

    public func rollup(
        _ series: TimeSeriesName, key: String, resolution: TimeSeriesResolution, from: Timestamp, to: Timestamp
    ) async throws
        -> [TimeSeriesBucket]
    {
        try await store.read(
            PostgresQuery(
                unsafeSQL: """
                    SELECT bucket_us, count, sum, min, max FROM \(series.rollupTable(resolution))
                    WHERE key = $1 AND bucket_us >= $2 AND bucket_us < $3 ORDER BY bucket_us
                    """, binds: PostgresBindings(key, from.microsecondsSinceEpoch, to.microsecondsSinceEpoch))
        ) { rows in
            var found: [TimeSeriesBucket] = []
            for try await (start, count, sum, min, max) in rows.decode((Int64, Int64, Double, Double, Double).self) {
                found.append(
                    TimeSeriesBucket(start: Timestamp(microsecondsSinceEpoch: start), count: Int(count), sum: sum, min: min, max: max))
            }
            return found
        }
    }

    /// Drops the partitions of the days wholly before `cutoff` (`DROP TABLE`: no row-by-row delete, no bloat)
    /// and deletes the rollup buckets before the first kept day.
    public func dropDays(_ series: TimeSeriesName, before cutoff: Timestamp) async throws -> Int {
        let boundary = TimeSeriesRollups.firstKeptDay(cutoff)
        return try await store.transaction { connection in
            var partitions: [String] = []
            let rows = try await connection.query(
                """
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                JOIN pg_namespace n ON n.oid = p.relnamespace WHERE p.relname = \(series.table) AND n.nspname = current_schema()
                """, logger: store.logger)
            for try await name in rows.decode(String.self) { partitions.append(name) }
            let prefix = "\(series.table)_d"
            let expired = partitions.filter { name in
                guard name.hasPrefix(prefix), let start = Self.dayStart(String(name.dropFirst(prefix.count))) else { return false }
                return start < boundary
            }
            for name in expired { try await execute("DROP TABLE \(name)", on: connection) }
            for resolution in TimeSeriesResolution.allCases {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "DELETE FROM \(series.rollupTable(resolution)) WHERE bucket_us < $1", binds: PostgresBindings(boundary)),
                    logger: store.logger)
            }
            return expired.count
        }
    }

    /// The start of the day a partition's suffix (`yyyymmdd`) names.
    static func dayStart(_ suffix: String) -> Int64? {
        guard suffix.count == 8, suffix.allSatisfy(\.isNumber) else { return nil }
        let iso = "\(suffix.prefix(4))-\(suffix.dropFirst(4).prefix(2))-\(suffix.suffix(2))T00:00:00Z"
        return Timestamp(iso8601: iso)?.microsecondsSinceEpoch
    }
}
