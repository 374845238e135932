import CSICCore

/// OFAC's Specially Designated Nationals list, in either public format: `SDN.CSV` (with or without its
/// overflow file `SDN_COMMENTS.CSV`) or `SDN_ADVANCED.XML`. Each digital currency address of a sanctioned
/// party becomes a tag of category `sanction`, labelled with the party's name, its actor `ofac-sdn:<entry>`,
/// confidence 100 (the designation is the authority's own).
///
/// Bitcoin (`XBT`) and Ethereum (`ETH`) addresses are imported, and `USDT` and `USDC` addresses written as
/// Ethereum addresses (the token holders on Ethereum); other assets are counted as skipped. An address that
/// is not valid for its chain (OFAC's remarks are sometimes cut off) is refused with its entry number.
public enum SanctionsList {
    /// The list's name in the tag store.
    public static let listName = "ofac-sdn"
    /// How OFAC introduces an address, in the CSV remarks and as the XML feature type.
    static let addressMarker = "Digital Currency Address - "

    /// One party's addresses as the list gives them.
    struct Party {
        var entry: String
        var name: String
        var program: String?
        /// (asset code, address) pairs.
        var addresses: [(String, String)]
    }

    /// The tags of `parties`, with what was refused or skipped.
    static func contents(_ parties: [Party], format: String) -> ReferenceDataContents {
        var contents = ReferenceDataContents(listName: listName, format: format)
        for party in parties {
            for (asset, address) in party.addresses {
                let code = asset.uppercased()
                // Stablecoin addresses written as Ethereum addresses are their holders on Ethereum.
                let isToken = (code == "USDT" || code == "USDC") && address.hasPrefix("0x")
                let chain = isToken ? .ethereum : CurrencyCode.chain(code)
                guard let chain else {
                    contents.skipped["asset \(code.prefix(16))", default: 0] += 1
                    continue
                }
                guard let normalized = chain.normalizedAddress(address) else {
                    contents.rejected.append(
                        ReferenceDataRejection(
                            location: "entry \(party.entry)", reason: "\(code) \(address.prefix(100)) is not a \(chain.rawValue) address"))
                    continue
                }
                guard contents.tags.count < ReferenceDataLimits.tags else { return contents }
                let program = party.program.map { " (\($0.prefix(200)))" } ?? ""
                contents.tags.append(
                    AddressTag(
                        chain: chain, address: normalized, label: String(party.name.prefix(ReferenceDataLimits.textBytes)),
                        category: .sanction, source: "OFAC SDN list, entry \(party.entry)\(program)", confidence: 100,
                        actor: "ofac-sdn:\(party.entry)", definesEntity: false))
            }
        }
        return contents
    }

    /// The (asset, address) pairs in a remarks text: `Digital Currency Address - XBT 1Abc...; alt. Digital
    /// Currency Address - ETH 0x...;`.
    static func addresses(inRemarks remarks: String) -> [(String, String)] {
        var found: [(String, String)] = []
        var rest = Substring(remarks)
        while let marker = rest.range(of: addressMarker) {
            rest = rest[marker.upperBound...]
            let asset = rest.prefix { $0.isLetter || $0.isNumber }
            rest = rest[asset.endIndex...].drop { $0 == " " }
            let address = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            rest = rest[address.endIndex...]
            if !asset.isEmpty, !address.isEmpty { found.append((String(asset), String(address))) }
        }
        return found
    }
}
