/// Bech32 (BIP 173) and Bech32m (BIP 350) encoding of segwit addresses.
///
/// ```swift
/// Bech32.segwitAddress(hrp: "bc", version: 0, program: twentyBytes) // "bc1q..."
/// ```
public enum Bech32 {
    public enum Variant: Sendable {
        case bech32, bech32m

        var constant: UInt32 { self == .bech32 ? 1 : 0x2BC8_30A3 }
    }

    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1FF_FFFF) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes 5-bit groups under a human-readable part.
    public static func encode(hrp: String, data: [UInt8], variant: Variant) -> String {
        var checksum = PolymodAccumulator()
        for byte in hrp.utf8 { checksum.add(byte >> 5) }
        checksum.add(0)
        for byte in hrp.utf8 { checksum.add(byte & 31) }
        for value in data { checksum.add(value) }
        for _ in 0..<6 { checksum.add(0) }
        let polymod = checksum.value ^ variant.constant
        var out = Array(hrp.utf8)
        out.reserveCapacity(out.count + 1 + data.count + 6)
        out.append(49)
        for value in data { out.append(charset[Int(value)]) }
        for index in 0..<6 { out.append(charset[Int((polymod >> UInt32(5 * (5 - index))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The BIP 173 checksum state, fed one 5-bit value at a time.
    @usableFromInline
    struct PolymodAccumulator {
        /// For each value of the five bits shifted out, the XOR of the generator terms they select.
        private static let reductions: [UInt32] = (0..<32).map { top in
            let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]
            return (0..<5).reduce(UInt32(0)) { sum, bit in top >> bit & 1 == 1 ? sum ^ generator[bit] : sum }
        }
        var value: UInt32 = 1

        mutating func add(_ five: UInt8) {
            let top = Int(value >> 25)
            value = (value & 0x1FF_FFFF) << 5 ^ UInt32(five) ^ Self.reductions.withUnsafeBufferPointer { $0[top] }
        }
    }

    /// Decodes a Bech32 or Bech32m string into its human-readable part, 5-bit data and variant.
    public static func decode(_ text: String) -> (hrp: String, data: [UInt8], variant: Variant)? {
        let lower = text.lowercased()
        guard lower == text || text.uppercased() == text, text.utf8.count <= 90,
            let separator = lower.utf8.lastIndex(of: 49)
        else { return nil }
        let hrp = Array(lower.utf8[..<separator])
        let rest = Array(lower.utf8[lower.utf8.index(after: separator)...])
        guard !hrp.isEmpty, rest.count >= 6, hrp.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return nil }
        var data: [UInt8] = []
        for character in rest {
            guard let value = charset.firstIndex(of: character) else { return nil }
            data.append(UInt8(value))
        }
        let check = polymod(expand(hrp) + data)
        let variant: Variant
        switch check {
        case Variant.bech32.constant: variant = .bech32
        case Variant.bech32m.constant: variant = .bech32m
        default: return nil
        }
        return (String(decoding: hrp, as: UTF8.self), Array(data.dropLast(6)), variant)
    }

    /// Regroups bits (8 to 5 with padding, or 5 to 8 without).
    public static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var out: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = accumulator << from | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || (accumulator << (to - bits)) & maxValue != 0 {
            return nil
        }
        return out
    }

    /// A segwit address: Bech32 for version 0, Bech32m for versions 1–16 (BIP 350). Written in one pass:
    /// the program's bits are regrouped, checksummed and spelled without intermediate arrays.
    @inlinable
    public static func segwitAddress(hrp: String, version: UInt8, program: some Collection<UInt8>) -> String {
        if let address = program.withContiguousStorageIfAvailable({ segwitAddress(hrp: hrp, version: version, buffer: $0) }) {
            return address
        }
        return Array(program).withUnsafeBufferPointer { segwitAddress(hrp: hrp, version: version, buffer: $0) }
    }

    @usableFromInline
    static func segwitAddress(hrp: String, version: UInt8, buffer program: UnsafeBufferPointer<UInt8>) -> String {
        var checksum = PolymodAccumulator()
        for byte in hrp.utf8 { checksum.add(byte >> 5) }
        checksum.add(0)
        for byte in hrp.utf8 { checksum.add(byte & 31) }
        let length = hrp.utf8.count + 1 + 1 + (program.count * 8 + 4) / 5 + 6
        return charset.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: length) { out in
                var position = 0
                for byte in hrp.utf8 {
                    out[position] = byte
                    position += 1
                }
                out[position] = 49
                position += 1
                func emit(_ five: UInt8) {
                    checksum.add(five)
                    out[position] = alphabet[Int(five)]
                    position += 1
                }
                emit(version)
                var accumulator: UInt32 = 0
                var bits = 0
                for byte in program {
                    accumulator = accumulator << 8 | UInt32(byte)
                    bits += 8
                    while bits >= 5 {
                        bits -= 5
                        emit(UInt8((accumulator >> UInt32(bits)) & 31))
                    }
                }
                if bits > 0 { emit(UInt8((accumulator << UInt32(5 - bits)) & 31)) }
                for _ in 0..<6 { checksum.add(0) }
                let polymod = checksum.value ^ (version == 0 ? Variant.bech32 : Variant.bech32m).constant
                for index in 0..<6 {
                    out[position] = alphabet[Int((polymod >> UInt32(5 * (5 - index))) & 31)]
                    position += 1
                }
                return position
            }
        }
    }

    /// Decodes a segwit address for `hrp`, checking the variant matches the version and the program length.
    public static func decodeSegwitAddress(hrp expected: String, _ address: String) -> (version: UInt8, program: [UInt8])? {
        guard let (hrp, data, variant) = decode(address), hrp == expected, let version = data.first, version <= 16,
            let program = convertBits(Array(data.dropFirst()), from: 5, to: 8, pad: false),
            (2...40).contains(program.count), version != 0 || program.count == 20 || program.count == 32,
            (version == 0) == (variant == .bech32)
        else { return nil }
        return (version, program)
    }
}
