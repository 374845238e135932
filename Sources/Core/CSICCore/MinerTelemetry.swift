/// The operating state a miner reports.
public enum MinerState: String, Sendable, Codable, CaseIterable {
    case hashing, idle, throttled, fault, offline
}

/// One telemetry sample from a mining machine.
public struct MinerTelemetry: DomainEvent, Hashable, Codable {
    public var machineID: String
    public var time: Timestamp
    /// Hash rate in terahashes per second.
    public var hashRateTHs: Double
    /// Power draw in watts.
    public var powerWatts: Double
    /// Hottest board temperature in degrees Celsius.
    public var temperatureCelsius: Double
    public var poolURL: String
    public var state: MinerState

    public init(
        machineID: String, time: Timestamp, hashRateTHs: Double, powerWatts: Double, temperatureCelsius: Double, poolURL: String,
        state: MinerState
    ) {
        self.machineID = machineID
        self.time = time
        self.hashRateTHs = hashRateTHs
        self.powerWatts = powerWatts
        self.temperatureCelsius = temperatureCelsius
        self.poolURL = poolURL
        self.state = state
    }

    /// `<machine>:<microseconds>`.
    public var eventID: String { "\(machineID):\(time.microsecondsSinceEpoch)" }

    public func validate() throws(ValidationError) {
        try Check.nonEmpty(machineID, "machine_id")
        try Check.plausible(time, "time")
        try Check.finite(hashRateTHs, "hash_rate_ths", min: 0, max: 10_000)
        try Check.finite(powerWatts, "power_watts", min: 0, max: 100_000)
        try Check.finite(temperatureCelsius, "temperature_celsius", min: -60, max: 200)
    }
}
