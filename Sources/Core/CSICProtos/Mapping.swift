import CSICCore
import SwiftProtobuf
import Foundation

/// A domain type that has a protobuf wire form on one of the topics.
///
/// ```swift
/// let bytes = try transaction.serializedProto()
/// let back = try ChainTransaction(protoBytes: bytes)
/// ```
public protocol ProtoConvertible {
    associatedtype ProtoMessage: SwiftProtobuf.Message
    /// The protobuf message for this value.
    var proto: ProtoMessage { get }
    /// Maps a decoded message to the domain type; unknown enum values and bad amounts are errors.
    init(proto: ProtoMessage) throws(ValidationError)
}

extension ProtoConvertible {
    /// Serialises the protobuf form.
    public func serializedProto() -> [UInt8] {
        // Encoding a fully initialised proto3 message cannot fail.
        (try? proto.serializedBytes()) ?? []
    }

    /// Decodes protobuf bytes; a decoding failure is an `undecodable` validation error.
    public init(protoBytes bytes: some Collection<UInt8>) throws(ValidationError) {
        let message: ProtoMessage
        do {
            message = try ProtoMessage(serializedBytes: Array(bytes))
        } catch {
            throw ValidationError(.undecodable, field: "payload", "not a \(ProtoMessage.protoMessageName): \(error)")
        }
        try self.init(proto: message)
    }
}

/// Proto enums list `UNSPECIFIED` first and then the domain cases in `allCases` order.
enum EnumMapping {
    static func toProto<Domain: CaseIterable & Equatable, Proto: SwiftProtobuf.Enum>(_ value: Domain) -> Proto
    where Proto.RawValue == Int {
        let index = Array(Domain.allCases).firstIndex(of: value)!
        return Proto(rawValue: index + 1)!
    }

    static func fromProto<Domain: CaseIterable, Proto: SwiftProtobuf.Enum>(
        _ value: Proto, field: @autoclosure () -> String
    ) throws(ValidationError) -> Domain
    where Proto.RawValue == Int {
        let cases = Domain.allCases
        guard value.rawValue >= 1, value.rawValue <= cases.count else {
            throw ValidationError(.malformed, field: field(), "unknown or unspecified value \(value.rawValue)")
        }
        return cases[cases.index(cases.startIndex, offsetBy: value.rawValue - 1)]
    }
}

extension Timestamp {
    init(protoMicros: Int64) { self.init(microsecondsSinceEpoch: protoMicros) }
}

extension Amount {
    var protoBytes: Data { Data(bigEndianBytes) }

    static func fromProto(_ data: Data, field: @autoclosure () -> String) throws(ValidationError) -> Amount {
        guard data.count <= 32 else { throw ValidationError(.outOfRange, field: field(), "more than 256 bits") }
        guard data.first != 0 else { throw ValidationError(.malformed, field: field(), "amount bytes have a leading zero") }
        return data.withUnsafeBytes { Amount(bigEndian: $0) }
    }
}

extension Decimal {
    static func fromProto(_ text: String, field: @autoclosure () -> String) throws(ValidationError) -> Decimal {
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }),
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { throw ValidationError(.malformed, field: field(), "not a decimal number: \(text)") }
        return value
    }

    var protoText: String { NSDecimalNumber(decimal: self).stringValue }
}
