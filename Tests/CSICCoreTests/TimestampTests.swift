import CSICCore
import Testing

@Suite struct TimestampTests {
    @Test func formatsWithMicroseconds() {
        #expect(Timestamp(microsecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: 1_700_000_000_123_456).iso8601 == "2023-11-14T22:13:20.123456Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(secondsSinceEpoch: 951_782_400).iso8601 == "2000-02-29T00:00:00.000000Z")
    }

    @Test func parsesRFC3339() {
        #expect(Timestamp(iso8601: "2023-11-14T22:13:20.123456Z")?.microsecondsSinceEpoch == 1_700_000_000_123_456)
        #expect(Timestamp(iso8601: "2023-11-14T23:13:20.5+01:00")?.microsecondsSinceEpoch == 1_700_000_000_500_000)
        #expect(Timestamp(iso8601: "2023-11-14T22:13:20.123456789Z")?.microsecondsSinceEpoch == 1_700_000_000_123_456)
        #expect(Timestamp(iso8601: "2023-11-14T22:13:20Z")?.microsecondsSinceEpoch == 1_700_000_000_000_000)
    }

    @Test(arguments: [
        "", "2023-11-14", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "2023-11-14T25:00:00Z",
        "x023-11-14T22:13:20Z",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func roundTripsAcrossCenturies() {
        for micros: Int64 in [0, 1, 86_399_999_999, 1_231_006_505_000_000, 4_102_444_800_000_000, -2_208_988_800_000_000] {
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            #expect(Timestamp(iso8601: timestamp.iso8601) == timestamp)
        }
    }
}

@Suite struct AmountTests {
    @Test func holdsUint256WithoutOverflow() {
        let max = Amount.maximum
        #expect(max.bitWidth == 256)
        #expect(max.decimalString == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(Amount(bigEndian: max.bigEndianBytes) == max)
        #expect(max.bigEndianBytes.count == 32)
    }

    @Test func minimalBigEndianBytes() {
        #expect(Amount.zero.bigEndianBytes.isEmpty)
        #expect(Amount(1).bigEndianBytes == [1])
        #expect(Amount(256).bigEndianBytes == [1, 0])
        #expect(Amount(UInt64.max).bigEndianBytes == [UInt8](repeating: 255, count: 8))
        let wei = Amount(decimal: "1000000000000000000000")!
        #expect(Amount(bigEndian: wei.bigEndianBytes) == wei)
        #expect(wei.bigEndianBytes.first != 0)
    }

    @Test func parsesOnlyDigits() {
        #expect(Amount(decimal: "12345")?.uint64Value == 12_345)
        #expect(Amount(decimal: "-1") == nil)
        #expect(Amount(decimal: "1.5") == nil)
        #expect(Amount(decimal: "") == nil)
        #expect(Amount(decimal: " 1") == nil)
    }

    @Test func subtractsWithoutUnderflow() {
        #expect(Amount(10).subtracting(Amount(3)) == Amount(7))
        #expect(Amount(3).subtracting(Amount(10)) == nil)
    }
}

@Suite struct HexAndBech32Tests {
    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    /// BIP 173 and BIP 350 valid segwit address vectors.
    @Test func decodesPublishedVectors() throws {
        let p2wpkh = try #require(Bech32.decodeSegwitAddress(hrp: "bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"))
        #expect(p2wpkh.version == 0)
        #expect(Hex.encode(p2wpkh.program) == "751e76e8199196d454941c45d1b3a323f1433bd6")
        let p2tr = try #require(Bech32.decodeSegwitAddress(hrp: "bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"))
        #expect(p2tr.version == 1)
        #expect(Hex.encode(p2tr.program) == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        let p2wsh = try #require(Bech32.decodeSegwitAddress(hrp: "tb", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"))
        #expect(Hex.encode(p2wsh.program) == "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")
    }

    @Test func encodesWhatItDecodes() {
        let program = Hex.decode("751e76e8199196d454941c45d1b3a323f1433bd6")!
        #expect(Bech32.segwitAddress(hrp: "bc", version: 0, program: program) == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
        let key = Hex.decode("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")!
        #expect(
            Bech32.segwitAddress(hrp: "bc", version: 1, program: key) == "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
    }

    @Test(arguments: [
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", // checksum
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", // wrong network for "bc"
        "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", // mixed case
        "bc1gmk9yu", // empty data
    ])
    func rejectsInvalidAddresses(_ address: String) {
        #expect(Bech32.decodeSegwitAddress(hrp: "bc", address) == nil)
    }

    @Test func rejectsWrongVariantForVersion() {
        let program = Hex.decode("751e76e8199196d454941c45d1b3a323f1433bd6")!
        let data = [UInt8(0)] + Bech32.convertBits(program, from: 8, to: 5, pad: true)!
        let bech32mV0 = Bech32.encode(hrp: "bc", data: data, variant: .bech32m)
        #expect(Bech32.decode(bech32mV0) != nil)
        #expect(Bech32.decodeSegwitAddress(hrp: "bc", bech32mV0) == nil)
    }
}

@Suite struct LatencyHistogramTests {
    @Test func percentilesWithinBucketError() {
        var histogram = LatencyHistogram()
        for value in 1...10_000 { histogram.record(microseconds: Int64(value)) }
        #expect(histogram.count == 10_000)
        #expect(abs(histogram.percentile(50) - 5_000) / 5_000 < 0.03)
        #expect(abs(histogram.percentile(99) - 9_900) / 9_900 < 0.03)
        #expect(histogram.percentile(100) == 10_000)
        var other = LatencyHistogram()
        other.record(microseconds: 1_000_000)
        histogram.merge(other)
        #expect(histogram.maxMicroseconds == 1_000_000)
        #expect(LatencyHistogram().percentile(99) == 0)
    }
}
