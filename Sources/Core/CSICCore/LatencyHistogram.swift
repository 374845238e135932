/// A fixed-memory latency histogram with log-linear buckets (about 1.5% relative error), mergeable.
///
/// Used by benchmarks to report percentiles without keeping every sample.
///
/// ```swift
/// var histogram = LatencyHistogram()
/// histogram.record(microseconds: 1_250)
/// histogram.percentile(99) // ≈ 1250
/// ```
public struct LatencyHistogram: Sendable, Hashable {
    /// 64 sub-buckets per power of two from 1 µs to 2^40 µs (~12 days).
    private static let subBuckets = 64
    private static let octaves = 41
    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.subBuckets * LatencyHistogram.octaves)
    public private(set) var count: UInt64 = 0
    public private(set) var maxMicroseconds: Int64 = 0
    private var sumMicroseconds: Double = 0

    public init() {}

    private static func bucket(_ value: Int64) -> Int {
        let v = UInt64(max(1, value))
        let octave = 63 - v.leadingZeroBitCount
        if octave < 6 { return Int(v) }
        let sub = Int((v >> UInt64(octave - 6)) & 63)
        return min((octave - 5) * subBuckets + sub, subBuckets * octaves - 1)
    }

    private static func lowerBound(_ bucket: Int) -> Double {
        if bucket < subBuckets { return Double(bucket) }
        let octave = bucket / subBuckets + 5
        let sub = bucket % subBuckets
        return Double(UInt64(64 + sub) << UInt64(octave - 6))
    }

    /// Adds one sample.
    public mutating func record(microseconds: Int64) {
        counts[Self.bucket(microseconds)] += 1
        count += 1
        maxMicroseconds = max(maxMicroseconds, microseconds)
        sumMicroseconds += Double(max(0, microseconds))
    }

    /// Adds another histogram's samples.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        maxMicroseconds = max(maxMicroseconds, other.maxMicroseconds)
        sumMicroseconds += other.sumMicroseconds
    }

    /// The value at or below which `percent` of samples fall, in microseconds (0 when empty).
    public func percentile(_ percent: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = UInt64((percent / 100 * Double(count)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= max(rank, 1) { return min(Self.lowerBound(index + 1), Double(maxMicroseconds)) }
        }
        return Double(maxMicroseconds)
    }

    /// The mean in microseconds.
    public var meanMicroseconds: Double { count == 0 ? 0 : sumMicroseconds / Double(count) }
}
