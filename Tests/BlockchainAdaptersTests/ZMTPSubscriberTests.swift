import Foundation
@testable import BlockchainAdapters
import Simulation
import Testing

@Suite struct ZMTPSubscriberTests {
    /// What a libzmq PUB socket sends: greeting, READY, then messages.
    private func publisherBytes(messages: [[[UInt8]]]) -> [UInt8] {
        var bytes = ZMTPSubscriber.greeting
        bytes[10] = 3
        bytes[11] = 1
        bytes += ZMTPSubscriber.frame(ZMTPSubscriber.command("READY", properties: [("Socket-Type", "PUB")]), command: true)
        for message in messages {
            for (index, part) in message.enumerated() { bytes += ZMTPSubscriber.frame(part, more: index < message.count - 1) }
        }
        return bytes
    }

    @Test func handshakeSubscribesThenDeliversMultipartMessages() throws {
        var subscriber = ZMTPSubscriber(topics: ["hashblock"])
        let hash = [UInt8](repeating: 0xAB, count: 32)
        let big = [UInt8](repeating: 7, count: 300)
        let bytes = publisherBytes(messages: [[Array("hashblock".utf8), hash, [1, 0, 0, 0]], [Array("rawblock".utf8), big]])
        // Fed one byte at a time: every boundary of every frame is crossed.
        var sent: [UInt8] = []
        var messages: [[[UInt8]]] = []
        for byte in bytes {
            let (send, completed) = try subscriber.receive([byte])
            sent += send
            messages += completed
        }
        let ready = ZMTPSubscriber.frame(ZMTPSubscriber.command("READY", properties: [("Socket-Type", "SUB")]), command: true)
        #expect(sent == ready + [0x00, 10, 0x01] + Array("hashblock".utf8))
        #expect(messages == [[Array("hashblock".utf8), hash, [1, 0, 0, 0]], [Array("rawblock".utf8), big]])
    }

    /// A READY command frame whose name is empty (`04 01 00`, three bytes) crashed the whole process; any
    /// malformed command is the peer's error.
    @Test(arguments: [
        [0x04, 0x01, 0x00], [0x04, 0x00], [0x04, 0x01, 0x05], [0x04, 0x02, 0x05, 0x52], [0x04, 0x06, 0x05] + Array("READY".utf8) + [0x00],
    ])
    func aMalformedReadyCommandIsAnErrorNotACrash(_ frame: [UInt8]) throws {
        var subscriber = ZMTPSubscriber(topics: ["hashblock"])
        var greeting = ZMTPSubscriber.greeting
        greeting[10] = 3
        _ = try subscriber.receive(greeting)
        #expect(throws: ZMTPError.self) { try subscriber.receive(frame) }
    }

    /// Random bytes after a valid greeting and READY (a seeded mutation run): every input ends in messages,
    /// a wait for more bytes, or a `ZMTPError` — never a crash.
    @Test func randomBytesFromAPeerNeverCrash() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let valid = publisherBytes(messages: [[Array("hashblock".utf8), [UInt8](repeating: 1, count: 32)]])
        for round in 0..<2_000 {
            var bytes = valid
            for _ in 0..<(1 + round % 8) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            bytes += (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var subscriber = ZMTPSubscriber(topics: ["hashblock"], maximumFrame: 1 << 16)
            _ = try? subscriber.receive(bytes)
        }
    }

    @Test func greetingIsSixtyFourBytesOfZMTP30Null() {
        let greeting = ZMTPSubscriber.greeting
        #expect(greeting.count == 64 && greeting[0] == 0xFF && greeting[9] == 0x7F && greeting[10] == 3)
        #expect(Array(greeting[12..<16]) == Array("NULL".utf8) && greeting[32] == 0)
    }

    @Test func refusesPeersItCannotTalkTo() {
        var wrongSignature = ZMTPSubscriber.greeting
        wrongSignature[0] = 0x00
        var oldVersion = ZMTPSubscriber.greeting
        oldVersion[10] = 2
        var curve = ZMTPSubscriber.greeting
        curve.replaceSubrange(12..<16, with: Array("CURV".utf8))
        for greeting in [wrongSignature, oldVersion, curve] {
            var subscriber = ZMTPSubscriber(topics: ["hashblock"])
            #expect(throws: ZMTPError.self) { try subscriber.receive(greeting) }
        }
        var notPublisher = ZMTPSubscriber(topics: [])
        let push =
            ZMTPSubscriber.greeting
            + ZMTPSubscriber.frame(ZMTPSubscriber.command("READY", properties: [("Socket-Type", "PUSH")]), command: true)
        #expect(throws: ZMTPError.self) { try notPublisher.receive(push) }
        var oversized = ZMTPSubscriber(topics: [], maximumFrame: 100)
        let hello =
            ZMTPSubscriber.greeting
            + ZMTPSubscriber.frame(ZMTPSubscriber.command("READY", properties: [("Socket-Type", "PUB")]), command: true)
        #expect(throws: ZMTPError.self) { try oversized.receive(hello + ZMTPSubscriber.frame([UInt8](repeating: 0, count: 101))) }
    }
}

@Suite struct BitcoinRPCAmountTests {
    @Test(arguments: [("0.00000001", UInt64(1)), ("50.00000000", 5_000_000_000), ("20999999.97690000", 2_099_999_997_690_000), ("0", 0)])
    func bitcoinAmountsConvertExactly(text: String, satoshis: UInt64) throws {
        #expect(BitcoinRPCClient.satoshis(try #require(Decimal(string: text))) == satoshis)
    }

    @Test(arguments: ["0.000000001", "-1", "21000000.00000001"])
    func amountsThatAreNoSatoshiCountAreRejected(text: String) throws {
        #expect(BitcoinRPCClient.satoshis(try #require(Decimal(string: text))) == nil)
    }
}
