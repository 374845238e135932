import APIGateway
import Testing

@Suite struct RequestRedactionTests {
    @Test func secretsInQueriesAndPathsAreHidden() {
        #expect(RequestRedaction.query("address=bc1q&access_token=abc&limit=5") == "address=bc1q&access_token=<redacted>&limit=5")
        #expect(RequestRedaction.query("Password=x&apiKey=y&TOTP_code=1") == "Password=<redacted>&apiKey=<redacted>&TOTP_code=<redacted>")
        let key = "csic_0011223344556677_" + String(repeating: "A", count: 43)
        #expect(RequestRedaction.query("q=\(key)") == "q=<redacted>")
        #expect(RequestRedaction.path("/api/v1/users/\(key)/keys") == "/api/v1/users/<redacted>/keys")
        #expect(RequestRedaction.path("/x/eyJhbGciOi.eyJzdWIi.c2ln") == "/x/<redacted>")
        let txid = String(repeating: "ab", count: 32)
        #expect(RequestRedaction.path("/api/v1/transactions/btc:\(txid)") == "/api/v1/transactions/btc:\(txid)", "transaction ids stay")
    }

    @Test func longTargetsAreBoundedWithTheirLengthCounted() {
        let path = "/api/v1/transactions/" + String(repeating: "x", count: 60_000)
        let kept = RequestRedaction.path(path)
        #expect(kept.utf8.count < 600)
        #expect(kept.hasSuffix("…(+\(path.utf8.count - 512) bytes)"))
        #expect(RequestRedaction.query(String(repeating: "é", count: 1000)).hasPrefix(String(repeating: "é", count: 256)))
    }
}
