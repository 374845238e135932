import AuditTrail
import CSICCore

/// The configuration a process starts with, as an audit record (`configuration.load`): every setting that
/// changes what the platform does, node URLs without their credentials and no secret. Consecutive records
/// show every configuration change between starts.
enum ConfigurationAudit {
    static func record(_ configuration: PlatformConfiguration, time: Timestamp = .now()) -> AuditRecord {
        var details: [String: String] = [
            "roles": configuration.roles.map(\.rawValue).sorted().joined(separator: ","),
            "data_dir": configuration.dataDirectory,
            "http": "\(configuration.httpHost):\(configuration.httpPort)",
            "log.backend": configuration.logBackend.rawValue,
            "log.partitions": String(configuration.logPartitions),
            "log.fsync": configuration.logFsync,
            "log.retention_days": String(configuration.logRetentionDays),
            "store.backend": configuration.storeBackend.rawValue,
            "store.durability": configuration.storeDurability,
            "simulator.enabled": String(configuration.simulatorEnabled),
            "audit.origin": configuration.auditOrigin,
            "audit.mirror_dir": configuration.auditMirrorDirectory ?? "",
            "audit.checkpoint_every": String(configuration.auditCheckpointEvery),
            "retention.check_hours": String(configuration.retentionCheckHours),
        ]
        for (recordClass, period) in configuration.retention.descriptions { details["retention.\(recordClass)"] = period }
        if !configuration.bitcoinRPCURLs.isEmpty {
            details["bitcoin.rpc_urls"] = configuration.bitcoinRPCURLs.map(NodeURL.redacted).joined(separator: ",")
            details["bitcoin.network"] = configuration.bitcoinNetwork
            details["bitcoin.confirmations"] = String(configuration.bitcoinConfirmations)
        }
        if !configuration.ethereumRPCURLs.isEmpty {
            details["ethereum.rpc_urls"] = configuration.ethereumRPCURLs.map(NodeURL.redacted).joined(separator: ",")
            details["ethereum.chain_id"] = configuration.ethereumChainID.map(String.init) ?? "any"
            details["ethereum.confirmations"] = String(configuration.ethereumConfirmations)
        }
        return .system(actor: "system:startup", action: "configuration.load", resource: "configuration", time: time, details: details)
    }
}
