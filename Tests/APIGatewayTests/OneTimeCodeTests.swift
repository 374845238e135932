import APIGateway
import Foundation
import HummingbirdOTP
import Testing

/// RFC 6238 appendix B: the published TOTP test vectors (8 digits, 30 s steps), for each hash function with
/// its own seed, checked against the TOTP the gateway uses; then the 6-digit codes and the one-step window.
@Suite struct OneTimeCodeTests {
    static let vectors: [(time: Double, sha1: Int, sha256: Int, sha512: Int)] = [
        (59, 94_287_082, 46_119_246, 90_693_936),
        (1_111_111_109, 7_081_804, 68_084_774, 25_091_201),
        (1_111_111_111, 14_050_471, 67_062_674, 99_943_326),
        (1_234_567_890, 89_005_924, 91_819_424, 93_441_116),
        (2_000_000_000, 69_279_037, 90_698_825, 38_618_901),
        (20_000_000_000, 65_353_130, 77_737_706, 47_863_826),
    ]

    @Test(arguments: vectors) func rfc6238Vectors(_ vector: (time: Double, sha1: Int, sha256: Int, sha512: Int)) {
        let date = Date(timeIntervalSince1970: vector.time)
        let seed20 = "12345678901234567890"
        #expect(TOTP(secret: seed20, length: 8, hashFunction: .sha1).compute(date: date) == vector.sha1)
        #expect(TOTP(secret: seed20 + "123456789012", length: 8, hashFunction: .sha256).compute(date: date) == vector.sha256)
        let seed64 = String(repeating: seed20, count: 3) + "1234"
        #expect(TOTP(secret: seed64, length: 8, hashFunction: .sha512).compute(date: date) == vector.sha512)
    }

    @Test func sixDigitCodesAreAcceptedOneStepEitherWayAndNoFurther() {
        let secret = "12345678901234567890"
        // The 6-digit code is the 8-digit one modulo 10^6 (RFC 4226 section 5.3).
        let at59 = Date(timeIntervalSince1970: 59)
        #expect(OneTimeCodes.verify("287082", secret: secret, at: at59))
        #expect(OneTimeCodes.verify("287082", secret: secret, at: at59.addingTimeInterval(30)))
        #expect(OneTimeCodes.verify("287082", secret: secret, at: at59.addingTimeInterval(-30)))
        #expect(!OneTimeCodes.verify("287082", secret: secret, at: at59.addingTimeInterval(61)))
        #expect(!OneTimeCodes.verify("287083", secret: secret, at: at59))
        for malformed in ["", "28708", "2870822", "28708a", "+87082", "٢٨٧٠٨٢"] {
            #expect(!OneTimeCodes.verify(malformed, secret: secret, at: at59), "\(malformed)")
        }
    }

    @Test func newSecretsAre32Base32CharactersAndDiffer() {
        let secrets = (0..<50).map { _ in OneTimeCodes.newSecret() }
        #expect(Set(secrets).count == 50)
        #expect(secrets.allSatisfy { $0.count == 32 && $0.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) } })
        #expect(OneTimeCodes.authenticatorURL(secret: "AB", username: "ana", issuer: "csic").hasPrefix("otpauth://totp/csic:ana?secret="))
    }
}
