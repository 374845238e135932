import CSICCore
import Testing

private func time(_ text: String) -> Timestamp { Timestamp(iso8601: text)! }

@Suite struct RecordRetentionTests {
    @Test func periodsParseAndPrint() {
        #expect(RetentionPeriod("7y") == .years(7))
        #expect(RetentionPeriod("90d") == .days(90))
        #expect(RetentionPeriod("permanent") == .permanent)
        for bad in ["", "y", "0y", "-1d", "7", "7w", "seven years", "99999y"] { #expect(RetentionPeriod(bad) == nil, "\(bad)") }
        #expect(RetentionPeriod.years(7).description == "7y")
    }

    @Test func yearsAreCalendarYearsAndALeapDayExpiresOnTheFirstOfMarch() {
        #expect(RetentionPeriod.years(7).expiry(of: time("2019-11-25T10:30:00Z")) == time("2026-11-25T10:30:00Z"))
        #expect(RetentionPeriod.years(1).expiry(of: time("2024-02-29T12:00:00Z")) == time("2025-03-01T00:00:00Z"))
        #expect(RetentionPeriod.years(4).expiry(of: time("2024-02-29T12:00:00Z")) == time("2028-02-29T12:00:00Z"))
        #expect(RetentionPeriod.days(90).expiry(of: time("2026-01-01T00:00:00Z")) == time("2026-04-01T00:00:00Z"))
        #expect(RetentionPeriod.permanent.expiry(of: time("2000-01-01T00:00:00Z")) == nil)
        #expect(RetentionPeriod.years(1).cutoff(at: time("2028-02-29T08:00:00Z")) == time("2027-02-28T08:00:00Z"))
        #expect(RetentionPeriod.permanent.cutoff(at: .now()) == nil)
    }

    /// The rule a purge relies on: whatever is older than the cutoff has expired, around leap days too.
    @Test func everythingBeforeTheCutoffHasExpired() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(bitPattern: state >> 1) % (40 * 366 * 86_400_000_000)
        }
        let base = time("2000-01-01T00:00:00Z").microsecondsSinceEpoch
        for period in [RetentionPeriod.years(1), .years(4), .years(7), .days(1), .days(365)] {
            for _ in 0..<5_000 {
                let now = Timestamp(microsecondsSinceEpoch: base + next())
                guard let cutoff = period.cutoff(at: now) else { continue }
                // Just before the cutoff, and at random before it.
                for record in [
                    cutoff.adding(microseconds: -1),
                    Timestamp(microsecondsSinceEpoch: cutoff.microsecondsSinceEpoch - next() % 86_400_000_000 - 1),
                ] {
                    #expect(period.expiry(of: record)! <= now, "\(period) record \(record) now \(now)")
                }
            }
        }
    }

    @Test func theAuditTrailIsAlwaysPermanent() throws {
        let defaults = RecordRetention()
        #expect(defaults[.audit] == .permanent)
        #expect(defaults[.transactions] == .years(7) && defaults[.alerts] == .years(7) && defaults[.deadLetters] == .years(7))
        #expect(throws: ValidationError.self) { try RecordRetention(overrides: [.audit: .years(100)]) }
        #expect(try RecordRetention(overrides: [.audit: .permanent, .deadLetters: .days(365)])[.deadLetters] == .days(365))
    }
}
