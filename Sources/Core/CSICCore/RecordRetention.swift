/// The kinds of record the platform keeps, each with its own retention period.
public enum RecordClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// The audit trail (WORM log): kept permanently, never purged.
    case audit
    /// Chain transactions in the platform store, aged by block time (or first sight when unconfirmed).
    case transactions
    /// Alerts, aged by the time they were raised.
    case alerts
    /// Rejected input kept for operators, aged by the time it was rejected.
    case deadLetters = "dead_letters"
}

/// How long records of a class are kept: whole calendar years, whole days, or for ever.
public enum RetentionPeriod: Sendable, Hashable, CustomStringConvertible {
    case permanent
    case years(Int)
    case days(Int)

    /// The period regulators ask of most records.
    public static let sevenYears = RetentionPeriod.years(7)

    /// Parses `permanent`, `<n>y` or `<n>d` (n ≥ 1).
    public init?(_ text: String) {
        if text == "permanent" {
            self = .permanent
            return
        }
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 1, count <= 10_000 else { return nil }
        switch unit {
        case "y": self = .years(count)
        case "d": self = .days(count)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .permanent: "permanent"
        case .years(let count): "\(count)y"
        case .days(let count): "\(count)d"
        }
    }

    /// When a record made at `time` may first be purged; `nil` for never. Years are calendar years in UTC:
    /// a record of 29 February expires at the start of 1 March of a common year, never earlier.
    public func expiry(of time: Timestamp) -> Timestamp? {
        switch self {
        case .permanent: nil
        case .days(let count): time.adding(microseconds: Int64(count) * 86_400_000_000)
        case .years(let count): time.shiftingCalendarYears(by: count, leapDayTo: .marchFirst)
        }
    }

    /// Records made before this instant have expired at `now` (`expiry(of: t) <= now` for every `t` before
    /// it); `nil` when nothing of this period ever expires.
    public func cutoff(at now: Timestamp) -> Timestamp? {
        switch self {
        case .permanent: nil
        case .days(let count): now.adding(microseconds: -Int64(count) * 86_400_000_000)
        case .years(let count): now.shiftingCalendarYears(by: -count, leapDayTo: .februaryTwentyEighth)
        }
    }
}

/// The retention period of every record class. The audit trail is permanent whatever is configured.
public struct RecordRetention: Sendable, Hashable {
    public private(set) var periods: [RecordClass: RetentionPeriod]

    /// Seven years for every class, audit permanent.
    public init() {
        periods = Dictionary(uniqueKeysWithValues: RecordClass.allCases.map { ($0, $0 == .audit ? .permanent : .sevenYears) })
    }

    /// The defaults with `overrides` applied; an audit period other than permanent is refused.
    public init(overrides: [RecordClass: RetentionPeriod]) throws(ValidationError) {
        self.init()
        for (recordClass, period) in overrides {
            guard recordClass != .audit || period == .permanent else {
                throw ValidationError(.outOfRange, field: "retention.audit", "audit records are kept permanently, got \(period)")
            }
            periods[recordClass] = period
        }
    }

    public subscript(recordClass: RecordClass) -> RetentionPeriod { periods[recordClass] ?? .sevenYears }

    /// Each class's name with its period as written in configuration (`transactions` → `7y`).
    public var descriptions: [String: String] {
        Dictionary(uniqueKeysWithValues: RecordClass.allCases.map { ($0.rawValue, self[$0].description) })
    }
}

extension Timestamp {
    /// Where 29 February goes in a year without one.
    enum LeapDayRule { case marchFirst, februaryTwentyEighth }

    /// The same UTC calendar day and time of day `years` later (or earlier); 29 February in a common year
    /// becomes the start of 1 March or 28 February at the same time, as `rule` says.
    func shiftingCalendarYears(by years: Int, leapDayTo rule: LeapDayRule) -> Timestamp {
        let days = floorDiv(microsecondsSinceEpoch, 86_400_000_000)
        let withinDay = microsecondsSinceEpoch - days * 86_400_000_000
        let date = CivilDate(daysSinceEpoch: Int(days))
        let year = date.year + years
        let targetIsLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        guard date.month == 2, date.day == 29, !targetIsLeap else {
            return Timestamp(
                microsecondsSinceEpoch: Int64(CivilDate(year: year, month: date.month, day: date.day).daysSinceEpoch) * 86_400_000_000
                    + withinDay)
        }
        switch rule {
        case .marchFirst:
            // The start of the day keeps the shift monotonic: nothing of 1 March moves before it.
            return Timestamp(microsecondsSinceEpoch: Int64(CivilDate(year: year, month: 3, day: 1).daysSinceEpoch) * 86_400_000_000)
        case .februaryTwentyEighth:
            return Timestamp(
                microsecondsSinceEpoch: Int64(CivilDate(year: year, month: 2, day: 28).daysSinceEpoch) * 86_400_000_000 + withinDay)
        }
    }
}
