/// What an address is used for or who controls it, as a tag list says: GraphSense's category names
/// (`exchange`, `mixing_service`, `darknet_market`, `ransomware`, `scam`, `gambling`, `mining_pool`, ...) and
/// `sanction` for the addresses of sanctioned parties. Any other lower-case name is kept as given.
public struct TagCategory: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// `nil` unless `rawValue` is 1 to 64 of `a-z`, `0-9` and `_`.
    public init?(rawValue: String) {
        guard (1...64).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 95 })
        else { return nil }
        self.rawValue = rawValue
    }

    public static let exchange = TagCategory(rawValue: "exchange")!
    public static let mixingService = TagCategory(rawValue: "mixing_service")!
    public static let darknetMarket = TagCategory(rawValue: "darknet_market")!
    public static let ransomware = TagCategory(rawValue: "ransomware")!
    public static let scam = TagCategory(rawValue: "scam")!
    public static let gambling = TagCategory(rawValue: "gambling")!
    public static let miningPool = TagCategory(rawValue: "mining_pool")!
    public static let paymentProcessor = TagCategory(rawValue: "payment_processor")!
    public static let sanction = TagCategory(rawValue: "sanction")!

    /// Categories whose counterparties are exposed: funds from or to them are what exposure typologies follow.
    public static let illicit: Set<TagCategory> = [.sanction, .mixingService, .darknetMarket, .ransomware, .scam]
    /// Known services: context for the typologies (an exchange consolidating deposits is not a fan-in).
    public static let knownServices: Set<TagCategory> = [.exchange, .miningPool, .paymentProcessor]

    public var description: String { rawValue }
}

/// One attribution: a tag list says that `address` on `chain` is `label` (`category`), on the authority of
/// `source`, with `confidence`.
public struct AddressTag: Hashable, Sendable, Codable {
    public var chain: Chain
    /// The address as the adapters spell it (``Chain/normalizedAddress(_:)``).
    public var address: String
    public var label: String
    public var category: TagCategory?
    /// Where the attribution comes from: a URL or a document.
    public var source: String
    /// 0 to 100: how reliable the attribution is (GraphSense's confidence levels: 100 for proven ownership,
    /// 60 for authority data, 20 for web crawls, 5 for unknown).
    public var confidence: Int
    /// The real-world actor behind the address (a TagPack `actor`, an SDN entry).
    public var actor: String?
    /// The tag holds for the address's whole entity, not only the address (TagPack `is_cluster_definer`).
    public var definesEntity: Bool
    /// When the attribution starts and stops holding, when the list says.
    public var validFrom: Timestamp?
    public var validTo: Timestamp?

    public init(
        chain: Chain, address: String, label: String, category: TagCategory?, source: String, confidence: Int, actor: String? = nil,
        definesEntity: Bool = false, validFrom: Timestamp? = nil, validTo: Timestamp? = nil
    ) {
        self.chain = chain
        self.address = address
        self.label = label
        self.category = category
        self.source = source
        self.confidence = confidence
        self.actor = actor
        self.definesEntity = definesEntity
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

/// One imported version of a tag list: each import of a list (`tagpack:<title>`, `ofac-sdn`) adds a version,
/// older versions stay (a finding names the version it used) and the newest is in force.
public struct TagListVersion: Hashable, Sendable, Codable {
    /// The list's name: `tagpack:<title>` for a TagPack, `ofac-sdn` for the OFAC SDN list.
    public var name: String
    /// 1 for the first import, then one more per import.
    public var version: Int
    /// `tagpack`, `ofac-sdn-csv` or `ofac-sdn-advanced-xml`.
    public var format: String
    public var importedAt: Timestamp
    /// Who imported it (`operator:<user>` at the command line, `user:<name>` through the API).
    public var importedBy: String
    /// SHA-256 of the imported file(s), hex.
    public var sha256: String
    public var tagCount: Int

    public init(name: String, version: Int, format: String, importedAt: Timestamp, importedBy: String, sha256: String, tagCount: Int) {
        self.name = name
        self.version = version
        self.format = format
        self.importedAt = importedAt
        self.importedBy = importedBy
        self.sha256 = sha256
        self.tagCount = tagCount
    }
}
