import Crypto

/// The Bitcoin address forms the platform recognises in reference data (tag lists, sanctions lists):
/// Base58Check pay-to-pubkey-hash and pay-to-script-hash of mainnet, testnet and regtest (version bytes 0x00,
/// 0x05, 0x6F, 0xC4) and segwit addresses (`bc`, `tb`, `bcrt`; BIP 173 and BIP 350).
public enum BitcoinAddress {
    /// The address as the adapters spell it (Base58 unchanged, segwit in lower case), or `nil` when `text` is
    /// not a valid address (a wrong checksum, an unknown version, mixed case in a segwit address).
    ///
    /// ```swift
    /// BitcoinAddress.normalized("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")  // "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    /// ```
    public static func normalized(_ text: String) -> String? {
        guard (14...90).contains(text.utf8.count) else { return nil }
        let lower = text.lowercased()
        for hrp in ["bc", "tb", "bcrt"] where lower.hasPrefix(hrp + "1") {
            guard text == lower || text == text.uppercased(), Bech32.decodeSegwitAddress(hrp: hrp, lower) != nil else { return nil }
            return lower
        }
        guard let bytes = Base58.decode(text), bytes.count == 25, [0x00, 0x05, 0x6F, 0xC4].contains(bytes[0]) else { return nil }
        let checksum = SHA256.hash(data: Array(SHA256.hash(data: bytes[..<21])))
        guard checksum.prefix(4).elementsEqual(bytes[21...]) else { return nil }
        return text
    }
}

extension Chain {
    /// `address` as the adapters of this chain spell it (Ethereum in EIP-55 case), or `nil` when it is not an
    /// address of this chain.
    public func normalizedAddress(_ address: String) -> String? {
        switch self {
        case .bitcoin: BitcoinAddress.normalized(address)
        case .ethereum: EthereumAddress.isValid(address) ? EthereumAddress.checksummed(address) : nil
        }
    }
}
