import ArgumentParser
import BlockchainAdapters
import CSICCore
import Foundation

/// `csic chain ...`: blockchain data by hand.
struct ChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain", abstract: "Inspect blockchain data.", subcommands: [DecodeBlock.self])

    struct DecodeBlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode-block",
            abstract: "Decode a Bitcoin block: raw bytes, hex, or blk*.dat records (magic + length prefix).")

        @Option(help: "A file holding the block (raw, hex, or blk*.dat records).") var file: String?
        @Option(help: "The block as hex.") var hex: String?
        @Option(help: "mainnet, testnet, testnet4, signet or regtest (default: from the record magic, else mainnet).")
        var network: String?
        @Flag(help: "Print JSON (one object per block).") var json = false

        func validate() throws {
            guard (file == nil) != (hex == nil) else { throw ValidationError("give exactly one of --file and --hex") }
            if let network, BitcoinNetwork.named(network) == nil { throw ValidationError("unknown network \(network)") }
        }

        func run() async throws {
            let data: [UInt8]
            if let file {
                data = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            } else {
                data = Array((hex ?? "").utf8)
            }
            var failed = false
            for (bytes, recordNetwork) in try BlockInput.blocks(in: data) {
                let chosen = network.flatMap(BitcoinNetwork.named) ?? recordNetwork ?? .mainnet
                do {
                    let report = BlockReport(try BitcoinBlock(bytes: bytes), network: chosen)
                    failed = failed || report.verification != "ok"
                    print(json ? try Self.json(report) : Self.text(report))
                } catch let error as BitcoinDataError {
                    failed = true
                    print(
                        json
                            ? "{\"error\":{\"code\":\"\(error.code.rawValue)\",\"message\":\(try Self.quoted(error.message))}}"
                            : "error: \(error)")
                }
            }
            if failed { throw ExitCode(2) }
        }

        static func json(_ report: BlockReport) throws -> String {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(report), as: UTF8.self)
        }

        static func quoted(_ text: String) throws -> String {
            String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        }

        static func text(_ report: BlockReport) -> String {
            var lines = [
                "block \(report.hash) (\(report.network))",
                "  previous \(report.previousHash)",
                "  merkle root \(report.merkleRoot)  time \(report.time)  bits \(report.bits)  nonce \(report.nonce)",
                "  \(report.size) bytes, weight \(report.weight), \(report.transactions.count) transactions, checks: \(report.verification)",
            ]
            for transaction in report.transactions {
                lines.append("tx \(transaction.txid)" + (transaction.wtxid == transaction.txid ? "" : " (wtxid \(transaction.wtxid))"))
                for input in transaction.inputs {
                    lines.append(input.coinbase ? "  in  coinbase" : "  in  \(input.previousTxid):\(input.previousIndex)")
                }
                for output in transaction.outputs {
                    lines.append("  out \(output.index) \(output.value) sat \(output.scriptType) \(output.address ?? "-")")
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
