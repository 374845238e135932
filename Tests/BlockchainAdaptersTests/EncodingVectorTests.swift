import BlockchainAdapters
import CSICCore
import Testing

@Suite struct EncodingVectorTests {
    /// The test vectors of the RIPEMD-160 paper (Dobbertin, Bosselaers, Preneel).
    @Test(arguments: [
        ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
        ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
        ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
        ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
        ("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "12a053384a9c0c88e405a06c27dcf49ada62eb2b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "b0e20b6e3116640286ed3a87a5713079b21f5189"),
        (String(repeating: "1234567890", count: 8), "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    ])
    func ripemd160(message: String, digest: String) {
        #expect(Hex.encode(RIPEMD160.hash(Array(message.utf8))) == digest)
    }

    @Test func ripemd160OfAMillionAs() {
        #expect(Hex.encode(RIPEMD160.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "52783243c1697bdbe16d37f97f68f08325dc1528")
    }

    /// Bitcoin Core's base58_encode_decode.json.
    @Test(arguments: [
        ("", ""), ("61", "2g"), ("626262", "a3gV"), ("636363", "aPEr"),
        ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
        ("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
        ("516b6fcd0f", "ABnLTmg"), ("bf4f89001e670274dd", "3SEo3LWLoPntC"), ("572e4794", "3EFU7m"),
        ("ecac89cad93923c02321", "EJDM8drfXA6uyA"), ("10c8511e", "Rt5zm"), ("00000000000000000000", "1111111111"),
    ])
    func base58(hex: String, text: String) throws {
        let bytes = try #require(Hex.decode(hex))
        #expect(Base58.encode(bytes) == text)
        #expect(Base58.decode(text) == bytes)
    }

    @Test func base58RejectsCharactersOutsideTheAlphabet() {
        #expect(Base58.decode("0OIl") == nil)
        #expect(Base58.decode("3SEo3LWLoPntC!") == nil)
    }

    /// HASH160 of the public key in the Bitcoin wiki's "Technical background of version 1 addresses".
    @Test func hash160AndAddressOfTheWikiKey() throws {
        let key = try #require(Hex.decode("0250863ad64a87ae8a2fe83c1af1a8403cb53f53e486d8511dad8a04887e5b2352"))
        #expect(Hex.encode(hash160(key)) == "f54a5851e9372b87810a8e60cdd2e7cfd80b6e31")
        let script = [0x21] + key + [0xAC]
        let (type, address) = BitcoinScript.classify(script, network: .mainnet)
        #expect(type == .p2pk)
        #expect(address == "1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs")
    }

    /// Output scripts of each type against their well-known addresses (BIP173/BIP350 vectors and mainnet use).
    @Test(
        arguments: [
            ("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", BitcoinOutputType.p2pkh, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
            ("a914f815b036d9bbbce5e9f2a00abd1bf3dc91e9551087", .p2sh, "3QJmV3qfvL9SuYo34YihAf3sRCW3qSinyC"),
            ("0014751e76e8199196d454941c45d1b3a323f1433bd6", .p2wpkh, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
            (
                "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", .p2wsh,
                "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
            ),
            (
                "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", .p2tr,
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
            ),
            ("6a0b68656c6c6f20776f726c64", .nullData, nil),
        ] as [(String, BitcoinOutputType, String?)])
    func outputScripts(script: String, type: BitcoinOutputType, address: String?) throws {
        let classified = BitcoinScript.classify(try #require(Hex.decode(script)), network: .mainnet)
        #expect(classified.type == type)
        #expect(classified.address == address)
    }

    @Test func regtestAndTestnetPrefixes() throws {
        let p2wpkh = try #require(Hex.decode("0014751e76e8199196d454941c45d1b3a323f1433bd6"))
        #expect(BitcoinScript.classify(p2wpkh, network: .testnet).address == "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")
        #expect(BitcoinScript.classify(p2wpkh, network: .regtest).address?.hasPrefix("bcrt1q") == true)
        let p2pkh = try #require(Hex.decode("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"))
        #expect(BitcoinScript.classify(p2pkh, network: .testnet).address?.first.map { "mn".contains($0) } == true)
    }

    @Test func bareMultisigHasNoAddress() throws {
        let key = [UInt8](repeating: 2, count: 33)
        let script: [UInt8] = [0x51, 0x21] + key + [0x21] + key + [0x52, 0xAE]
        #expect(BitcoinScript.classify(script, network: .mainnet).type == .multisig)
        #expect(BitcoinScript.classify(script, network: .mainnet).address == nil)
    }
}
