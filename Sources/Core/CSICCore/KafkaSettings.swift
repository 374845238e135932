/// How to reach the Kafka cluster of `log.backend: kafka` (`log.kafka` in the configuration file; the SASL
/// password preferably from `CSIC_LOG_KAFKA_SASL_PASSWORD`). The password is never logged or audited
/// (``redactedDescription``).
public struct KafkaSettings: Sendable, Hashable {
    /// `host:port,host:port` of some brokers of the cluster.
    public var bootstrapServers: String
    /// The client id the brokers see (and their quotas apply to).
    public var clientID: String
    /// Replicas of each topic CSIC creates (at most the number of brokers).
    public var replicationFactor: Int
    /// librdkafka properties passed through unchanged: `security.protocol`, `sasl.mechanisms`,
    /// `sasl.username`, `ssl.ca.location`, `ssl.certificate.location`, ... (never `sasl.password`: see below).
    public var properties: [String: String]
    /// `sasl.password`, kept apart so that it is never printed.
    public var saslPassword: String?

    public init(
        bootstrapServers: String = "127.0.0.1:9092", clientID: String = "csic", replicationFactor: Int = 3,
        properties: [String: String] = [:], saslPassword: String? = nil
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.replicationFactor = replicationFactor
        self.properties = properties
        self.saslPassword = saslPassword
    }

    /// Everything but the password, for logs and the `configuration.load` audit record.
    public var redactedDescription: [String: String] {
        var description = [
            "bootstrap_servers": bootstrapServers, "client_id": clientID, "replication_factor": String(replicationFactor),
            "sasl_password": saslPassword == nil ? "(not set)" : "(redacted)",
        ]
        for (key, value) in properties { description["properties.\(key)"] = key.contains("password") ? "(redacted)" : value }
        return description
    }

    /// Refuses values that cannot work.
    public func validate() throws(ValidationError) {
        try Check.nonEmpty(bootstrapServers, "log.kafka.bootstrap_servers")
        guard (1...32).contains(replicationFactor) else {
            throw ValidationError(.outOfRange, field: "log.kafka.replication_factor", "must be 1...32")
        }
        if properties.keys.contains("sasl.password") {
            throw ValidationError(
                .malformed, field: "log.kafka.properties.sasl.password", "set the password with CSIC_LOG_KAFKA_SASL_PASSWORD")
        }
    }
}
