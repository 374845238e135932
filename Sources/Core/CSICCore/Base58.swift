/// Base58 and Base58Check, Bitcoin's alphabet (legacy addresses, WIF keys).
///
/// The checksum of Base58Check is the first four bytes of SHA-256d; callers pass it in, so this module
/// needs no hash implementation.
public enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    private static let digitValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = Int8(value) }
        return values
    }()

    /// Base58 text of `bytes`; each leading zero byte becomes a leading `1`.
    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Digits in base 58, least significant first; each input byte multiplies the number by 256.
        var digits = [UInt8](repeating: 0, count: bytes.count * 138 / 100 + 1)
        var length = 0
        for byte in bytes.dropFirst(zeros) {
            var carry = Int(byte)
            var index = 0
            while index < length || carry != 0 {
                carry += 256 * Int(digits[index])
                digits[index] = UInt8(carry % 58)
                carry /= 58
                index += 1
            }
            length = index
        }
        var text = [UInt8](repeating: alphabet[0], count: zeros)
        text.reserveCapacity(zeros + length)
        for index in stride(from: length - 1, through: 0, by: -1) { text.append(alphabet[Int(digits[index])]) }
        return String(decoding: text, as: UTF8.self)
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

    /// Base58Check: `payload` followed by the first four bytes of `checksum(payload)` (SHA-256d for Bitcoin).
    public static func encodeCheck(_ payload: [UInt8], checksum: ([UInt8]) -> [UInt8]) -> String {
        encode(payload + checksum(payload).prefix(4))
    }

    /// The payload of Base58Check `text`, or `nil` if it is not Base58 or its checksum does not match.
    public static func decodeCheck(_ text: String, checksum: ([UInt8]) -> [UInt8]) -> [UInt8]? {
        guard let bytes = decode(text), bytes.count >= 4 else { return nil }
        let payload = Array(bytes.dropLast(4))
        guard checksum(payload).prefix(4).elementsEqual(bytes.suffix(4)) else { return nil }
        return payload
    }
}
