import Logging
import ServiceLifecycle

/// What one chain's adapter does for the follow loop: the node calls and applying one block.
protocol FollowedChain: Sendable {
    /// `bitcoin`, `ethereum`: in logs.
    var name: String { get }
    /// The nodes' URLs (without credentials), in order of preference.
    var urls: [String] { get }
    /// Throws ``WrongChain`` when node `node` is on another chain than the configured one.
    func verifyChain(node: Int) async throws
    /// The node's best height.
    func tip(node: Int) async throws -> UInt64
    /// Fetches the block at `height` from node `node`, offers it to (a copy of) `follower`, publishes the
    /// step's events and saves the checkpoint; returns the branch after it, or `nil` when the node has no
    /// block at `height`.
    func step(_ follower: ChainFollower, node: Int, height: UInt64) async throws -> ChainFollower?
}

extension FollowedChain {
    func verifyChain(node: Int) async throws {}
}

extension FollowLoop {
    /// Performs the loop's actions on `chain` until the service stops. Node failures, rejected blocks and a
    /// node on the wrong chain are counted, logged, dead-lettered where the node served bytes, and handed to
    /// the loop; a fork deeper than the checkpoint stops the adapter for an operator.
    mutating func run(_ chain: some FollowedChain, wake: BlockWake, faults: AdapterFaults, logger: Logger) async throws {
        var faults = faults
        logger.info(
            "\(chain.name) adapter started",
            metadata: ["tip": "\(follower.checkpoint.tip?.height.description ?? "none")", "node": "\(chain.urls.first ?? "none")"])
        var action = start()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                switch action {
                case .verifyChain(let node):
                    try await chain.verifyChain(node: node)
                    action = chainVerified()
                case .fetchTip(let node):
                    wake.reset()
                    action = tip(try await chain.tip(node: node))
                case .apply(let height, let node):
                    if let next = try await chain.step(follower, node: node, height: height) {
                        action = applied(next)
                    } else {
                        action = unavailable()
                    }
                case .idle(let duration):
                    await wake.idle(duration)
                    action = start()
                }
            } catch let error as NodeRPCError {
                action = failed(try await faults.node(error, url: chain.urls[node]))
            } catch let block as RejectedBlock {
                action = failed(try await faults.rejected(block))
            } catch let wrong as WrongChain {
                action = failed(faults.wrongChain(wrong))
            } catch let error as ChainFollower.FollowError {
                logger.critical("\(chain.name) adapter cannot follow the node; operator action needed", metadata: ["error": "\(error)"])
                throw error
            } catch is CancellationError {
                return
            } catch {
                // The log or the adapter's state refused the step (a damaged partition, a full disk): nothing
                // was skipped; the step is tried again after a backoff, and the process goes on.
                action = failed(faults.local(error))
            }
        }
    }
}
