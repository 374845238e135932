/// Keccak-256 as Ethereum uses it (the original Keccak padding, not FIPS 202 SHA3-256): transaction and
/// block hashes, event topics, EIP-55 address checksums. swift-crypto has no Keccak; checked against
/// published vectors.
public enum Keccak256 {
    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    /// Rotation of lane (x, y), at index x + 5y.
    private static let rotations: [UInt64] = [
        0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14,
    ]
    private static let rate = 136

    /// The 32-byte digest of `message`.
    public static func hash(_ message: some Collection<UInt8>) -> [UInt8] {
        var state = [UInt64](repeating: 0, count: 25)
        var block = Array(message)
        block.append(0x01)
        while block.count % rate != 0 { block.append(0) }
        block[block.count - 1] |= 0x80
        for start in stride(from: 0, to: block.count, by: rate) {
            for lane in 0..<rate / 8 {
                var value: UInt64 = 0
                for byte in 0..<8 { value |= UInt64(block[start + lane * 8 + byte]) << (8 * UInt64(byte)) }
                state[lane] ^= value
            }
            permute(&state)
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for lane in 0..<4 {
            for byte in 0..<8 { digest.append(UInt8(truncatingIfNeeded: state[lane] >> (8 * UInt64(byte)))) }
        }
        return digest
    }

    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        count == 0 ? value : (value << count) | (value >> (64 - count))
    }

    /// Keccak-f[1600]: 24 rounds of theta, rho and pi, chi, iota.
    private static func permute(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for round in 0..<24 {
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotate(c[(x + 1) % 5], 1)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            for x in 0..<5 {
                for y in 0..<5 { b[y + 5 * ((2 * x + 3 * y) % 5)] = rotate(a[x + 5 * y], rotations[x + 5 * y]) }
            }
            for x in 0..<5 {
                for y in 0..<5 { a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]) }
            }
            a[0] ^= roundConstants[round]
        }
    }
}

/// Ethereum addresses with the EIP-55 mixed-case checksum.
public enum EthereumAddress {
    /// The EIP-55 spelling of a 20-byte address (`0x` + 40 hex digits, some upper case), or `nil` when
    /// `text` is not 40 hex digits (with or without `0x`).
    public static func checksummed(_ text: String) -> String? {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        let lower = digits.lowercased()
        guard lower.utf8.count == 40, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let hash = Keccak256.hash(Array(lower.utf8))
        var out = "0x"
        for (index, character) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            out.append(character.isLetter && nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return out
    }

    /// Whether `text` is a valid address: all lower case, all upper case, or exactly its EIP-55 spelling.
    public static func isValid(_ text: String) -> Bool {
        guard let checksummed = checksummed(text) else { return false }
        let digits = String(text.dropFirst(2))
        return digits == digits.lowercased() || digits == digits.uppercased() || text == checksummed
    }
}
