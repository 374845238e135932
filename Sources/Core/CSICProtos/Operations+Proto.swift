import CSICCore
import Foundation

extension MinerTelemetry: ProtoConvertible {
    public var proto: Csic_V1_MinerTelemetry {
        .with {
            $0.machineID = machineID
            $0.timeUs = time.microsecondsSinceEpoch
            $0.hashRateThs = hashRateTHs
            $0.powerWatts = powerWatts
            $0.temperatureCelsius = temperatureCelsius
            $0.poolURL = poolURL
            $0.state = EnumMapping.toProto(state)
        }
    }

    public init(proto message: Csic_V1_MinerTelemetry) throws(ValidationError) {
        self.init(
            machineID: message.machineID, time: Timestamp(protoMicros: message.timeUs),
            hashRateTHs: message.hashRateThs, powerWatts: message.powerWatts,
            temperatureCelsius: message.temperatureCelsius, poolURL: message.poolURL,
            state: try EnumMapping.fromProto(message.state, field: "state"))
    }
}

extension AuditRecord: ProtoConvertible {
    public var proto: Csic_V1_AuditRecord {
        .with {
            $0.id = id
            $0.timeUs = time.microsecondsSinceEpoch
            $0.actor = actor
            $0.action = action
            $0.resource = resource
            $0.outcome = EnumMapping.toProto(outcome)
            $0.requestID = requestID
            $0.sourceAddress = sourceAddress
            $0.details = details
        }
    }

    public init(proto message: Csic_V1_AuditRecord) throws(ValidationError) {
        self.init(
            id: message.id, time: Timestamp(protoMicros: message.timeUs), actor: message.actor,
            action: message.action, resource: message.resource,
            outcome: try EnumMapping.fromProto(message.outcome, field: "outcome"),
            requestID: message.requestID, sourceAddress: message.sourceAddress, details: message.details)
    }
}

extension Intervention: ProtoConvertible {
    public var proto: Csic_V1_Intervention {
        .with {
            $0.id = id
            $0.kind = EnumMapping.toProto(kind)
            $0.target = target
            $0.reason = reason
            $0.requestedBy = requestedBy
            $0.parameters = parameters
            $0.timeUs = time.microsecondsSinceEpoch
        }
    }

    public init(proto message: Csic_V1_Intervention) throws(ValidationError) {
        self.init(
            id: message.id, kind: try EnumMapping.fromProto(message.kind, field: "kind"), target: message.target,
            reason: message.reason, requestedBy: message.requestedBy, parameters: message.parameters,
            time: Timestamp(protoMicros: message.timeUs))
    }
}

extension DeadLetter: ProtoConvertible {
    public var proto: Csic_V1_DeadLetter {
        .with {
            $0.source = source
            $0.topic = topic
            if let partition { $0.partition = partition }
            if let offset { $0.offset = offset }
            $0.key = Data(key)
            $0.payload = Data(payload)
            $0.reasonCode = reasonCode.rawValue
            $0.reason = reason
            $0.rejectedBy = rejectedBy
            $0.timeUs = time.microsecondsSinceEpoch
        }
    }

    public init(proto message: Csic_V1_DeadLetter) throws(ValidationError) {
        guard let code = ValidationError.Code(rawValue: message.reasonCode) else {
            throw ValidationError(.malformed, field: "reason_code", "unknown reason code \(message.reasonCode)")
        }
        self.init(
            source: message.source, topic: message.topic,
            partition: message.hasPartition ? message.partition : nil,
            offset: message.hasOffset ? message.offset : nil,
            key: Array(message.key), payload: Array(message.payload), reasonCode: code, reason: message.reason,
            rejectedBy: message.rejectedBy, time: Timestamp(protoMicros: message.timeUs))
    }
}
