// swift-tools-version: 6.1
import PackageDescription

/// The `Fuzzing` trait (scripts/fuzz) instruments the project's own modules for libFuzzer and AddressSanitizer;
/// the packages it depends on are compiled as in a debug build, so the fuzz build reuses their artifacts.
let fuzzing = BuildSettingCondition.when(traits: ["Fuzzing"])

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .define("FUZZING", fuzzing),
    .unsafeFlags(["-sanitize=fuzzer,address"], fuzzing),
]

let package = Package(
    name: "csic",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "csic", targets: ["csic"]),
        .library(name: "CSICCore", targets: ["CSICCore"]),
        .library(name: "CSICProtos", targets: ["CSICProtos"]),
        .library(name: "CSICQueryService", targets: ["CSICQueryService"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Storage", targets: ["Storage"]),
    ],
    traits: [
        .trait(name: "Kafka", description: "Adds the Kafka EventLog backend (needs librdkafka)."),
        .trait(name: "Fuzzing", description: "Builds csic-fuzz for libFuzzer with AddressSanitizer (scripts/fuzz)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON", "YAML"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        .target(
            name: "CSICCore",
            dependencies: [.product(name: "BigInt", package: "BigInt"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Core/CSICCore",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CSICProtos",
            dependencies: [
                "CSICCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "BigInt", package: "BigInt"),
            ],
            path: "Sources/Core/CSICProtos",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CSICQueryService",
            dependencies: [
                "CSICProtos",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/Core/CSICQueryService",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DurableFiles",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/Core/DurableFiles",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EventLog",
            dependencies: [
                "CSICCore", "DurableFiles",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/MessageQueue/EventLog",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CKafka",
            path: "Sources/MessageQueue/CKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "KafkaEventLog",
            dependencies: [
                "CSICCore", "EventLog", "DurableFiles",
                .target(name: "CKafka", condition: .when(traits: ["Kafka"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/MessageQueue/KafkaEventLog",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "csic-kafka-mock",
            dependencies: [.target(name: "CKafka", condition: .when(traits: ["Kafka"]))],
            path: "Sources/Tools/KafkaMock",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "CSICCore",
                "CSICProtos",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Sources/Storage/Storage",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BlockchainAdapters",
            dependencies: [
                "CSICCore",
                "CSICProtos",
                "EventLog",
                "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Ingestion/BlockchainAdapters",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamRuntime",
            dependencies: [
                "CSICCore", "CSICProtos", "EventLog", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Runtime/StreamRuntime",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AuditTrail",
            dependencies: [
                "CSICCore", "CSICProtos", "DurableFiles", "EventLog", "StreamRuntime", "Storage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Processing/AuditTrail",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TransactionAnalysis",
            dependencies: [
                "CSICCore", "CSICProtos", "DurableFiles", "EventLog", "StreamRuntime", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Processing/TransactionAnalysis",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AlertService",
            dependencies: [
                "CSICCore", "CSICProtos", "EventLog", "Storage", "StreamRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/Services/AlertService",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RiskEngine",
            dependencies: ["CSICCore"],
            path: "Sources/Processing/RiskEngine",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Simulation",
            dependencies: [
                "CSICCore", "CSICProtos", "DurableFiles", "EventLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Simulation/Simulation",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "APIGateway",
            dependencies: [
                "CSICCore", "CSICProtos", "DurableFiles", "EventLog", "Storage", "StreamRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "JWTKit", package: "jwt-kit"),
                "CSICQueryService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Services/APIGateway",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CSICPlatform",
            dependencies: [
                "AlertService", "AuditTrail", "BlockchainAdapters",
                "CSICCore", "CSICProtos", "EventLog", "Storage", "StreamRuntime",
                "TransactionAnalysis", "RiskEngine", "Simulation", "APIGateway", "KafkaEventLog",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Platform",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CSICBenchmarks",
            dependencies: [
                "APIGateway", "AlertService", "AuditTrail", "BlockchainAdapters", "CSICCore", "CSICPlatform", "CSICProtos", "EventLog",
                "RiskEngine", "Simulation", "Storage", "StreamRuntime", "TransactionAnalysis",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Benchmarks",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CSICFuzzTargets",
            dependencies: [
                "APIGateway", "AuditTrail", "BlockchainAdapters", "CSICCore", "CSICPlatform", "CSICProtos", "EventLog", "RiskEngine",
                "TransactionAnalysis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Sources/Fuzz/Targets",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "csic-fuzz",
            dependencies: ["CSICFuzzTargets"],
            path: "Sources/Fuzz/Driver",
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"], fuzzing)]
        ),
        .executableTarget(
            name: "csic",
            dependencies: [
                "APIGateway",
                "AuditTrail",
                "BlockchainAdapters",
                "CSICBenchmarks",
                "CSICCore",
                "CSICPlatform",
                "EventLog",
                "KafkaEventLog",
                "RiskEngine",
                "Simulation",
                "Storage",
                "StreamRuntime",
                "TransactionAnalysis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/csic",
            swiftSettings: swiftSettings
        ),
        .target(name: "CSICTestSupport", dependencies: ["CSICCore", "Storage"], path: "Tests/Support", swiftSettings: swiftSettings),
        .testTarget(name: "CSICCoreTests", dependencies: ["CSICCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BlockchainAdaptersTests",
            dependencies: [
                "BlockchainAdapters", "CSICCore", "CSICProtos", "CSICTestSupport", "EventLog", "Simulation", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuditTrailTests",
            dependencies: [
                "AuditTrail", "CSICCore", "CSICProtos", "CSICTestSupport", "EventLog", "Storage", "StreamRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CSICProtosTests", dependencies: ["CSICProtos", "CSICCore"], swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["CSICFuzzTargets"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EventLogTests", dependencies: ["EventLog", "KafkaEventLog", "CSICCore", "CSICTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "CSICCore", "CSICProtos", "CSICTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "RiskEngineTests", dependencies: ["RiskEngine", "CSICCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TransactionAnalysisTests",
            dependencies: [
                "TransactionAnalysis", "CSICCore", "CSICProtos", "EventLog", "RiskEngine", "Simulation", "Storage", "CSICTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamRuntimeTests",
            dependencies: [
                "StreamRuntime", "TransactionAnalysis", "RiskEngine", "Simulation", "EventLog", "Storage", "CSICProtos", "CSICCore",
                "CSICTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "CSICProtos", "CSICCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CSICPlatformTests",
            dependencies: [
                "APIGateway", "CSICPlatform", "CSICCore", "CSICProtos", "EventLog", "Storage", "CSICTestSupport", "TransactionAnalysis",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APIGatewayTests",
            dependencies: [
                "APIGateway", "AuditTrail", "CSICPlatform", "Storage", "EventLog", "CSICCore", "CSICProtos", "CSICTestSupport",
                "Simulation", "StreamRuntime", "TransactionAnalysis",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                "CSICQueryService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
