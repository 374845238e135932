import CSICCore

/// What a reference-data file yields: the tags to import, the entries refused with their reason, and what was
/// left out because the platform does not supervise it (by reason: `currency LTC`, `tx_hash tag`, ...).
public struct ReferenceDataContents: Sendable {
    /// The list the tags belong to: `tagpack:<title>`, `ofac-sdn`.
    public var listName: String
    /// `tagpack`, `ofac-sdn-csv`, `ofac-sdn-advanced-xml`.
    public var format: String
    public var tags: [AddressTag] = []
    public var rejected: [ReferenceDataRejection] = []
    public var skipped: [String: Int] = [:]

    public init(listName: String, format: String) {
        self.listName = listName
        self.format = format
    }
}

/// Limits that keep a hostile file from using unbounded memory or time.
public enum ReferenceDataLimits {
    /// The largest file read (OFAC's advanced XML is about 100 MB).
    public static let fileBytes = 512 << 20
    /// The most tags one list may hold.
    public static let tags = 5_000_000
    /// The most YAML nodes visited in one TagPack (aliases can make a small file a huge tree).
    public static let yamlNodes = 50_000_000
    /// Longest label, source and actor kept.
    public static let textBytes = 2_048

    /// The text of a file every reader starts from: refused whole when it is over ``fileBytes`` or not UTF-8.
    /// `file` names it in the error (`the file`, `file 2`).
    static func text(_ bytes: [UInt8], file: String = "the file") throws(ReferenceDataError) -> String {
        guard bytes.count <= fileBytes else { throw ReferenceDataError("\(file) is over \(fileBytes >> 20) MiB") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ReferenceDataError("\(file) is not UTF-8 text") }
        return text
    }
}

/// The chain of a currency code in a tag list: `BTC` (and OFAC's `XBT`) is Bitcoin, `ETH` Ethereum.
enum CurrencyCode {
    static func chain(_ code: String) -> Chain? {
        switch code.uppercased() {
        case "BTC", "XBT": .bitcoin
        case "ETH": .ethereum
        default: nil
        }
    }
}
