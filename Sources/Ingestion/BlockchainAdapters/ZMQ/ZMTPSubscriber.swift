/// Why a ZMTP peer was dropped.
public struct ZMTPError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "ZMTP: \(message)" }
}

/// The SUB side of ZMTP 3.0 (RFC 23) with the NULL mechanism, as a pure state machine: bytes in, bytes to
/// send and whole multipart messages out. No sockets, so it is tested byte for byte; `ZMQSubscription`
/// runs it on a SwiftNIO channel.
///
/// Sequence: both sides send the 64-byte greeting; once the peer's is read, this side sends READY
/// (`Socket-Type: SUB`) and one subscription message per topic (`0x01` + topic, the 3.0 form libzmq and
/// Bitcoin Core accept); the peer's READY must name a PUB or XPUB socket; then every data frame is
/// collected into messages (MORE flag).
public struct ZMTPSubscriber: Sendable {
    enum State: Sendable {
        case greeting, handshake, ready
    }

    private var state = State.greeting
    private var buffer: [UInt8] = []
    private var parts: [[UInt8]] = []
    let topics: [[UInt8]]
    /// The largest frame accepted; Bitcoin Core's notifications are small (a raw block at most 4 MB).
    let maximumFrame: Int

    public init(topics: [String], maximumFrame: Int = 8 << 20) {
        self.topics = topics.map { Array($0.utf8) }
        self.maximumFrame = maximumFrame
    }

    /// The greeting to send when the connection opens: signature, version 3.0, NULL mechanism, client.
    public static var greeting: [UInt8] {
        var bytes: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0]
        bytes += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)
        bytes.append(0)
        bytes += [UInt8](repeating: 0, count: 31)
        return bytes
    }

    /// Feeds received bytes; returns what to send back and the messages completed.
    public mutating func receive(_ bytes: some Collection<UInt8>) throws(ZMTPError) -> (send: [UInt8], messages: [[[UInt8]]]) {
        buffer += bytes
        var send: [UInt8] = []
        var messages: [[[UInt8]]] = []
        while true {
            switch state {
            case .greeting:
                guard buffer.count >= 64 else { return (send, messages) }
                guard buffer[0] == 0xFF, buffer[9] & 1 == 1 else { throw ZMTPError("the peer's greeting has no ZMTP signature") }
                guard buffer[10] >= 3 else { throw ZMTPError("the peer speaks ZMTP \(buffer[10]).x; 3.0 or later is needed") }
                let mechanism = buffer[12..<32].prefix { $0 != 0 }
                guard mechanism.elementsEqual("NULL".utf8) else {
                    throw ZMTPError("the peer asks for the \(String(decoding: mechanism, as: UTF8.self)) mechanism; only NULL is supported")
                }
                buffer.removeFirst(64)
                send += Self.frame(Self.command("READY", properties: [("Socket-Type", "SUB")]), command: true)
                for topic in topics { send += Self.frame([0x01] + topic) }
                state = .handshake
            case .handshake:
                guard let (flags, body) = try nextFrame() else { return (send, messages) }
                guard flags & 0x04 != 0 else { throw ZMTPError("the peer sent data before READY") }
                let properties = try Self.ready(body)
                guard let type = properties["Socket-Type"], type == "PUB" || type == "XPUB" else {
                    throw ZMTPError("the peer is a \(properties["Socket-Type"] ?? "?") socket, not PUB")
                }
                state = .ready
            case .ready:
                guard let (flags, body) = try nextFrame() else { return (send, messages) }
                if flags & 0x04 != 0 { continue }
                parts.append(body)
                if flags & 0x01 == 0 {
                    messages.append(parts)
                    parts = []
                }
            }
        }
    }

    /// The next whole frame (flags, body), if buffered.
    private mutating func nextFrame() throws(ZMTPError) -> (UInt8, [UInt8])? {
        guard buffer.count >= 2 else { return nil }
        let flags = buffer[0]
        guard flags & 0xF8 == 0 else { throw ZMTPError("reserved frame flag bits set: \(flags)") }
        let long = flags & 0x02 != 0
        let header = long ? 9 : 2
        guard buffer.count >= header else { return nil }
        let size = long ? buffer[1..<9].reduce(0) { $0 << 8 | Int($1) } : Int(buffer[1])
        guard size >= 0, size <= maximumFrame else { throw ZMTPError("a frame of \(size) bytes exceeds \(maximumFrame)") }
        guard buffer.count >= header + size else { return nil }
        let body = Array(buffer[header..<header + size])
        buffer.removeFirst(header + size)
        return (flags, body)
    }

    /// One frame: flags (MORE, LONG, COMMAND), size, body.
    static func frame(_ body: [UInt8], command: Bool = false, more: Bool = false) -> [UInt8] {
        var flags: UInt8 = (command ? 0x04 : 0) | (more ? 0x01 : 0)
        if body.count > 255 {
            flags |= 0x02
            return [flags] + withUnsafeBytes(of: UInt64(body.count).bigEndian) { Array($0) } + body
        }
        return [flags, UInt8(body.count)] + body
    }

    /// A command body: name length, name, then properties (name length, name, 4-byte value length, value).
    static func command(_ name: String, properties: [(String, String)]) -> [UInt8] {
        var body = [UInt8(name.utf8.count)] + Array(name.utf8)
        for (key, value) in properties {
            body += [UInt8(key.utf8.count)] + Array(key.utf8)
            body += withUnsafeBytes(of: UInt32(value.utf8.count).bigEndian) { Array($0) } + Array(value.utf8)
        }
        return body
    }

    /// The properties of a READY command body.
    static func ready(_ body: [UInt8]) throws(ZMTPError) -> [String: String] {
        guard let nameLength = body.first.map(Int.init), nameLength > 0, body.count > nameLength,
            String(decoding: body[1..<1 + nameLength], as: UTF8.self) == "READY"
        else { throw ZMTPError("expected the READY command") }
        var properties: [String: String] = [:]
        var position = 1 + nameLength
        while position < body.count {
            let keyLength = Int(body[position])
            guard position + 1 + keyLength + 4 <= body.count else { throw ZMTPError("truncated READY property") }
            let key = String(decoding: body[position + 1..<position + 1 + keyLength], as: UTF8.self)
            position += 1 + keyLength
            let valueLength = body[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            position += 4
            guard position + valueLength <= body.count else { throw ZMTPError("truncated READY property \(key)") }
            properties[key] = String(decoding: body[position..<position + valueLength], as: UTF8.self)
            position += valueLength
        }
        return properties
    }
}
