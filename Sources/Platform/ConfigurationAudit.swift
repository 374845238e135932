import CSICCore

/// The configuration a process starts with, as an audit record (`configuration.load`): every platform-wide
/// setting and every component's own description of its section (node URLs without their credentials, no
/// secret). Consecutive records show every configuration change between starts.
enum ConfigurationAudit {
    static func record(_ configuration: PlatformConfiguration, components: [any PlatformComponent], time: Timestamp = .now()) -> AuditRecord
    {
        var details: [String: String] = [
            "roles": configuration.roles.map(\.rawValue).sorted().joined(separator: ","),
            "data_dir": configuration.dataDirectory,
            "http": "\(configuration.httpHost):\(configuration.httpPort)",
            "http.tls": configuration.httpTLSCertificate.map { "certificate \($0)" } ?? "off",
            "http.cors_origins": configuration.httpCORSOrigins.joined(separator: ","),
            "http.idle_timeout_seconds": String(configuration.httpIdleTimeoutSeconds),
            "http.event_stream_seconds": String(configuration.httpEventStreamSeconds),
            "http.read_timeout_seconds": String(configuration.httpReadTimeoutSeconds),
            "grpc": configuration.grpcPort.map { "\(configuration.httpHost):\($0)" } ?? "off",
            "log.backend": configuration.logBackend.rawValue,
            "log.partitions": String(configuration.logPartitions),
            "log.fsync": configuration.logFsync,
            "log.retention_days": String(configuration.logRetentionDays),
            "log.retention_removes_unconsumed": String(configuration.logRetentionRemovesUnconsumed),
            "store.backend": configuration.storeBackend.rawValue,
            "store.durability": configuration.storeDurability,
        ]
        if configuration.logBackend == .kafka {
            for (key, value) in configuration.logKafka.redactedDescription { details["log.kafka.\(key)"] = value }
        }
        if configuration.storeBackend == .postgres {
            for (key, value) in configuration.storePostgres.redactedDescription { details["store.postgres.\(key)"] = value }
        }
        for component in components {
            let section = type(of: component).section
            for (key, value) in component.settingsDescription { details["\(section).\(key)"] = value }
        }
        return .system(actor: "system:startup", action: "configuration.load", resource: "configuration", time: time, details: details)
    }
}
