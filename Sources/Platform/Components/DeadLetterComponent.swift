import APIGateway
import CSICCore
import ServiceLifecycle
import StreamRuntime

/// Dead letters (`dead_letters:`): in the `process` role every record on `dead_letter` is stored for
/// operators; `/api/v1/dead-letters` lists them.
public struct DeadLetterComponent: PlatformComponent {
    public static let section = "dead_letters"

    public init(_ section: ConfigSection) throws {}

    public var consumers: [String: String] { [DeadLetterRecorder().group: Topic.deadLetter.rawValue] }

    public func services(_ context: ComponentContext) throws -> [any Service] {
        guard context.runs(.process) else { return [] }
        return [
            StreamProcessor(
                engine: DeadLetterRecorder(), log: context.log, store: context.store, logger: context.logger, metrics: context.metrics,
                health: context.health)
        ]
    }

    public func routes(_ context: ComponentContext) -> [any APIRoutes] {
        [DeadLetterRoutes(store: context.store)]
    }
}
