import CSICCore

extension ComplianceFinding: ProtoConvertible {
    public var proto: Csic_V1_ComplianceFinding {
        .with {
            $0.id = id
            $0.kind = EnumMapping.toProto(kind)
            $0.subject = subject
            $0.severity = EnumMapping.toProto(severity)
            $0.source = source
            $0.summary = summary
            $0.evidence = evidence
            $0.timeUs = time.microsecondsSinceEpoch
            $0.typology = typology
            $0.subjects = subjects
            $0.txids = txids
            if let amount { $0.amount = amount.protoBytes }
            $0.chain = chain?.rawValue ?? ""
            $0.ruleVersion = ruleVersion
            $0.withdrawn = withdrawn
        }
    }

    public init(proto message: Csic_V1_ComplianceFinding) throws(ValidationError) {
        var chain: Chain?
        if !message.chain.isEmpty {
            guard let named = Chain(rawValue: message.chain) else {
                throw ValidationError(.malformed, field: "chain", "unknown chain \(message.chain.prefix(32))")
            }
            chain = named
        }
        self.init(
            id: message.id, kind: try EnumMapping.fromProto(message.kind, field: "kind"), subject: message.subject,
            severity: try EnumMapping.fromProto(message.severity, field: "severity"), source: message.source,
            summary: message.summary, evidence: message.evidence, time: Timestamp(protoMicros: message.timeUs),
            typology: message.typology, subjects: message.subjects, txids: message.txids,
            amount: message.hasAmount ? try Amount.fromProto(message.amount, field: "amount") : nil, chain: chain,
            ruleVersion: message.ruleVersion, withdrawn: message.withdrawn)
    }
}

extension RiskAssessment: ProtoConvertible {
    public var proto: Csic_V1_RiskAssessment {
        .with {
            $0.chain = chain.rawValue
            $0.txid = txid
            $0.score = Int32(clamping: score)
            $0.band = band.rawValue
            $0.probability = probability
            $0.reasons = reasons.map { reason in
                .with {
                    $0.name = reason.name
                    if let value = reason.value { $0.value = value }
                    $0.contribution = reason.contribution
                }
            }
            $0.modelVersion = modelVersion
            $0.assessedAtUs = assessedAt.microsecondsSinceEpoch
        }
    }

    /// Reads an assessment; its band must be its score's.
    public init(proto message: Csic_V1_RiskAssessment) throws(ValidationError) {
        guard let chain = Chain(rawValue: message.chain) else {
            throw ValidationError(.malformed, field: "chain", "unknown chain \(message.chain.prefix(32))")
        }
        self.init(
            chain: chain, txid: message.txid, score: Int(message.score), probability: message.probability,
            reasons: message.reasons.map {
                RiskReason(name: $0.name, value: $0.hasValue ? $0.value : nil, contribution: $0.contribution)
            }, modelVersion: message.modelVersion, assessedAt: Timestamp(protoMicros: message.assessedAtUs))
        guard message.band == band.rawValue else {
            throw ValidationError(.inconsistent, field: "band", "\(message.band.prefix(32)) is not the band of score \(score)")
        }
    }
}

extension Alert: ProtoConvertible {
    public var proto: Csic_V1_Alert {
        .with {
            $0.id = id
            $0.title = title
            $0.subject = subject
            $0.severity = EnumMapping.toProto(severity)
            $0.status = EnumMapping.toProto(status)
            $0.findingIds = findingIDs
            $0.createdAtUs = createdAt.microsecondsSinceEpoch
            $0.updatedAtUs = updatedAt.microsecondsSinceEpoch
            $0.typology = typology
            $0.assignee = assignee ?? ""
            $0.resolution = resolution ?? ""
            $0.findingCount = Int64(findingCount)
            $0.activeFindings = Int64(activeFindings)
            $0.lastFindingAtUs = lastFindingAt.microsecondsSinceEpoch
        }
    }

    public init(proto message: Csic_V1_Alert) throws(ValidationError) {
        self.init(
            id: message.id, title: message.title, subject: message.subject,
            severity: try EnumMapping.fromProto(message.severity, field: "severity"),
            status: try EnumMapping.fromProto(message.status, field: "status"), findingIDs: message.findingIds,
            createdAt: Timestamp(protoMicros: message.createdAtUs), updatedAt: Timestamp(protoMicros: message.updatedAtUs),
            typology: message.typology, assignee: message.assignee.isEmpty ? nil : message.assignee,
            resolution: message.resolution.isEmpty ? nil : message.resolution, findingCount: Int(clamping: message.findingCount),
            activeFindings: Int(clamping: message.activeFindings), lastFindingAt: Timestamp(protoMicros: message.lastFindingAtUs))
    }
}

extension AlertChange: ProtoConvertible {
    public var proto: Csic_V1_AlertChange {
        .with {
            $0.alertID = alertID
            $0.timeUs = time.microsecondsSinceEpoch
            $0.actor = actor
            $0.action = action.rawValue
            $0.status = EnumMapping.toProto(status)
            $0.detail = detail
        }
    }

    public init(proto message: Csic_V1_AlertChange) throws(ValidationError) {
        guard let action = AlertAction(rawValue: message.action) else {
            throw ValidationError(.malformed, field: "action", "unknown alert action \(message.action.prefix(32))")
        }
        self.init(
            alertID: message.alertID, time: Timestamp(protoMicros: message.timeUs), actor: message.actor, action: action,
            status: try EnumMapping.fromProto(message.status, field: "status"), detail: message.detail)
    }
}

/// A record of the `compliance` topic.
public enum ComplianceTopicEvent: Sendable, Hashable {
    case finding(ComplianceFinding)
    case risk(RiskAssessment)
    case alert(Alert)
}

extension ComplianceTopicEvent: ProtoConvertible {
    public var proto: Csic_V1_ComplianceEvent {
        switch self {
        case .finding(let finding): .with { $0.finding = finding.proto }
        case .risk(let risk): .with { $0.risk = risk.proto }
        case .alert(let alert): .with { $0.alert = alert.proto }
        }
    }

    public init(proto message: Csic_V1_ComplianceEvent) throws(ValidationError) {
        switch message.payload {
        case .finding(let finding): self = .finding(try ComplianceFinding(proto: finding))
        case .risk(let risk): self = .risk(try RiskAssessment(proto: risk))
        case .alert(let alert): self = .alert(try Alert(proto: alert))
        case nil: throw ValidationError(.missing, field: "payload", "a compliance record holds a finding, risk or alert")
        }
    }
}
