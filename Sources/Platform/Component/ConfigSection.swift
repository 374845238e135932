import CSICCore
import Configuration

/// One component's section of the configuration (`bitcoin:` in the file, `CSIC_BITCOIN_*` in the
/// environment, flags of `csic demo`), read with keys relative to the section. ``key(_:)`` gives the full
/// name for errors, so a ``ValidationError`` always names the key an operator has to fix.
///
/// ```swift
/// let network = section.string("network", default: "mainnet")
/// guard ["mainnet", "signet"].contains(network) else { throw section.malformed("network", "unknown network \(network)") }
/// ```
public struct ConfigSection: Sendable {
    /// The section's name: `bitcoin` for the keys `bitcoin.*`.
    public let name: String
    private let reader: ConfigReader

    init(name: String, root: ConfigReader) {
        self.name = name
        reader = root.scoped(to: ConfigKey(name))
    }

    /// A section with no values: every setting at its default.
    public static func empty(_ name: String) -> ConfigSection {
        ConfigSection(name: name, root: ConfigReader(provider: InMemoryProvider(values: [:])))
    }

    /// `<section>.<key>`.
    public func key(_ key: String) -> String { "\(name).\(key)" }

    public func string(_ key: String, secret: Bool = false) -> String? {
        reader.string(forKey: ConfigKey(key), isSecret: secret)
    }

    public func string(_ key: String, default value: String) -> String {
        reader.string(forKey: ConfigKey(key), default: value)
    }

    public func strings(_ key: String, secret: Bool = false) -> [String]? {
        reader.stringArray(forKey: ConfigKey(key), isSecret: secret)
    }

    public func int(_ key: String) -> Int? {
        reader.int(forKey: ConfigKey(key))
    }

    /// A count or height; a negative value reads as 0 (for the section's own range check to refuse).
    public func unsigned(_ key: String, default value: UInt64) -> UInt64 {
        reader.int(forKey: ConfigKey(key)).map { UInt64(max(0, $0)) } ?? value
    }

    public func double(_ key: String) -> Double? {
        reader.double(forKey: ConfigKey(key))
    }

    /// A whole number that must lie in `range`; absent gives `value`.
    public func integer(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ValidationError) -> Int {
        guard let number = int(key) else { return value }
        guard range.contains(number) else {
            throw outOfRange(key, "must be a whole number in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    /// A number that must lie in `range` (a finite range: intervals and rates become `Duration`s, which trap
    /// on values like `1e300`); absent gives `value`, anything else (NaN, infinity, out of range) is refused.
    public func number(_ key: String, default value: Double, in range: ClosedRange<Double>) throws(ValidationError) -> Double {
        guard let number = double(key) else { return value }
        guard range.contains(number) else {
            throw outOfRange(key, "must be a number in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    public func bool(_ key: String, default value: Bool) -> Bool {
        reader.bool(forKey: ConfigKey(key), default: value)
    }

    /// A ``ValidationError`` naming `<section>.<key>`: a value of the wrong form.
    public func malformed(_ key: String, _ message: String) -> ValidationError {
        ValidationError(.malformed, field: self.key(key), message)
    }

    /// A ``ValidationError`` naming `<section>.<key>`: a value out of its range.
    public func outOfRange(_ key: String, _ message: String) -> ValidationError {
        ValidationError(.outOfRange, field: self.key(key), message)
    }

    /// A ``ValidationError`` naming `<section>.<key>`: a value that must be given.
    public func missing(_ key: String, _ message: String) -> ValidationError {
        ValidationError(.missing, field: self.key(key), message)
    }
}
