/// Base58 with Bitcoin's alphabet (legacy addresses, WIF keys). Base58Check's SHA-256d checksum is added by
/// the caller (`BitcoinScript`), so this module needs no hash implementation.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    private static let digitValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = Int8(value) }
        return values
    }()

    /// 58^9: nine Base58 digits per 64-bit limb, so that `limb * 256 + carry` cannot overflow.
    private static let limbBase: UInt64 = 7_427_658_739_644_928

    /// Base58 text of `bytes`; each leading zero byte becomes a leading `1`. The number is converted nine
    /// digits at a time (base 58^9 limbs), a ninth of the divisions of digit-by-digit conversion.
    @inlinable
    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        if let text = bytes.withContiguousStorageIfAvailable(encode(buffer:)) { return text }
        return Array(bytes).withUnsafeBufferPointer(encode(buffer:))
    }

    @usableFromInline
    static func encode(buffer bytes: UnsafeBufferPointer<UInt8>) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: bytes.count / 6 + 2) { limbs in
            var count = 0
            for byte in bytes.dropFirst(zeros) {
                var carry = UInt64(byte)
                for index in 0..<count {
                    let value = limbs[index] &* 256 &+ carry
                    limbs[index] = value % limbBase
                    carry = value / limbBase
                }
                while carry > 0 {
                    limbs[count] = carry % limbBase
                    carry /= limbBase
                    count += 1
                }
            }
            let capacity = zeros + count * 9
            return alphabet.withUnsafeBufferPointer { alphabet in
                String(unsafeUninitializedCapacity: max(capacity, 1)) { out in
                    var position = 0
                    for _ in 0..<zeros {
                        out[position] = alphabet[0]
                        position += 1
                    }
                    for index in stride(from: count - 1, through: 0, by: -1) {
                        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
                        var limb = limbs[index]
                        withUnsafeMutableBytes(of: &digits) { digitBytes in
                            for slot in stride(from: 8, through: 0, by: -1) {
                                digitBytes[slot] = UInt8(limb % 58)
                                limb /= 58
                            }
                            // The most significant limb is written without its leading zero digits.
                            let skip = index == count - 1 ? (digitBytes.firstIndex { $0 != 0 } ?? 9) : 0
                            for slot in skip..<9 {
                                out[position] = alphabet[Int(digitBytes[slot])]
                                position += 1
                            }
                        }
                    }
                    return position
                }
            }
        }
    }

    /// The bytes of Base58 `text`, or `nil` if it holds a character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        let ones = characters.prefix { $0 == alphabet[0] }.count
        var bytes = [UInt8](repeating: 0, count: characters.count * 733 / 1000 + 1)
        var length = 0
        for character in characters.dropFirst(ones) {
            guard character < 128, digitValues[Int(character)] >= 0 else { return nil }
            var carry = Int(digitValues[Int(character)])
            var index = 0
            while index < length || carry != 0 {
                carry += 58 * Int(bytes[index])
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
                index += 1
            }
            length = index
        }
        return [UInt8](repeating: 0, count: ones) + bytes[0..<length].reversed()
    }
}
