import CSICCore
import Storage

/// The schemas of the API's answers and bodies, by name (`#/components/schemas/<name>`), as the views encode
/// them: snake_case keys, absent optional members (never `null`), times in RFC 3339, amounts as decimal text.
enum ViewSchemas {
    static let all: [String: Schema] = [
        "Problem": .object(
            [
                "type": .string(), "title": .string(), "status": .integer(minimum: 100, maximum: 599), "detail": .string(),
                "code": .string(),
                "field": .string(),
            ], required: ["type", "title", "status", "detail", "code"]),
        "Transaction": transaction,
        "TransactionPage": page(.reference("Transaction")),
        "Tag": .object(
            [
                "label": .string(), "category": .string(pattern: "^[a-z0-9_]{1,64}$"), "source": .string(),
                "confidence": .integer(minimum: 0, maximum: 100), "actor": .string(), "list": .string(),
                "list_version": .integer(minimum: 1),
            ], required: ["label", "source", "confidence", "list", "list_version"]),
        "Address": .object(
            [
                "address": .string(), "chain": .string(values: Chain.allCases.map(\.rawValue)), "tags": .array(.reference("Tag")),
                "entity": .object(["id": .string(), "size": .integer(minimum: 1)], required: ["id", "size"]),
                "first_seen": .time, "last_seen": .time,
                "totals": .object(
                    ["transactions": .integer(minimum: 0), "received": .amount, "sent": .amount, "complete": .boolean],
                    required: ["transactions", "received", "sent", "complete"]),
                "risk": .object(
                    [
                        "transactions_read": .integer(minimum: 0), "max_score": .integer(minimum: 0, maximum: 100),
                        "recent": .array(
                            .object(
                                [
                                    "txid": .string(), "seen_at": .time, "score": .integer(minimum: 0, maximum: 100),
                                    "band": .string(values: RiskBand.allCases.map(\.rawValue)),
                                ], required: ["txid", "seen_at", "score", "band"])),
                    ], required: ["transactions_read", "recent"]),
                "findings": .array(.reference("Finding")),
            ], required: ["address", "chain", "tags", "totals", "risk", "findings"]),
        "Entity": .object(
            [
                "id": .string(pattern: "^entity:[0-9]+$"), "size": .integer(minimum: 1),
                "category": .string(pattern: "^[a-z0-9_]{1,64}$"), "categories": .map(.integer(minimum: 1)),
                "tags": .array(.object(["tag": .reference("Tag"), "addresses": .integer(minimum: 1)], required: ["tag", "addresses"])),
                "counterparties": .array(
                    .object(
                        [
                            "address": .string(), "received": .amount, "sent": .amount, "transactions": .integer(minimum: 1),
                            "tags": .array(.reference("Tag")),
                        ], required: ["address", "received", "sent", "transactions", "tags"])),
                "members_read": .integer(minimum: 0), "transactions_read": .integer(minimum: 0), "complete": .boolean,
                "addresses": .array(.object(["address": .string(), "tags": .array(.reference("Tag"))], required: ["address", "tags"])),
                "next_cursor": .string(),
            ],
            required: [
                "id", "size", "categories", "tags", "counterparties", "members_read", "transactions_read", "complete", "addresses",
            ]),
        "Path": .object(
            [
                "from": .string(), "to": .string(), "over": .string(values: PathRoutes.Nodes.allCases.map(\.rawValue)),
                "chain": .string(values: Chain.allCases.map(\.rawValue)), "max_depth": .integer(minimum: 1, maximum: 7),
                "max_degree": .integer(minimum: 1, maximum: 1_000), "found": .boolean,
                "hops": .array(
                    .object(
                        ["from": .string(), "to": .string(), "txid": .string(), "from_address": .string(), "to_address": .string()],
                        required: ["from", "to", "txid"])),
                "expanded": .integer(minimum: 0), "skipped_hubs": .integer(minimum: 0), "truncated": .boolean,
            ], required: ["from", "to", "over", "chain", "max_depth", "max_degree", "found", "expanded", "skipped_hubs", "truncated"]),
        "RiskAssessment": .object(
            [
                "chain": .string(values: Chain.allCases.map(\.rawValue)), "txid": .string(), "score": .integer(minimum: 0, maximum: 100),
                "band": .string(values: RiskBand.allCases.map(\.rawValue)), "probability": .number,
                "reasons": .array(
                    .object(["name": .string(), "value": .number, "contribution": .number], required: ["name", "contribution"])),
                "model_version": .string(), "assessed_at": .time,
            ], required: ["chain", "txid", "score", "band", "probability", "reasons", "model_version", "assessed_at"]),
        "DeadLetter": .object(
            [
                "id": .string(), "source": .string(), "topic": .string(), "partition": .integer(), "offset": .integer(),
                "reason_code": .string(), "reason": .string(), "rejected_by": .string(), "time": .time,
                "key_base64": .string(format: "byte"), "payload_base64": .string(format: "byte"), "redacted": .array(.string()),
            ], required: ["id", "source", "topic", "reason_code", "reason", "rejected_by", "time"]),
        "DeadLetterPage": page(.reference("DeadLetter")),
        "Stats": .object(
            [
                "stored": .map(.integer(minimum: 0)),
                "log": .map(
                    .object(
                        ["records": .integer(), "lag": .integer(), "size_bytes": .integer(), "partitions": .integer()],
                        required: ["records", "lag", "size_bytes", "partitions"])),
            ], required: ["stored", "log"]),
        "AuditRecord": .object(
            [
                "id": .string(), "time": .time, "actor": .string(), "action": .string(), "resource": .string(),
                "outcome": .string(values: AuditOutcome.allCases.map(\.rawValue)), "request_id": .string(), "source_address": .string(),
                "details": .map(.string()),
            ], required: ["id", "time", "actor", "action", "resource", "outcome", "request_id", "source_address", "details"]),
        "ProvenAuditRecord": .object(
            [
                "record_bytes": .string(format: "byte"), "leaf_index": .integer(minimum: 0), "record": .reference("AuditRecord"),
                "inclusion_proof": .array(.string(format: "byte")), "tree_size": .integer(minimum: 0), "checkpoint": .string(),
                "verifier_key": .string(),
            ], required: ["record_bytes", "leaf_index", "record", "inclusion_proof"]),
        "AuditSearch": .object(
            [
                "items": .array(.reference("ProvenAuditRecord")), "next_cursor": .string(), "tree_size": .integer(minimum: 0),
                "checkpoint": .string(), "verifier_key": .string(),
            ], required: ["items", "tree_size", "checkpoint", "verifier_key"]),
        "AuditCheckpoint": .object(
            ["tree_size": .integer(minimum: 0), "checkpoint": .string(), "verifier_key": .string()],
            required: ["tree_size", "checkpoint", "verifier_key"]),
        "TagListVersion": .object(
            [
                "name": .string(), "version": .integer(minimum: 1),
                "format": .string(values: ["tagpack", "ofac-sdn-csv", "ofac-sdn-advanced-xml"]),
                "imported_at": .time, "imported_by": .string(), "sha256": .string(pattern: "^[0-9a-f]{64}$"),
                "tag_count": .integer(minimum: 0),
            ], required: ["name", "version", "format", "imported_at", "imported_by", "sha256", "tag_count"]),
        "TagLists": .object(["lists": .array(.reference("TagListVersion")), "next_cursor": .string()], required: ["lists"]),
        "ReferenceDataImports": .object(
            [
                "imports": .array(
                    .object(
                        [
                            "list": .reference("TagListVersion"), "rejected_count": .integer(minimum: 0),
                            "rejected": .array(.object(["location": .string(), "reason": .string()], required: ["location", "reason"])),
                            "skipped": .map(.integer(minimum: 1)),
                        ], required: ["list", "rejected_count", "rejected", "skipped"])),
                "reevaluation": .reference("Reevaluation"),
            ], required: ["imports"]),
        "Reevaluation": .object(
            [
                "id": .integer(minimum: 1), "state": .string(values: ReevaluationStatus.State.allCases.map(\.rawValue)),
                "requested_by": .string(), "started_at": .time, "finished_at": .time, "transactions": .integer(minimum: 0),
                "new_findings": .integer(minimum: 0), "gone_findings": .integer(minimum: 0), "error": .string(),
            ], required: ["id", "state", "requested_by", "started_at"]),
        "Finding": .object(
            [
                "id": .string(), "kind": .string(values: FindingKind.allCases.map(\.rawValue)), "subject": .string(),
                "severity": .string(values: Severity.allCases.map(\.rawValue)), "source": .string(), "summary": .string(),
                "evidence": .map(.string()), "time": .time, "typology": .string(), "subjects": .array(.string()),
                "txids": .array(.string()),
                "amount": .amount, "chain": .string(values: Chain.allCases.map(\.rawValue)), "rule_version": .string(),
                "withdrawn": .boolean,
            ],
            required: [
                "id", "kind", "subject", "severity", "source", "summary", "evidence", "time", "typology", "subjects", "txids",
                "rule_version",
                "withdrawn",
            ]),
        "FindingPage": page(.reference("Finding")),
        "Alert": .object(
            [
                "id": .string(), "title": .string(), "subject": .string(), "severity": .string(values: Severity.allCases.map(\.rawValue)),
                "status": .string(values: AlertStatus.allCases.map(\.rawValue)), "finding_ids": .array(.string()), "created_at": .time,
                "updated_at": .time, "typology": .string(), "assignee": .string(), "resolution": .string(),
                "finding_count": .integer(minimum: 0), "active_findings": .integer(minimum: 0), "last_finding_at": .time,
            ],
            required: [
                "id", "title", "subject", "severity", "status", "finding_ids", "created_at", "updated_at", "typology", "finding_count",
                "active_findings", "last_finding_at",
            ]),
        "AlertPage": page(.reference("Alert")),
        "AlertDetail": .object(
            [
                "alert": .reference("Alert"), "findings": .array(.reference("Finding")),
                "history": .array(
                    .object(
                        [
                            "alert_id": .string(), "time": .time, "actor": .string(),
                            "action": .string(values: AlertAction.allCases.map(\.rawValue)),
                            "status": .string(values: AlertStatus.allCases.map(\.rawValue)), "detail": .string(),
                        ], required: ["alert_id", "time", "actor", "action", "status", "detail"])),
            ], required: ["alert", "findings", "history"]),
        "LegalHold": .object(
            [
                "id": .string(), "record_class": .string(values: RecordClass.allCases.map(\.rawValue)), "subject": .string(),
                "reason": .string(), "case_reference": .string(), "placed_by": .string(), "placed_at": .time, "released_by": .string(),
                "released_at": .time, "active": .boolean,
            ], required: ["id", "record_class", "reason", "placed_by", "placed_at", "active"]),
        "Retention": .object(
            ["periods": .map(.string()), "holds": .array(.reference("LegalHold")), "next_cursor": .string()],
            required: ["periods", "holds"]),
        "TokenGrant": .object(
            [
                "access_token": .string(), "token_type": .string(values: ["Bearer"]), "expires_in": .integer(minimum: 1),
                "refresh_token": .string(),
            ], required: ["access_token", "token_type", "expires_in", "refresh_token"]),
        "User": .object(
            [
                "username": .string(), "display_name": .string(), "role": .string(values: UserAccount.Role.allCases.map(\.rawValue)),
                "entity_id": .string(), "disabled": .boolean, "has_password": .boolean, "has_totp": .boolean, "created_at": .time,
            ], required: ["username", "display_name", "role", "disabled", "has_password", "has_totp", "created_at"]),
        "APIKey": .object(
            ["id": .string(), "label": .string(), "created_at": .time, "revoked_at": .time, "key": .string()],
            required: ["id", "label", "created_at"]),
        "Roles": .object(["roles": .array(.string(values: UserAccount.Role.allCases.map(\.rawValue)))], required: ["roles"], closed: true),
    ]

    static var transaction: Schema {
        let input = Schema.object(
            ["previous_txid": .string(), "previous_index": .integer(minimum: 0), "address": .string(), "value": .amount],
            required: ["previous_txid", "previous_index"])
        let output = Schema.object(
            ["index": .integer(minimum: 0), "address": .string(), "value": .amount, "script_type": .string()],
            required: ["index", "value", "script_type"])
        let transfer = Schema.object(
            ["token": .string(), "from": .string(), "to": .string(), "value": .amount, "log_index": .integer(minimum: 0)],
            required: ["token", "from", "to", "value", "log_index"])
        return .object(
            [
                "id": .string(), "chain": .string(values: Chain.allCases.map(\.rawValue)), "txid": .string(),
                "block": .object(
                    ["height": .integer(minimum: 0), "hash": .string(), "time": .time], required: ["height", "hash", "time"]),
                "seen_at": .time, "status": .string(values: TransactionStatus.allCases.map(\.rawValue)),
                "risk_score": .integer(minimum: 0, maximum: 100), "fee": .amount, "total_output": .amount, "inputs": .array(input),
                "outputs": .array(output), "from": .string(), "to": .string(), "value": .amount, "token_transfers": .array(transfer),
                "verified_checks": .array(.string()), "addresses": .array(.string()), "risk": .reference("RiskAssessment"),
                "source": .object(
                    ["topic": .string(), "partition": .integer(), "offset": .integer()], required: ["topic", "partition", "offset"]),
            ],
            required: [
                "id", "chain", "txid", "seen_at", "status", "total_output", "inputs", "outputs", "token_transfers", "verified_checks",
                "addresses", "source",
            ])
    }

    /// `{"items": [...], "next_cursor": "..."}`.
    static func page(_ item: Schema) -> Schema {
        .object(["items": .array(item), "next_cursor": .string()], required: ["items"])
    }
}
