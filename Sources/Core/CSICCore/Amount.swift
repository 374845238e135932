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
    /// Values that fit 64 bits (every Bitcoin amount) stay a machine word; only larger ones use `BigUInt`.
    private enum Storage: Hashable, Sendable {
        case small(UInt64)
        /// Always more than `UInt64.max`, so each value has one representation.
        case big(BigUInt)
    }

    private let storage: Storage

    /// The largest amount an EVM `uint256` can hold.
    public static let maximum = Amount(units: (BigUInt(1) << 256) - 1)
    /// Zero base units.
    public static let zero = Amount(0)

    /// The value in base units.
    public var units: BigUInt {
        switch storage {
        case .small(let value): BigUInt(value)
        case .big(let value): value
        }
    }

    /// Creates an amount from base units; values past 256 bits are rejected by validation, not here.
    public init(units: BigUInt) {
        storage = units.words.count <= 1 ? .small(UInt64(units.words.first ?? 0)) : .big(units)
    }

    /// Creates an amount from a machine integer of base units.
    public init(_ units: UInt64) {
        storage = .small(units)
    }

    public init(integerLiteral value: UInt64) {
        self.init(value)
    }

    /// Parses a decimal string of base units; `nil` for anything but digits.
    public init?(decimal text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        if text.utf8.count < 20, let small = UInt64(text) {
            self.init(small)
            return
        }
        guard let value = BigUInt(text, radix: 10) else { return nil }
        self.init(units: value)
    }

    /// Creates an amount from minimal big-endian bytes (an empty array is zero).
    public init(bigEndian bytes: some Collection<UInt8>) {
        if bytes.count <= 8 {
            self.init(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        } else {
            self.init(units: BigUInt(words: littleEndianWords(fromBigEndian: bytes)))
        }
    }

    /// Minimal big-endian bytes: no leading zero bytes, zero is empty.
    public var bigEndianBytes: [UInt8] {
        switch storage {
        case .small(let value):
            let count = (64 - value.leadingZeroBitCount + 7) / 8
            return (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
        case .big(let value):
            var out: [UInt8] = []
            for word in value.words.reversed() {
                for shift in stride(from: UInt.bitWidth - 8, through: 0, by: -8) {
                    let byte = UInt8(truncatingIfNeeded: word >> UInt(shift))
                    if byte != 0 || !out.isEmpty { out.append(byte) }
                }
            }
            return out
        }
    }

    /// The value as `UInt64` when it fits.
    public var uint64Value: UInt64? {
        if case .small(let value) = storage { return value }
        return nil
    }

    /// The value as the nearest `Double` (exact up to 2^53 base units): for ratios and shares, never for sums.
    public var approximateValue: Double {
        switch storage {
        case .small(let value): Double(value)
        case .big(let value): Double(value)
        }
    }

    /// This amount times `fraction` (0 to 1), rounded down to whole base units: an exposed share of a payment.
    public func scaled(by fraction: Double) -> Amount {
        guard fraction < 1 else { return self }
        guard fraction > 0 else { return .zero }
        if case .small(let value) = storage { return Amount(UInt64((Double(value) * fraction).rounded(.down))) }
        return Amount(units: units * BigUInt(UInt64(fraction * 4_294_967_296)) >> 32)
    }

    /// The number of significant bits.
    public var bitWidth: Int {
        switch storage {
        case .small(let value): 64 - value.leadingZeroBitCount
        case .big(let value): value.bitWidth
        }
    }

    /// Base units as a decimal string.
    public var decimalString: String {
        switch storage {
        case .small(let value): String(value)
        case .big(let value): String(value)
        }
    }

    public var description: String { decimalString }

    public static func < (lhs: Amount, rhs: Amount) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.small(let a), .small(let b)): a < b
        case (.small, .big): true
        case (.big, .small): false
        case (.big(let a), .big(let b)): a < b
        }
    }

    public static func + (lhs: Amount, rhs: Amount) -> Amount {
        if case .small(let a) = lhs.storage, case .small(let b) = rhs.storage {
            let (sum, overflow) = a.addingReportingOverflow(b)
            if !overflow { return Amount(sum) }
        }
        return Amount(units: lhs.units + rhs.units)
    }

    /// `lhs - rhs`, or `nil` when `rhs` is larger.
    public func subtracting(_ rhs: Amount) -> Amount? {
        guard rhs <= self else { return nil }
        if case .small(let a) = storage, case .small(let b) = rhs.storage { return Amount(a - b) }
        return Amount(units: units - rhs.units)
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
