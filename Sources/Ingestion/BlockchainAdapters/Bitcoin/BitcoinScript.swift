import CSICCore

/// The parameters of a Bitcoin network that addresses depend on.
public struct BitcoinNetwork: Sendable, Hashable {
    public let name: String
    public let pubkeyHashPrefix: UInt8
    public let scriptHashPrefix: UInt8
    public let bech32HRP: String
    /// The first four bytes of every P2P message and `blk*.dat` record.
    public let magic: [UInt8]

    public static let mainnet = BitcoinNetwork(
        name: "mainnet", pubkeyHashPrefix: 0x00, scriptHashPrefix: 0x05, bech32HRP: "bc", magic: [0xF9, 0xBE, 0xB4, 0xD9])
    public static let testnet = BitcoinNetwork(
        name: "testnet", pubkeyHashPrefix: 0x6F, scriptHashPrefix: 0xC4, bech32HRP: "tb", magic: [0x0B, 0x11, 0x09, 0x07])
    public static let testnet4 = BitcoinNetwork(
        name: "testnet4", pubkeyHashPrefix: 0x6F, scriptHashPrefix: 0xC4, bech32HRP: "tb", magic: [0x1C, 0x16, 0x3F, 0x28])
    public static let signet = BitcoinNetwork(
        name: "signet", pubkeyHashPrefix: 0x6F, scriptHashPrefix: 0xC4, bech32HRP: "tb", magic: [0x0A, 0x03, 0xCF, 0x40])
    public static let regtest = BitcoinNetwork(
        name: "regtest", pubkeyHashPrefix: 0x6F, scriptHashPrefix: 0xC4, bech32HRP: "bcrt", magic: [0xFA, 0xBF, 0xB5, 0xDA])

    public static let all: [BitcoinNetwork] = [.mainnet, .testnet, .testnet4, .signet, .regtest]

    public static func named(_ name: String) -> BitcoinNetwork? { all.first { $0.name == name } }
}

/// What an output script is, and the address it pays to when it has one.
public enum BitcoinOutputType: String, Sendable, Hashable {
    case p2pk, p2pkh, p2sh, p2wpkh, p2wsh, p2tr
    /// A witness program of a version or length no rule defines yet (BIP350 still gives it an address).
    case witnessUnknown = "witness_unknown"
    case multisig
    /// `OP_RETURN` data: provably unspendable, no address.
    case nullData = "nulldata"
    case nonstandard
}

/// Output script classification and address encoding.
public enum BitcoinScript {
    /// The type of `script` and its address on `network` (`nil` for multisig, data and nonstandard scripts).
    /// A P2PK output is shown as the P2PKH address of its key, as block explorers and python-bitcoinlib do.
    public static func classify(_ script: some Collection<UInt8>, network: BitcoinNetwork) -> (type: BitcoinOutputType, address: String?) {
        if let result = script.withContiguousStorageIfAvailable({ classify(buffer: $0, network: network) }) { return result }
        return Array(script).withUnsafeBufferPointer { classify(buffer: $0, network: network) }
    }

    private static func classify(
        buffer s: UnsafeBufferPointer<UInt8>, network: BitcoinNetwork
    ) -> (type: BitcoinOutputType, address: String?) {
        let n = s.count
        if n == 25, s[0] == 0x76, s[1] == 0xA9, s[2] == 0x14, s[23] == 0x88, s[24] == 0xAC {
            return (.p2pkh, base58Address(network.pubkeyHashPrefix, UnsafeBufferPointer(rebasing: s[3..<23])))
        }
        if n == 23, s[0] == 0xA9, s[1] == 0x14, s[22] == 0x87 {
            return (.p2sh, base58Address(network.scriptHashPrefix, UnsafeBufferPointer(rebasing: s[2..<22])))
        }
        if n >= 4, n <= 42, s[0] == 0 || (0x51...0x60).contains(s[0]), Int(s[1]) == n - 2 {
            let version = s[0] == 0 ? 0 : s[0] - 0x50
            let program = UnsafeBufferPointer(rebasing: s[2...])
            switch (version, program.count) {
            case (0, 20): return (.p2wpkh, Bech32.segwitAddress(hrp: network.bech32HRP, version: 0, program: program))
            case (0, 32): return (.p2wsh, Bech32.segwitAddress(hrp: network.bech32HRP, version: 0, program: program))
            case (0, _): return (.nonstandard, nil)
            case (1, 32): return (.p2tr, Bech32.segwitAddress(hrp: network.bech32HRP, version: 1, program: program))
            default: return (.witnessUnknown, Bech32.segwitAddress(hrp: network.bech32HRP, version: version, program: program))
            }
        }
        if (n == 35 && s[0] == 0x21 && (s[1] == 0x02 || s[1] == 0x03)) || (n == 67 && s[0] == 0x41 && s[1] == 0x04), s[n - 1] == 0xAC {
            return hash160(s[1..<n - 1]).withUnsafeBufferPointer { (.p2pk, base58Address(network.pubkeyHashPrefix, $0)) }
        }
        if n >= 1, s[0] == 0x6A { return (.nullData, nil) }
        if isBareMultisig(Array(s)) { return (.multisig, nil) }
        return (.nonstandard, nil)
    }

    /// `OP_m <pubkey>... OP_n OP_CHECKMULTISIG` with 1 <= m <= n <= 16 compressed or uncompressed keys.
    static func isBareMultisig(_ s: [UInt8]) -> Bool {
        guard s.count >= 37, s[s.count - 1] == 0xAE, (0x51...0x60).contains(s[0]), (0x51...0x60).contains(s[s.count - 2]) else {
            return false
        }
        let required = Int(s[0]) - 0x50
        let total = Int(s[s.count - 2]) - 0x50
        var position = 1
        var keys = 0
        while position < s.count - 2 {
            let length = Int(s[position])
            guard length == 33 || length == 65, position + 1 + length <= s.count - 2 else { return false }
            position += 1 + length
            keys += 1
        }
        return keys == total && required <= total
    }

    /// Base58Check of a version byte and a 20-byte hash, the checksum hashed from a stack buffer.
    static func base58Address(_ prefix: UInt8, _ hash: UnsafeBufferPointer<UInt8>) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 25) { payload in
            payload[0] = prefix
            for index in 0..<20 { payload[1 + index] = hash[index] }
            let checksum = Hash256.doubleSHA256(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(payload)[0..<21]))
            withUnsafeBytes(of: checksum.words.0) { for index in 0..<4 { payload[21 + index] = $0[index] } }
            return Base58.encode(UnsafeBufferPointer(payload))
        }
    }
}
