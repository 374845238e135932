/// Recursive Length Prefix encoding (the Ethereum Yellow Paper, appendix B): what a block header is hashed in.
/// Encoding only; the adapter never needs to decode RLP because nodes answer in JSON.
public enum RLP: Sendable, Hashable {
    case bytes([UInt8])
    case list([RLP])

    /// A quantity: minimal big-endian bytes, zero as the empty string.
    public static func quantity(_ value: UInt64) -> RLP {
        let count = (64 - value.leadingZeroBitCount + 7) / 8
        return .bytes((0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) })
    }

    /// The encoding of this item.
    ///
    /// ```swift
    /// RLP.bytes(Array("dog".utf8)).encoded  // [0x83, 0x64, 0x6f, 0x67]
    /// RLP.list([]).encoded                  // [0xc0]
    /// ```
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    func append(to out: inout [UInt8]) {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1, bytes[0] < 0x80 {
                out.append(bytes[0])
            } else {
                Self.appendLength(bytes.count, offset: 0x80, to: &out)
                out.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload: [UInt8] = []
            for item in items { item.append(to: &payload) }
            Self.appendLength(payload.count, offset: 0xc0, to: &out)
            out.append(contentsOf: payload)
        }
    }

    private static func appendLength(_ length: Int, offset: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
            return
        }
        guard case .bytes(let lengthBytes) = quantity(UInt64(length)) else { return }
        out.append(offset + 55 + UInt8(lengthBytes.count))
        out.append(contentsOf: lengthBytes)
    }
}
