import CSICCore
import Testing

@Suite struct NodeURLTests {
    @Test func credentialsAreTakenOutOfTheAddress() throws {
        let node = try #require(NodeURL("http://alice:s%3Acret@10.0.0.5:8332/"))
        #expect(node.address == "http://10.0.0.5:8332/")
        #expect(node.user == "alice" && node.password == "s:cret")
        #expect(node.basicAuthorization == "Basic YWxpY2U6czpjcmV0")
        let plain = try #require(NodeURL("https://eth.example.org/rpc"))
        #expect(plain.address == "https://eth.example.org/rpc" && plain.user == nil && plain.basicAuthorization == nil)
    }

    @Test func onlyAbsoluteHTTPOrWebSocketURLs() {
        #expect(NodeURL("127.0.0.1:8332") == nil)
        #expect(NodeURL("ftp://host/") == nil)
        #expect(NodeURL("http://") == nil)
        #expect(NodeURL("ws://127.0.0.1:8546") != nil)
    }

    @Test func redactionHidesCredentials() {
        #expect(NodeURL.redacted("http://alice:secret@host:1/") == "http://***@host:1/")
        #expect(NodeURL.redacted("http://host:1/") == "http://host:1/")
        #expect(NodeURL.redacted("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef") == "https://mainnet.infura.io/v3/***")
        #expect(NodeURL.redacted("https://eth.example/rpc?apikey=s3cret&x=1#frag") == "https://eth.example/rpc?apikey=***&x=***")
        #expect(NodeURL.redacted("wss://u:p@eth.example/ws/v2/AbCdEf1234567890xyz") == "wss://***@eth.example/ws/v2/***")
        #expect(NodeURL.redacted("http://127.0.0.1:8545/") == "http://127.0.0.1:8545/")
        #expect(NodeURL.redacted("not a url") == "not a url")
    }
}
