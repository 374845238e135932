import CSICCore

/// How new samples change the rollups, the same on every backend: each new sample adds to the bucket of each
/// resolution (count, sum, min, max), grouped per (key, bucket) before it reaches the database.
enum TimeSeriesRollups {
    struct Delta: Hashable {
        var key: String
        var bucket: Int64
        var count: Int64
        var sum: Double
        var min: Double
        var max: Double
    }

    /// What `inserted` (samples new to the store) add to the buckets of `resolution`, in (key, bucket) order.
    static func deltas(_ inserted: [TimeSeriesSample], at resolution: TimeSeriesResolution) -> [Delta] {
        var byBucket: [String: [Int64: Delta]] = [:]
        for sample in inserted {
            let bucket = resolution.bucket(of: sample.time)
            if var delta = byBucket[sample.key]?[bucket] {
                delta.count += 1
                delta.sum += sample.value
                delta.min = Swift.min(delta.min, sample.value)
                delta.max = Swift.max(delta.max, sample.value)
                byBucket[sample.key, default: [:]][bucket] = delta
            } else {
                byBucket[sample.key, default: [:]][bucket] = Delta(
                    key: sample.key, bucket: bucket, count: 1, sum: sample.value, min: sample.value, max: sample.value)
            }
        }
        return byBucket.keys.sorted().flatMap { key in byBucket[key]!.values.sorted { $0.bucket < $1.bucket } }
    }

    /// The rollup table's definition (the same SQL on both backends).
    static func createSQL(_ table: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(table) (key TEXT NOT NULL, bucket_us BIGINT NOT NULL, count BIGINT NOT NULL,
            sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL, PRIMARY KEY (key, bucket_us))
        """
    }

    /// Adds one delta to its bucket (`least`/`greatest`: PostgreSQL's names; SQLite's are `min`/`max`).
    static func addSQL(_ table: String, values: String, least: String, greatest: String) -> String {
        """
        INSERT INTO \(table) AS r (key, bucket_us, count, sum, min, max) \(values)
        ON CONFLICT (key, bucket_us) DO UPDATE SET count = r.count + excluded.count, sum = r.sum + excluded.sum,
            min = \(least)(r.min, excluded.min), max = \(greatest)(r.max, excluded.max)
        """
    }

    /// The start of the first day `dropDays(before: cutoff)` keeps: days that end at or before `cutoff` go, the
    /// day holding `cutoff` stays.
    static func firstKeptDay(_ cutoff: Timestamp) -> Int64 {
        TimeSeriesResolution.day.bucket(of: cutoff)
    }
}
