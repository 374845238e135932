import BigInt

/// A non-negative amount in a currency's base unit (satoshi, wei, a token's smallest unit).
///
/// Base units are integers up to 256 bits, so an ERC-20 `uint256` value never overflows.
/// Amounts are exchanged as minimal big-endian bytes (protobuf) or decimal strings (JSON).
///
/// ```swift
/// let fee = Amount(12_345)                 // 12,345 satoshi
/// let wei = Amount(decimal: "1000000000000000000")!
/// wei.decimalString                        // "1000000000000000000"
/// ```
public struct Amount: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The largest amount an EVM `uint256` can hold.
    public static let maximum = Amount(units: (BigUInt(1) << 256) - 1)
    /// Zero base units.
    public static let zero = Amount(units: 0)

    /// The value in base units.
    public let units: BigUInt

    /// Creates an amount from base units; values past 256 bits are clamped by validation, not here.
    public init(units: BigUInt) {
        self.units = units
    }

    /// Creates an amount from a machine integer of base units.
    public init(_ units: UInt64) {
        self.units = BigUInt(units)
    }

    public init(integerLiteral value: UInt64) {
        self.init(value)
    }

    /// Parses a decimal string of base units; `nil` for anything but digits.
    public init?(decimal text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = BigUInt(text, radix: 10) else {
            return nil
        }
        self.units = value
    }

    /// Creates an amount from minimal big-endian bytes (an empty array is zero).
    public init(bigEndian bytes: some Collection<UInt8>) {
        var value = BigUInt(0)
        if bytes.count <= 8 {
            var word: UInt64 = 0
            for byte in bytes { word = word << 8 | UInt64(byte) }
            value = BigUInt(word)
        } else {
            value = BigUInt(words: littleEndianWords(fromBigEndian: bytes))
        }
        self.units = value
    }

    /// Minimal big-endian bytes: no leading zero bytes, zero is empty.
    public var bigEndianBytes: [UInt8] {
        if let small = uint64Value {
            var out: [UInt8] = []
            var started = false
            for shift in stride(from: 56, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: small >> UInt64(shift))
                if byte != 0 || started {
                    started = true
                    out.append(byte)
                }
            }
            return out
        }
        var out: [UInt8] = []
        for word in units.words.reversed() {
            for shift in stride(from: UInt.bitWidth - 8, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: word >> UInt(shift))
                if byte != 0 || !out.isEmpty { out.append(byte) }
            }
        }
        return out
    }

    /// The value as `UInt64` when it fits.
    public var uint64Value: UInt64? {
        units.bitWidth <= 64 ? UInt64(units) : nil
    }

    /// The number of significant bits.
    public var bitWidth: Int { units.bitWidth }

    /// Base units as a decimal string.
    public var decimalString: String { String(units) }

    public var description: String { decimalString }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.units < rhs.units }

    public static func + (lhs: Amount, rhs: Amount) -> Amount { Amount(units: lhs.units + rhs.units) }

    /// `lhs - rhs`, or `nil` when `rhs` is larger.
    public func subtracting(_ rhs: Amount) -> Amount? {
        rhs.units > units ? nil : Amount(units: units - rhs.units)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Amount(decimal: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a decimal amount: \(text)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }
}

/// Big-endian bytes as little-endian machine words, the layout `BigUInt(words:)` takes.
private func littleEndianWords(fromBigEndian bytes: some Collection<UInt8>) -> [UInt] {
    var words: [UInt] = []
    var current: UInt = 0
    var shift: UInt = 0
    for byte in bytes.reversed() {
        current |= UInt(byte) << shift
        shift += 8
        if shift == UInt(UInt.bitWidth) {
            words.append(current)
            current = 0
            shift = 0
        }
    }
    if shift > 0 { words.append(current) }
    return words
}
