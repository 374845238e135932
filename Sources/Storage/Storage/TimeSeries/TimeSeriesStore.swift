import CSICCore

/// The conventions of time-series data (market data, mining telemetry) for the engines that follow: samples of a
/// named series, per key (`binance:BTCUSDT`, `miner-17`), idempotent by (key, time); rollups at 1 minute,
/// 1 hour and 1 day maintained as samples arrive; retention by whole days.
///
/// On PostgreSQL (``PostgresTimeSeries``) a series is a table partitioned by day (partitions created ahead,
/// a BRIN index on time), and retention drops whole partitions; on SQLite (``SQLiteTimeSeries``) it is a table
/// with a (key, time) index, and retention deletes whole days. TimescaleDB's hypertables and continuous
/// aggregates would fit the same protocol; the extension cannot be installed on the build machine, so that
/// path is not built.
public protocol TimeSeriesStore: Sendable {
    /// Creates the series' tables if needed, and (PostgreSQL) the daily partitions from `from` through `through`.
    func prepare(_ series: TimeSeriesName, from: Timestamp, through: Timestamp) async throws
    /// Stores `samples` atomically; a sample whose (key, time) is stored already is ignored, so a replayed batch
    /// changes neither the samples nor the rollups. Samples outside the prepared days are refused
    /// (``TimeSeriesError/noPartition(_:)``) on PostgreSQL.
    func append(_ samples: [TimeSeriesSample], to series: TimeSeriesName) async throws
    /// The samples of `key` with `from <= time < to`, oldest first, at most `limit`.
    func samples(_ series: TimeSeriesName, key: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> [TimeSeriesSample]
    /// The rollup buckets of `key` at `resolution` whose start is in `from..<to`, oldest first.
    func rollup(
        _ series: TimeSeriesName, key: String, resolution: TimeSeriesResolution, from: Timestamp, to: Timestamp
    ) async throws
        -> [TimeSeriesBucket]
    /// Removes the days wholly before `cutoff` (samples; rollup buckets starting before it) and returns how many
    /// days went. A day that has begun before `cutoff` but ends after it is kept.
    func dropDays(_ series: TimeSeriesName, before cutoff: Timestamp) async throws -> Int
}

/// A series' name: a lower-case identifier (it names tables), at most 40 bytes.
public struct TimeSeriesName: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(ValidationError) {
        let bytes = Array(rawValue.utf8)
        let valid =
            (1...40).contains(bytes.count) && (0x61...0x7A).contains(bytes[0])
            && bytes.allSatisfy { $0 == UInt8(ascii: "_") || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
        guard valid else { throw ValidationError(.malformed, field: "series", "must be a lower-case identifier of at most 40 bytes") }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    /// The samples' table.
    var table: String { "ts_\(rawValue)" }
    func rollupTable(_ resolution: TimeSeriesResolution) -> String { "ts_\(rawValue)_\(resolution.rawValue)" }
}

/// One value of a key at a time.
public struct TimeSeriesSample: Sendable, Hashable {
    public var key: String
    public var time: Timestamp
    public var value: Double

    public init(key: String, time: Timestamp, value: Double) {
        self.key = key
        self.time = time
        self.value = value
    }
}

/// The rollup resolutions, each bucket aligned to its width since the epoch (UTC).
public enum TimeSeriesResolution: String, Sendable, CaseIterable {
    case minute = "1m"
    case hour = "1h"
    case day = "1d"

    /// The bucket width in microseconds.
    public var microseconds: Int64 {
        switch self {
        case .minute: 60_000_000
        case .hour: 3_600_000_000
        case .day: 86_400_000_000
        }
    }

    /// The start of the bucket holding `time`.
    public func bucket(of time: Timestamp) -> Int64 {
        let micros = time.microsecondsSinceEpoch
        return micros - ((micros % microseconds) + microseconds) % microseconds
    }
}

/// The samples of one key in one bucket: how many, their sum, smallest and largest.
public struct TimeSeriesBucket: Sendable, Hashable {
    public var start: Timestamp
    public var count: Int
    public var sum: Double
    public var min: Double
    public var max: Double

    public init(start: Timestamp, count: Int, sum: Double, min: Double, max: Double) {
        self.start = start
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
    }

    public var mean: Double { sum / Double(count) }
}

/// Why a time-series write was refused.
public enum TimeSeriesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A sample falls on a day with no partition (prepare the days first).
    case noPartition(Timestamp)
    /// A sample's value is not a finite number.
    case notFinite(key: String)

    public var description: String {
        switch self {
        case .noPartition(let time): "no partition for \(time): prepare the series through that day first"
        case .notFinite(let key): "a sample of \(key) is not a finite number"
        }
    }
}

extension Array where Element == TimeSeriesSample {
    /// The samples in order, the first of each (key, time) kept; non-finite values refused.
    func checkedUnique() throws -> [TimeSeriesSample] {
        var seen: Set<String> = []
        var unique: [TimeSeriesSample] = []
        for sample in self {
            guard sample.value.isFinite else { throw TimeSeriesError.notFinite(key: String(sample.key.prefix(100))) }
            if seen.insert("\(sample.key)\u{0}\(sample.time.microsecondsSinceEpoch)").inserted { unique.append(sample) }
        }
        return unique
    }
}
