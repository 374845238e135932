/// Why a domain value was rejected at ingress.
///
/// Validation errors are typed so that the stream runtime can put a machine-readable reason on the
/// `dead_letter` topic and the API can return it in a 4xx body.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable category.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// A required field is absent or empty.
        case missing
        /// A field is present but not in its expected format (bad hex, wrong length, ...).
        case malformed
        /// A number or time is outside the allowed range.
        case outOfRange = "out_of_range"
        /// Two fields contradict each other (outputs exceed inputs, bid above ask, ...).
        case inconsistent
        /// The payload could not be decoded at all.
        case undecodable
    }

    /// The category.
    public var code: Code
    /// The path of the offending field, e.g. `outputs[2].value`.
    public var field: String
    /// A human-readable explanation.
    public var message: String

    /// Creates a validation error.
    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// `code` at `field`: message.
    public var description: String { "\(code.rawValue) at \(field): \(message)" }
}

/// A value that can check its own invariants.
public protocol Validatable {
    /// Throws the first violated invariant.
    func validate() throws(ValidationError)
}

/// A value published on a topic: it validates itself and names itself with a deterministic id.
public protocol DomainEvent: Validatable, Sendable {
    /// The deterministic id, e.g. `btc:<txid>`; stores upsert by it.
    var eventID: String { get }
}

extension Validatable {
    /// Throws `code` unless `condition` holds; the field and message are only built for a failure.
    @inlinable
    func require(
        _ condition: Bool, _ code: ValidationError.Code, _ field: @autoclosure () -> String, _ message: @autoclosure () -> String
    ) throws(ValidationError) {
        if !condition { throw ValidationError(code, field: field(), message()) }
    }
}

/// Validation helpers shared by the domain types. Field names are built only for a failure.
enum Check {
    static func nonEmpty(_ value: String, _ field: @autoclosure () -> String) throws(ValidationError) {
        if value.isEmpty { throw ValidationError(.missing, field: field(), "must not be empty") }
    }

    static func hex(_ value: String, bytes count: Int, _ field: @autoclosure () -> String) throws(ValidationError) {
        guard value.utf8.count == count * 2 else {
            throw ValidationError(.malformed, field: field(), "must be \(count * 2) hex digits, got \(value.utf8.count)")
        }
        guard Hex.isLowercaseHex(value) else {
            throw ValidationError(.malformed, field: field(), "must be lowercase hexadecimal")
        }
    }

    static func finite(
        _ value: Double, _ field: @autoclosure () -> String, min: Double = -.infinity, max: Double = .infinity
    ) throws(ValidationError) {
        guard value.isFinite else { throw ValidationError(.malformed, field: field(), "must be a finite number") }
        guard value >= min, value <= max else {
            throw ValidationError(.outOfRange, field: field(), "\(value) is outside \(min)...\(max)")
        }
    }

    /// Timestamps must lie between 2009-01-03 (the Bitcoin genesis block) and one day past `now`.
    static func plausible(_ time: Timestamp, _ field: @autoclosure () -> String, now: Timestamp = .now()) throws(ValidationError) {
        let genesis = Timestamp(secondsSinceEpoch: 1_231_006_505)
        guard time >= genesis, time <= now.adding(microseconds: 86_400_000_000) else {
            throw ValidationError(.outOfRange, field: field(), "\(time) is before 2009-01-03 or more than a day in the future")
        }
    }
}
