import Foundation
import HummingbirdOTP

/// RFC 6238 time-based one-time codes (hummingbird-auth's `TOTP`): 6 digits, 30 s steps, HMAC-SHA1, which
/// authenticator apps expect. A code of the step before or after is accepted too (clock drift).
public enum OneTimeCodes {
    /// A new shared secret: 32 characters of the base-32 alphabet (160 bits), whose bytes are the HMAC key.
    public static func newSecret() -> String {
        Secrets.random(from: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", count: 32)
    }

    /// Whether `code` (6 digits) is the code of `secret` at `time`, one step either way.
    public static func verify(_ code: String, secret: String, at time: Date = Date()) -> Bool {
        guard code.count == 6, code.allSatisfy(\.isASCII), let value = Int(code) else { return false }
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { offset in totp.compute(date: time.addingTimeInterval(offset)) == value }
    }

    /// The `otpauth://` URL an authenticator app reads (as a QR code or typed in).
    public static func authenticatorURL(secret: String, username: String, issuer: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(issuer):\(username)", issuer: issuer)
    }
}
