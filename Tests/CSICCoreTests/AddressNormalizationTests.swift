import CSICCore
import Testing

@Suite struct AddressNormalizationTests {
    @Test(arguments: [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"), // P2PKH, the genesis output
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"), // P2SH (the Bitcoin wiki's example)
        ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"), // testnet P2PKH
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"), // BIP 173, upper case
        (
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
        ), // BIP 350 taproot
        (
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"
        ),
    ])
    func acceptsBitcoinAddresses(_ text: String, _ normalized: String) {
        #expect(BitcoinAddress.normalized(text) == normalized)
        #expect(Chain.bitcoin.normalizedAddress(text) == normalized)
    }

    @Test func acceptsRegtestSegwit() {
        let address = Bech32.segwitAddress(hrp: "bcrt", version: 0, program: [UInt8](repeating: 7, count: 20))
        #expect(BitcoinAddress.normalized(address) == address)
    }

    @Test(arguments: [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", // Base58Check checksum
        "LdP8Qox1VAhCzLJNqrr74YovaWYyNBUWvL", // a Litecoin address (version 0x30)
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", // bech32 checksum
        "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", // mixed case
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", // Ethereum
        "1AXUTu9y3H8w4", // cut off
        "",
    ])
    func refusesWhatIsNotABitcoinAddress(_ text: String) {
        #expect(BitcoinAddress.normalized(text) == nil)
    }

    /// EIP-55's own examples: any all-lower or all-upper spelling becomes the checksummed one; a wrong mix is refused.
    @Test func normalizesEthereumAddressesToEIP55() {
        for address in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"] {
            #expect(Chain.ethereum.normalizedAddress(address) == address)
            #expect(Chain.ethereum.normalizedAddress(address.lowercased()) == address)
            #expect(Chain.ethereum.normalizedAddress("0x" + address.dropFirst(2).uppercased()) == address)
        }
        #expect(Chain.ethereum.normalizedAddress("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == nil)
        #expect(Chain.ethereum.normalizedAddress("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == nil)
    }
}
