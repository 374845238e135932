import BlockchainAdapters
import CSICCore
import Testing

@Suite struct EthereumEncodingTests {
    /// Keccak-256 vectors: the empty string and "abc" (Keccak team / Ethereum), the ERC-20 `Transfer` event
    /// topic, and a message longer than one 136-byte block.
    @Test(arguments: [
        ("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        ("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
        ("Transfer(address,address,uint256)", "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"),
        ("Approval(address,address,uint256)", "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"),
        ("transfer(address,uint256)", "a9059cbb2ab09eb219583f4a59a5d0623ade346d962bcd4e46b11da047c9049b"),
    ])
    func keccak256(message: String, digest: String) {
        #expect(Hex.encode(Keccak256.hash(Array(message.utf8))) == digest)
    }

    @Test func keccakSpansBlocks() {
        // 200 bytes cross the 136-byte rate: absorbing must XOR the second block into the permuted state.
        let long = Keccak256.hash([UInt8](repeating: 0x61, count: 200))
        let short = Keccak256.hash([UInt8](repeating: 0x61, count: 136))
        #expect(long.count == 32 && long != short)
        #expect(Keccak256.hash([UInt8](repeating: 0x61, count: 135)) != short)
    }

    /// The examples of EIP-55.
    @Test(arguments: [
        "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func eip55(address: String) {
        let digits = String(address.dropFirst(2))
        let isMixed = digits != digits.lowercased() && digits != digits.uppercased()
        if isMixed { #expect(EthereumAddress.checksummed(address.lowercased()) == address) }
        #expect(EthereumAddress.isValid(address))
    }

    @Test func badAddressesAreRejected() {
        #expect(!EthereumAddress.isValid("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"))
        #expect(EthereumAddress.checksummed("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe") == nil)
        #expect(EthereumAddress.checksummed("0xzaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == nil)
    }
}
