import CSICCore
import CSICTestSupport
import Storage
import Testing

/// The time-series conventions on every backend: idempotent samples, incremental rollups, retention by days.
@Suite struct TimeSeriesStoreTests {
    /// 2025-12-01T00:00:00Z.
    static let day0 = Timestamp(secondsSinceEpoch: 1_764_547_200)

    static func at(day: Int, seconds: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: day0.microsecondsSinceEpoch + Int64(day) * 86_400_000_000 + Int64(seconds) * 1_000_000)
    }

    func timeSeries(_ backend: StoreBackend) async throws -> any TimeSeriesStore {
        let store = try await backend.open()
        switch store {
        case let sqlite as SQLiteStore: return StoreDatabase.sqlite(sqlite).timeSeries
        case let postgres as PostgresStore: return StoreDatabase.postgres(postgres).timeSeries
        default: throw CancellationError()
        }
    }

    @Test(arguments: StoreBackend.available) func samplesAndRollupsAreIdempotentAndDaysAreDropped(_ backend: StoreBackend) async throws {
        let series = try TimeSeriesName("hashrate")
        let store = try await timeSeries(backend)
        try await store.prepare(series, from: Self.at(day: 0, seconds: 0), through: Self.at(day: 2, seconds: 0))
        try await store.prepare(series, from: Self.at(day: 0, seconds: 0), through: Self.at(day: 2, seconds: 0)) // again: nothing changes
        let samples = [
            TimeSeriesSample(key: "miner-1", time: Self.at(day: 0, seconds: 10), value: 100),
            TimeSeriesSample(key: "miner-1", time: Self.at(day: 0, seconds: 50), value: 110),
            TimeSeriesSample(key: "miner-1", time: Self.at(day: 0, seconds: 70), value: 90),
            TimeSeriesSample(key: "miner-1", time: Self.at(day: 1, seconds: 3_600), value: 95.5),
            TimeSeriesSample(key: "miner-2", time: Self.at(day: 0, seconds: 10), value: 7),
            TimeSeriesSample(key: "miner-1", time: Self.at(day: 2, seconds: 5), value: 120),
        ]
        try await store.append(samples, to: series)
        // A replayed batch, and a repeat inside one batch: nothing is counted twice.
        try await store.append(samples + [TimeSeriesSample(key: "miner-2", time: Self.at(day: 0, seconds: 10), value: 999)], to: series)
        let read = try await store.samples(
            series, key: "miner-1", from: Self.at(day: 0, seconds: 0), to: Self.at(day: 1, seconds: 0), limit: 10)
        #expect(read.map(\.value) == [100, 110, 90])
        #expect(
            try await store.samples(series, key: "miner-2", from: Self.at(day: 0, seconds: 0), to: Self.at(day: 3, seconds: 0), limit: 10)
                .map(\.value) == [7])
        let minutes = try await store.rollup(
            series, key: "miner-1", resolution: .minute, from: Self.at(day: 0, seconds: 0), to: Self.at(day: 1, seconds: 0))
        #expect(
            minutes == [
                TimeSeriesBucket(start: Self.at(day: 0, seconds: 0), count: 2, sum: 210, min: 100, max: 110),
                TimeSeriesBucket(start: Self.at(day: 0, seconds: 60), count: 1, sum: 90, min: 90, max: 90),
            ])
        let days = try await store.rollup(
            series, key: "miner-1", resolution: .day, from: Self.at(day: 0, seconds: 0), to: Self.at(day: 3, seconds: 0))
        #expect(days.map(\.count) == [3, 1, 1])
        #expect(days.first?.mean == 100)
        #expect(
            try await store.rollup(
                series, key: "miner-1", resolution: .hour, from: Self.at(day: 1, seconds: 0), to: Self.at(day: 2, seconds: 0)
            ).map(\.start) == [Self.at(day: 1, seconds: 3_600)])
        // Bad input is refused whole: nothing of the batch is stored.
        await #expect(throws: TimeSeriesError.self) {
            try await store.append([TimeSeriesSample(key: "miner-3", time: Self.at(day: 0, seconds: 1), value: .nan)], to: series)
        }
        #expect(
            try await store.samples(series, key: "miner-3", from: Self.at(day: 0, seconds: 0), to: Self.at(day: 3, seconds: 0), limit: 10)
                .isEmpty)
        // Retention: days wholly before the cutoff go, samples and rollups; the day holding the cutoff stays.
        #expect(try await store.dropDays(series, before: Self.at(day: 1, seconds: 600)) == 1)
        #expect(
            try await store.samples(series, key: "miner-1", from: Self.at(day: 0, seconds: 0), to: Self.at(day: 3, seconds: 0), limit: 10)
                .map(\.value) == [95.5, 120])
        #expect(
            try await store.rollup(
                series, key: "miner-1", resolution: .day, from: Self.at(day: 0, seconds: 0), to: Self.at(day: 3, seconds: 0)
            ).map(\.count) == [1, 1])
        #expect(try await store.dropDays(series, before: Self.at(day: 1, seconds: 600)) == 0, "nothing more to drop")
        #expect(throws: ValidationError.self) { try TimeSeriesName("ts; DROP TABLE x") }
    }

    @Test func onPostgreSQLASampleOutsideThePreparedDaysIsRefused() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        let series = try TimeSeriesName("prices")
        let store = try await timeSeries(.postgres)
        try await store.prepare(series, from: Self.at(day: 0, seconds: 0), through: Self.at(day: 0, seconds: 0))
        await #expect(throws: TimeSeriesError.noPartition(Self.at(day: 5, seconds: 1))) {
            try await store.append([TimeSeriesSample(key: "btc", time: Self.at(day: 5, seconds: 1), value: 1)], to: series)
        }
    }
}
