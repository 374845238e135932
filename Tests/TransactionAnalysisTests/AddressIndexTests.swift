import Simulation
import Testing

@testable import TransactionAnalysis

@Suite struct AddressIndexTests {
    /// Ids are dense in the order addresses first appear, the same address always has its id, and the table
    /// keeps them through its growth, against a dictionary doing the same: with the full hash, and with hashes
    /// cut to 3 bits, where every address shares its tag and a bucket with others and only the string
    /// comparison tells them apart.
    @Test(arguments: [-1, 0b111])
    func idsAreDenseStableAndExact(hashMask: Int) {
        var index = AddressIndex(hashMask: hashMask)
        var expected: [String: Int32] = [:]
        var generator = SplitMix64(seed: 11)
        let count = hashMask == -1 ? 50_000 : 2_000
        // Addresses that differ in one character, share prefixes, or are empty; most inserted once, some again.
        for step in 0..<(count * 2) {
            let number = generator.next() % UInt64(count)
            let address = step % 97 == 0 ? "" : "bc1q" + String(repeating: "0", count: Int(number % 7)) + "\(number)"
            let (id, inserted) = index.insert(address)
            if let known = expected[address] {
                #expect(id == known && !inserted, "\(address)")
            } else {
                #expect(id == Int32(expected.count) && inserted, "\(address)")
                expected[address] = id
            }
        }
        #expect(index.count == expected.count && index.addresses.count == expected.count)
        for (address, id) in expected {
            #expect(index.id(of: address) == id)
            #expect(index.addresses[Int(id)] == address)
        }
        #expect(index.id(of: "bc1q-never-seen") == nil && index.id(of: "bc1q00") == nil)
    }
}
